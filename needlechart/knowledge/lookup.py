"""Resolve what a person types (a name, a synonym, an ID, any case) to a knowledge-base ID.

Clinicians type "SCM", "peroneus longus", "li 4" or "Low back"; the core works on IDs. Every name
and synonym is registered once per category, and a name that would point to two entries is a
data error caught at load time.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

CATEGORIES = ("region", "muscle", "acupoint", "condition", "finding", "exercise")


def normalise(text: str) -> str:
    """Lower case, `_` and `-` as spaces, single spaces: "Upper_Trapezius" -> "upper trapezius"."""
    return re.sub(r"\s+", " ", re.sub(r"[-_]", " ", text.strip().lower()))


def _compact(text: str) -> str:
    return normalise(text).replace(" ", "")


class UnknownName(ValueError):
    """A name that matches nothing; carries the closest valid names for the error message."""

    def __init__(self, category: str, text: str, suggestions: list[str]):
        self.category = category
        self.text = text
        self.suggestions = suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"unknown {category} '{text}'{hint}")


def build_names(
    regions: dict[str, Any],
    muscles: dict[str, Any],
    acupoints: dict[str, Any],
    conditions: dict[str, Any],
    findings: dict[str, Any],
    exercises: dict[str, Any],
    problems: list[str],
) -> dict[str, dict[str, str]]:
    """Map every normalised name, synonym and ID to its entry's ID, per category."""
    names: dict[str, dict[str, str]] = {c: {} for c in CATEGORIES}

    def register(category: str, ident: str, *labels: str) -> None:
        table = names[category]
        for label in labels:
            for key in {normalise(label), _compact(label)} if category == "acupoint" else {normalise(label)}:
                if not key:
                    continue
                owner = table.get(key)
                if owner is not None and owner != ident:
                    problems.append(
                        f"{category} names: '{label}' names both '{owner}' and '{ident}'; "
                        "a name or synonym must point to one entry"
                    )
                    continue
                table[key] = ident

    for r in regions.values():
        register("region", r.id, r.id, r.name, *r.synonyms)
    for m in muscles.values():
        register("muscle", m.id, m.id, m.name, *m.synonyms)
    for p in acupoints.values():
        labels = [p.code, p.pinyin]
        if p.english:
            labels.append(p.english)
        register("acupoint", p.code, p.code)
        # Pinyin names repeat across meridians (e.g. "Zulinqi" and "Toulinqi" do not, but
        # "Wuli" does): register them only where unique, so the code always wins.
        for label in labels[1:]:
            key = normalise(label)
            existing = names["acupoint"].get(key)
            if existing is None:
                names["acupoint"][key] = p.code
            elif existing != p.code:
                names["acupoint"][key] = ""  # ambiguous: resolvable by code only
    names["acupoint"] = {k: v for k, v in names["acupoint"].items() if v}
    for c in conditions.values():
        register("condition", c.id, c.id, c.name, *c.synonyms)
    for f in findings.values():
        register("finding", f.id, f.id, f.name)
    for e in exercises.values():
        register("exercise", e.id, e.id, e.name)
    return names


def resolve(kb: Any, category: str, text: str) -> str:
    """The ID of the entry in `category` called `text`; UnknownName lists the closest valid IDs."""
    table: dict[str, str] = kb.names[category]
    key = normalise(text)
    if key in table:
        return table[key]
    if category == "acupoint" and _compact(text) in table:
        return table[_compact(text)]
    raise UnknownName(category, text, closest(kb, category, text))


def resolve_target(kb: Any, text: str) -> str:
    """A needling target: a muscle or an acupoint."""
    try:
        return resolve(kb, "muscle", text)
    except UnknownName as muscle_miss:
        try:
            return resolve(kb, "acupoint", text)
        except UnknownName as point_miss:
            suggestions = (muscle_miss.suggestions + point_miss.suggestions)[:3]
            raise UnknownName("target (muscle or acupoint)", text, suggestions) from None


def closest(kb: Any, category: str, text: str, n: int = 3) -> list[str]:
    """The IDs whose names are closest to `text`, best first: names that start with or contain the
    text (a clinician typing "elbow" means elbow_lateral or elbow_medial), then spelling neighbours."""
    table = kb.names[category]
    query = normalise(text)
    starts = sorted(k for k in table if query and k.startswith(query))
    contains = sorted(k for k in table if query and query in k and k not in starts)
    similar = difflib.get_close_matches(query, list(table), n=n * 3, cutoff=0.5)
    out: list[str] = []
    for key in starts + contains + similar:
        ident = table[key]
        if ident not in out:
            out.append(ident)
    return out[:n]


def search(kb: Any, text: str, limit: int = 20) -> list[tuple[str, str]]:
    """(category, ID) pairs whose name or synonym contains `text`, exact and prefix matches first."""
    query = normalise(text)
    if not query:
        return []
    scored: dict[tuple[str, str], int] = {}
    for category in ("muscle", "acupoint", "region", "condition"):
        for key, ident in kb.names[category].items():
            if query not in key:
                continue
            rank = 0 if key == query else 1 if key.startswith(query) else 2
            pair = (category, ident)
            scored[pair] = min(rank, scored.get(pair, 9))
    return sorted(scored, key=lambda p: (scored[p], p[0], p[1]))[:limit]
