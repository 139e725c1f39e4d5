"""Target suggestion: from where it hurts to the muscles and acupoints worth examining.

Scoring is deliberately simple so that every rank can be explained in one sentence:

Muscles, per side. For each painful location the muscle's trigger points refer to:
  primary zone 1.0, spillover zone 0.5, the muscle lying in the painful region itself 0.25,
  each weighted by the pain's intensity (0-10 maps to 0.5-1.0; unrated pain counts 1.0).
  A muscle listed for the episode's condition adds 0.5 (plus up to 0.25 for its rank in the list).
  Referral is ipsilateral: left pain points to left muscles. Midline pain, and muscles whose referral
  crosses the midline, count for both sides.

Acupoints, per side. A point in a painful region scores 1.0 (local), in a neighbouring region 0.4;
  a distal point for a painful region 0.7; a distal point for the condition 0.8; a local point for the
  condition 0.5. Points on the GV and CV lie on the midline.

Ties break on the number of primary (or local) matches, then on the name.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from needlechart.knowledge.model import Acupoint, Hazard, KnowledgeBase, Muscle

from .screening import OK, ScreeningInput, assess_target, screen

PRIMARY, SPILLOVER, LOCAL = 1.0, 0.5, 0.25
CONDITION_MUSCLE, CONDITION_RANK = 0.5, 0.25
POINT_LOCAL, POINT_ADJACENT, POINT_DISTAL_REGION = 1.0, 0.4, 0.7
POINT_DISTAL_CONDITION, POINT_LOCAL_CONDITION = 0.8, 0.5


class SuggestionInputError(ValueError):
    """A pain location or condition that cannot be used; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Pain:
    region: str
    side: str
    intensity: int | None = None

    @property
    def weight(self) -> float:
        return 1.0 if self.intensity is None else 0.5 + self.intensity / 20


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested target on one side, with the reason for its rank."""

    kind: str  # muscle | acupoint
    id: str
    name: str
    side: str
    score: float
    primary: tuple[str, ...]  # pain regions it explains as primary referral (muscles) or local (points)
    spillover: tuple[str, ...]  # pain regions it explains as spillover (muscles) or nearby (points)
    role: str  # muscle: referral | local | condition; acupoint: local | distal
    reason: str
    hazards: tuple[Hazard, ...]
    status: str = OK
    status_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestions:
    pains: tuple[Pain, ...]
    condition: str
    muscles: tuple[Suggestion, ...]
    acupoints: tuple[Suggestion, ...]


@functools.cache
def _index(kb: KnowledgeBase) -> dict[str, dict]:
    """Region -> targets look-ups, built once per knowledge base so each call stays under a millisecond."""
    primary, spillover, local = defaultdict(list), defaultdict(list), defaultdict(list)
    for m in kb.muscles.values():
        for r in m.primary:
            primary[r].append(m)
        for r in m.spillover:
            spillover[r].append(m)
        for r in m.regions:
            local[r].append(m)
    points_in, distal_for = defaultdict(list), defaultdict(list)
    for p in kb.acupoints.values():
        if p.region:
            points_in[p.region].append(p)
        for r in p.distal_for:
            distal_for[r].append(p)
    return {
        "primary": primary,
        "spillover": spillover,
        "local": local,
        "points_in": points_in,
        "distal_for": distal_for,
    }


def _validate(kb: KnowledgeBase, pains: Sequence[Pain], condition: str) -> None:
    for pain in pains:
        region = kb.regions.get(pain.region)
        if region is None:
            raise SuggestionInputError(f"unknown region '{pain.region}'")
        if pain.side not in region.sides:
            raise SuggestionInputError(
                f"side '{pain.side}' is not valid for {pain.region}: use {', '.join(region.sides)}"
            )
        if pain.intensity is not None and not 0 <= pain.intensity <= 10:
            raise SuggestionInputError(f"pain intensity {pain.intensity} is out of range: use 0 to 10")
    if condition and condition not in kb.conditions:
        raise SuggestionInputError(f"unknown condition '{condition}'")


def _muscle_sides(muscle: Muscle, pain: Pain) -> tuple[str, ...]:
    if pain.side == "midline" or muscle.laterality == "bilateral":
        return ("left", "right")
    return (pain.side,)


def _point_sides(point: Acupoint, pain_side: str) -> tuple[str, ...]:
    if point.midline:
        return ("midline",)
    return ("left", "right") if pain_side == "midline" else (pain_side,)


def _place(kb: KnowledgeBase, region_ids: Sequence[str], side: str) -> str:
    """'the left temple and posterior neck' — one side named once, regions in lower case."""
    names = [kb.regions[r].name.lower() for r in dict.fromkeys(region_ids)]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"the {side} {joined}" if side in ("left", "right") else f"the {joined}"


def suggest(
    kb: KnowledgeBase,
    pains: Sequence[Pain],
    condition: str = "",
    screening: ScreeningInput | None = None,
    top: int = 10,
) -> Suggestions:
    """Rank muscles and acupoints for the pain drawing, optionally a condition and the patient's screening."""
    _validate(kb, pains, condition)
    muscles = _rank_muscles(kb, pains, condition)
    points = _rank_points(kb, pains, condition)
    if screening is not None:
        muscles = _with_status(kb, muscles, screening)
        points = _with_status(kb, points, screening)
    return Suggestions(tuple(pains), condition, tuple(muscles[:top]), tuple(points[:top]))


