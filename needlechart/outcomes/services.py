"""Plans of care and outcome measurements: the rules the pages and the API share.

The core decides (`needlechart.clinical.progress` for plans, reassessment points, payer limits and
progress; `needlechart.clinical.instruments` for scoring); these functions check who may do what,
turn rows into the core's input and keep the results, each write in one transaction with its audit
row. Clinicians and clinic admins only, of the episode's own clinic (front desk never sees outcomes).

Refusals of the input are `OutcomeError`, a `ChartingError`: the API answers them 422 like every
other clinical rule.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.charting.models import Visit
from needlechart.charting.services import ChartingError
from needlechart.clinical import due as schedule
from needlechart.clinical import instruments as scoring
from needlechart.clinical import progress as core
from needlechart.clinical.due import Due, DuePoint
from needlechart.clinical.screening import ReportedFinding
from needlechart.common.compiled import CompiledQuery
from needlechart.knowledge import load
from needlechart.knowledge.instruments import Instrument
from needlechart.knowledge.lookup import UnknownName, resolve
from needlechart.patients.models import Episode, EpisodeStatus

from .models import Measurement, MeasurementVoid, PlanRevision

MAX_SESSIONS = 100
SIDES = ("left", "right", "midline")
GOAL_KINDS = ("instrument", "psfs")
# An ICD-10-CM code: a letter, two characters, and up to four more after the dot (M54.2, M79.12, M25.551).
ICD10_PATTERN = r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"
_ICD10 = re.compile(ICD10_PATTERN)


class OutcomeError(ChartingError):
    """A plan or measurement the rules do not allow; the message says what to change."""


# ------------------------------------------------------------------------------------ access


def require_outcomes(user, episode: Episode) -> None:
    """The episode's own clinic, clinicians and clinic admins only (front desk never sees outcomes)."""
    if not user.is_clinic_staff or episode.patient.clinic_id != user.clinic_id:
        raise PermissionDenied
    if not user.sees_clinical_content:
        raise PermissionDenied("Outcomes are clinical content: for clinicians and clinic admins only.")


def open_outcomes(user, episode: Episode, *, request=None, summary: str) -> None:
    """Opening a page of an episode's outcomes (plan, review, discharge) is recorded like any read."""
    require_outcomes(user, episode)
    record(user, Action.VIEW, episode, patient=episode.patient, summary=summary, request=request)


def _require_open(episode: Episode) -> None:
    if episode.status == EpisodeStatus.DISCHARGED:
        raise OutcomeError("This episode is discharged: start a new episode of care instead.")


def _instrument(ident: str) -> Instrument:
    kb = load()
    instrument = kb.instruments.get(ident)
    if not isinstance(instrument, Instrument):
        raise OutcomeError(f"unknown instrument '{ident}'; use one of: {', '.join(sorted(kb.instruments))}")
    return instrument


REPEAT_WINDOW_SECONDS = 30


def _just_recorded(rows, same):
    """A row the same user recorded with the same values within the last few seconds: the same form
    sent twice. Returned instead of a second row, so a double click never doubles a measurement."""
    since = timezone.now() - timedelta(seconds=REPEAT_WINDOW_SECONDS)
    return next((r for r in rows.filter(recorded_at__gte=since).order_by("-recorded_at") if same(r)), None)


def _refresh(episode: Episode) -> None:
    """Keep the episode's reading current, in the caller's transaction (`reviews.refresh_review`)."""
    from .reviews import refresh_review  # reviews builds on these services

    refresh_review(episode)


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


# ------------------------------------------------------------------------------------ plans


# The reads every page of an episode makes (the visit page, the overview, what is due), each compiled
# once (needlechart.common.compiled).
LATEST_REVISION = CompiledQuery(
    lambda episode_id: PlanRevision.objects.filter(episode_id=episode_id).order_by("-number")[:1]
)
MEASUREMENTS = CompiledQuery(
    lambda episode_id: (
        Measurement.objects.filter(episode_id=episode_id, void__isnull=True)
        .select_related("void")
        .order_by("taken_on", "recorded_at", "id")
    )
)
VISIT_DATES = CompiledQuery(
    lambda episode_id, on: (
        Visit.objects.filter(episode_id=episode_id, discarded_at__isnull=True, visit_date__lte=on)
        .order_by("visit_date", "id")
        .values_list("visit_date")
    )
)


