"""Billing codes from a session's facts: CPT procedure codes and the condition's ICD-10-CM codes.

Every rule below is also a cited entry of knowledge/data/billing_rules.yaml (its ID in brackets), and
each code's reason names the rules that produced it, e.g. "(CPT time rule: AAC Info Network)".

Acupuncture (97810, 97811, 97813, 97814)
    The input is the session's face-to-face time as segments, in order. Each segment has its minutes
    (1 to 120: a stretch of time, not a 15-minute box), whether electrical stimulation was used in it,
    and, for every segment after the first, whether new needles were inserted at its start
    (`reinserted`). Billing never assumes a re-insertion: a later segment that does not say is refused.

    1. Units come from the total, not from each segment [cpt_time_rule]. CPT counts a unit of time once
       its midpoint is passed (Kohler Healthcare Consulting, quoting the CPT book); for 15-minute codes
       that is 7 minutes or less none, 8-22 one unit, 23-37 two, 38-52 three, 53-67 four, and on in
       steps of 15 (AAC Info Network's acupuncture table). So 8 + 8 + 8 minutes is 24 minutes, two
       units, and 7 + 7 is 14 minutes, one unit. Payers differ on applying the rule (AAPC forums).
    2. Only face-to-face time counts [face_to_face_time]: time the patient rests with needles in,
       unattended, is not billable time (AAC Info Network; Acupuncture Today, November 2012). The
       input cannot tell retention from attended time, so the caller must enter attended minutes
       only; when one needle set lasts long enough to look like retention (23 minutes or more, the
       time of two units), a note says so.
    3. Each add-on unit needs new needles [reinsertion_for_add_on]. The segments are grouped into
       needle sets: a set starts with segment 1 and with each later segment marked `reinserted`, and
       runs on through the segments after it that are not. Each set can support one unit at most. One
       set retained 30 minutes is the initial code only (Acupuncture Today, "Clearing up confusion
       over code use"); re-insertion means new needles, not the same ones put back (Acupuncture
       Today 2012; AAC Info Network).
    4. Allocation on the timeline: unit k covers minutes 15(k-1) to 15k of the total, the last one
       running to the end. Unit 1 is the initial code and rests on the first needles. Each later unit
       needs a set of new needles, not yet used by an earlier unit, that was in place during the
       unit's minutes; of those it takes the one inserted last. A unit without one is not billed.
       So 10 min manual, new needles for 5 min, then new needles with stimulation for 10 min is
       25 min, two units: minutes 0-15 on the first needles (97810) and 15-25 on the stimulated
       ones (97814).
    5. A unit takes the electrical-stimulation code when stimulation was used with its own set of
       needles [stimulation_in_any_part]: ES first then manual new needles is 97813 + 97811; manual
       first then ES with new needles is 97810 + 97814; 30 min on one set with stimulation in its
       second half is one unit, 97813.
    6. Only one initial code per day [one_initial_per_day]. When one was already billed today,
       every unit of this session is an add-on; the session's first set is itself a fresh insertion,
       so it supports an add-on unit like any re-insertion. The time rule is then applied to this
       session's minutes alone.

Dry needling (20560, 20561) [muscle_count, dry_needling_untimed]
    Coded by muscles, not by needles or time: one or two muscles is 20560, three or more 20561. The
    left and right of one muscle are two muscles and several needles in one muscle count once (AAPC
    Physical Medicine & Rehab Coding Alert, written for trigger-point injections, which the dry
    needling codes mirror): bilateral upper trapezius is 20560, and with one levator scapulae 20561.
    Acupoint insertions are not muscles. The codes are untimed and the acupuncture codes 97810-97814
    are not reported with them for the same session (Coding Ahead, from the CPT 2020 notes).

Diagnoses (ICD-10-CM) [icd10_laterality]
    A side-specific code follows the sides drawn on the pain drawing in the condition's own regions
    (ICD-10-CM Official Guidelines I.B.13): left only gives the left codes, right only the right;
    both sides give the bilateral code of a family where one exists, else its left and right codes;
    no side drawn gives the unspecified-side code only, never a sided one. Codes without a side are
    always included. Codes of one family differ only in the last character (see Icd10.family).
    M54.51, vertebrogenic low back pain, is not among low back pain's codes: it needs imaging findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from needlechart.knowledge.model import Icd10, KnowledgeBase

MIN_BILLABLE_MINUTES = 8  # the midpoint of a 15-minute unit is passed at 8 minutes
UNIT_MINUTES = 15
MAX_SEGMENT_MINUTES = 120
RETENTION_HINT_MINUTES = 23  # one needle set this long holds two units' time but can earn one


class BillingInputError(ValueError):
    """Session facts that cannot be coded; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Insertion:
    target: str
    side: str


