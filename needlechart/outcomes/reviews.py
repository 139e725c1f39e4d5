"""Courses to act on: episodes not responding or to be referred, flagged until the clinician acts.

The core decides both the reading (`clinical.progress.assess`) and when a flag stands
(`clinical.progress.flag_open`: not responding or to refer, with no plan revision, referral or
recorded reason since the latest evidence). This module gathers the times the core needs, keeps
the reading per episode (`EpisodeReview`) so that a clinic's patient list can put flagged courses
first in one query, and records what the clinician did (`record_review_action`).

`refresh_review` runs inside the transaction of every write the reading depends on: a measurement or
its void, a plan revision, a review action, a discharge (here), a signed visit and a new screening
(charting's signals, connected in `apps.py`). A reading that can change by the date alone carries its
`recheck_on`; `flagged_reviews` reads those again when the day comes.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.clinical import progress as core
from needlechart.common.compiled import CompiledQuery
from needlechart.knowledge import load
from needlechart.knowledge.progress import URGENCIES, URGENCY_RANK
from needlechart.patients.models import Episode, EpisodeStatus

from . import services
from .models import EpisodeReview, ReviewAction, ReviewActionKind
from .services import OutcomeError, require_outcomes

MAX_TEXT = 2000


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def judged_at(result: core.ProgressResult, signed: list[datetime]) -> datetime | None:
    """When the course became judgeable: the signing of the judgement session (`signed`: the
    episode's signing times in order), or the start of the judgement point's date, whichever first."""
    if not result.judgement.reached:
        return None
    moments: list[datetime] = []
    k = result.judgement.session
    if len(signed) >= k:
        moments.append(signed[k - 1])
    if result.today >= result.judgement.weeks_date:
        moments.append(start_of_day(result.judgement.weeks_date))
    return min(moments, default=None)


def evidence(
    result: core.ProgressResult, *, measured: list[datetime], screened: list[datetime], signed: list[datetime]
) -> list[datetime]:
    """When each input of the reading arrived: `measured` (measurements recorded or voided),
    `screened` (re-screens since the episode started), and the moment the course became judgeable
    (`judged_at`, from `signed`: the signing times in order). The services and the overview's bulk
    read both pass their rows through here."""
    times = [*measured, *screened]
    judged = judged_at(result, signed)
    if judged is not None:
        times.append(judged)
    return times


def evidence_times(episode: Episode, result: core.ProgressResult) -> list[datetime]:
    """`evidence` read from the episode's rows."""
    measured = [
        voided_at or recorded_at
        for recorded_at, voided_at in episode.measurements.values_list("recorded_at", "void__voided_at")
    ]
    start = start_of_day(episode.started_on)
    screened = list(episode.patient.screenings.filter(performed_at__gte=start).values_list("performed_at", flat=True))
    signed = list(
        episode.visits.filter(signed_at__isnull=False).order_by("signed_at").values_list("signed_at", flat=True)
    )
    return evidence(result, measured=measured, screened=screened, signed=signed)


def action_times(episode: Episode) -> list[datetime]:
    """When the clinician acted: each plan revision and each review action."""
    return [
        *episode.plan_revisions.values_list("revised_at", flat=True),
        *episode.review_actions.values_list("acted_at", flat=True),
    ]


def refresh_review(episode: Episode, *, today: date | None = None) -> EpisodeReview:
    """Read the episode again with the core and keep the reading and its flag (call inside the
    transaction of the change). A discharged episode keeps its last reading, never flagged; input the
    core refuses is kept as an unread course with the reason."""
    today = today or timezone.localdate()
    result: core.ProgressResult | None
    try:
        result = core.assess(load(), services.progress_input(episode, today=today))
    except core.ProgressInputError as exc:
        result, reasons = None, [f"Progress cannot be read: {exc}"]
    open_episode = episode.status != EpisodeStatus.DISCHARGED
    if result is None:
        status, urgency, flagged, recheck = "", "", False, None
    else:
        status, urgency, reasons = result.status, result.urgency, list(result.reasons)
        flagged = open_episode and core.flag_open(
            status, evidence=evidence_times(episode, result), acted=action_times(episode)
        )
        recheck = core.recheck_on(result) if open_episode else None
    review, _ = EpisodeReview.objects.update_or_create(
        episode=episode,
        defaults={
            "clinic_id": episode.patient.clinic_id,
            "status": status,
            "urgency": urgency,
            "flagged": flagged,
            "reasons": reasons,
            "computed_on": today,
            "recheck_on": recheck,
        },
    )
    return review


FLAGGED_OR_DUE = CompiledQuery(
    lambda clinic_id, today: (
        EpisodeReview.objects.filter(clinic_id=clinic_id)
        .filter(Q(flagged=True) | Q(recheck_on__lte=today))
        .select_related("episode__patient")
        .order_by()
    )
)


def flagged_reviews(user, *, today: date | None = None) -> list[EpisodeReview]:
    """The clinic's courses to act on, the most urgent first (refer before not responding). Readings
    whose recheck date has come are read again first; clinicians and clinic admins only."""
    if not user.is_clinic_staff or not user.sees_clinical_content:
        return []
    today = today or timezone.localdate()
    # One query, compiled once, on the usual request: the flagged readings and those due to be read
    # again, with their patients. Those due are read again, and then the query once more.
    rows = FLAGGED_OR_DUE.all(user.clinic_id, today)
    stale = [r.episode for r in rows if r.recheck_on is not None and r.recheck_on <= today]
    for episode in stale:
        with transaction.atomic():
            refresh_review(episode, today=today)
    if stale:
        rows = FLAGGED_OR_DUE.all(user.clinic_id, today)
    rows = [r for r in rows if r.flagged]
    rows.sort(
        key=lambda r: (
            r.status != core.REFER,
            URGENCY_RANK.get(r.urgency, len(URGENCY_RANK)),
            r.episode.patient.last_name.lower(),
            r.episode.patient.first_name.lower(),
        )
    )
    return rows


def record_review_action(
    user,
    episode: Episode,
    *,
    kind: str,
    reason: str,
    referred_to: str = "",
    urgency: str = "",
    request=None,
) -> ReviewAction:
    """The clinician acts on a flagged course: a referral made (to whom, how urgently, why) or the
    reason for going on as planned. Refused when the course is not flagged as not responding or to
    refer (there is nothing to act on) or the episode is discharged."""
    require_outcomes(user, episode)
    if episode.status == EpisodeStatus.DISCHARGED:
        raise OutcomeError("This episode is discharged: start a new episode of care instead.")
    if kind not in ReviewActionKind.values:
        raise OutcomeError(f"kind '{kind}' is not valid; use referral or reason")
    reason, referred_to, urgency = reason.strip(), referred_to.strip(), urgency.strip()
    if not reason:
        raise OutcomeError("Say why: for a referral, what the referral is for; otherwise why care goes on as planned.")
    if len(reason) > MAX_TEXT or len(referred_to) > 200:
        raise OutcomeError(f"Keep the reason to {MAX_TEXT} characters and the referral's recipient to 200.")
    if kind == ReviewActionKind.REFERRAL:
        if not referred_to:
            raise OutcomeError("Name whom the patient is referred to (e.g. their GP, a spinal surgeon).")
        if urgency not in URGENCIES:
            raise OutcomeError(f"urgency '{urgency}' is not valid; use one of: {', '.join(URGENCIES)}")
    elif referred_to or urgency:
        raise OutcomeError("A recorded reason names no recipient or urgency: record a referral for that.")
    with transaction.atomic():
        Episode.objects.select_for_update().filter(pk=episode.pk).first()
        review = refresh_review(episode)
        if review.status not in core.FLAGGED:
            shown = review.status.replace("_", " ") or "not readable"
            raise OutcomeError(f"Nothing to act on: this course is {shown}, not flagged as not responding or to refer.")
        repeat = services._just_recorded(
            ReviewAction.objects.filter(episode=episode, acted_by=user, kind=kind).annotate(recorded_at=F("acted_at")),
            lambda a: (
                (a.reason, a.referred_to, a.urgency) == (reason, referred_to, urgency if kind == "referral" else "")
            ),
        )
        if repeat is not None:
            return repeat  # the same form sent twice: kept once
        action = ReviewAction.objects.create(
            episode=episode,
            kind=kind,
            status=review.status,
            referred_to=referred_to,
            urgency=urgency if kind == ReviewActionKind.REFERRAL else "",
            reason=reason,
            acted_by=user,
        )
        what = (
            f"Referred to {referred_to} ({urgency})"
            if kind == ReviewActionKind.REFERRAL
            else "Recorded why care goes on"
        )
        record(
            user,
            Action.CREATE,
            action,
            patient=episode.patient,
            summary=f"{what}: {reason}",
            request=request,
            detail={"episode": episode.pk, "status": review.status},
        )
        refresh_review(episode)
    return action


def on_visit_signed(sender, *, visit, **kwargs) -> None:
    if visit.episode_id is not None:
        refresh_review(Episode.objects.select_related("patient").get(pk=visit.episode_id))


def on_screening_recorded(sender, *, screening, **kwargs) -> None:
    episodes = Episode.objects.filter(patient_id=screening.patient_id).exclude(status=EpisodeStatus.DISCHARGED)
    for episode in episodes.select_related("patient"):
        refresh_review(episode)


__all__ = ["flagged_reviews", "record_review_action", "refresh_review"]
