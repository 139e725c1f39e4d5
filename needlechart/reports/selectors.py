"""What each report shows, read from the services and the core: nothing here decides a status, an MCID
or a referral. The statuses, each instrument's change against its MCID, the referrals, drivers and
actions are the core's (`outcomes.services.progress_for_episode`); a discharge's final outcomes are the
core's rows as kept on the day; a signed note's parts and SOAP text are the note page's own
(`charting.views._record_parts`).

Access is checked by the caller (`reports.services`), which also writes the audit row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from needlechart.charting.models import AdverseEvent, Visit
from needlechart.clinical import progress as core
from needlechart.clinical.aftercare import build_aftercare
from needlechart.clinical.screening import URGENCY_ADVICE
from needlechart.common.opaque import of as public_id
from needlechart.knowledge import load
from needlechart.knowledge.model import KnowledgeBase
from needlechart.outcomes import services as outcomes
from needlechart.outcomes.models import Discharge, ReviewAction, ReviewActionKind
from needlechart.outcomes.rom import courses as rom_courses
from needlechart.outcomes.rom import rom_of
from needlechart.patients.charts import nprs_course_chart
from needlechart.patients.models import Episode

from .charts import InstrumentChart, instrument_charts


class ReportUnavailable(Exception):
    """The report cannot be made for this object as it stands (a draft note, an episode not discharged,
    nothing to refer); the message says why and what to do. The pages and the API answer it 409."""


STATUS_WORDS = {
    core.RESPONDING: "Responding to care",
    core.NOT_YET: "Too early to judge",
    core.NOT_RESPONDING: "Not responding to care",
    core.REFER: "Referral recommended",
}


@dataclass(frozen=True)
class Signer:
    name: str
    profession: str
    certification: str
    signed_at: Any = None  # a datetime when the report rests on a signature (a signed note, a discharge)
    electronic: bool = False


def signer_of(user, *, signed_at: Any = None, electronic: bool = False) -> Signer:
    certification = ""
    if user.dry_needling_certified_on:
        certification = f"Dry needling certified {user.dry_needling_certified_on:%d %b %Y}" + (
            f" ({user.dry_needling_certification})" if user.dry_needling_certification else ""
        )
    return Signer(user.display_name, user.get_profession_display(), certification, signed_at, electronic)


@dataclass(frozen=True)
class Letterhead:
    """The clinic and the patient, at the head of every page."""

    clinic_name: str
    clinic_lines: tuple[str, ...]
    patient_name: str
    date_of_birth: date
    patient_id: str
    generated_on: date


def letterhead(patient) -> Letterhead:
    clinic = patient.clinic
    lines = [line.strip() for line in clinic.address.splitlines() if line.strip()]
    contact = " · ".join(part for part in (f"Tel {clinic.phone}" if clinic.phone else "", clinic.email) if part)
    if contact:
        lines.append(contact)
    return Letterhead(
        clinic.name, tuple(lines), patient.full_name, patient.date_of_birth, public_id(patient), timezone.localdate()
    )


@dataclass(frozen=True)
class VisitSummary:
    visit: Visit
    targets: tuple[str, ...]
    needles: int
    electrical: bool
    events: tuple[AdverseEvent, ...]
    exercises: tuple[str, ...]


@dataclass(frozen=True)
class GoalRow:
    text: str
    target: str
    by_date: str
    latest: str
    reached: bool | None  # None: nothing measured yet


@dataclass
class EpisodeReport:
    """What the episode reports share."""

    head: Letterhead
    episode: Episode
    condition_name: str
    diagnoses: list[tuple[str, str]]  # (ICD-10-CM code, title)
    plan: Any  # the current PlanRevision, or None (the condition's default plan)
    revisions: list[Any]
    progress: core.ProgressResult
    status_words: str
    sessions_done: int
    charts: list[InstrumentChart]
    course_chart: Any
    visits: list[VisitSummary]
    adverse_events: list[tuple[Visit, AdverseEvent]]
    goals: list[GoalRow]
    modalities: list[str]
    components: list[str]
    signer: Signer | None
    extra: dict[str, Any] = field(default_factory=dict)
    rom: list[Any] = field(default_factory=list)  # outcomes.rom.RomCourse per movement and side


def target_words(kb: KnowledgeBase, target_id: str, side: str) -> str:
    where = "" if side in ("", "midline") else f"{side} "
    if target_id in kb.muscles:
        return f"{where}{kb.muscles[target_id].name.lower()}"
    if target_id in kb.acupoints:
        return f"{kb.acupoints[target_id].code}" + (f" ({side})" if where else "")
    return f"{where}{target_id.replace('_', ' ')}"


def _signed_visits(episode: Episode) -> list[Visit]:
    return list(
        episode.visits.filter(signed_at__isnull=False)
        .select_related("clinician", "signed_by")
        .prefetch_related(
            "insertions",
            Prefetch("adverseevents", queryset=AdverseEvent.objects.order_by("id")),
            "exerciseassignments",
            "palpations",
        )
        .order_by("visit_date", "id")
    )


def _visit_summary(kb: KnowledgeBase, visit: Visit) -> VisitSummary:
    insertions = list(visit.insertions.all())
    targets = tuple(dict.fromkeys(target_words(kb, i.target, i.side) for i in insertions))
    exercises = tuple(
        kb.exercises[a.exercise].name if a.exercise in kb.exercises else a.exercise
        for a in visit.exerciseassignments.all()
    )
    return VisitSummary(
        visit,
        targets,
        len(insertions),
        any(i.electrical_stimulation for i in insertions),
        tuple(visit.adverseevents.all()),
        exercises,
    )


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _goals(kb: KnowledgeBase, plan, progress: core.ProgressResult, rows) -> list[GoalRow]:
    """The plan's goals beside the latest score, read by the core (`progress.goal_status`)."""
    out = []
    for status in outcomes.goal_statuses(plan, progress, rows, today=progress.today):
        unit = "/10" if status.kind == "psfs" else f" {status.unit}"
        if status.latest is None:
            latest = "not rated yet" if status.kind == "psfs" else "not measured yet"
        else:
            latest = f"{_fmt(status.latest)}{unit} ({status.latest_date:%d %b %Y})"
        out.append(
            GoalRow(status.label, f"{_fmt(status.target)}{unit}", f"{status.by_date:%-d %b %Y}", latest, status.reached)
        )
    return out


