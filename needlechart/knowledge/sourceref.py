"""Citations: every fact in the knowledge base names where it comes from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A pointer from a knowledge entry to a bibliography entry, optionally to a chapter or page."""

    id: str
    locator: str = ""

    @classmethod
    def parse(cls, raw: object) -> SourceRef:
        """Accept `"simons_1999"` or `{"id": "simons_1999", "locator": "ch. 6"}`.

        Raises ValueError with a short reason for anything else; the loader adds file and entry.
        """
        if isinstance(raw, str) and raw.strip():
            return cls(raw.strip())
        if isinstance(raw, dict):
            unknown = set(raw) - {"id", "locator"}
            if unknown:
                raise ValueError(f"unknown key(s) {sorted(unknown)} in a source reference")
            ident = raw.get("id")
            if not isinstance(ident, str) or not ident.strip():
                raise ValueError("a source reference needs an 'id'")
            locator = raw.get("locator", "")
            if not isinstance(locator, str):
                raise ValueError("a source 'locator' must be text")
            return cls(ident.strip(), locator.strip())
        raise ValueError(f"a source reference must be an ID or {{id, locator}}, not {raw!r}")
