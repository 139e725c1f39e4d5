"""The online intake before the first visit: one step per screen, a server-side draft saved at each
step, sent once, then reviewed by a clinician (intake_review.py) before anything enters the chart.

Steps: contact details check, medicines, medical history (the knowledge base's coded findings, asked
in the patient's words: each finding's `question`), the red-flag questions, the pain drawing (the
body map's regions, checked by the core's `locations.parse_pain`), the questionnaires the plan makes
due (questionnaires.py), and a review before sending.

Red flags are screened by the core (`clinical.screening.screen`), with the patient's age and every
finding answered yes so far: a combination rule (a past cancer at 50 or over) counts as the core says.
A verdict of `refer` shows the patient what to do now and opens a PortalAlert for the clinic at
once, the moment the step is saved, whether or not the intake is ever sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.clinical.locations import PainInputError, parse_pain
from needlechart.clinical.screening import ReportedFinding, ScreeningInput, ScreeningResult, screen
from needlechart.common import emergency
from needlechart.knowledge import load
from needlechart.knowledge.model import Finding, KnowledgeBase

from . import alerts, questionnaires
from .models import AlertKind, Intake, IntakeStatus, PortalAccount

STEPS = ("contact", "medicines", "history", "red_flags", "drawing", "questionnaires", "review")
STEP_TITLES = {
    "contact": "Your contact details",
    "medicines": "Your medicines",
    "history": "Your health",
    "red_flags": "Important questions",
    "drawing": "Where you have pain",
    "questionnaires": "Questionnaires",
    "review": "Check and send",
}
CONTACT_FIELDS = ("phone", "address", "emergency_contact_name", "emergency_contact_phone")
CONTACT_LABELS = {
    "phone": "Phone number",
    "address": "Home address",
    "emergency_contact_name": "Someone we can call in an emergency: their name",
    "emergency_contact_phone": "Their phone number",
}
CONTACT_MAX = {"phone": 40, "address": 500, "emergency_contact_name": 200, "emergency_contact_phone": 40}
MAX_MEDICINES = 3000
MAX_NOTE = 300
ANSWERS = ("yes", "no", "unsure")
# Findings not asked in the intake: counted from the age alone (minor, infant), or about the day of
# treatment itself (asked at the visit's own screening).
NOT_ASKED = frozenset({"medical_emergency"})

PATIENT_ADVICE = {
    "emergency": "Call the emergency number now, or go to the nearest emergency department. Do not wait for "
    "your appointment, and do not drive yourself.",
    "urgent": "See a doctor today. Call your doctor or an urgent care service now and tell them what you told us.",
    "soon": "See your doctor in the next few days, before any needling. Book an appointment and tell them what "
    "you told us.",
}


class IntakeClosed(ValueError):
    """The intake was sent already: it can no longer change."""


emergency_number = emergency.local_number


# ------------------------------------------------------------------------------------ the questions


def history_questions(kb: KnowledgeBase) -> list[Finding]:
    return [
        f
        for f in kb.findings.values()
        if f.kind != "red_flag" and f.age_below is None and f.id not in NOT_ASKED and f.question
    ]


def red_flag_questions(kb: KnowledgeBase) -> list[Finding]:
    return [f for f in kb.findings.values() if f.kind == "red_flag" and f.question]


# ------------------------------------------------------------------------------------ the draft


def current(account: PortalAccount) -> Intake | None:
    """The patient's intake: the open one, else the latest reviewed."""
    return Intake.objects.filter(patient=account.patient).order_by("-created_at", "-id").first()


def open_draft(*, account: PortalAccount, request: Any = None) -> Intake:
    """The patient's draft, started on first use. A second tab (or two at once) finds the same one."""
    found = Intake.objects.filter(patient=account.patient).exclude(status=IntakeStatus.REVIEWED).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            intake = Intake.objects.create(
                account=account,
                patient=account.patient,
                clinic=account.clinic,
                record_version=account.patient.version,
            )
            record(
                account.user,
                Action.CREATE,
                intake,
                patient=account.patient,
                summary="Started the online intake",
                request=request,
            )
    except IntegrityError:
        intake = Intake.objects.get(patient=account.patient, status__in=[IntakeStatus.DRAFT, IntakeStatus.SUBMITTED])
    return intake


def steps_for(intake: Intake) -> tuple[str, ...]:
    """The steps of this intake: the questionnaire step only when the plan makes one due."""
    if questionnaires.due_for_intake(intake.account):
        return STEPS
    return tuple(s for s in STEPS if s != "questionnaires")


@dataclass(frozen=True)
class Urgent:
    urgency: str  # emergency | urgent | soon
    advice: str
    reasons: tuple[str, ...]  # the questions answered yes that made it urgent, in the patient's words