def current_plan(episode: Episode) -> PlanRevision | None:
    """The latest revision, or None when no plan has been recorded."""
    return next(iter(LATEST_REVISION.all(episode.pk)), None)


def plan_revisions(episode: Episode) -> list[PlanRevision]:
    """Every revision, the latest first."""
    return list(episode.plan_revisions.select_related("revised_by").order_by("-number"))


def core_plan(episode: Episode, revision: PlanRevision | None) -> core.Plan:
    """The core's plan: the revision's, or (no plan yet) the condition's default from the episode's start."""
    if revision is None:
        default = core.default_plan(load(), episode.condition)
        return core.Plan(
            sessions_planned=default.sessions,
            frequency_per_week=default.frequency_per_week,
            start=episode.started_on,
            defaults=("sessions_planned", "frequency_per_week", "start"),
        )
    return core.Plan(
        sessions_planned=revision.sessions_planned,
        frequency_per_week=revision.frequency_per_week,
        start=revision.start,
        payer=revision.payer,
        prior_visits_this_year=revision.prior_visits_this_year,
        defaults=tuple(revision.defaults),
    )


def plan_warnings(episode: Episode, revision: PlanRevision | None, *, improving: bool | None = None):
    """Where the plan breaks its payer's limits (Medicare's chronic low back pain rule), from the core."""
    if revision is None or not revision.payer:
        return ()
    return core.payer_warnings(load(), episode.condition, core_plan(episode, revision), improving=improving)


def _check_goal(n: int, goal: Any, start: date) -> dict[str, Any]:
    what = f"goal {n}"
    if not isinstance(goal, dict):
        raise OutcomeError(f"{what} must be an object with kind, its target and by_date")
    kind = goal.get("kind")
    if kind not in GOAL_KINDS:
        raise OutcomeError(f"{what}: kind {kind!r} is not valid; use instrument or psfs")
    by_date = goal.get("by_date")
    if not isinstance(by_date, date):
        raise OutcomeError(f"{what}: give the date to reach it by (by_date)")
    if by_date < start:
        raise OutcomeError(f"{what}: by_date {by_date.isoformat()} is before the plan's start ({start.isoformat()})")
    if kind == "instrument":
        instrument = _instrument(str(goal.get("instrument", "")))
        if instrument.id == "psfs":
            raise OutcomeError(f"{what}: a PSFS goal names its activity: use kind psfs")
        target = goal.get("target_score")
        low, high = instrument.score.min, instrument.score.max
        if isinstance(target, bool) or not isinstance(target, int | float) or not low <= target <= high:
            raise OutcomeError(
                f"{what}: target_score {target!r} is out of range: the {instrument.abbreviation} runs "
                f"from {_fmt(low)} to {_fmt(high)} {instrument.score.unit}"
            )
        return {
            "kind": kind,
            "instrument": instrument.id,
            "target_score": float(target),
            "by_date": by_date.isoformat(),
        }
    activity = str(goal.get("activity", "")).strip()
    if not activity:
        raise OutcomeError(f"{what}: name the PSFS activity (e.g. 'reversing the car')")
    target = goal.get("target")
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 <= target <= 10:
        raise OutcomeError(f"{what}: target {target!r} is out of range: a PSFS activity is rated 0 to 10")
    return {"kind": kind, "activity": activity, "target": float(target), "by_date": by_date.isoformat()}


