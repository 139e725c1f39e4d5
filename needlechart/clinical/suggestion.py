"""Target suggestion: from where it hurts to the muscles and acupoints worth examining.

Scoring is deliberately simple so that every rank can be explained in one sentence:

Muscles, per side. For each painful location the muscle's trigger points refer to:
  primary zone 1.0, spillover zone 0.5, the muscle lying in the painful region itself 0.25,
  each weighted by the pain's intensity (0-10 maps to 0.5-1.0; unrated pain counts 1.0).
  A muscle listed for the episode's condition adds 0.5 (plus up to 0.25 for its rank in the list).
  Referral is ipsilateral: left pain points to left muscles. Central (midline) pain, and a zone
  where the muscle's referral crosses the midline, count for both sides. Muscles with divisions (SCM)
  match through the division whose zone it is, and the reason names it.

Acupoints, per side. A point in a painful region scores 1.0 (local), in a neighbouring region 0.4;
  a distal point for a painful region 0.7; a distal point for the condition 0.8; a local point for the
  condition 0.5. Points on the GV and CV, and extra points on the midline, lie on the midline.

A region counts once per target and side: pain drawn on both sides of the lumbar region, or
centrally, adds to a midline point or a crossing muscle once (at its strongest), not twice.

Ties break on clinical weight from the knowledge base, never on the alphabet: points for trained
acupuncturists only rank below safer points of equal score; then targets recorded as a common source
of pain in the painful regions (`prevalence`, with its source); then the number of primary (or local)
matches; then the knowledge base's order. The first target's reason says why it ranks first when the
next one has the same score. For dry needling, points for trained acupuncturists only are never
suggested.
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypedDict

from needlechart.knowledge.model import Acupoint, Condition, Hazard, KnowledgeBase, Muscle, Prevalence

from .locations import Pain, PainInputError, parse_pain  # Pain lives in locations; imported from here too
from .screening import CAUTION, OK, ScreeningInput, assess_target, needling_blocked, screen

PRIMARY, SPILLOVER, LOCAL = 1.0, 0.5, 0.25
CONDITION_MUSCLE, CONDITION_RANK = 0.5, 0.25
POINT_LOCAL, POINT_ADJACENT, POINT_DISTAL_REGION = 1.0, 0.4, 0.7
POINT_DISTAL_CONDITION, POINT_LOCAL_CONDITION = 0.8, 0.5


class SuggestionInputError(ValueError):
    """A pain location or condition that cannot be used; the message says what is wrong."""


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


# How a muscle's trigger points reach a painful region; each is also a table of the index.
_MuscleLink = Literal["primary", "spillover", "local"]


class _Index(TypedDict):
    """Region ID -> the muscles or detailed acupoints that region brings, per link."""

    primary: dict[str, list[Muscle]]
    spillover: dict[str, list[Muscle]]
    local: dict[str, list[Muscle]]
    points_in: dict[str, list[Acupoint]]
    distal_for: dict[str, list[Acupoint]]


@functools.cache
def _index(kb: KnowledgeBase) -> _Index:
    """Region -> targets look-ups, built once per knowledge base so each call stays under a millisecond."""
    primary: dict[str, list[Muscle]] = defaultdict(list)
    spillover: dict[str, list[Muscle]] = defaultdict(list)
    local: dict[str, list[Muscle]] = defaultdict(list)
    for m in kb.muscles.values():
        for r in m.primary:
            primary[r].append(m)
        for r in m.spillover:
            spillover[r].append(m)
        for r in m.regions:
            local[r].append(m)
    points_in: dict[str, list[Acupoint]] = defaultdict(list)
    distal_for: dict[str, list[Acupoint]] = defaultdict(list)
    for p in kb.acupoints.values():
        # Only points described in detail are suggested, and never a point that is never needled.
        if not p.detailed or p.never_needle is not None:
            continue
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


def _validate(kb: KnowledgeBase, pains: Sequence[Pain], condition: str) -> tuple[Pain, ...]:
    """The pains as the core's location rule reads them (side in lower case, intensity a number)."""
    checked = []
    for pain in pains:
        try:
            checked.append(parse_pain(kb, pain.region, pain.side, pain.intensity, resolve_names=False))
        except PainInputError as exc:
            raise SuggestionInputError(str(exc)) from None
    if condition and condition not in kb.conditions:
        raise SuggestionInputError(f"unknown condition '{condition}'")
    return tuple(checked)


