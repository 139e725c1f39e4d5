"""Charting rules over the knowledge base, with no Django: what a charted needle may say, what a
needle rests on (the gate), the thorax rules, what a note needs before it signs, and the episode a
new visit joins.

`needle_problems` checks a needle's numbers against the plausibility limits of
knowledge/data/needle_limits.yaml (gauge, length, depth not beyond the needle's length, retention,
twitch responses, electrical stimulation frequency, pulse width, intensity and duration). Each problem
names the field, the limit and its unit, so a form or the API can mark the field and say how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from needlechart.clinical.screening import PlannedTarget, ScreeningInput, screen
from needlechart.knowledge.model import KnowledgeBase

Number = int | float | Decimal


def _fmt(value: float) -> str:
    return f"{value:g}"


def _max_depth_problem(kb: KnowledgeBase, values: Mapping[str, Number | str | None]) -> str | None:
    """Why `depth_mm` is too deep for the needle's target, when the target records a `max_depth_mm` (the
    pleura under GB21, the medulla under GV16) and the depth goes beyond it."""
    target_id, depth = values.get("target"), values.get("depth_mm")
    if depth is None or not isinstance(target_id, str):
        return None
    target = kb.muscles.get(target_id) or kb.acupoints.get(target_id)
    limit = target.max_depth_mm if target is not None else None
    number = float(depth)
    if target is None or limit is None or number <= limit.value:
        return None
    name = target.code if target.kind == "acupoint" else target.name
    whose = name + ("'" if name.endswith("s") else "'s")  # GB21's, the Rhomboids'
    reason = limit.reason
    if reason[:2].istitle():  # "On ultrasound ..." reads on after the colon; "CT ..." keeps its capitals
        reason = reason[0].lower() + reason[1:]
    return f"Insertion depth {_fmt(number)} mm is beyond {whose} recorded safe depth ({_fmt(limit.value)} mm): {reason}"


def needle_problems(kb: KnowledgeBase, values: Mapping[str, Number | str | None]) -> dict[str, str]:
    """Field -> what is wrong with it, for every value outside its limit (empty when all are plausible).
    After the plausibility limits, `depth_mm` is checked against the recorded safe depth of the needle's
    `target` (a muscle ID or acupoint code), when it has one; each field gets one problem at most."""
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
    if "depth_mm" not in problems:
        too_deep = _max_depth_problem(kb, values)
        if too_deep:
            problems["depth_mm"] = too_deep
    return problems


# ------------------------------------------------------------------------------------ the visit
#
# Everything a note must satisfy, as plain data: the web page, the API, the CLI and the demo seeding
# call these functions (through the charting services) and never decide any of it themselves.

DRY_NEEDLING, ACUPUNCTURE, ELECTRICAL_STIMULATION = "dry_needling", "acupuncture", "electrical_stimulation"
VISIT_MODALITIES = (DRY_NEEDLING, ACUPUNCTURE)
# Who practises what by default: an acupuncturist's visit starts as acupuncture, everyone else's as
# dry needling; the clinician can choose the other at the start.
_PROFESSION_MODALITY = {"acupuncturist": ACUPUNCTURE}
# Scope of practice differs between jurisdictions, so this is NeedleChart's rule rather than a cited
# fact: dry needling needs a certification date on the clinician's profile (the clinic admin records
# the course), acupuncture an acupuncturist's or physician's profile.
_ACUPUNCTURE_PROFESSIONS = frozenset({"acupuncturist", "physician"})
PNEUMOTHORAX_RISK = "pneumothorax"
LUNG_TECHNIQUES = ("rib_bracketing", "pincer", "tangential", "ultrasound", "superficial")


def default_modality(profession: str) -> str:
    """The modality a new visit starts with, from the clinician's profession."""
    return _PROFESSION_MODALITY.get(profession, DRY_NEEDLING)


@dataclass(frozen=True, slots=True)
class Clinician:
    profession: str = ""
    dry_needling_certified: bool = False