def revise_plan(
    user,
    episode: Episode,
    *,
    reason: str = "",
    icd10: list[str] | None = None,
    frequency_per_week: float | None = None,
    sessions_planned: int | None = None,
    start: date | None = None,
    goals: list[dict[str, Any]] | None = None,
    components: list[str] | None = None,
    payer: str = "",
    prior_visits_this_year: int = 0,
    based_on: int | None = None,
    request=None,
) -> PlanRevision:
    """A new dated revision of the episode's plan (the first is the plan itself). Frequency and sessions
    left out come from the condition's default plan, the start from the episode's; the reason is
    required from the second revision on. Never changes an earlier revision. `based_on`: the revision
    number the form was made from (0: none yet); refused when the plan has moved on since."""
    require_outcomes(user, episode)
    _require_open(episode)
    kb = load()
    rules = core.rules_of(kb)
    condition = kb.conditions[episode.condition]
    default = core.default_plan(kb, episode.condition)
    defaults: list[str] = []
    if frequency_per_week is None:
        frequency_per_week = default.frequency_per_week
        defaults.append("frequency_per_week")
    if sessions_planned is None:
        sessions_planned = default.sessions
        defaults.append("sessions_planned")
    if isinstance(frequency_per_week, bool) or not 0 < float(frequency_per_week) <= 7:
        raise OutcomeError(f"frequency_per_week {frequency_per_week!r}: give more than 0 and at most 7 a week")
    if isinstance(sessions_planned, bool) or not 1 <= int(sessions_planned) <= MAX_SESSIONS:
        raise OutcomeError(f"sessions_planned {sessions_planned!r}: plan from 1 to {MAX_SESSIONS} sessions")
    start = start or episode.started_on
    if icd10 is None:
        icd10 = [code.code for code in condition.icd10 if not code.side]
    codes = list(dict.fromkeys(code.strip().upper() for code in icd10))
    for code in codes:
        if not _ICD10.fullmatch(code):
            raise OutcomeError(f"'{code}' is not an ICD-10-CM code: write it like M54.2 or M79.12")
    allowed = list(dict.fromkeys(care.kind for care in condition.complementary))
    chosen = list(dict.fromkeys(components or []))
    for component in chosen:
        if component not in allowed:
            raise OutcomeError(
                f"'{component}' is not complementary care for {condition.name.lower()}; "
                f"its complementary care: {', '.join(allowed)}"
            )
    if payer and payer not in rules.payers:
        raise OutcomeError(f"unknown payer '{payer}'; use one of: {', '.join(rules.payers)} (or none)")
    if isinstance(prior_visits_this_year, bool) or not 0 <= prior_visits_this_year <= 366:
        raise OutcomeError(f"prior_visits_this_year {prior_visits_this_year!r}: give 0 to 366")
    checked_goals = [_check_goal(n, goal, start) for n, goal in enumerate(goals or [], start=1)]
    reason = reason.strip()
    with transaction.atomic():
        # One revision at a time per episode: the row lock orders concurrent revisions.
        Episode.objects.select_for_update().filter(pk=episode.pk).first()
        latest = current_plan(episode)
        current = latest.number if latest is not None else 0
        if based_on is not None and based_on != current:
            # Revised meanwhile (another tab, a colleague, a second click): never revise a plan unseen.
            who = f" by {latest.revised_by.display_name}" if latest is not None else ""
            raise OutcomeError(
                f"The plan was revised meanwhile (now revision {current}{who}): check the current plan above; "
                "your entries are kept, save them again if they still apply."
            )
        if latest is not None and not reason:
            raise OutcomeError("Give the reason for revising the plan (what changed and why).")
        revision = PlanRevision.objects.create(
            episode=episode,
            number=(latest.number + 1) if latest else 1,
            revised_by=user,
            reason=reason,
            icd10=codes,
            frequency_per_week=float(frequency_per_week),
            sessions_planned=int(sessions_planned),
            start=start,
            goals=checked_goals,
            components=chosen,
            payer=payer,
            prior_visits_this_year=prior_visits_this_year,
            defaults=defaults,
        )
        summary = (
            f"Plan of care: {revision.sessions_planned} sessions at {_fmt(revision.frequency_per_week)} a week"
            if latest is None
            else f"Revised the plan of care (revision {revision.number}): {reason}"
        )
        record(
            user,
            Action.CREATE if latest is None else Action.CHANGE,
            revision,
            patient=episode.patient,
            summary=summary,
            request=request,
            detail={"episode": episode.pk, "revision": revision.number},
        )
        _refresh(episode)
    return revision


# ------------------------------------------------------------------------------------ measurements


def _rating(value: Any, label: str, instrument: Instrument) -> float:
    low, high = instrument.item_min, instrument.item_max
    valid = f"valid: whole numbers {_fmt(low)} to {_fmt(high)}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise OutcomeError(f"{instrument.abbreviation} {label} is {value!r}, out of range ({valid})")
    if instrument.integer_items and not float(value).is_integer():
        raise OutcomeError(f"{instrument.abbreviation} {label} is {value!r} ({valid})")
    return float(value)