def _muscle_sides(muscle: Muscle, pain: Pain) -> tuple[str, ...]:
    if pain.side == "midline" or pain.region in muscle.crosses_midline:
        return ("left", "right")
    return (pain.side,)


def _divisions_for(muscle: Muscle, region: str) -> tuple[str, ...]:
    """The names of the muscle's divisions whose zone (primary first) includes the region."""
    primary = [d.name for d in muscle.divisions if region in d.primary]
    return tuple(primary or [d.name for d in muscle.divisions if region in d.spillover])


def _point_sides(point: Acupoint, pain_side: str) -> tuple[str, ...]:
    if point.midline:
        return ("midline",)
    return ("left", "right") if pain_side == "midline" else (pain_side,)


def _place(kb: KnowledgeBase, region_ids: Sequence[str], side: str | dict[str, str]) -> str:
    """'the left temple and posterior neck' — one side named once, regions in lower case.

    `side` is one side for all, or each region's side as drawn (pain on the right that a left muscle
    explains across the midline is 'the right ...'; central pain is 'the central ...')."""
    if isinstance(side, str):
        return _joined(kb, region_ids, side)
    groups: dict[str, list[str]] = {}
    for region in dict.fromkeys(region_ids):
        groups.setdefault(side.get(region, ""), []).append(region)
    return " and ".join(_joined(kb, regions, drawn) for drawn, regions in groups.items())


def _drawn_word(sides: set[str]) -> str:
    """How a region's pain was drawn: left, right, both (left and right) or midline (central only)."""
    lateral = sides - {"midline"}
    if len(lateral) == 2:
        return "both"
    return next(iter(lateral)) if lateral else "midline"


def _joined(kb: KnowledgeBase, region_ids: Sequence[str], side: str) -> str:
    names = []
    for r in dict.fromkeys(region_ids):
        name = kb.regions[r].name.lower()
        # "Between the shoulder blades" takes a noun so that a side can stand before it.
        names.append(f"area {name}" if name.startswith("between ") else name)
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    word = {"left": "left ", "right": "right ", "midline": "central ", "both": "left and right "}.get(side, "")
    return f"the {word}{joined}"


def suggest(
    kb: KnowledgeBase,
    pains: Sequence[Pain],
    condition: str = "",
    screening: ScreeningInput | None = None,
    top: int = 10,
    modality: str = "",
) -> Suggestions:
    """Rank muscles and acupoints for the pain drawing, optionally a condition, the patient's screening
    and the visit's modality (dry needling never gets points for trained acupuncturists only)."""
    pains = _validate(kb, pains, condition)
    modalities = tuple(screening.modalities) if screening is not None else ()
    if modality:
        # The visit's modality replaces the needling modality the screening was recorded for; its
        # electrical stimulation, if any, stays.
        modalities = (modality, *(m for m in modalities if m == "electrical_stimulation"))
    explain: dict[tuple[str, str], Callable[[], str]] = {}
    muscles = _rank_muscles(kb, pains, condition, explain)
    points = _rank_points(kb, pains, condition, explain)
    if "dry_needling" in modalities:
        points = (p for p in points if kb.acupoints[p.id].restricted is None)
    # Statuses always come from screening, even with no findings: a point for trained acupuncturists
    # only is never shown as plainly "ok".
    base = screening or ScreeningInput()
    screening = ScreeningInput(base.age, base.findings, (), modalities)
    painful = {p.region for p in pains}
    # One more than shown, so the first one's reason can name the equal second even with top=1.
    # Two more than shown, so the first one's reason can name the next different target even with
    # top=1 (the item after the first is often the same target on the other side).
    shown_muscles = _explained(kb, _with_status(kb, muscles, screening, top + 2), explain, painful)[:top]
    shown_points = _explained(kb, _with_status(kb, points, screening, top + 2), explain, painful)[:top]
    return Suggestions(tuple(pains), condition, tuple(shown_muscles), tuple(shown_points))


