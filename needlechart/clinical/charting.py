"""Charting rules over the knowledge base, with no Django: what a charted needle may say.

`needle_problems` checks a needle's numbers against the plausibility limits of
knowledge/data/needle_limits.yaml (gauge, length, depth not beyond the needle's length, retention,
twitch responses, electrical stimulation frequency, pulse width, intensity and duration). Each problem
names the field, the limit and its unit, so a form or the API can mark the field and say how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from needlechart.knowledge.model import KnowledgeBase

Number = int | float | Decimal


def _fmt(value: float) -> str:
    return f"{value:g}"


def needle_problems(kb: KnowledgeBase, values: Mapping[str, Number | None]) -> dict[str, str]:
    """Field -> what is wrong with it, for every value outside its limit (empty when all are plausible)."""
    problems: dict[str, str] = {}
    for limit in kb.needle_limits.values():
        value = values.get(limit.field)
        if value is None:
            continue
        number = float(value)
        if not limit.min <= number <= limit.max:
            problems[limit.field] = (
                f"{limit.name} {_fmt(number)} {limit.unit} is outside {_fmt(limit.min)}-{_fmt(limit.max)} "
                f"{limit.unit}: check the value"
            )
            continue
        cap = values.get(limit.at_most_field) if limit.at_most_field else None
        if cap is not None and number > float(cap):
            problems[limit.field] = (
                f"{limit.name} {_fmt(number)} {limit.unit} is more than the needle's length "
                f"({_fmt(float(cap))} {limit.unit}): a needle cannot go deeper than it is long"
            )
    return problems