def _site(site: str) -> str:
    kb = load()
    if site in kb.muscles or site in kb.regions:
        return site
    for category in ("muscle", "region"):
        try:
            return resolve(kb, category, site)
        except UnknownName:
            continue
    raise OutcomeError(f"unknown site '{site}': give a muscle or region ID, e.g. upper_trapezius")


def taken_on_checked(episode: Episode, taken_on: date | None, visit: Visit | None) -> date:
    """The date a measurement was taken: the visit's by default (else today); never in the future or
    before the episode started."""
    today = timezone.localdate()
    taken_on = taken_on or (visit.visit_date if visit is not None else today)
    if taken_on > today:
        raise OutcomeError(f"taken_on {taken_on.isoformat()} is in the future: give the date it was taken")
    if taken_on < episode.started_on:
        raise OutcomeError(
            f"taken_on {taken_on.isoformat()} is before the episode started ({episode.started_on.isoformat()})"
        )
    return taken_on


def record_measurement(
    user,
    episode: Episode,
    *,
    instrument: str,
    answers: list[float | None],
    taken_on: date | None = None,
    visit: Visit | None = None,
    unit: str | None = None,
    best: float | None = None,
    worst: float | None = None,
    site: str = "",
    side: str = "",
    activities: list[str] | None = None,
    source: str = "",
    request=None,
) -> Measurement:
    """Score the form with the core and keep answers and score. A form that cannot be scored (too many
    items unanswered) is kept with the reason; a value that cannot be on the form (an item outside its
    range, a wrong number of items) is refused with the item and the valid range.

    `answers` are the item answers (NDI, ODI, QuickDASH, LEFS, PSFS), the PPT trials (in `unit`), or
    the single rating (NPRS current, VAS, GROC). NPRS may add `best` and `worst` over 24 hours; PPT
    its `site` and `side`; PSFS the `activities` rated. `source` "portal": the patient answered it in
    the patient portal (patient-reported), and the clinician accepted it into the record."""
    require_outcomes(user, episode)
    _require_open(episode)
    form = _instrument(instrument)
    if visit is not None:
        if visit.episode_id != episode.pk:
            raise OutcomeError("That visit is not in this episode of care.")
        if visit.is_discarded:
            raise OutcomeError("That visit was discarded: record the measurement without it.")
    taken_on = taken_on_checked(episode, taken_on, visit)
    try:
        result = scoring.score(form, list(answers), unit=unit)
    except ValueError as exc:
        raise OutcomeError(f"{form.abbreviation}: {exc}") from None
    extra: dict[str, Any] = {}
    if best is not None or worst is not None:
        if form.id != "nprs":
            raise OutcomeError("best and worst (over 24 h) are NPRS ratings only")
        for label, value in (("best", best), ("worst", worst)):
            if value is not None:
                extra[label] = _rating(value, f"{label} (24 h)", form)
    if site or side:
        if not form.input_units:
            raise OutcomeError("site and side are for the pressure pain threshold (ppt) only")
        if not site:
            raise OutcomeError("a side needs its site, e.g. upper_trapezius")
        if side and side not in SIDES:
            raise OutcomeError(f"side '{side}' is not valid; use left, right or midline")
        extra.update(site=_site(site), side=side)
    if form.input_units:
        extra["unit"] = result.input_unit or form.score.unit
    if activities:
        if form.id != "psfs":
            raise OutcomeError("activities are named for the PSFS only")
        if len(activities) != len(answers):
            raise OutcomeError(f"name one activity per PSFS rating: {len(answers)} ratings, {len(activities)} names")
        extra["activities"] = [a.strip() for a in activities]
    if source:
        if source != "portal":
            raise OutcomeError(f"source '{source}' is not known: leave it out, or 'portal'")
        extra["source"] = source
    values = [None if a is None else float(a) for a in answers]
    with transaction.atomic():
        Episode.objects.select_for_update().filter(pk=episode.pk).first()
        repeat = _just_recorded(
            Measurement.objects.filter(
                episode=episode, instrument=form.id, taken_on=taken_on, visit=visit, recorded_by=user, void__isnull=True
            ),
            lambda m: m.answers == values and m.extra == extra,
        )
        if repeat is not None:
            return repeat  # the same form sent twice (a double click, a resubmitted page): kept once
        measurement = Measurement.objects.create(
            episode=episode,
            visit=visit,
            instrument=form.id,
            taken_on=taken_on,
            answers=values,
            unit=result.input_unit or "",
            score=result.value,
            scorable=result.scorable,
            reason=result.reason,
            result=asdict(result),
            extra=extra,
            recorded_by=user,
        )
        scored = (
            f"{_fmt(result.value)} {result.unit}" if result.value is not None else f"not scorable ({result.reason})"
        )
        record(
            user,
            Action.CREATE,
            measurement,
            patient=episode.patient,
            summary=f"Recorded {form.abbreviation} of {taken_on.isoformat()}: {scored}",
            request=request,
            detail={"episode": episode.pk, "visit": visit.pk if visit else None},
        )
        _refresh(episode)
    return measurement