def _rank_muscles(
    kb: KnowledgeBase, pains: Sequence[Pain], condition: str, explain: dict[tuple[str, str], Callable[[], str]]
) -> Iterator[Suggestion]:
    idx = _index(kb)
    # (muscle, side, region) -> (weight, link): a region counts once per muscle and side, at its strongest.
    best: dict[tuple[str, str, str], tuple[float, _MuscleLink]] = {}
    sides_drawn: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for pain in pains:
        matched: set[str] = set()
        link: _MuscleLink  # so idx[link] is one of the muscle tables
        for weight, link in ((PRIMARY, "primary"), (SPILLOVER, "spillover"), (LOCAL, "local")):
            for muscle in idx[link].get(pain.region, ()):
                if muscle.id in matched:
                    continue  # a region counts once per muscle, at its strongest link
                matched.add(muscle.id)
                for side in _muscle_sides(muscle, pain):
                    key = (muscle.id, side, pain.region)
                    value = weight * pain.weight
                    sides_drawn[key].add(pain.side)
                    if key not in best or value > best[key][0]:
                        best[key] = (value, link)
    score: dict[tuple[str, str], float] = defaultdict(float)
    links: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    drawn: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # region -> the side its pain was drawn
    for (muscle_id, side, region), (value, link) in best.items():
        score[(muscle_id, side)] += value
        links[(muscle_id, side)][link].append(region)
        drawn[(muscle_id, side)][region] = _drawn_word(sides_drawn[(muscle_id, side, region)])

    cond = kb.conditions.get(condition) if condition else None
    cond_rank: dict[str, float] = {}
    if cond:
        n = len(cond.muscles)
        cond_rank = {m: CONDITION_MUSCLE + CONDITION_RANK * (1 - i / n) for i, m in enumerate(cond.muscles)}
        sides = sorted({s for p in pains for s in (("left", "right") if p.side == "midline" else (p.side,))})
        for muscle_id, bonus in cond_rank.items():
            for side in sides or ["left", "right"]:
                score[(muscle_id, side)] += bonus

    rows: list[_Row] = []
    for (muscle_id, side), value in score.items():
        found = links.get((muscle_id, side), {})
        p, s, lo = found.get("primary", []), found.get("spillover", []), found.get("local", [])
        in_condition = cond if muscle_id in cond_rank else None
        rows.append((round(value, 3), len(p), muscle_id, side, functools.partial(_muscle, kb, side, value, p, s, lo)))
        explain[(muscle_id, side)] = functools.partial(
            _muscle_reason, kb, kb.muscles[muscle_id], side, p, s, lo, in_condition, drawn.get((muscle_id, side), {})
        )
    return _ranked(kb, rows, {p.region for p in pains})


def _muscle(
    kb: KnowledgeBase, side: str, value: float, p: list[str], s: list[str], lo: list[str], muscle_id: str
) -> Suggestion:
    muscle = kb.muscles[muscle_id]
    return Suggestion(
        kind="muscle",
        id=muscle_id,
        name=muscle.name,
        side=side,
        score=round(value, 3),
        primary=tuple(p),
        spillover=tuple(s),
        role="referral" if p or s else "local" if lo else "condition",
        reason="",
        hazards=muscle.hazards,
    )


# A candidate before it is built: (score, primary matches, target ID, side, builder taking the ID).
_Row = tuple[float, int, str, str, Callable[[str], Suggestion]]


def _common_in(prevalence: Prevalence | None, painful: set[str]) -> tuple[str, ...]:
    return tuple(r for r in prevalence.regions if r in painful) if prevalence else ()


