"""Errors raised while loading the knowledge base."""

from __future__ import annotations


class KnowledgeError(Exception):
    """One or more problems found in the knowledge-base data files.

    Each problem names the file, the entry and the field at fault so that whoever edits the
    YAML can go straight to it.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def where(file: str, entry: str | None, field: str | None) -> str:
    """Format a location as `file: entry 'x': field 'y'` for error messages."""
    parts = [file]
    if entry is not None:
        parts.append(f"entry '{entry}'")
    if field is not None:
        parts.append(f"field '{field}'")
    return ": ".join(parts)