@dataclass(frozen=True, slots=True)
class Increment:
    """One segment of face-to-face acupuncture time. `reinserted`: new needles were inserted at its
    start; None (not said) is allowed for the first segment only, whose needles are the first ones."""

    minutes: int
    electrical_stimulation: bool = False
    reinserted: bool | None = None


Segment = Increment


@dataclass(frozen=True, slots=True)
class BilledCode:
    code: str
    units: int
    description: str
    reason: str
    rules: tuple[str, ...] = ()  # IDs of the billing_rules.yaml entries applied


@dataclass(frozen=True)
class Coding:
    modality: str
    procedures: tuple[BilledCode, ...]
    diagnoses: tuple[Icd10, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _NeedleSet:
    """Needles inserted at the start of `segments[0]` and the time that follows until the next insertion."""

    segments: tuple[int, ...]  # segment numbers, from 1
    minutes: int
    electrical_stimulation: bool

    @property
    def label(self) -> str:
        first, last = self.segments[0], self.segments[-1]
        return f"segment {first}" if first == last else f"segments {first}-{last}"


def time_rule_units(minutes: int) -> int:
    """15-minute units by the CPT time rule: 0-7 min none, 8-22 one, 23-37 two, 38-52 three, ..."""
    if minutes < MIN_BILLABLE_MINUTES:
        return 0
    return (minutes - MIN_BILLABLE_MINUTES) // UNIT_MINUTES + 1


def _units(n: int) -> str:
    return f"{n} unit{'' if n == 1 else 's'}"


def _cite(kb: KnowledgeBase, rule_id: str) -> str:
    rule = kb.billing_rules.get(rule_id)
    return f"({rule.name}: {rule.cited_as})" if rule else ""


def _code(kb: KnowledgeBase, modality: str, role: str, es: bool | None = None) -> str:
    for code in kb.billing.values():
        if code.modality == modality and code.role == role and (es is None or code.electrical_stimulation == es):
            return code.code
    raise LookupError(f"no {modality} {role} code in billing.yaml")  # a data error, caught by tests


# ------------------------------------------------------------------------------------ dry needling


def dry_needling_codes(
    kb: KnowledgeBase,
    insertions: Sequence[Insertion],
    condition: str = "",
    pains: Iterable[tuple[str, str]] | None = None,
) -> Coding:
    """20560 for one or two muscles, 20561 for three or more; each side of a muscle counts, each
    needle does not; acupoint insertions are not muscles."""
    sideless = sorted({i.target for i in insertions if i.target in kb.muscles and i.side not in ("left", "right")})
    if sideless:
        raise BillingInputError(f"muscle '{sideless[0]}' needs its side, left or right: no muscle lies on the midline")
    muscles = sorted({(i.target, i.side) for i in insertions if i.target in kb.muscles})
    others = sorted({i.target for i in insertions if i.target not in kb.muscles})
    unknown = [t for t in others if t not in kb.acupoints]
    if unknown:
        raise BillingInputError(f"unknown target '{unknown[0]}': give a muscle ID")
    notes = []
    if others:
        notes.append(
            "Not counted as muscles for dry-needling codes: " + ", ".join(others) + " (acupoints, not muscles)."
        )
    both_sides = sorted({m for m, side in muscles if side == "left"} & {m for m, side in muscles if side == "right"})
    if both_sides:
        names = ", ".join(kb.muscles[m].name.lower() for m in both_sides)
        notes.append(
            f"Needled on both sides: {names}. The left and the right of a muscle count as two muscles, while "
            f"several needles in one muscle count once {_cite(kb, 'muscle_count')}."
        )
    procedures: tuple[BilledCode, ...] = ()
    names = ", ".join(f"{side} {kb.muscles[m].name.lower()}" for m, side in muscles)
    role = "one_or_two_muscles" if len(muscles) <= 2 else "three_or_more_muscles"
    if muscles:
        code = _code(kb, "dry_needling", role)
        reason = f"{len(muscles)} muscle(s): {names} {_cite(kb, 'muscle_count')}."
        procedures = (BilledCode(code, 1, kb.billing[code].description, reason, ("muscle_count",)),)
        notes.append(
            "20560/20561 are untimed, counted by muscles; the acupuncture codes 97810-97814 are not reported "
            f"with them for the same session {_cite(kb, 'dry_needling_untimed')}."
        )
    else:
        notes.append("No muscle was needled: there is no dry-needling code to bill.")
    diagnoses, diagnosis_notes = diagnoses_for(kb, condition, pains)
    return Coding("dry_needling", procedures, diagnoses, tuple(notes + diagnosis_notes))


# ------------------------------------------------------------------------------------- acupuncture


def check_segments(increments: Sequence[Increment]) -> None:
    """Refuse segments billing cannot use: minutes out of range, or a later segment that does not say
    whether new needles were inserted (the add-on codes depend on it, so it is never assumed)."""
    for n, seg in enumerate(increments, start=1):
        if isinstance(seg.minutes, bool) or not isinstance(seg.minutes, int):
            raise BillingInputError(f"segment {n}: 'minutes' must be a whole number, not {seg.minutes!r}")
        if not 1 <= seg.minutes <= MAX_SEGMENT_MINUTES:
            raise BillingInputError(
                f"segment {n}: {seg.minutes} minutes is out of range; a segment is 1 to {MAX_SEGMENT_MINUTES} "
                "minutes of face-to-face time"
            )
        if not isinstance(seg.electrical_stimulation, bool):
            raise BillingInputError(f"segment {n}: 'electrical_stimulation' must be true or false")
        if n > 1 and seg.reinserted is None:
            raise BillingInputError(
                f"segment {n}: 'reinserted' is missing; say whether new needles were inserted (true or false), "
                "billing never assumes a re-insertion"
            )
        if seg.reinserted is not None and not isinstance(seg.reinserted, bool):
            raise BillingInputError(f"segment {n}: 'reinserted' must be true or false, not {seg.reinserted!r}")


def _needle_sets(increments: Sequence[Increment]) -> list[_NeedleSet]:
    groups: list[list[tuple[int, Increment]]] = []
    for n, seg in enumerate(increments, start=1):
        if n == 1 or seg.reinserted:
            groups.append([])
        groups[-1].append((n, seg))
    return [
        _NeedleSet(
            tuple(n for n, _ in group),
            sum(seg.minutes for _, seg in group),
            any(seg.electrical_stimulation for _, seg in group),
        )
        for group in groups
    ]


def acupuncture_codes(
    kb: KnowledgeBase,
    increments: Sequence[Increment],
    condition: str = "",
    initial_billed_today: bool = False,
    pains: Iterable[tuple[str, str]] | None = None,
) -> Coding:
    """Units by the CPT time rule on the total face-to-face time, each tied to a set of needles in
    place during it; the first is the initial code unless one was billed today; ES codes for units
    whose set of needles had stimulation."""
    check_segments(increments)
    diagnoses, diagnosis_notes = diagnoses_for(kb, condition, pains)
    if not increments:
        notes = ["No time segments were given: there is no acupuncture code to bill.", *diagnosis_notes]
        return Coding("acupuncture", (), diagnoses, tuple(notes))
    notes = []
    total = sum(seg.minutes for seg in increments)
    by_time = time_rule_units(total)
    sets = _needle_sets(increments)
    billed = _allocate(increments, sets, by_time)
    units = len(billed)
    time_rule = _cite(kb, "cpt_time_rule")
    reinsertion = _cite(kb, "reinsertion_for_add_on")
    if initial_billed_today:
        notes.append(
            "An initial acupuncture code was already billed today: every unit of this session takes an add-on "
            f"code, the session's first needles counting as a new insertion {_cite(kb, 'one_initial_per_day')}."
        )
    if by_time == 0:
        notes.append(
            f"Not billable: {total} min of face-to-face time in total is under the {MIN_BILLABLE_MINUTES} minutes "
            f"a unit needs {time_rule}."
        )
    elif by_time > units:
        notes.append(
            f"{total} min would be {_units(by_time)} by the time rule, but {_units(by_time - units)} had no new "
            f"needles of their own in place during their minutes: each unit after the first needs a re-insertion, "
            f"so {_units(units)} billed {reinsertion}."
        )
    unused = [s for s in sets[1:] if s.segments[0] not in {u.reinsertion for u in billed}]
    if by_time and unused:
        names = ", ".join(s.label for s in unused)
        notes.append(
            f"The re-insertion in {names} earns no unit: {total} min in total is {_units(by_time)} {time_rule}."
        )
    for s in sets:
        if s.minutes >= RETENTION_HINT_MINUTES:
            notes.append(
                f"The needles of {s.label} stayed {s.minutes} min, which looks like retention: count only the "
                "minutes spent with the patient; time the patient rests with the needles in, unattended, is not "
                f"face-to-face time {_cite(kb, 'face_to_face_time')}, and one set of needles earns one unit."
            )

    per_code: dict[str, list[_Unit]] = {}
    for unit in billed:
        role = "initial" if unit.number == 1 and not initial_billed_today else "additional"
        per_code.setdefault(_code(kb, "acupuncture", role, unit.electrical_stimulation), []).append(unit)
    procedures = []
    for code, items in per_code.items():
        billing_code = kb.billing[code]
        described = "; ".join(
            f"unit {u.number}: minutes {u.start}-{u.end} (needles of {u.label}, "
            f"{'first needles' if u.number == 1 and not initial_billed_today else 'new needles'}, "
            f"{'with' if u.electrical_stimulation else 'without'} electrical stimulation)"
            for u in items
        )
        rules = ["cpt_time_rule", "stimulation_in_any_part"]
        why = [f"{total} min face-to-face in total = {_units(by_time)} {time_rule}"]
        if billing_code.role == "initial":
            rules.append("one_initial_per_day")
            why.append(f"the day's only initial code {_cite(kb, 'one_initial_per_day')}")
        else:
            rules.append("reinsertion_for_add_on")
            why.append(f"each add-on unit has its own new needles {reinsertion}")
        es = "stimulation used" if billing_code.electrical_stimulation else "no stimulation"
        why.append(f"{es} in the unit's time {_cite(kb, 'stimulation_in_any_part')}")
        reason = f"{described[0].upper()}{described[1:]}. Applied: {'; '.join(why)}."
        procedures.append(BilledCode(code, len(items), billing_code.description, reason, tuple(rules)))
    return Coding("acupuncture", tuple(procedures), diagnoses, tuple(notes + diagnosis_notes))


@dataclass(frozen=True, slots=True)
class _Unit:
    """One billed unit: its span of the session's minutes and the re-insertion that supports it."""

    number: int
    start: int
    end: int
    reinsertion: int  # the segment whose new needles support it (1: the first needles)
    electrical_stimulation: bool
    label: str


def _allocate(increments: Sequence[Increment], sets: Sequence[_NeedleSet], by_time: int) -> list[_Unit]:
    """Tie the time rule's units to the needle sets on the session's timeline.

    Unit k covers minutes 15(k-1) to 15k of the total (the last one runs to the end). Unit 1 rests on
    the first needles. Each later unit needs a set of new needles, not yet used by an earlier unit,
    that was in place during the unit's minutes; of those it takes the one inserted last (the needles
    in place as the unit ends). A unit with no such set is not billed. A unit takes the
    electrical-stimulation code when stimulation was used with its own set of needles.
    """
    if by_time == 0:
        return []
    starts, t = [], 0
    for seg in increments:
        starts.append(t)
        t += seg.minutes
    total = t
    windows = [(starts[s.segments[0] - 1], starts[s.segments[0] - 1] + s.minutes) for s in sets]
    chosen = [0]  # index of the set behind each billed unit; unit 1 rests on the first needles
    spans = [(0, UNIT_MINUTES if by_time > 1 else total)]
    free = set(range(1, len(sets)))
    for k in range(2, by_time + 1):
        unit_start = UNIT_MINUTES * (k - 1)
        unit_end = total if k == by_time else UNIT_MINUTES * k
        in_place = [j for j in free if windows[j][0] < unit_end and windows[j][1] > unit_start]
        if in_place:
            j = max(in_place, key=lambda i: windows[i][0])
            free.remove(j)
            chosen.append(j)
            spans.append((unit_start, unit_end))
    return [
        _Unit(n, start, end, sets[j].segments[0], sets[j].electrical_stimulation, sets[j].label)
        for n, (j, (start, end)) in enumerate(zip(chosen, spans, strict=True), start=1)
    ]


# --------------------------------------------------------------------------------------- diagnoses


def diagnoses_for(
    kb: KnowledgeBase, condition: str, pains: Iterable[tuple[str, str]] | None = None
) -> tuple[tuple[Icd10, ...], list[str]]:
    """The condition's ICD-10-CM codes for the sides drawn in its regions, and notes on the choice.

    `pains` are (region, side) pairs from the pain drawing; None or empty means no drawing."""
    if not condition:
        return (), []
    if condition not in kb.conditions:
        raise BillingInputError(f"unknown condition '{condition}'")
    entry = kb.conditions[condition]
    codes = entry.icd10
    sides = {side for region, side in pains or () if region in entry.regions and side in ("left", "right")}
    if not any(c.side for c in codes):
        return codes, []
    laterality = _cite(kb, "icd10_laterality")
    notes = []
    if not sides:
        wanted = {c.code for c in codes if c.side == "unspecified"}
        notes.append(
            f"No pain is drawn on a side in the regions of {entry.name.lower()}: only unspecified-side codes "
            f"are suggested, never a left or right one; draw the pain to code its side {laterality}."
        )
    elif len(sides) == 1:
        (side,) = sides
        wanted = {c.code for c in codes if c.side == side}
    else:
        wanted = set()
        split = []
        for family in dict.fromkeys(c.family for c in codes if c.side):
            members = [c for c in codes if c.family == family]
            bilateral = [c.code for c in members if c.side == "bilateral"]
            if bilateral:
                wanted.update(bilateral)
            else:
                pair = [c.code for c in members if c.side in ("left", "right")]
                wanted.update(pair)
                split.append(" and ".join(pair))
        if split:
            notes.append(
                f"Pain is drawn on both sides and there is no bilateral code for {', '.join(split)}: "
                f"the left and the right code are both listed {laterality}."
            )
    return tuple(c for c in codes if not c.side or c.code in wanted), notes


# ------------------------------------------------------------------------------------------- input


def parse_increments(items: object) -> list[Increment]:
    """Segments from JSON-like input: [{"minutes", "electrical_stimulation", "reinserted"}, ...].

    Used for the `needlechart codes` input and for a visit's stored segments, so both refuse the same
    things with the same messages (naming the segment and the field)."""
    if not isinstance(items, list):
        raise BillingInputError(
            'acupuncture needs \'increments\': a list of {"minutes", "electrical_stimulation", "reinserted"}'
        )
    increments = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise BillingInputError(f'segment {n}: each segment is {{"minutes": ..., ...}}, not {item!r}')
        unknown = set(item) - {"minutes", "electrical_stimulation", "reinserted"}
        if unknown:
            raise BillingInputError(
                f"segment {n}: unknown key(s) {', '.join(sorted(unknown))}: use minutes, electrical_stimulation, "
                "reinserted"
            )
        minutes = item.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            raise BillingInputError(f"segment {n}: 'minutes' must be a whole number, not {minutes!r}")
        es = item.get("electrical_stimulation", False)
        if not isinstance(es, bool):
            raise BillingInputError(f"segment {n}: 'electrical_stimulation' must be true or false")
        if n > 1 and "reinserted" not in item:
            raise BillingInputError(
                f"segment {n}: 'reinserted' is missing; say whether new needles were inserted (true or false), "
                "billing never assumes a re-insertion"
            )
        reinserted = item.get("reinserted")
        if not (reinserted is None and n == 1) and not isinstance(reinserted, bool):
            raise BillingInputError(f"segment {n}: 'reinserted' must be true or false, not {reinserted!r}")
        increments.append(Increment(minutes, es, reinserted))
    check_segments(increments)
    return increments


def _parse_pains(kb: KnowledgeBase, items: object) -> list[tuple[str, str]]:
    """The (region, side) pairs of a JSON pain drawing, read by the core's pain-location rule."""
    from needlechart.clinical.locations import PainInputError, parse_pain_drawing

    try:
        return [(p.region, p.side) for p in parse_pain_drawing(kb, items)]
    except PainInputError as exc:
        raise BillingInputError(str(exc)) from None


def codes_from_dict(kb: KnowledgeBase, raw: object) -> Coding:
    """Code a session described as JSON (the `needlechart codes` input format)."""
    from needlechart.clinical.screening import target_sides
    from needlechart.knowledge.lookup import UnknownName, resolve, resolve_target

    if not isinstance(raw, dict):
        raise BillingInputError("session input must be a JSON object with a 'modality'")
    modality = str(raw.get("modality", "")).strip().lower().replace(" ", "_")
    allowed = {"modality", "condition", "insertions", "increments", "initial_billed_today", "pain"}
    unknown = set(raw) - allowed
    if unknown:
        raise BillingInputError(f"unknown key(s) {', '.join(sorted(unknown))}: use {', '.join(sorted(allowed))}")
    try:
        condition = resolve(kb, "condition", str(raw["condition"])) if raw.get("condition") else ""
        pains = _parse_pains(kb, raw["pain"]) if "pain" in raw else None
        if modality == "dry_needling":
            items = raw.get("insertions")
            if not isinstance(items, list):
                raise BillingInputError('dry needling needs \'insertions\': a list of {"target", "side"}')
            insertions = []
            for item in items:
                if not isinstance(item, dict) or "target" not in item or "side" not in item:
                    raise BillingInputError(f'each insertion is {{"target": ..., "side": ...}}, not {item!r}')
                side = str(item["side"]).lower()
                target = resolve_target(kb, str(item["target"]))
                valid_sides = target_sides(kb.target(target))
                if side not in valid_sides:
                    raise BillingInputError(
                        f"insertion side {item['side']!r} is not valid for {target}; use {' or '.join(valid_sides)}"
                    )
                insertions.append(Insertion(target, side))
            return dry_needling_codes(kb, insertions, condition, pains)
    except UnknownName as exc:
        raise BillingInputError(str(exc)) from None
    if modality == "acupuncture":
        initial = raw.get("initial_billed_today", False)
        if not isinstance(initial, bool):
            raise BillingInputError("'initial_billed_today' must be true or false")
        return acupuncture_codes(kb, parse_increments(raw.get("increments")), condition, initial, pains)
    raise BillingInputError(f"unknown modality {raw.get('modality')!r}: use dry_needling or acupuncture")