def _yes(answers: dict[str, Any], step: str) -> list[str]:
    part = answers.get(step) or {}
    return [code for code, a in (part.get("answers") or {}).items() if a == "yes"]


def screening_of(kb: KnowledgeBase, intake: Intake, answers: dict[str, Any] | None = None) -> ScreeningResult:
    """The core's screening of what the patient answered yes to (whole-patient findings; a finding of
    one body site is placed by the clinician at review), with the patient's age today."""
    answers = intake.answers if answers is None else answers
    codes = dict.fromkeys(_yes(answers, "history") + _yes(answers, "red_flags"))
    reported = tuple(ReportedFinding(c) for c in codes if c in kb.findings and not kb.findings[c].site_scoped)
    age = intake.patient.age_on(timezone.localdate())
    return screen(kb, ScreeningInput(age=max(0, min(age, 120)), findings=reported))


def urgent_of(kb: KnowledgeBase, result: ScreeningResult) -> Urgent | None:
    if result.verdict != "refer":
        return None
    flags = [r for r in result.findings if r.kind == "red_flag"]
    return Urgent(result.urgency, PATIENT_ADVICE[result.urgency], tuple(kb.findings[r.id].question for r in flags))


def _yes_no(questions: list[Finding], data: Any, *, where: bool) -> tuple[dict[str, Any], dict[str, str]]:
    answers: dict[str, str] = {}
    notes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for f in questions:
        value = (data.get(f.id) or "").strip()
        if value not in ANSWERS:
            errors[f.id] = "Choose yes, no or not sure."
            if value:
                continue
        else:
            answers[f.id] = value
        if where and f.site_scoped:
            note = (data.get(f"{f.id}_where") or "").strip()
            if len(note) > MAX_NOTE:
                errors[f"{f.id}_where"] = f"Keep it to {MAX_NOTE} characters (this is {len(note)})."
            elif note:
                notes[f.id] = note
    return {"answers": answers, "where": notes}, errors