def titles_of(condition) -> tuple:
    return condition.icd10 if condition else ()


def episode_report(user, episode: Episode, *, signer: Signer | None = None) -> EpisodeReport:
    """Everything the episode reports show. Raises OutcomeError when the core cannot read the course."""
    kb = load()
    progress = outcomes.progress_for_episode(user, episode)
    data = outcomes.progress_input(episode)
    plan = outcomes.current_plan(episode)
    condition = kb.conditions.get(episode.condition)
    titles = {c.code: c.title for c in condition.icd10} if condition else {}
    codes = (
        plan.icd10 if plan and plan.icd10 else [c.code for c in (condition.icd10 if condition else ()) if not c.side]
    )
    visits = _signed_visits(episode)
    rows = outcomes.measurements_of(episode)
    if signer is None:
        author = user if user.is_clinician else (visits[-1].signed_by if visits else None)
        signer = signer_of(author) if author is not None else None
    return EpisodeReport(
        head=letterhead(episode.patient),
        episode=episode,
        condition_name=progress.condition_name,
        diagnoses=[(code, titles.get(code, "")) for code in codes],
        plan=plan,
        revisions=outcomes.plan_revisions(episode),
        progress=progress,
        status_words=STATUS_WORDS[progress.status],
        sessions_done=data.sessions_done,
        charts=instrument_charts(kb, progress, data.measurements),
        course_chart=nprs_course_chart(episode.patient, visits),
        visits=[_visit_summary(kb, v) for v in visits],
        adverse_events=[(v, e) for v in visits for e in v.adverseevents.all()],
        goals=_goals(kb, plan, progress, rows),
        modalities=sorted({v.get_modality_display() for v in visits}),
        components=list(plan.components) if plan else [],
        signer=signer,
        rom=rom_courses(rom_of(episode)),
    )


# ------------------------------------------------------------------------------------ each report


def progress_report(user, episode: Episode) -> EpisodeReport:
    return episode_report(user, episode)


def discharge_summary(user, episode: Episode) -> EpisodeReport:
    discharge = Discharge.objects.filter(episode=episode).select_related("discharged_by").first()
    if discharge is None:
        raise ReportUnavailable(
            "This episode has not been discharged, so there is no discharge summary yet: discharge the "
            "episode first, or download the progress report instead."
        )
    report = episode_report(
        user, episode, signer=signer_of(discharge.discharged_by, signed_at=discharge.discharged_at, electronic=True)
    )
    kb = load()
    programme = []
    for item in discharge.home_programme:
        exercise = kb.exercises.get(item.get("exercise", ""))
        programme.append(
            {
                "name": item.get("name") or (exercise.name if exercise else item.get("exercise", "")),
                "dosage": item.get("dosage") or (exercise.dosage if exercise else ""),
                "steps": exercise.steps if exercise else (),
            }
        )
    report.extra.update(
        discharge=discharge,
        final_outcomes=[_kept_row(kb, row) for row in discharge.final_outcomes],
        final_status_words=STATUS_WORDS.get(discharge.status, discharge.status.replace("_", " ")),
        home_programme=programme,
    )
    return report