def _rank_muscles(kb: KnowledgeBase, pains: Sequence[Pain], condition: str) -> list[Suggestion]:
    idx = _index(kb)
    score: dict[tuple[str, str], float] = defaultdict(float)
    prim: dict[tuple[str, str], list[str]] = defaultdict(list)
    spill: dict[tuple[str, str], list[str]] = defaultdict(list)
    loc: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pain in pains:
        matched: set[str] = set()
        for weight, table, hits in (
            (PRIMARY, idx["primary"], prim),
            (SPILLOVER, idx["spillover"], spill),
            (LOCAL, idx["local"], loc),
        ):
            for muscle in table.get(pain.region, ()):
                if muscle.id in matched:
                    continue  # a region counts once per muscle, at its strongest link
                matched.add(muscle.id)
                for side in _muscle_sides(muscle, pain):
                    score[(muscle.id, side)] += weight * pain.weight
                    hits[(muscle.id, side)].append(pain.region)

    cond = kb.conditions.get(condition) if condition else None
    cond_rank: dict[str, float] = {}
    if cond:
        n = len(cond.muscles)
        cond_rank = {m: CONDITION_MUSCLE + CONDITION_RANK * (1 - i / n) for i, m in enumerate(cond.muscles)}
        sides = sorted({s for p in pains for s in (("left", "right") if p.side == "midline" else (p.side,))})
        for muscle_id, bonus in cond_rank.items():
            for side in sides or ["left", "right"]:
                score[(muscle_id, side)] += bonus

    out = []
    for (muscle_id, side), value in score.items():
        muscle = kb.muscles[muscle_id]
        key = (muscle_id, side)
        p, s, lo = prim.get(key, []), spill.get(key, []), loc.get(key, [])
        role = "referral" if p or s else "local" if lo else "condition"
        out.append(
            Suggestion(
                kind="muscle",
                id=muscle_id,
                name=muscle.name,
                side=side,
                score=round(value, 3),
                primary=tuple(p),
                spillover=tuple(s),
                role=role,
                reason=_muscle_reason(kb, muscle, side, p, s, lo, cond if muscle_id in cond_rank else None),
                hazards=muscle.hazards,
            )
        )
    out.sort(key=lambda x: (-x.score, -len(x.primary), x.name, x.side))
    return out


def _muscle_reason(kb, muscle: Muscle, side, primary, spillover, local, condition) -> str:
    parts = []
    if primary:
        parts.append(f"trigger points refer pain to {_place(kb, primary, side)}")
        if spillover:
            parts[-1] += f" with spillover to {_place(kb, spillover, side)}"
    elif spillover:
        parts.append(f"trigger points refer spillover pain to {_place(kb, spillover, side)}")
    elif local:
        parts.append(f"lies in {_place(kb, local, side)}, where it hurts")
    if condition is not None:
        parts.append(f"a muscle to examine in {condition.name.lower()}")
    return f"{side.capitalize()} {muscle.name.lower()}: {'; '.join(parts)}."