@functools.cache
def _point_links(kb: KnowledgeBase) -> dict[str, list[tuple[str, bool, str, float]]]:
    """Pain region -> (point, on the midline, link, weight) for every point it can bring: points lying
    in it (local), in a neighbouring region (near), or used as distal points for it."""
    idx = _index(kb)
    out: dict[str, list[tuple[str, bool, str, float]]] = defaultdict(list)
    for region_id, region in kb.regions.items():
        for point in idx["points_in"].get(region_id, ()):
            out[region_id].append((point.code, point.midline, "local", POINT_LOCAL))
        for neighbour in region.adjacent:
            for point in idx["points_in"].get(neighbour, ()):
                out[region_id].append((point.code, point.midline, "near", POINT_ADJACENT))
        for point in idx["distal_for"].get(region_id, ()):
            out[region_id].append((point.code, point.midline, "distal", POINT_DISTAL_REGION))
    return dict(out)


@functools.cache
def _static_weight(kb: KnowledgeBase) -> dict[str, tuple[int, int]]:
    """Per target: (1 if for trained acupuncturists only, its place in the knowledge base)."""
    out = {}
    targets: list[Muscle | Acupoint] = [*kb.muscles.values(), *kb.acupoints.values()]
    for i, target in enumerate(targets):
        out[target.id] = (int(isinstance(target, Acupoint) and target.restricted is not None), i)
    return out


def _ranked(kb: KnowledgeBase, rows: list[_Row], painful: set[str]) -> Iterator[Suggestion]:
    """Candidates best first: by score, ties by clinical weight (never the alphabet), built lazily so
    only what is shown is constructed."""
    static = _static_weight(kb)
    common = {
        t.id: -len(_common_in(t.prevalence, painful))
        for t in _with_prevalence(kb)
        if t.prevalence is not None and painful.intersection(t.prevalence.regions)
    }
    keyed = [
        (-score, static[ident][0], common.get(ident, 0), -n_primary, static[ident][1], side, ident, build)
        for score, n_primary, ident, side, build in rows
    ]
    keyed.sort(key=lambda k: k[:7])
    return (k[7](k[6]) for k in keyed)


@functools.cache
def _with_prevalence(kb: KnowledgeBase) -> tuple[Muscle | Acupoint, ...]:
    targets: list[Muscle | Acupoint] = [*kb.muscles.values(), *kb.acupoints.values()]
    return tuple(t for t in targets if t.prevalence is not None)


def _explained(
    kb: KnowledgeBase,
    items: list[Suggestion],
    explain: dict[tuple[str, str], Callable[[], str]],
    painful: set[str],
) -> list[Suggestion]:
    """The final list with its one-sentence reasons (written only for what is shown); the first one's
    reason says why it ranks above an equally scored second."""
    out = [replace(x, reason=explain[(x.id, x.side)]()) for x in items]
    if not out:
        return out
    first = out[0]
    second = next((x for x in out[1:] if x.id != first.id), None)
    if second is not None and second.score == first.score and second.status != "blocked":
        why = _tie_reason(kb, first, second, painful)
        other = second.id if second.kind == "acupoint" else second.name.lower()
        out[0] = replace(first, reason=first.reason[:-1] + f"; ranks above {other} on an equal score: {why}.")
    return out


def _short_cite(kb: KnowledgeBase, source_id: str) -> str:
    """'Fernández-Carnero 2007': the first author's surname from the citation, and the year."""
    import re

    citation = kb.sources[source_id].citation
    author = re.split(r"[ ,.]", citation.strip(), maxsplit=1)[0]
    year = re.search(r"\b(19|20)\d\d\b", citation) or re.search(r"(19|20)\d\d", source_id)
    return f"{author} {year.group(0)}" if year else author