def _kept_row(kb: KnowledgeBase, row: dict[str, Any]) -> SimpleNamespace:
    """A discharge's kept instrument row, with its dates as dates and the instrument's MCID kind."""
    instrument = kb.instruments.get(row.get("instrument", ""))
    out = {
        "name": row.get("name", ""),
        "unit": row.get("unit", ""),
        "baseline": row.get("baseline"),
        "latest": row.get("latest"),
        "change": row.get("change"),
        "percent_change": None,
        "mcid": row.get("mcid"),
        "mcid_kind": instrument.mcid.kind if instrument is not None and instrument.mcid else "",
        "met": row.get("met"),
        "worsened": bool(row.get("worsened", False)),  # kept since discharges record it
        "reading": row.get("reading", ""),
    }
    for key in ("baseline_date", "latest_date"):
        value = row.get(key)
        out[key] = date.fromisoformat(value) if isinstance(value, str) and value else value
    return SimpleNamespace(**out)


def referral_letter(user, episode: Episode) -> EpisodeReport:
    """Why (the latest recorded referral, else the core's referrals), the findings, what was tried, the
    outcomes and the red flags at the latest re-screen."""
    report = episode_report(user, episode)
    progress = report.progress
    action = (
        ReviewAction.objects.filter(episode=episode, kind=ReviewActionKind.REFERRAL)
        .select_related("acted_by")
        .order_by("-acted_at", "-id")
        .first()
    )
    if action is None and not progress.referrals:
        raise ReportUnavailable(
            "There is nothing to refer: no referral has been recorded for this episode and the progress "
            "assessment finds no reason to refer. Record the referral (to whom and why) first."
        )
    kb = load()
    if action is not None:
        to = action.referred_to or "the patient's physician"
        urgency = action.urgency
        why = [action.reason] + [r.reason for r in progress.referrals if r.reason != action.reason]
    else:
        to = progress.referrals[0].to
        urgency = progress.urgency or progress.referrals[0].urgency
        why = [r.reason for r in progress.referrals]
    latest = report.visits[-1].visit if report.visits else None
    examined = next((v.visit for v in reversed(report.visits) if v.visit.palpations.all()), None)
    pains, palpation = [], []
    if latest is not None:
        for mark in latest.pain_drawing:
            region = kb.regions.get(mark.get("region", ""))
            if region is not None:
                intensity = f" ({mark['intensity']}/10)" if mark.get("intensity") is not None else ""
                pains.append(f"{mark.get('side', '')} {region.name.lower()}{intensity}".strip())
    if examined is not None:
        for p in examined.palpations.all():
            signs = [
                label
                for flag, label in (
                    (p.taut_band, "taut band"),
                    (p.tender_spot, "tender spot"),
                    (p.referred_pain_recognised, "recognised referred pain"),
                    (p.twitch_response, "local twitch response"),
                )
                if flag
            ]
            palpation.append(f"{target_words(kb, p.muscle, p.side)}: {', '.join(signs) or 'no trigger point signs'}")
    needled: dict[str, int] = {}
    for v in report.visits:
        for t in v.targets:
            needled[t] = needled.get(t, 0) + 1
    report.extra.update(
        action=action,
        referred_to=to,
        urgency=urgency,
        urgency_advice=URGENCY_ADVICE.get(urgency, ""),
        why=why,
        pains=pains,
        palpation=palpation,
        latest_visit=latest,
        examined=examined,
        needled=sorted(needled.items(), key=lambda kv: (-kv[1], kv[0])),
        red_flags=[f for f in progress.findings if f.kind == "red_flag"],
        other_findings=[f for f in progress.findings if f.kind != "red_flag" and not f.derived],
        exercises=sorted({e for v in report.visits for e in v.exercises}),
    )
    return report