def void_measurement(user, measurement: Measurement, *, reason: str, request=None) -> MeasurementVoid:
    """Mark a measurement entered in error: kept as it was, no longer counted. Correct it by recording
    the right one."""
    episode = measurement.episode
    require_outcomes(user, episode)
    _require_open(episode)
    reason = reason.strip()
    if not reason:
        raise OutcomeError("Give the reason the measurement is void (e.g. entered for the wrong patient).")
    with transaction.atomic():
        if MeasurementVoid.objects.filter(measurement=measurement).exists():
            raise OutcomeError("This measurement is void already.")
        void = MeasurementVoid.objects.create(measurement=measurement, reason=reason, voided_by=user)
        record(
            user,
            Action.DISCARD,
            measurement,
            patient=episode.patient,
            summary=f"Voided {measurement.instrument} of {measurement.taken_on.isoformat()}: {reason}",
            request=request,
        )
        _refresh(episode)
    return void


def measurements_of(episode: Episode, *, include_void: bool = False) -> list[Measurement]:
    """The episode's measurements by date; the void ones only when asked."""
    if not include_void:
        return MEASUREMENTS.all(episode.pk)
    return list(episode.measurements.select_related("void").order_by("taken_on", "recorded_at", "id"))


# ------------------------------------------------------------------------------------ progress


def sessions_done(episode: Episode, *, on: date | None = None) -> int:
    """Signed visits of the episode (on or before `on`): the sessions done."""
    visits = episode.visits.filter(signed_at__isnull=False)
    if on is not None:
        visits = visits.filter(visit_date__lte=on)
    return visits.count()


def _core_measurement(m: Measurement) -> core.Measurement:
    return core.Measurement(
        date=m.taken_on,
        instrument=m.instrument,
        score=float(m.score),  # type: ignore[arg-type]
        best=m.extra.get("best"),
        worst=m.extra.get("worst"),
        site=m.extra.get("site", ""),
        side=m.extra.get("side", ""),
    )


def progress_input(episode: Episode, *, today: date | None = None) -> core.ProgressInput:
    """The core's progress input from the rows: the current plan (else the condition's default), signed
    visits as sessions done, the scorable measurements up to today, and the latest re-screen since the
    episode started (its findings; a red flag there means refer)."""
    today = today or timezone.localdate()
    revision = current_plan(episode)
    rows = [m for m in measurements_of(episode) if m.scorable and m.score is not None and m.taken_on <= today]
    screening = (
        episode.patient.screenings.filter(performed_at__date__gte=episode.started_on)
        .filter(performed_at__date__lte=today)
        .order_by("-performed_at", "-id")
        .first()
    )
    findings = ()
    if screening is not None:
        findings = tuple(ReportedFinding(f["code"], f.get("region", ""), f.get("side", "")) for f in screening.findings)
    return core.ProgressInput(
        condition=episode.condition,
        plan=core_plan(episode, revision),
        sessions_done=sessions_done(episode, on=today),
        today=today,
        measurements=tuple(_core_measurement(m) for m in rows),
        findings=findings,
        age=episode.patient.age_on(today),
    )


def progress_for_episode(user, episode: Episode, *, today: date | None = None) -> core.ProgressResult:
    """The core's reading of the episode: status with its reasons, each instrument's course against its
    MCID, drivers and actions for a non-responder, reassessment points and payer warnings."""
    require_outcomes(user, episode)
    try:
        return core.assess(load(), progress_input(episode, today=today))
    except core.ProgressInputError as exc:
        raise OutcomeError(str(exc)) from None