@dataclass(frozen=True, slots=True)
class ConsentOnFile:
    """The patient's current, agreed consent to one modality."""

    modality: str
    risks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Needle:
    """A needle as charting judges it."""

    target: str
    side: str
    electrical_stimulation: bool = False
    lung_technique: str = ""
    override_reason: str = ""
    # The needle's numbers (depth_mm, length_mm, gauge_mm, retention...), checked against the limits.
    numbers: Mapping[str, Number | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Gate:
    """What every needle of a visit rests on: its screening, the consents on file, the clinician."""

    modality: str
    screening: ScreeningInput | None  # the visit's own screening (findings and age), if any
    verdict: str = ""
    consents: Mapping[str, ConsentOnFile] = field(default_factory=dict)
    clinician: Clinician = Clinician()


def _words(modality: str) -> str:
    return modality.replace("_", " ")


def certification_problem(modality: str, clinician: Clinician) -> str | None:
    """Why this clinician may not practise `modality`, or None."""
    if modality == DRY_NEEDLING and not clinician.dry_needling_certified:
        return "Your profile has no dry-needling certification date; a clinic admin can add it."
    if modality == ACUPUNCTURE and clinician.profession not in _ACUPUNCTURE_PROFESSIONS:
        return "Acupuncture is charted by an acupuncturist or a physician; your profile says otherwise."
    return None


def gate_problems(gate: Gate, *, electrical_stimulation: bool = False) -> list[str]:
    """Why no needle may be charted at this visit (empty when one may): a screening for this visit whose
    verdict allows needling, a current consent to the modality (and to electrical stimulation when it is
    used), and the clinician's certification."""
    problems = []
    if gate.screening is None:
        problems.append("Screen the patient for this visit first (one click when nothing has changed).")
    elif gate.verdict not in ("clear", "caution"):
        problems.append(f"Screening says {_words(gate.verdict)}: no needle can be charted at this visit.")
    return problems + _consent_and_certification(gate, electrical_stimulation)


def _consent_and_certification(gate: Gate, electrical_stimulation: bool) -> list[str]:
    """A current consent to the modality (and to electrical stimulation when used), and the clinician's
    certification for the modality: the same for a needle charted and for a note signed."""
    needed = [gate.modality] + ([ELECTRICAL_STIMULATION] if electrical_stimulation else [])
    problems = [
        f"No current consent to {_words(modality)}: record the patient's consent."
        for modality in needed
        if modality not in gate.consents
    ]
    problem = certification_problem(gate.modality, gate.clinician)
    return problems + ([problem] if problem else [])


def over_lung(kb: KnowledgeBase, target_id: str) -> bool:
    target = kb.muscles.get(target_id) or kb.acupoints.get(target_id)
    return target is not None and any(h.kind == "lung" for h in target.hazards)


def lung_field_problems(
    kb: KnowledgeBase, needle: Needle, others: Sequence[Needle], consent: ConsentOnFile | None
) -> list[str]:
    """The thorax rules for one needle over the lung field: the consent names pneumothorax, a safe
    technique is recorded, and the other side of the thorax is not needled in the same session, so
    that a pneumothorax could never be bilateral (BN121 §5.1)."""
    if not over_lung(kb, needle.target):
        return []
    problems = []
    if consent is not None and PNEUMOTHORAX_RISK not in consent.risks:
        problems.append(
            f"{needle.target} lies over the lung: the patient's consent must include the risk of pneumothorax. "
            "Record consent again with that risk explained."
        )
    if needle.lung_technique not in LUNG_TECHNIQUES:
        problems.append(
            f"{needle.target} lies over the lung: record the safe technique used "
            "(rib bracketing, pincer grip, tangential angle, ultrasound or superficial)."
        )
    other_side = {"left": "right", "right": "left"}.get(needle.side)
    if other_side and any(o.side == other_side and over_lung(kb, o.target) for o in others):
        problems.append(
            f"Lung-field targets are already charted on the {other_side} side: needle one side of the thorax "
            "per session, so that a pneumothorax could never be bilateral (BN121 §5.1)."
        )
    return problems


def blocked_reasons(kb: KnowledgeBase, gate: Gate, needle: Needle) -> list[str]:
    """What the screening blocks about this needle (the target at its side, or the modality itself, as
    dry needling in the first trimester or electrical stimulation with a pacemaker): each needs a
    written override to be charted."""
    if gate.screening is None:
        return []
    modalities = (gate.modality,) + ((ELECTRICAL_STIMULATION,) if needle.electrical_stimulation else ())
    result = screen(
        kb,
        replace(gate.screening, planned=(PlannedTarget(needle.target, needle.side),), modalities=modalities),
    )
    status = result.targets[0]
    reasons = list(status.reasons if status.status == "blocked" else ())
    if needle.electrical_stimulation:
        es = result.status_of(ELECTRICAL_STIMULATION)
        if es is not None and es.status == "blocked":
            reasons += [r for r in es.reasons if r not in reasons]
    return reasons


def counts_reconciled(needles_in: int | None, needles_out: int | None, discrepancy: str, logged: int = 0) -> bool:
    """In equals out and no fewer went in than the needle log holds (each row is a needle placed), or
    the discrepancy and the action taken are written down."""
    if needles_in is None or needles_out is None:
        return False
    return (needles_in == needles_out and needles_in >= logged) or bool(discrepancy.strip())


@dataclass(frozen=True)
class NoteForSigning:
    gate: Gate
    screened_on: date | None  # the date of the visit's screening
    visit_date: date
    needles: tuple[Needle, ...] = ()
    planned_left: int = 0  # targets carried forward, neither confirmed nor removed
    nprs_before: int | None = None
    nprs_before_not_taken: str = ""
    needles_in: int | None = None
    needles_out: int | None = None
    count_discrepancy: str = ""
    face_to_face_minutes: int = 0  # acupuncture time segments
    electrical_stimulation_time: bool = False  # a time segment with electrical stimulation
    discarded: bool = False


def sign_problems(kb: KnowledgeBase, note: NoteForSigning) -> tuple[str, ...]:
    """Every reason the note cannot be signed yet, all at once (empty: it may be signed). Run at signing
    whatever path the data came by, so a rule checked when a needle was charted is checked again."""
    if note.discarded:
        return ("This draft was discarded: it is kept as void and is never signed.",)
    problems: list[str] = []
    gate = note.gate
    # Treatment was given (and is billed) when a needle is logged or acupuncture time is recorded.
    treated = bool(note.needles) or note.face_to_face_minutes > 0
    if gate.screening is None or note.screened_on != note.visit_date:
        problems.append(
            "Screen the patient at this visit: record a screening today, or confirm with the patient that "
            "nothing has changed since the last one."
        )
    elif gate.verdict not in ("clear", "caution") and treated:
        problems.append(
            f"Screening says {_words(gate.verdict)}: no treatment may be signed at this visit "
            "(needles or acupuncture time)."
        )
    if note.planned_left:
        what = "target is" if note.planned_left == 1 else "targets are"
        problems.append(
            f"{note.planned_left} planned {what} neither confirmed nor removed: confirm what was placed "
            "today and remove the rest."
        )
    if note.nprs_before is None and not note.nprs_before_not_taken.strip():
        problems.append("Record the pain score before treatment (NPRS 0-10), or why it was not taken.")
    if treated:
        es_used = note.electrical_stimulation_time or any(n.electrical_stimulation for n in note.needles)
        problems += _consent_and_certification(gate, es_used)
        if note.electrical_stimulation_time and gate.screening is not None:
            es = screen(kb, replace(gate.screening, modalities=(gate.modality, ELECTRICAL_STIMULATION)))
            status = es.status_of(ELECTRICAL_STIMULATION)
            if status is not None and status.status == "blocked":
                problems.append(
                    "Electrical stimulation is blocked by the screening ("
                    + " ".join(status.reasons)
                    + "): remove it from the time segments."
                )
        if gate.screening is not None and gate.verdict in ("clear", "caution"):
            for n in note.needles:
                if blocked_reasons(kb, gate, n) and not n.override_reason.strip():
                    problems.append(
                        f"{n.target} ({n.side}) is blocked by the screening and has no written override: "
                        "remove it or give the reason."
                    )
        for n in note.needles:
            for problem in needle_problems(kb, {**n.numbers, "target": n.target}).values():
                problems.append(f"{n.target} ({n.side}): {problem}.")
        consent = gate.consents.get(gate.modality)
        for i, n in enumerate(note.needles):
            for problem in lung_field_problems(kb, n, note.needles[:i], consent):
                if problem not in problems:
                    problems.append(problem)
        if note.needles and not counts_reconciled(
            note.needles_in, note.needles_out, note.count_discrepancy, len(note.needles)
        ):
            problems.append(
                "The needle count is not reconciled: enter needles in and out; if they differ, document what "
                "happened and the action taken."
            )
        if gate.modality == ACUPUNCTURE and note.needles and note.face_to_face_minutes <= 0:
            problems.append("Enter the acupuncture face-to-face time (the time segments) before signing.")
    return tuple(problems)


def episode_for_new_visit(active_episodes: Sequence[int], copied_from_episode: int | None) -> int | None:
    """The episode a new visit joins: the episode of the visit it follows up when that is still active,
    else the most recent active episode (listed newest first), else none."""
    if copied_from_episode is not None and copied_from_episode in active_episodes:
        return copied_from_episode
    return active_episodes[0] if active_episodes else None
