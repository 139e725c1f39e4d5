"""The SOAP note written from the structured chart, with the clinician's free text in each section.

Structured facts (the pain drawing, NPRS, screening, palpation, needle log, counts, adverse events,
exercises) become plain sentences; the episode's pain course is read with the core's NPRS rule
(a responder improves by at least 2 points or 30%).
"""

from __future__ import annotations

from dataclasses import dataclass

from needlechart.clinical import instruments
from needlechart.knowledge.model import KnowledgeBase

from .models import Visit


@dataclass(frozen=True)
class Soap:
    subjective: tuple[str, ...]
    objective: tuple[str, ...]
    assessment: tuple[str, ...]
    plan: tuple[str, ...]

    def sections(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            ("Subjective", self.subjective),
            ("Objective", self.objective),
            ("Assessment", self.assessment),
            ("Plan", self.plan),
        ]


def _join(items: list[str]) -> str:
    return "; ".join(items)


def _target_name(kb: KnowledgeBase, target_id: str) -> str:
    if target_id in kb.muscles:
        return kb.muscles[target_id].name.lower()
    return kb.acupoints[target_id].code if target_id in kb.acupoints else target_id


def compose(kb: KnowledgeBase, visit: Visit, first_visit: Visit | None = None) -> Soap:
    s, o, a, p = [], [], [], []

    pains = []
    for mark in visit.pain_drawing:
        if mark.get("region") in kb.regions:
            where = f"{mark['side']} {kb.regions[mark['region']].name.lower()}"
            pains.append(f"{where} {mark['intensity']}/10" if mark.get("intensity") is not None else where)
    if pains:
        s.append(f"Pain drawn at: {_join(pains)}.")
    if visit.nprs_before is not None:
        s.append(f"Pain before treatment {visit.nprs_before}/10 (NPRS).")
    if visit.subjective.strip():
        s.append(visit.subjective.strip())

    if visit.screening is not None:
        names = [f["name"] for f in visit.screening.result.get("findings", [])]
        verdict = visit.screening.verdict.replace("_", " ")
        o.append(f"Screening: {verdict}" + (f" ({', '.join(names)})." if names else "."))
    palpation = []
    for f in visit.palpations.all():
        signs = [
            label
            for flag, label in (
                (f.taut_band, "taut band"),
                (f.tender_spot, "tender spot"),
                (f.referred_pain_recognised, "recognised referred pain"),
                (f.twitch_response, "local twitch response"),
            )
            if flag
        ]
        palpation.append(f"{f.side} {_target_name(kb, f.muscle)}: {', '.join(signs) or 'no trigger point signs'}")
    if palpation:
        o.append(f"Palpation: {_join(palpation)}.")
    needles = []
    for i in visit.insertions.all():
        bits = [i.side]
        if i.depth_mm:
            bits.append(f"{i.depth_mm} mm")
        bits.append(i.get_technique_display().lower())
        if i.twitch_responses:
            bits.append(f"{i.twitch_responses} twitch response{'s' if i.twitch_responses > 1 else ''}")
        if i.electrical_stimulation:
            bits.append(f"electrical stimulation {float(i.es_frequency_hz):g} Hz")
        if i.lung_technique:
            bits.append(i.get_lung_technique_display().split(" (")[0].lower())
        if i.override_reason:
            bits.append(f"screening override: {i.override_reason}")
        needles.append(f"{_target_name(kb, i.target)} ({', '.join(bits)})")
    if needles:
        o.append(f"{visit.get_modality_display()}: {_join(needles)}.")
    if visit.needles_in is not None and visit.needles_out is not None:
        count = f"Needle count {visit.needles_in} in, {visit.needles_out} out"
        o.append(count + (f"; {visit.count_discrepancy.strip()}" if visit.count_discrepancy.strip() else "") + ".")
    events = [f"{e.get_code_display().lower()} ({e.severity}): {e.action_taken}" for e in visit.adverseevents.all()]
    o.append(f"Adverse events: {_join(events)}." if events else "No adverse event.")
    if visit.objective.strip():
        o.append(visit.objective.strip())

    if visit.nprs_before is not None and visit.nprs_after is not None:
        a.append(f"Pain {visit.nprs_before}/10 before and {visit.nprs_after}/10 after treatment.")
    if visit.response.strip():
        a.append(f"Response: {visit.response.strip()}")
    course = _course(kb, first_visit, visit)
    if course:
        a.append(course)
    if visit.assessment.strip():
        a.append(visit.assessment.strip())

    if visit.plan.strip():
        p.append(visit.plan.strip())
    assigned = [kb.exercises[x.exercise].name for x in visit.exerciseassignments.all() if x.exercise in kb.exercises]
    if assigned:
        p.append(f"Home exercises: {', '.join(assigned)}.")
    if visit.aftercare_given:
        p.append("Aftercare explained and handed out.")
    return Soap(tuple(s), tuple(o), tuple(a), tuple(p))


def _course(kb: KnowledgeBase, first: Visit | None, visit: Visit) -> str:
    """The pain change since the episode's first visit, read with the NPRS responder rule."""
    if first is None or first.pk == visit.pk or first.nprs_before is None or visit.nprs_before is None:
        return ""
    nprs = kb.instruments["nprs"]
    result = instruments.change(
        nprs, instruments.score(nprs, [first.nprs_before]), instruments.score(nprs, [visit.nprs_before])
    )
    verdict = "a clinically important improvement" if result.responder else "not yet a clinically important change"
    return (
        f"Since the first visit ({first.visit_date:%Y-%m-%d}) pain went from {first.nprs_before}/10 to "
        f"{visit.nprs_before}/10: {verdict} ({result.responder_reason})."
    )
