"""Between visits: the signed visit's aftercare and home exercises in the portal, the exercise log,
the check-in after needling and the daily pain diary (services, selectors and home-page sections).

The rules are the core's (`needlechart.clinical.between`: what makes a check-in urgent, how much of
the programme was done); this module stores the answers, each in one transaction with its audit row
(actor: the patient's own user). Every lookup is filtered by the signed-in account's patient.

A check-in is created when a note with needles placed is signed (the charting app's `visit_signed`
signal, connected below), falls due 24 hours after the needling and stays answerable for 7 days. The
portal page is what the patient answers; the email (`due_check_in_emails`, run periodically) only
tells them it is there.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.charting import signals
from needlechart.charting.models import ExerciseAssignment, Insertion, Visit
from needlechart.clinical import between as core
from needlechart.clinical.aftercare import Aftercare, build_aftercare
from needlechart.common import opaque
from needlechart.knowledge import load
from needlechart.knowledge.model import AftercareItem, Exercise
from needlechart.notifications.sweeps import sweep

from . import alerts, mail, sections
from .models import AlertKind, CheckIn, DiaryEntry, ExerciseLog, ExerciseStatus, PortalAccount

logger = logging.getLogger("needlechart.portal")

MAX_NOTE = 300
MAX_OTHER = 1000
LOG_BACK_DAYS = 6  # a patient may log an exercise for today and the six days before (a missed evening)
DIARY_DAYS = 28


class BetweenError(ValueError):
    """An answer the portal cannot take: `field` names the field and the message says how to fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- time -----------------------------------------------------------------------------------------


def zone_of(clinic: Any) -> ZoneInfo:
    return ZoneInfo(clinic.time_zone or "UTC")


def local_day(clinic: Any, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone_of(clinic)).date()


# --- aftercare of a signed visit -----------------------------------------------------------------


def aftercare_for(visit: Visit) -> Aftercare:
    """The visit's aftercare sheet, as the staff sheet builds it (the core over what was charted)."""
    from needlechart.charting.services import electrical_stimulation_used

    kb = load()
    findings = [f["code"] for f in visit.screening.findings] if visit.screening_id else []
    modalities = [visit.modality] + (["electrical_stimulation"] if electrical_stimulation_used(visit) else [])
    targets = [(i.target, i.side) for i in visit.insertions.all()]
    episode = (visit.signed_record or {}).get("episode") or {}
    condition = episode.get("condition") or (visit.episode.condition if visit.episode_id else "")
    return build_aftercare(kb, modalities, targets, findings, condition)


def signed_visits(patient: Any) -> Any:
    return Visit.objects.filter(patient=patient, signed_at__isnull=False, discarded_at__isnull=True)


def latest_signed_visit(patient: Any) -> Visit | None:
    return (
        signed_visits(patient)
        .select_related("screening", "episode")
        .prefetch_related("insertions")
        .order_by("-visit_date", "-signed_at")
        .first()
    )


def visit_of(account: PortalAccount, token: str) -> Visit | None:
    """One of the patient's own signed visits by its token (None for anything else: a 404)."""
    visit_id = opaque.decode("visit", token)
    if visit_id is None:
        return None
    return (
        signed_visits(account.patient)
        .select_related("screening", "episode")
        .prefetch_related("insertions")
        .filter(pk=visit_id)
        .first()
    )


# --- home exercises --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prescribed:
    assignment: ExerciseAssignment
    exercise: Exercise
    dosage: str  # the clinician's dosage, else the library's

    @property
    def token(self) -> str:
        return opaque.of(self.assignment)


def programme(patient: Any) -> tuple[Visit | None, list[Prescribed]]:
    """The current home programme: the exercises of the latest signed visit that prescribed any."""
    kb = load()
    latest = (
        signed_visits(patient).filter(exerciseassignments__isnull=False).order_by("-visit_date", "-signed_at").first()
    )
    if latest is None:
        return None, []
    rows = [
        Prescribed(a, kb.exercises[a.exercise], a.dosage or kb.exercises[a.exercise].dosage)
        for a in ExerciseAssignment.objects.filter(visit=latest).order_by("id")
        if a.exercise in kb.exercises
    ]
    return latest, rows