def _rank_points(kb: KnowledgeBase, pains: Sequence[Pain], condition: str) -> list[Suggestion]:
    idx = _index(kb)
    score: dict[tuple[str, str], float] = defaultdict(float)
    local: dict[tuple[str, str], list[str]] = defaultdict(list)
    near: dict[tuple[str, str], list[str]] = defaultdict(list)
    distal: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pain in pains:
        for point in idx["points_in"].get(pain.region, ()):
            for side in _point_sides(point, pain.side):
                score[(point.code, side)] += POINT_LOCAL * pain.weight
                local[(point.code, side)].append(pain.region)
        for neighbour in kb.regions[pain.region].adjacent:
            for point in idx["points_in"].get(neighbour, ()):
                for side in _point_sides(point, pain.side):
                    score[(point.code, side)] += POINT_ADJACENT * pain.weight
                    near[(point.code, side)].append(pain.region)
        for point in idx["distal_for"].get(pain.region, ()):
            for side in _point_sides(point, pain.side):
                score[(point.code, side)] += POINT_DISTAL_REGION * pain.weight
                distal[(point.code, side)].append(pain.region)

    cond = kb.conditions.get(condition) if condition else None
    cond_points: set[str] = set()
    if cond:
        sides = sorted({p.side for p in pains if p.side != "midline"}) or ["left", "right"]
        for codes, weight in (
            (cond.distal_acupoints, POINT_DISTAL_CONDITION),
            (cond.local_acupoints, POINT_LOCAL_CONDITION),
        ):
            for code in codes:
                cond_points.add(code)
                point = kb.acupoints[code]
                for side in ("midline",) if point.midline else sides:
                    score[(code, side)] += weight

    out = []
    for (code, side), value in score.items():
        point = kb.acupoints[code]
        key = (code, side)
        lo, ne, di = local.get(key, []), near.get(key, []), distal.get(key, [])
        role = "local" if lo or ne else "distal"
        out.append(
            Suggestion(
                kind="acupoint",
                id=code,
                name=point.label,
                side=side,
                score=round(value, 3),
                primary=tuple(lo),
                spillover=tuple(ne),
                role=role,
                reason=_point_reason(kb, point, side, lo, ne, di, cond if code in cond_points else None),
                hazards=point.hazards,
            )
        )
    out.sort(key=lambda x: (-x.score, -len(x.primary), x.id, x.side))
    return out


def _point_reason(kb, point: Acupoint, side, local, near, distal, condition) -> str:
    parts = []
    if local:
        parts.append(f"lies in {_place(kb, local, side)}, where it hurts")
    elif near:
        parts.append(f"lies next to {_place(kb, near, side)}")
    if distal:
        parts.append(f"a distal point for {_place(kb, distal, '')}")
    if condition is not None:
        parts.append(f"used in {condition.name.lower()}")
    where = "" if side == "midline" else f"{side.capitalize()} "
    return f"{where}{point.code} ({point.pinyin}): {'; '.join(parts)}."


def _with_status(kb: KnowledgeBase, items: list[Suggestion], screening: ScreeningInput) -> list[Suggestion]:
    result = screen(kb, ScreeningInput(screening.age, screening.findings, (), screening.modalities))
    out = []
    for item in items:
        if not result.may_needle:
            status, reasons = "blocked", (f"Screening verdict is {result.verdict.replace('_', ' ')}.",)
        else:
            active = [(r, kb.findings[r.id]) for r in result.findings]
            assessed = assess_target(kb, active, item.id, item.side)
            status, reasons = assessed.status, assessed.reasons
        out.append(_replace_status(item, status, reasons))
    # Blocked targets stay visible (the clinician sees why) but sink below the usable ones.
    out.sort(key=lambda x: x.status == "blocked")
    return out


def _replace_status(item: Suggestion, status: str, reasons: tuple[str, ...]) -> Suggestion:
    from dataclasses import replace

    return replace(item, status=status, status_reasons=reasons)