def _tie_reason(kb: KnowledgeBase, first: Suggestion, second: Suggestion, painful: set[str]) -> str:
    a, b = kb.target(first.id), kb.target(second.id)
    if isinstance(b, Acupoint) and b.restricted is not None and not (isinstance(a, Acupoint) and a.restricted):
        return f"{second.id} is for trained acupuncturists only"
    if first.status == OK and second.status == CAUTION:
        return "it is safer for this patient, the other needs a caution"
    common_a, common_b = _common_in(a.prevalence, painful), _common_in(b.prevalence, painful)
    if len(common_a) > len(common_b) and a.prevalence is not None:
        where = _joined(kb, common_a, "")
        cited = ", ".join(dict.fromkeys(_short_cite(kb, ref.id) for ref in a.prevalence.sources))
        if isinstance(a, Acupoint):
            return f"it is among the most used points for pain in {where} ({cited})"
        return f"it is among the commonest sources of pain in {where} ({cited})"
    if len(first.primary) > len(second.primary):
        return "it explains more of the painful regions as primary (or local) ones"
    return "no recorded difference in how often each is the source, so examine both"


def _muscle_reason(
    kb: KnowledgeBase,
    muscle: Muscle,
    side: str,
    primary: list[str],
    spillover: list[str],
    local: list[str],
    condition: Condition | None,
    drawn: dict[str, str],
) -> str:
    parts = []
    divisions = tuple(dict.fromkeys(d for r in (*primary, *spillover) for d in _divisions_for(muscle, r)))
    whose = f"trigger points of its {' and '.join(divisions)}" if divisions else "trigger points"
    if primary:
        parts.append(f"{whose} refer pain to {_place(kb, primary, drawn)}")
        if spillover:
            parts[-1] += f" with spillover to {_place(kb, spillover, drawn)}"
    elif spillover:
        parts.append(f"{whose} refer spillover pain to {_place(kb, spillover, drawn)}")
    elif local:
        parts.append(f"lies in {_place(kb, local, drawn)}, where it hurts")
    if condition is not None:
        parts.append(f"a muscle to examine in {condition.name.lower()}")
    return f"{side.capitalize()} {muscle.name.lower()}: {'; '.join(parts)}."


def _rank_points(
    kb: KnowledgeBase, pains: Sequence[Pain], condition: str, explain: dict[tuple[str, str], Callable[[], str]]
) -> Iterator[Suggestion]:
    # (point, side, pain region) -> (weight, link): a region counts once per point and side, at its
    # strongest link (GB34 next to the outer knee and distal for it counts once, as a neighbour).
    best: dict[tuple[str, str, str], tuple[float, str]] = {}
    sides_drawn: dict[tuple[str, str, str], set[str]] = defaultdict(set)

    links = _point_links(kb)
    for pain in pains:
        both = ("left", "right") if pain.side == "midline" else (pain.side,)
        for code, midline, link, weight in links.get(pain.region, ()):
            value = weight * pain.weight
            for side in ("midline",) if midline else both:
                key = (code, side, pain.region)
                sides_drawn[key].add(pain.side)
                if key not in best or value > best[key][0]:
                    best[key] = (value, link)
    score: dict[tuple[str, str], float] = defaultdict(float)
    local: dict[tuple[str, str], list[str]] = defaultdict(list)
    near: dict[tuple[str, str], list[str]] = defaultdict(list)
    distal: dict[tuple[str, str], list[str]] = defaultdict(list)
    tables = {"local": local, "near": near, "distal": distal}
    drawn: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # region -> how its pain was drawn
    for (code, side, region), (value, link) in best.items():
        score[(code, side)] += value
        tables[link][(code, side)].append(region)
        drawn[(code, side)][region] = _drawn_word(sides_drawn[(code, side, region)])

    cond = kb.conditions.get(condition) if condition else None
    cond_points: set[str] = set()
    if cond:
        sides = sorted({p.side for p in pains if p.side != "midline"}) or ["left", "right"]
        for codes, weight in (
            (cond.distal_acupoints, POINT_DISTAL_CONDITION),
            (cond.local_acupoints, POINT_LOCAL_CONDITION),
        ):
            for code in codes:
                point = kb.acupoints[code]
                if point.never_needle is not None:
                    continue
                cond_points.add(code)
                for side in ("midline",) if point.midline else sides:
                    score[(code, side)] += weight

    rows: list[_Row] = []
    for (code, side), value in score.items():
        pair = (code, side)
        lo, ne, di = local.get(pair, []), near.get(pair, []), distal.get(pair, [])
        rows.append((round(value, 3), len(lo), code, side, functools.partial(_point, kb, side, value, lo, ne)))
        explain[(code, side)] = functools.partial(
            _point_reason, kb, kb.acupoints[code], side, lo, ne, di, cond if code in cond_points else None, drawn[pair]
        )
    return _ranked(kb, rows, {p.region for p in pains})