def _int_or_none(value: Any, field_name: str, low: int, high: int, message: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise BetweenError(field_name, message) from None
    if not low <= number <= high:
        raise BetweenError(field_name, message)
    return number


def log_exercise(
    *,
    account: PortalAccount,
    assignment_token: str,
    status: str,
    pain_during: Any = None,
    note: str = "",
    day: date | None = None,
    request: Any = None,
) -> tuple[ExerciseLog, bool]:
    """Log one exercise for a day (today unless said): a second log the same day updates that day's
    entry (audited as a change). Returns (the log, whether it is new)."""
    assignment_id = opaque.decode("exercise", assignment_token or "")
    assignment = (
        ExerciseAssignment.objects.filter(
            pk=assignment_id, visit__patient=account.patient, visit__signed_at__isnull=False
        )
        .select_related("visit")
        .first()
        if assignment_id
        else None
    )
    if assignment is None:
        raise BetweenError("exercise", "That exercise is not in your programme: reload the page.")
    if status not in ExerciseStatus.values:
        raise BetweenError("status", "Choose Done, Partly or Not today.")
    pain = _int_or_none(
        pain_during, "pain_during", 0, 10, "Pain during is a whole number from 0 to 10, or leave it empty."
    )
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise BetweenError("note", f"Keep the note to {MAX_NOTE} characters (this one is {len(note)}).")
    today = local_day(account.clinic)
    day = day or today
    if day > today:
        raise BetweenError("day", "You cannot log a day that has not happened yet.")
    if day < today - timedelta(days=LOG_BACK_DAYS):
        raise BetweenError("day", f"You can log today and the {LOG_BACK_DAYS} days before it.")
    if day < assignment.visit.visit_date:
        raise BetweenError("day", "That day is before your clinician gave you this exercise.")
    values = {"status": status, "pain_during": pain, "note": note}
    label = ExerciseStatus(status).label
    for _ in range(2):  # a concurrent first log of the same day (two tabs): the second updates it
        try:
            with transaction.atomic():
                log = ExerciseLog.objects.select_for_update().filter(assignment=assignment, day=day).first()
                if log is None:
                    log = ExerciseLog.objects.create(patient=account.patient, assignment=assignment, day=day, **values)
                    record(
                        account.user,
                        Action.CREATE,
                        log,
                        patient=account.patient,
                        summary=f"Logged {assignment.exercise} for {day.isoformat()}: {label}",
                        request=request,
                    )
                    return log, True
                changed = {k: v for k, v in values.items() if getattr(log, k) != v}
                if changed:
                    before = {k: getattr(log, k) for k in changed}
                    for k, v in changed.items():
                        setattr(log, k, v)
                    log.save(update_fields=[*changed, "updated_at"])
                    record(
                        account.user,
                        Action.CHANGE,
                        log,
                        patient=account.patient,
                        summary=f"Changed the log of {assignment.exercise} for {day.isoformat()}: {label}",
                        detail={"before": before, "after": changed},
                        request=request,
                    )
                return log, False
        except IntegrityError:
            continue
    raise BetweenError("exercise", "That log could not be saved: try again.")


def week_logs(patient: Any, assignments: list[ExerciseAssignment], today: date) -> dict[int, dict[date, ExerciseLog]]:
    """The last seven days' logs of each assignment: {assignment id: {day: log}} (one query)."""
    found: dict[int, dict[date, ExerciseLog]] = defaultdict(dict)
    for log in ExerciseLog.objects.filter(
        patient=patient, assignment__in=assignments, day__gt=today - timedelta(days=7), day__lte=today
    ):
        found[log.assignment_id][log.day] = log
    return found


# --- check-in after needling ----------------------------------------------------------------------


def needled_at(visit: Visit, clinic: Any) -> datetime:
    """When the needles went in: the first needle's logging time when charted on the visit's day,
    else midday of the visit's day (a note written up later)."""
    zone = zone_of(clinic)
    first = min((i.created_at for i in visit.insertions.all()), default=None)
    if first is not None and first.astimezone(zone).date() == visit.visit_date:
        return first
    return datetime.combine(visit.visit_date, time(12, 0), tzinfo=zone)


def create_check_in(*, visit: Visit, now: datetime | None = None) -> CheckIn | None:
    """The check-in of a signed visit where needles were placed (none otherwise, and none for a note
    signed after its check-in would have closed). Idempotent."""
    if not Insertion.objects.filter(visit=visit).exists():
        return None
    now = now or timezone.now()
    visit = (
        Visit.objects.select_related("patient__clinic", "screening", "episode")
        .prefetch_related("insertions")
        .get(pk=visit.pk)
    )
    at = needled_at(visit, visit.patient.clinic)
    closes = at + core.OPEN_FOR
    if now >= closes:
        return None
    try:
        offered = [item.id for item in aftercare_for(visit).urgent]
    except KeyError:  # a target the knowledge base no longer has: the check-in still asks the rest
        logger.warning("check-in of visit %s: aftercare could not be built", visit.pk, exc_info=True)
        offered = []
    check_in, _ = CheckIn.objects.get_or_create(
        visit=visit,
        defaults={
            "patient": visit.patient,
            "needled_at": at,
            "due_at": max(at + core.DUE_AFTER, now),
            "closes_at": closes,
            "offered": offered,
        },
    )
    return check_in


def on_visit_signed(sender: Any, *, visit: Visit, **kwargs: Any) -> None:
    create_check_in(visit=visit)


signals.visit_signed.connect(on_visit_signed, dispatch_uid="portal-check-in-on-visit-signed")


def offered_items(check_in: CheckIn) -> list[AftercareItem]:
    """The urgent aftercare items the check-in asks about, urgent-first as on the sheet."""
    by_id = {item.id: item for item in load().aftercare}
    return [by_id[i] for i in check_in.offered if i in by_id]


def check_in_state(check_in: CheckIn, now: datetime | None = None) -> str:
    """answered | upcoming (not yet due) | due | closed."""
    now = now or timezone.now()
    if check_in.answered_at is not None:
        return "answered"
    if now < check_in.due_at:
        return "upcoming"
    return "due" if now < check_in.closes_at else "closed"


def open_check_in(patient: Any, now: datetime | None = None) -> CheckIn | None:
    """The check-in the patient should answer now (the most recent due one), if any."""
    now = now or timezone.now()
    return (
        CheckIn.objects.filter(patient=patient, answered_at=None, due_at__lte=now, closes_at__gt=now)
        .select_related("visit")
        .order_by("-due_at")
        .first()
    )


def check_in_of(account: PortalAccount, token: str) -> CheckIn | None:
    check_in_id = opaque.decode("check_in", token or "")
    if check_in_id is None:
        return None
    return CheckIn.objects.filter(pk=check_in_id, patient=account.patient).select_related("visit").first()


@dataclass(frozen=True)
class CheckInResult:
    check_in: CheckIn
    urgent: tuple[AftercareItem, ...]
    already: bool = False  # answered before (another tab, a second tap): this answer was not kept


def answer_check_in(
    *,
    account: PortalAccount,
    check_in: CheckIn,
    soreness: Any,
    bruising: str,
    urgent: list[str],
    other: str = "",
    now: datetime | None = None,
    request: Any = None,
) -> CheckInResult:
    """Keep the patient's answer (once: the first answer stands), and when the core reads it as urgent,
    alert the clinic in the same transaction."""
    now = now or timezone.now()
    if check_in.patient_id != account.patient_id:
        raise BetweenError("check_in", "That check-in is not yours.")
    if check_in.answered_at is not None:
        return CheckInResult(check_in, tuple(i for i in offered_items(check_in) if i.id in check_in.urgent), True)
    state = check_in_state(check_in, now)
    if state == "upcoming":
        when = timezone.localtime(check_in.due_at, zone_of(account.clinic)).strftime("%-d %B at %H:%M")
        raise BetweenError("check_in", f"This check-in opens on {when}, a day after your treatment.")
    if state == "closed":
        raise BetweenError(
            "check_in", "This check-in has closed. If you are worried about how you feel, call the clinic."
        )
    sore = _int_or_none(soreness, "soreness", 0, 10, "Choose how sore you are, from 0 to 10.")
    other = (other or "").strip()
    if len(other) > MAX_OTHER:
        raise BetweenError("other", f"Keep this to {MAX_OTHER} characters (this is {len(other)}).")
    offered = offered_items(check_in)
    try:
        reading = core.read_check_in(offered, ticked=urgent, soreness=sore, bruising=bruising or "")
    except core.CheckInInputError as exc:
        raise BetweenError(exc.field, str(exc)) from None
    ticked = [i.id for i in reading.urgent]
    with transaction.atomic():
        updated = CheckIn.objects.filter(pk=check_in.pk, answered_at=None).update(
            answered_at=now, soreness=reading.soreness, bruising=reading.bruising, urgent=ticked, other=other
        )
        check_in.refresh_from_db()
        if not updated:  # answered meanwhile in another tab
            return CheckInResult(check_in, tuple(i for i in offered if i.id in check_in.urgent), True)
        visit_day = check_in.visit.visit_date.strftime("%-d %b %Y")
        summary = (
            f"Check-in after the visit of {visit_day}: soreness {reading.soreness}/10, bruising {reading.bruising}"
        )
        if reading.is_urgent:
            summary += f"; urgent: {', '.join(ticked)}"
        record(account.user, Action.CREATE, check_in, patient=account.patient, summary=summary, request=request)
        if reading.is_urgent:
            alerts.raise_alert(
                account=account,
                kind=AlertKind.URGENT_CHECK_IN,
                summary=f"Urgent symptoms reported after the visit of {visit_day}",
                source=check_in,
                detail={
                    "lines": [
                        *(f"Ticked: {item.text}" for item in reading.urgent),
                        f"Soreness {reading.soreness}/10; bruising: {reading.bruising}.",
                        *([f"Also wrote: {other}"] if other else []),
                    ]
                },
                request=request,
            )
    return CheckInResult(check_in, reading.urgent)


@sweep("portal.check_in_emails")
def due_check_in_emails(now: datetime | None = None) -> int:
    """Email every patient whose check-in has fallen due and not been emailed yet (portal accounts not
    turned off; check-ins still open and unanswered). Idempotent: each check-in is claimed by a
    conditional update before its email goes, so a second run (or two runners) sends nothing again.
    For the notifications app's periodic runner. Returns how many were sent."""
    now = now or timezone.now()
    candidates = CheckIn.objects.filter(
        email_sent_at=None,
        answered_at=None,
        due_at__lte=now,
        closes_at__gt=now,
        patient__portal_account__disabled_at=None,
    ).select_related("patient__portal_account__clinic", "patient__portal_account__user", "visit")
    sent = 0
    for check_in in candidates:
        account = check_in.patient.portal_account
        with transaction.atomic():
            if not CheckIn.objects.filter(pk=check_in.pk, email_sent_at=None).update(email_sent_at=now):
                continue
            record(
                None,
                Action.CREATE,
                check_in,
                patient=check_in.patient,
                clinic=account.clinic,
                summary="Check-in email sent to the patient",
            )
            mail.send_check_in(account=account, check_in=check_in)  # queued; delivered after commit
        sent += 1
    return sent


# --- pain diary -----------------------------------------------------------------------------------


def save_diary(
    *, account: PortalAccount, pain: Any, note: str = "", day: date | None = None, request: Any = None
) -> tuple[DiaryEntry, bool]:
    """Today's diary entry (one a day; saving again today changes it). Returns (entry, whether new).
    The portal's page always writes today; `day` (an earlier day) is for the demo and imports."""
    value = _int_or_none(pain, "pain", 0, 10, "Choose your pain today, from 0 (no pain) to 10 (worst possible).")
    if value is None:
        raise BetweenError("pain", "Choose your pain today, from 0 (no pain) to 10 (worst possible).")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise BetweenError("note", f"Keep the note to {MAX_NOTE} characters (this one is {len(note)}).")
    today = local_day(account.clinic)
    day = day or today
    if day > today:
        raise BetweenError("day", "A diary entry is for today or a day that has passed.")
    for _ in range(2):
        try:
            with transaction.atomic():
                entry = DiaryEntry.objects.select_for_update().filter(patient=account.patient, day=day).first()
                if entry is None:
                    entry = DiaryEntry.objects.create(patient=account.patient, day=day, pain=value, note=note)
                    record(
                        account.user,
                        Action.CREATE,
                        entry,
                        patient=account.patient,
                        summary=f"Pain diary for {day.isoformat()}: {value}/10",
                        request=request,
                    )
                    return entry, True
                if (entry.pain, entry.note) != (value, note):
                    before = {"pain": entry.pain, "note": entry.note}
                    entry.pain, entry.note = value, note
                    entry.save(update_fields=["pain", "note", "updated_at"])
                    record(
                        account.user,
                        Action.CHANGE,
                        entry,
                        patient=account.patient,
                        summary=f"Changed the pain diary for {day.isoformat()}: {value}/10",
                        detail={"before": before},
                        request=request,
                    )
                return entry, False
        except IntegrityError:
            continue
    raise BetweenError("pain", "That entry could not be saved: try again.")


def diary(patient: Any, today: date, days: int = DIARY_DAYS) -> list[DiaryEntry]:
    return list(
        DiaryEntry.objects.filter(patient=patient, day__gt=today - timedelta(days=days), day__lte=today).order_by("day")
    )


# --- the clinician's view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseAdherence:
    exercise: Exercise
    dosage: str
    last7: core.Adherence
    last28: core.Adherence
    pain_during: int | None  # the latest pain during, in the last 28 days


@dataclass
class Summary:
    """What the clinician sees of the time between visits (a fixed number of queries)."""

    today: date
    programme_visit: Visit | None = None
    exercises: list[ExerciseAdherence] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    diary: list[DiaryEntry] = field(default_factory=list)

    @property
    def diary_first_last(self) -> tuple[DiaryEntry, DiaryEntry] | None:
        return (self.diary[0], self.diary[-1]) if len(self.diary) >= 2 else None

    def overall(self, days: int) -> int | None:
        rows = [e.last7 if days == 7 else e.last28 for e in self.exercises]
        expected = sum(r.expected for r in rows if r.expected)
        if not expected:
            return None
        credit = sum(r.credit for r in rows if r.expected)
        return min(100, round(100 * credit / expected))

    @property
    def empty(self) -> bool:
        return not (self.exercises or self.check_ins or self.diary)


def summary(patient: Any, *, today: date | None = None, check_ins: int = 5) -> Summary:
    """Adherence over the last 7 and 28 days, the latest check-ins and the diary (four queries)."""
    kb = load()
    today = today or local_day(patient.clinic)
    latest_visit = (
        signed_visits(patient)
        .filter(exerciseassignments__isnull=False)
        .order_by("-visit_date", "-signed_at")
        .values("pk")[:1]
    )
    assignments = list(
        ExerciseAssignment.objects.filter(visit_id=Subquery(latest_visit)).select_related("visit").order_by("id")
    )
    result = Summary(today=today)
    if assignments:
        result.programme_visit = assignments[0].visit
        since = today - timedelta(days=27)
        logs: dict[int, dict[date, ExerciseLog]] = defaultdict(dict)
        for log in ExerciseLog.objects.filter(assignment__in=assignments, day__gte=since, day__lte=today):
            logs[log.assignment_id][log.day] = log
        start = result.programme_visit.visit_date
        for a in assignments:
            exercise = kb.exercises.get(a.exercise)
            if exercise is None:
                continue
            dosage = a.dosage or exercise.dosage
            days = {d: log.status for d, log in logs[a.id].items()}
            pains = [log.pain_during for d, log in sorted(logs[a.id].items()) if log.pain_during is not None]
            result.exercises.append(
                ExerciseAdherence(
                    exercise=exercise,
                    dosage=dosage,
                    last7=core.adherence(dosage=dosage, logs=days, start=start, today=today, window_days=7),
                    last28=core.adherence(dosage=dosage, logs=days, start=start, today=today, window_days=28),
                    pain_during=pains[-1] if pains else None,
                )
            )
    result.check_ins = list(
        CheckIn.objects.filter(patient=patient).select_related("visit").order_by("-needled_at")[:check_ins]
    )
    result.diary = diary(patient, today)
    return result


# --- home-page sections -----------------------------------------------------------------------------


@sections.section
def check_in_section(account: PortalAccount) -> sections.Section | None:
    """Top of the home page from 24 h after needling until answered (or closed); and for two days
    after an urgent answer, the reminder of what to do."""
    now = timezone.now()
    due = open_check_in(account.patient, now)
    if due is not None:
        return sections.Section(
            "portal/between/_home_check_in.html",
            {"check_in": due, "token": opaque.of(due), "state": "due", "clinic": account.clinic},
            priority=2,
        )
    recent = (
        CheckIn.objects.filter(patient=account.patient, answered_at__gte=now - timedelta(hours=48))
        .exclude(urgent=[])
        .order_by("-answered_at")
        .first()
    )
    if recent is not None:
        return sections.Section(
            "portal/between/_home_check_in.html",
            {"check_in": recent, "token": opaque.of(recent), "state": "urgent", "clinic": account.clinic},
            priority=1,
        )
    upcoming = (
        CheckIn.objects.filter(patient=account.patient, answered_at=None, due_at__gt=now).order_by("due_at").first()
    )
    if upcoming is not None:
        return sections.Section(
            "portal/between/_home_check_in.html",
            {"check_in": upcoming, "token": opaque.of(upcoming), "state": "upcoming", "clinic": account.clinic},
            priority=40,
        )
    return None


@sections.section
def aftercare_section(account: PortalAccount) -> sections.Section | None:
    visit = signed_visits(account.patient).order_by("-visit_date", "-signed_at").first()
    if visit is None:
        return None
    _, rows = programme(account.patient)
    today = local_day(account.clinic)
    logged = ExerciseLog.objects.filter(patient=account.patient, assignment__in=[r.assignment for r in rows], day=today)
    return sections.Section(
        "portal/between/_home_aftercare.html",
        {"visit": visit, "exercises": len(rows), "logged_today": logged.count() if rows else 0},
        priority=20,
    )


@sections.section
def diary_section(account: PortalAccount) -> sections.Section | None:
    if not signed_visits(account.patient).exists():
        return None
    today = local_day(account.clinic)
    entry = DiaryEntry.objects.filter(patient=account.patient, day=today).first()
    return sections.Section("portal/between/_home_diary.html", {"entry": entry}, priority=45)