def parse_step(kb: KnowledgeBase, intake: Intake, step: str, data: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted answers of one step as they are kept, and the errors by field (empty: valid)."""
    errors: dict[str, str] = {}
    if step == "contact":
        values = {}
        for name in CONTACT_FIELDS:
            value = (data.get(name) or "").strip()
            if len(value) > CONTACT_MAX[name]:
                errors[name] = f"Keep it to {CONTACT_MAX[name]} characters (this is {len(value)})."
            values[name] = value[: CONTACT_MAX[name] * 2]
        for name in ("phone", "emergency_contact_phone"):
            if values[name] and sum(ch.isdigit() for ch in values[name]) < 6:
                errors.setdefault(name, "A phone number has at least 6 digits, for example 0412 345 678.")
        email = (data.get("email") or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = "That is not an email address: check it, for example name@example.com."
        values["email"] = email[:254]
        return values, errors
    if step == "medicines":
        text = (data.get("medicines") or "").strip()
        none = data.get("none") == "1"
        if len(text) > MAX_MEDICINES:
            errors["medicines"] = f"Keep it to {MAX_MEDICINES} characters (this is {len(text)})."
        if not text and not none:
            errors["medicines"] = "List your medicines, or tick 'I take no medicines'."
        if text and none:
            errors["none"] = "You listed medicines and ticked 'I take no medicines': untick it or clear the list."
        return {"text": text[: MAX_MEDICINES * 2], "none": none}, errors
    if step == "history":
        return _yes_no(history_questions(kb), data, where=True)
    if step == "red_flags":
        return _yes_no(red_flag_questions(kb), data, where=False)
    if step == "drawing":
        pains = []
        for value in data.getlist("pain") if hasattr(data, "getlist") else data.get("pain", []):
            region, _, side = str(value).partition(":")
            try:
                pain = parse_pain(kb, region, side, None, resolve_names=False)
            except PainInputError as exc:
                errors["pain"] = f"{exc}: mark the area on the body map again."
                continue
            if {"region": pain.region, "side": pain.side} not in pains:
                pains.append({"region": pain.region, "side": pain.side})
        note = (data.get("note") or "").strip()
        if len(note) > 1000:
            errors["note"] = f"Keep it to 1000 characters (this is {len(note)})."
        return {"pains": pains, "note": note[:2000]}, errors
    if step == "questionnaires":
        kept: dict[str, Any] = {}
        for due in questionnaires.due_for_intake(intake.account):
            prefix = f"{due.form.id}-"
            scoped = _Prefixed(data, prefix)
            if not scoped.any():
                errors[f"{prefix}item_1"] = f"Answer the questions of '{due.form.title}'."
                continue
            answers, extra, found = questionnaires.parse_answers(due.form, scoped)
            errors.update({prefix + k: v for k, v in found.items()})
            kept[due.form.id] = {
                "answers": answers,
                "extra": extra,
                "point": due.point,
                "episode": due.episode.pk,
                "answered_at": timezone.now().isoformat(),
                "raw": {k: scoped.get(k) for k in scoped.keys()},  # noqa: SIM118 - not a dict
            }
        return kept, errors
    if step == "review":
        return {}, {}
    raise ValueError(step)


class _Prefixed:
    """The posted fields of one questionnaire (`nprs-item_1` read as `item_1`)."""

    def __init__(self, data: Any, prefix: str) -> None:
        self.data, self.prefix = data, prefix

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(self.prefix + key, default)

    def keys(self) -> list[str]:
        return [k[len(self.prefix) :] for k in self.data if k.startswith(self.prefix)]

    def any(self) -> bool:
        return any((self.data.get(self.prefix + k) or "").strip() for k in self.keys())


@dataclass(frozen=True)
class Saved:
    intake: Intake
    errors: dict[str, str]
    urgent: Urgent | None = None


def save_step(*, account: PortalAccount, step: str, data: Any, request: Any = None) -> Saved:
    """Keep the step's answers in the draft, even when some are invalid (nothing typed is lost; the
    page shows the errors). Red-flag answers are screened by the core at once; a referral raises the
    clinic's alert in the same transaction."""
    if step not in STEPS:
        raise ValueError(step)
    kb = load()
    intake = open_draft(account=account, request=request)
    if intake.status != IntakeStatus.DRAFT:
        raise IntakeClosed("Your intake was sent to the clinic already.")
    values, errors = parse_step(kb, intake, step, data)
    urgent = None
    with transaction.atomic():
        locked = Intake.objects.select_for_update().get(pk=intake.pk)
        if locked.status != IntakeStatus.DRAFT:
            raise IntakeClosed("Your intake was sent to the clinic already.")
        if step != "review":
            locked.answers = {**locked.answers, step: values}
            if not errors and step not in locked.steps_saved:
                locked.steps_saved = [*locked.steps_saved, step]
            if errors and step in locked.steps_saved:
                locked.steps_saved = [s for s in locked.steps_saved if s != step]
            locked.save(update_fields=["answers", "steps_saved", "updated_at"])
            record(
                account.user,
                Action.CHANGE,
                locked,
                patient=account.patient,
                summary=f"Saved the online intake: {STEP_TITLES[step].lower()}",
                request=request,
            )
        if step in ("history", "red_flags"):
            urgent = urgent_of(kb, screening_of(kb, locked))
            if urgent is not None:
                lines = [
                    f"{kb.findings[c].name}: yes"
                    for c in _yes(locked.answers, "red_flags") + _yes(locked.answers, "history")
                ]
                alerts.raise_alert(
                    account=account,
                    kind=AlertKind.INTAKE_RED_FLAG,
                    summary=f"Red flag in the online intake ({urgent.urgency}): "
                    + ", ".join(kb.findings[r].name for r in _red_flag_codes(kb, locked)),
                    source=locked,
                    detail={"lines": lines, "urgency": urgent.urgency},
                    request=request,
                )
    return Saved(locked, errors, urgent)


def _red_flag_codes(kb: KnowledgeBase, intake: Intake) -> list[str]:
    return [r.id for r in screening_of(kb, intake).findings if r.kind == "red_flag"]


def missing_steps(intake: Intake) -> list[str]:
    return [s for s in steps_for(intake) if s != "review" and s not in intake.steps_saved]


def submit(*, account: PortalAccount, request: Any = None) -> tuple[Intake, bool]:
    """Send the intake to the clinic, once: a second click or a second tab finds it sent and sends
    nothing more. Refused (ValidationError naming the steps) while a step is missing or invalid."""
    intake = open_draft(account=account, request=request)
    if intake.status != IntakeStatus.DRAFT:
        return intake, False
    missing = missing_steps(intake)
    if missing:
        raise ValidationError(
            "Some steps are not finished yet: " + ", ".join(STEP_TITLES[s].lower() for s in missing) + "."
        )
    with transaction.atomic():
        sent = Intake.objects.filter(pk=intake.pk, status=IntakeStatus.DRAFT).update(
            status=IntakeStatus.SUBMITTED, submitted_at=timezone.now()
        )
        intake.refresh_from_db()
        if sent:
            record(
                account.user,
                Action.CHANGE,
                intake,
                patient=account.patient,
                summary="Sent the online intake to the clinic",
                request=request,
            )
    return intake, bool(sent)
