"""Billing codes from a session's facts: CPT procedure codes and the condition's ICD-10-CM codes.

Dry needling (CPT 20560 / 20561) is coded by the number of muscles needled, not by insertions: every
insertion into the same muscle on the same side counts once, and the left and right muscle count as
two. Acupuncture (97810-97814) is coded per 15-minute increment of face-to-face time: the first
increment of the day takes an initial code and every later one an add-on code, with the
electrical-stimulation pair (97813/97814) for any increment in which stimulation was used. Only one
initial code is allowed per day. Under the CPT time rule an increment is billable once more than
half of it (8 minutes) was spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from needlechart.knowledge.model import Icd10, KnowledgeBase

MIN_BILLABLE_MINUTES = 8
INCREMENT_MINUTES = 15


class BillingInputError(ValueError):
    """Session facts that cannot be coded; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Insertion:
    target: str
    side: str


@dataclass(frozen=True, slots=True)
class Increment:
    minutes: int
    electrical_stimulation: bool = False


@dataclass(frozen=True, slots=True)
class BilledCode:
    code: str
    units: int
    description: str
    reason: str


@dataclass(frozen=True)
class Coding:
    modality: str
    procedures: tuple[BilledCode, ...]
    diagnoses: tuple[Icd10, ...]
    notes: tuple[str, ...]


def _code(kb: KnowledgeBase, modality: str, role: str, es: bool | None = None) -> str:
    for code in kb.billing.values():
        if code.modality == modality and code.role == role and (es is None or code.electrical_stimulation == es):
            return code.code
    raise LookupError(f"no {modality} {role} code in billing.yaml")  # a data error, caught by tests


def dry_needling_codes(kb: KnowledgeBase, insertions: Sequence[Insertion], condition: str = "") -> Coding:
    """20560 for one or two muscles, 20561 for three or more; acupoint insertions are not muscles."""
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
    procedures: tuple[BilledCode, ...] = ()
    names = ", ".join(f"{side} {kb.muscles[m].name.lower()}" for m, side in muscles)
    if len(muscles) in (1, 2):
        code = _code(kb, "dry_needling", "one_or_two_muscles")
        procedures = (BilledCode(code, 1, kb.billing[code].description, f"{len(muscles)} muscle(s): {names}."),)
    elif len(muscles) >= 3:
        code = _code(kb, "dry_needling", "three_or_more_muscles")
        procedures = (BilledCode(code, 1, kb.billing[code].description, f"{len(muscles)} muscles: {names}."),)
    else:
        notes.append("No muscle was needled: there is no dry-needling code to bill.")
    return Coding("dry_needling", procedures, _diagnoses(kb, condition), tuple(notes))


def acupuncture_codes(
    kb: KnowledgeBase,
    increments: Sequence[Increment],
    condition: str = "",
    initial_billed_today: bool = False,
) -> Coding:
    """One code per 15-minute increment; one initial code per day; ES codes for increments with ES."""
    notes: list[str] = []
    counts: dict[str, int] = {}
    reasons: dict[str, list[str]] = {}
    initial_used = initial_billed_today
    if initial_billed_today:
        notes.append("An initial acupuncture code was already billed today: every increment takes an add-on code.")
    for n, inc in enumerate(increments, start=1):
        if not 1 <= inc.minutes <= INCREMENT_MINUTES:
            raise BillingInputError(
                f"increment {n}: {inc.minutes} minutes is out of range; each increment is 1 to 15 minutes "
                "of face-to-face time (split longer sessions into several increments)"
            )
        if inc.minutes < MIN_BILLABLE_MINUTES:
            notes.append(
                f"Increment {n} ({inc.minutes} min) is not billable: an increment needs at least "
                f"{MIN_BILLABLE_MINUTES} minutes of face-to-face time."
            )
            continue
        role = "additional" if initial_used else "initial"
        initial_used = True
        code = _code(kb, "acupuncture", role, inc.electrical_stimulation)
        counts[code] = counts.get(code, 0) + 1
        es = "with" if inc.electrical_stimulation else "without"
        reasons.setdefault(code, []).append(f"increment {n} ({inc.minutes} min, {es} electrical stimulation)")
    procedures = tuple(
        BilledCode(code, units, kb.billing[code].description, "; ".join(reasons[code]).capitalize() + ".")
        for code, units in counts.items()
    )
    if not increments:
        notes.append("No time increments were given: there is no acupuncture code to bill.")
    return Coding("acupuncture", procedures, _diagnoses(kb, condition), tuple(notes))


def _diagnoses(kb: KnowledgeBase, condition: str) -> tuple[Icd10, ...]:
    if not condition:
        return ()
    if condition not in kb.conditions:
        raise BillingInputError(f"unknown condition '{condition}'")
    return kb.conditions[condition].icd10


def codes_from_dict(kb: KnowledgeBase, raw: object) -> Coding:
    """Code a session described as JSON (the `needlechart codes` input format)."""
    from needlechart.knowledge.lookup import UnknownName, resolve, resolve_target

    if not isinstance(raw, dict):
        raise BillingInputError("session input must be a JSON object with a 'modality'")
    modality = str(raw.get("modality", "")).strip().lower().replace(" ", "_")
    allowed = {"modality", "condition", "insertions", "increments", "initial_billed_today"}
    unknown = set(raw) - allowed
    if unknown:
        raise BillingInputError(f"unknown key(s) {', '.join(sorted(unknown))}: use {', '.join(sorted(allowed))}")
    try:
        condition = resolve(kb, "condition", str(raw["condition"])) if raw.get("condition") else ""
        if modality == "dry_needling":
            items = raw.get("insertions")
            if not isinstance(items, list):
                raise BillingInputError('dry needling needs \'insertions\': a list of {"target", "side"}')
            insertions = []
            for item in items:
                if not isinstance(item, dict) or "target" not in item or "side" not in item:
                    raise BillingInputError(f'each insertion is {{"target": ..., "side": ...}}, not {item!r}')
                side = str(item["side"]).lower()
                if side not in ("left", "right", "midline"):
                    raise BillingInputError(f"insertion side {item['side']!r} is not valid; use left, right or midline")
                insertions.append(Insertion(resolve_target(kb, str(item["target"])), side))
            return dry_needling_codes(kb, insertions, condition)
    except UnknownName as exc:
        raise BillingInputError(str(exc)) from None
    if modality == "acupuncture":
        items = raw.get("increments")
        if not isinstance(items, list):
            raise BillingInputError('acupuncture needs \'increments\': a list of {"minutes", "electrical_stimulation"}')
        increments = []
        for n, item in enumerate(items, start=1):
            minutes = item.get("minutes") if isinstance(item, dict) else None
            if not isinstance(minutes, int) or isinstance(minutes, bool):
                raise BillingInputError(f"increment {n}: 'minutes' must be a whole number, not {minutes!r}")
            es = item.get("electrical_stimulation", False)
            if not isinstance(es, bool):
                raise BillingInputError(f"increment {n}: 'electrical_stimulation' must be true or false")
            increments.append(Increment(minutes, es))
        return acupuncture_codes(kb, increments, condition, bool(raw.get("initial_billed_today", False)))
    raise BillingInputError(f"unknown modality {raw.get('modality')!r}: use dry_needling or acupuncture")