def _point(kb: KnowledgeBase, side: str, value: float, lo: list[str], ne: list[str], code: str) -> Suggestion:
    point = kb.acupoints[code]
    return Suggestion(
        kind="acupoint",
        id=code,
        name=point.label,
        side=side,
        score=round(value, 3),
        primary=tuple(lo),
        spillover=tuple(ne),
        role="local" if lo or ne else "distal",
        reason="",
        hazards=point.hazards,
    )


def _point_reason(
    kb: KnowledgeBase,
    point: Acupoint,
    side: str,
    local: list[str],
    near: list[str],
    distal: list[str],
    condition: Condition | None,
    drawn: dict[str, str],
) -> str:
    parts = []
    if local and not point.midline and all(drawn.get(r) == "midline" for r in local):
        parts.append(f"lies beside the central pain in {_place(kb, local, '')}")
    elif local:
        # A midline point lies on the midline whichever side the pain was drawn.
        parts.append(f"lies in {_place(kb, local, '' if point.midline else drawn)}, where it hurts")
    elif near:
        parts.append(f"lies next to {_place(kb, near, drawn)}")
    if distal:
        parts.append(f"a distal point for {_place(kb, distal, '')}")
    if condition is not None:
        parts.append(f"used in {condition.name.lower()}")
    where = "" if side == "midline" else f"{side.capitalize()} "
    return f"{where}{point.code} ({point.pinyin}): {'; '.join(parts)}."


def _with_status(
    kb: KnowledgeBase, items: Iterable[Suggestion], screening: ScreeningInput, top: int
) -> list[Suggestion]:
    """The first `top` items with their screening status. Blocked targets stay visible (the clinician
    sees why) but sink below the usable ones, so items are assessed in rank order only until `top`
    usable ones are found."""
    result = screen(kb, ScreeningInput(screening.age, screening.findings, (), screening.modalities))
    usable: list[Suggestion] = []
    blocked: list[Suggestion] = []
    if not result.may_needle:
        why = (f"Screening verdict is {result.verdict.replace('_', ' ')}.",)
        return [_replace_status(item, "blocked", why) for item in itertools.islice(items, top)]
    stopped = needling_blocked(result.modalities)
    if stopped is not None:  # the visit's needling modality is blocked today (dry needling, first trimester)
        return [_replace_status(item, "blocked", stopped.reasons) for item in itertools.islice(items, top)]
    active = [(r, kb.findings[r.id]) for r in result.findings]
    for item in items:
        if len(usable) >= top and item.score != usable[-1].score:
            break  # enough usable ones, and no equally scored one left that could outrank them
        assessed = assess_target(kb, active, item.id, item.side, screening.modalities)
        if assessed.status != OK or assessed.reasons:
            item = _replace_status(item, assessed.status, assessed.reasons)
        (blocked if assessed.status == "blocked" else usable).append(item)
    # Between equally scored targets the safer one for this patient comes first.
    usable.sort(key=lambda x: (-x.score, x.status == CAUTION))
    return (usable + blocked)[:top]


def _replace_status(item: Suggestion, status: str, reasons: tuple[str, ...]) -> Suggestion:
    return replace(item, status=status, status_reasons=reasons)
