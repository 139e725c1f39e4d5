"""Field-by-field reading of one YAML entry, collecting every problem instead of stopping at the first.

An editor who fixes a data file wants the whole list of what is wrong in one run, each item naming
the file, the entry and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from .errors import where
from .sourceref import SourceRef

_MISSING = object()


class Reader:
    """Reads typed fields out of one mapping and records problems against file/entry/field."""

    def __init__(self, raw: Any, file: str, index: int, problems: list[str], id_key: str = "id"):
        self.file = file
        self.problems = problems
        self.seen: set[str] = set()
        if not isinstance(raw, dict):
            self.raw: dict[str, Any] = {}
            self.entry = f"#{index + 1}"
            self.problem(None, f"each entry must be a mapping, not {type(raw).__name__}")
            return
        self.raw = raw
        ident = raw.get(id_key)
        self.entry = ident if isinstance(ident, str) and ident else f"#{index + 1}"

    def problem(self, field: str | None, message: str) -> None:
        self.problems.append(f"{where(self.file, self.entry, field)}: {message}")

    def _get(self, key: str, required: bool) -> Any:
        self.seen.add(key)
        value = self.raw.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.problem(key, "is required")
            return _MISSING
        return value

    def text(self, key: str, required: bool = True, default: str = "") -> str:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
            self.problem(key, f"must be non-empty text, not {value!r}")
            return default
        return str(value).strip()

    def texts(self, key: str, required: bool = False, non_empty: bool = False) -> tuple[str, ...]:
        value = self._get(key, required)
        if value is _MISSING:
            if non_empty and not required:
                self.problem(key, "is required")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(key, f"must be a list of non-empty text items, not {value!r}")
            return ()
        if non_empty and not value:
            self.problem(key, "must list at least one item")
        duplicates = sorted({v for v in value if value.count(v) > 1})
        if duplicates:
            self.problem(key, f"lists {', '.join(duplicates)} more than once")
        return tuple(v.strip() for v in value)

    def choice(self, key: str, allowed: Iterable[str], required: bool = True, default: str = "") -> str:
        allowed = tuple(allowed)
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if value not in allowed:
            self.problem(key, f"{value!r} is not one of: {', '.join(allowed)}")
            return default
        return cast(str, value)  # equal to one of `allowed`, so text

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"must be true or false, not {value!r}")
            return default
        return value

    def integer(self, key: str, required: bool = False) -> int | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(key, f"must be a whole number, not {value!r}")
            return None
        return value

    def mapping(self, key: str, required: bool = True) -> dict[str, Any]:
        value = self._get(key, required)
        if value is _MISSING:
            return {}
        if not isinstance(value, dict):
            self.problem(key, f"must be a mapping, not {value!r}")
            return {}
        return value

    def items(self, key: str, required: bool = False) -> list[Any]:
        value = self._get(key, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.problem(key, f"must be a list, not {value!r}")
            return []
        return value

    def sources(self, key: str = "sources") -> tuple[SourceRef, ...]:
        value = self._get(key, True)
        if value is _MISSING:
            return ()
        if not isinstance(value, list) or not value:
            self.problem(key, "must list at least one source: every fact names where it comes from")
            return ()
        refs = []
        for item in value:
            try:
                refs.append(SourceRef.parse(item))
            except ValueError as exc:
                self.problem(key, str(exc))
        return tuple(refs)

    def sub(self, raw: Any, field: str) -> Reader:
        """A reader for a nested mapping whose problems are reported under `entry: field`."""
        nested = Reader.__new__(Reader)
        nested.file = self.file
        nested.problems = self.problems
        nested.seen = set()
        nested.entry = f"{self.entry}' field '{field}"
        if not isinstance(raw, dict):
            nested.raw = {}
            nested.problems.append(f"{where(self.file, self.entry, field)}: must be a mapping, not {raw!r}")
        else:
            nested.raw = raw
        return nested

    def finish(self) -> None:
        """Report keys the schema does not know (typos such as `synonym:` would otherwise be lost)."""
        unknown = sorted(set(self.raw) - self.seen)
        for key in unknown:
            self.problem(key, "is not a known field")