def patient_summary(user, episode: Episode) -> EpisodeReport:
    """The same facts in plain words: the pains marked, the care given, each measure's change as the core
    read it, the home programme (the discharge's, else the latest visit's exercises) and when to get help
    (the aftercare sheet's urgent items for what was done)."""
    report = episode_report(user, episode)
    kb = load()
    visits = [v.visit for v in report.visits]
    areas: list[str] = []
    for v in visits:
        for mark in v.pain_drawing:
            region = kb.regions.get(mark.get("region", ""))
            if region is not None:
                words = f"{mark.get('side', '')} {region.name.lower()}".strip()
                if words not in areas:
                    areas.append(words)
    discharge = Discharge.objects.filter(episode=episode).first()
    programme = []
    if discharge is not None and discharge.home_programme:
        for item in discharge.home_programme:
            exercise = kb.exercises.get(item.get("exercise", ""))
            if exercise is not None:
                programme.append((exercise, item.get("dosage") or exercise.dosage))
    else:
        for v in reversed(visits):
            assigned = [a for a in v.exerciseassignments.all() if a.exercise in kb.exercises]
            if assigned:
                programme = [(kb.exercises[a.exercise], a.dosage or kb.exercises[a.exercise].dosage) for a in assigned]
                break
    modalities = {v.modality for v in visits}
    if any(s.electrical for s in report.visits):
        modalities.add("electrical_stimulation")
    targets = [(i.target, i.side) for v in visits for i in v.insertions.all()]
    findings = []
    if visits and visits[-1].screening_id:
        findings = [f["code"] for f in visits[-1].screening.findings]
    care = build_aftercare(kb, sorted(modalities), targets, findings, episode.condition)
    measures = []
    for row in report.progress.instruments:
        if row.facet in core.NPRS_FACETS or ":" in row.facet:
            continue  # the plain summary keeps to one line per measure
        measures.append(_plain_measure(kb, row))
    report.extra.update(
        areas=areas,
        treated=sorted({target_words(kb, t, s) for t, s in targets}),
        programme=programme,
        urgent=care.urgent,
        routine=care.routine[:4],
        measures=[m for m in measures if m],
        discharge=discharge,
    )
    return report


PLAIN_NAMES = {
    "nprs": "Your pain score (0 is no pain, 10 is the worst pain you can imagine)",
    "vas": "Your pain on a 100 mm line",
    "ndi": "How much your neck gets in the way of daily life (neck disability score)",
    "odi": "How much your back gets in the way of daily life (back disability score)",
    "lefs": "How well your legs let you do everyday things (leg function score)",
    "psfs": "How well you can do the activities you chose (0 to 10)",
    "groc": "How much better or worse you feel overall",
    "ppt": "How much pressure the sore muscle can take before it hurts",
}


def _plain_measure(kb: KnowledgeBase, row: core.InstrumentProgress) -> dict[str, str] | None:
    """One sentence on a measure, from the core's reading of it (met, worsened)."""
    name = PLAIN_NAMES.get(row.instrument, kb.instruments[row.instrument].name)
    if row.direction == core.RATING_OF_CHANGE:
        words = (
            "You told us you feel clearly better."
            if row.met
            else "You told us you feel worse."
            if row.worsened
            else "You told us you feel about the same, or only a little better."
        )
        return {"name": name, "numbers": f"latest rating {row.latest:+g}", "words": words}
    if row.baseline is None or row.change is None:
        return {"name": name, "numbers": f"{_fmt(row.latest)}", "words": "We have measured this once so far."}
    numbers = f"from {_fmt(row.baseline)} to {_fmt(row.latest)}"
    if row.met and row.mcid_kind == "mdc":
        words = "This has clearly improved: the change is bigger than the normal ups and downs from day to day."
    elif row.met:
        words = "This is a real improvement: a change big enough to make a difference in daily life."
    elif row.worsened:
        words = "This has got worse. We will talk with you about what to do next."
    elif row.met is None:
        words = "We will compare this with your next score."
    else:
        words = "This has not changed enough yet to count as a real improvement."
    return {"name": name, "numbers": numbers, "words": words}


# ------------------------------------------------------------------------------------ the signed note


def visit_note(user, visit: Visit) -> dict[str, Any]:
    """A signed note as its page shows it: the SOAP text, the needle log, palpation, adverse events,
    exercises, screening and consents as signed, the billing codes, and the addenda."""
    if visit.is_discarded:
        raise ReportUnavailable("This note was discarded: a discarded note is kept for the record, not sent.")
    if not visit.is_signed:
        raise ReportUnavailable(
            "This note is a draft: only a signed note can be downloaded as a PDF. Sign the note first."
        )
    from needlechart.charting.views import _record_parts  # the note page's own reading of its parts

    kb = load()
    parts = _record_parts(kb, visit)
    record = visit.signed_record or {}
    screening = record.get("screening") or {}
    return {
        "head": letterhead(visit.patient),
        "visit": visit,
        "parts": parts,
        "condition": kb.conditions[visit.episode.condition].name if visit.episode_id else "",
        "screening": screening,
        "screening_findings": (screening.get("result") or {}).get("findings", []),
        "consents": sorted(m.replace("_", " ") for m in (record.get("consents") or {})),
        "addenda": list(visit.addenda.select_related("author").order_by("created_at", "id")),
        "signer": signer_of(visit.signed_by, signed_at=visit.signed_at, electronic=True),
        "targets": {i.pk: target_words(kb, i.target, i.side) for i, _ in parts["insertions"]},
    }