def goal_statuses(revision: PlanRevision | None, progress: core.ProgressResult | None, rows, *, today: date):
    """The plan's goals read by the core (`progress.goal_status`) against the course and the episode's
    measurement rows (a PSFS goal reads its activity in the latest PSFS naming it)."""
    if revision is None or progress is None:
        return []
    psfs = [
        (m.taken_on, list(m.extra.get("activities") or []), list(m.answers))
        for m in rows
        if m.instrument == "psfs" and m.scorable
    ]
    kb = load()
    return [core.goal_status(kb, g, instruments=progress.instruments, psfs=psfs, today=today) for g in revision.goals]


# ------------------------------------------------------------------------------------ what is due


@dataclass(frozen=True, slots=True)
class DueResult:
    on: date
    sessions: int
    instruments: tuple[str, ...]
    points: tuple[DuePoint, ...]
    due: tuple[Due, ...]


def scheduled_instruments(episode: Episode, revision: PlanRevision | None) -> tuple[str, ...]:
    """The condition's instruments, then any other the plan's goals name."""
    kb = load()
    names = list(kb.conditions[episode.condition].instruments)
    for goal in revision.goals if revision else []:
        ident = "psfs" if goal.get("kind") == "psfs" else goal.get("instrument", "")
        if ident and ident not in names:
            names.append(ident)
    return tuple(names)


def due_measurements(
    user, episode: Episode, *, on: date | None = None, rows: list[Measurement] | None = None
) -> DueResult:
    """What the plan's schedule makes due on `on` (default today); the rule is `due_from_rows`.
    `rows`: the episode's measurements that are not void, when already read (`measurements_of`)."""
    require_outcomes(user, episode)
    on = on or timezone.localdate()
    revision = current_plan(episode)
    return due_from_rows(
        episode=episode,
        revision=revision,
        plan=core_plan(episode, revision),
        visit_dates=[day for (day,) in VISIT_DATES.rows(episode.pk, on)],
        rows=list(rows if rows is not None else measurements_of(episode)),
        on=on,
    )


def due_from_rows(
    *,
    episode: Episode,
    revision: PlanRevision | None,
    plan: core.Plan,
    visit_dates: list[date],
    rows: list[Measurement],
    on: date,
) -> DueResult:
    """What is due on `on`, from rows already read (the overview reads them for every episode at once):
    each instrument's baseline from the first visit; then at each reassessment point of the core (after
    50% and 100% of the planned sessions, and at 4, 8 and 12 weeks) each instrument not measured since
    that point was reached. The rule is the core's (`needlechart.clinical.due`), shared with the
    clinic dashboard's outcome completeness.

    A session point is reached at the visit that is that session (`visit_dates`: the episode's visits on
    or before `on`, not discarded, in date order), a week point on its date. The GROC rates change, so
    it has no baseline. Nothing is due for a discharged episode."""
    kb = load()
    names = scheduled_instruments(episode, revision)
    points = schedule.due_points(kb, plan, visit_dates, on)
    taken: dict[str, list[date]] = {}
    for m in rows:
        if m.taken_on <= on:
            taken.setdefault(m.instrument, []).append(m.taken_on)
    due = schedule.due_now(kb, names, points, taken) if episode.status != EpisodeStatus.DISCHARGED else ()
    return DueResult(on, len(visit_dates), names, points, due)


def medicare_warnings(user, episode: Episode) -> tuple[core.PayerWarning, ...]:
    """The core's payer warnings for the current plan, read with the course's progress (not improving
    stops Medicare cover)."""
    require_outcomes(user, episode)
    revision = current_plan(episode)
    if revision is None or not revision.payer:
        return ()
    return progress_for_episode(user, episode).payer_warnings


__all__ = [
    "Due",
    "DuePoint",
    "DueResult",
    "OutcomeError",
    "current_plan",
    "due_measurements",
    "measurements_of",
    "medicare_warnings",
    "plan_revisions",
    "plan_warnings",
    "progress_for_episode",
    "record_measurement",
    "revise_plan",
    "void_measurement",
]
