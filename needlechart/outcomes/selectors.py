"""Bulk reads of outcomes for pages that show several episodes at once (the patient overview).

`progress_of_episodes` reads the plans, measurements, visits and re-screens of all the given episodes
in one query each, however many measurements they hold, and hands them to the same functions the
services use (`services.core_plan`, `services.scheduled_instruments`, the core's `assess` and
`reassessment_points`). It gives, per episode, what `services.progress_for_episode` and
`services.due_measurements` give for one (tests/outcomes/test_overview_progress.py checks they agree);
it decides nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from needlechart.charting.models import Screening, Visit
from needlechart.clinical import progress as core
from needlechart.clinical.screening import ReportedFinding
from needlechart.knowledge import load
from needlechart.patients.models import Episode, EpisodeStatus

from . import services
from .models import Measurement, MeasurementVoid, PlanRevision, RangeOfMotion, ReviewAction
from .reviews import evidence, start_of_day
from .rom import RomCourse, courses
from .services import DueResult, OutcomeError


@dataclass(frozen=True)
class EpisodeProgress:
    """One episode's progress as the overview shows it: its current plan (None: the condition's
    default), the core's reading (None with `error` when the core refused the input) and what is due."""

    episode: Episode
    plan: PlanRevision | None
    sessions_done: int
    progress: core.ProgressResult | None
    error: str
    due: DueResult
    flagged: bool = False  # not responding or to refer, on an episode in care, not acted on since (the core's rule)
    last_action: ReviewAction | None = None
    series: dict[tuple[str, str], list[tuple[date, float]]] = field(default_factory=dict)  # per instrument, facet
    rom: list[RomCourse] = field(default_factory=list)  # range of motion per movement and side
    referred: bool = False  # a referral has been recorded (a review action): a referral letter can be made
    goals: list[core.GoalStatus] = field(default_factory=list)  # the plan's goals, read by the core

    @property
    def instrument_choices(self) -> list[tuple[str, str]]:
        """Every instrument to enter, the plan's scheduled ones first."""
        kb = load()
        first = [i for i in self.due.instruments if i in kb.instruments]
        rest = sorted((i for i in kb.instruments if i not in first), key=lambda i: kb.instruments[i].abbreviation)
        return [(i, kb.instruments[i].abbreviation) for i in first + rest] + [("rom", "Range of motion")]


def progress_of_episodes(
    user, patient, episodes: Sequence[Episode], *, today: date | None = None
) -> list[EpisodeProgress]:
    """Progress and what is due for each of the patient's `episodes` that has a plan of care or a
    (not void) measurement, in the order given. Clinicians and clinic admins of the patient's clinic
    only (`services.require_outcomes`). A fixed number of queries, whatever the number of episodes,
    measurements, visits or re-screens."""
    today = today or timezone.localdate()
    for e in episodes:
        e.patient = patient  # the episodes are the patient's: no query to read it again
        services.require_outcomes(user, e)
    ids = [e.pk for e in episodes]
    if not ids:
        return []
    plans: dict[int, PlanRevision] = {}
    for revision in PlanRevision.objects.filter(episode_id__in=ids).order_by("episode_id", "-number"):
        plans.setdefault(revision.episode_id, revision)  # the latest revision is the current plan
    measured: dict[int, list[Measurement]] = {}
    for m in (
        Measurement.objects.filter(episode_id__in=ids, void__isnull=True)
        .defer("answers", "result")
        .order_by("taken_on", "recorded_at", "id")
    ):
        measured.setdefault(m.episode_id, []).append(m)
    moved: dict[int, list[RangeOfMotion]] = {}
    for r in RangeOfMotion.objects.filter(episode_id__in=ids, void__isnull=True).order_by(
        "taken_on", "recorded_at", "id"
    ):
        moved.setdefault(r.episode_id, []).append(r)
    shown = [e for e in episodes if e.pk in plans or e.pk in measured or e.pk in moved]
    if not shown:
        return []
    shown_ids = [e.pk for e in shown]
    visits: dict[int, list[tuple[date, bool]]] = {}
    signings: dict[int, list] = {}
    for episode_id, visit_date, signed_at in (
        Visit.objects.filter(episode_id__in=shown_ids, discarded_at__isnull=True, visit_date__lte=today)
        .order_by("visit_date", "id")
        .values_list("episode_id", "visit_date", "signed_at")
    ):
        visits.setdefault(episode_id, []).append((visit_date, signed_at is not None))
        if signed_at is not None:
            signings.setdefault(episode_id, []).append(signed_at)
    voids: dict[int, list] = {}
    for episode_id, voided_at in MeasurementVoid.objects.filter(measurement__episode_id__in=shown_ids).values_list(
        "measurement__episode_id", "voided_at"
    ):
        voids.setdefault(episode_id, []).append(voided_at)
    actions: dict[int, list[ReviewAction]] = {}
    for action in ReviewAction.objects.filter(episode_id__in=shown_ids).order_by("acted_at", "id"):
        actions.setdefault(action.episode_id, []).append(action)
    revised: dict[int, list] = {}
    for episode_id, revised_at in PlanRevision.objects.filter(episode_id__in=shown_ids).values_list(
        "episode_id", "revised_at"
    ):
        revised.setdefault(episode_id, []).append(revised_at)
    earliest = min(e.started_on for e in shown)
    screened = list(
        Screening.objects.filter(patient=patient, performed_at__date__gte=earliest)
        .filter(performed_at__date__lte=today)
        .order_by("-performed_at", "-id")
        .values_list("performed_at", "findings")
    )
    screenings = [(timezone.localdate(at), findings) for at, findings in screened]
    age = patient.age_on(today)
    kb = load()
    out = []
    for episode in shown:
        revision = plans.get(episode.pk)
        plan = services.core_plan(episode, revision)
        rows = measured.get(episode.pk, [])
        episode_visits = visits.get(episode.pk, [])
        # As `services.sessions_done` counts them: signed visits up to today (a signed visit is never discarded).
        done = sum(1 for _, signed in episode_visits if signed)
        latest = next((f for day, f in screenings if day >= episode.started_on), None)
        findings = tuple(ReportedFinding(f["code"], f.get("region", ""), f.get("side", "")) for f in latest or ())
        data = core.ProgressInput(
            condition=episode.condition,
            plan=plan,
            sessions_done=done,
            today=today,
            measurements=tuple(
                services._core_measurement(m)
                for m in rows
                if m.scorable and m.score is not None and m.taken_on <= today
            ),
            findings=findings,
            age=age,
        )
        try:
            progress, error = core.assess(kb, data), ""
        except core.ProgressInputError as exc:
            progress, error = None, str(OutcomeError(str(exc)))
        due = services.due_from_rows(
            episode=episode,
            revision=revision,
            plan=plan,
            visit_dates=[d for d, _ in episode_visits],
            rows=rows,
            on=today,
        )
        flagged = False
        if progress is not None and episode.status != EpisodeStatus.DISCHARGED:
            # The evidence and actions `reviews.evidence_times` and `reviews.action_times` read, from the rows above.
            times = evidence(
                progress,
                measured=[m.recorded_at for m in rows] + voids.get(episode.pk, []),
                screened=[at for at, _ in screened if at >= start_of_day(episode.started_on)],
                signed=sorted(signings.get(episode.pk, [])),
            )
            acted = revised.get(episode.pk, []) + [a.acted_at for a in actions.get(episode.pk, [])]
            flagged = core.flag_open(progress.status, evidence=times, acted=acted)
        last = actions.get(episode.pk, [None])[-1]
        out.append(
            EpisodeProgress(
                episode,
                revision,
                done,
                progress,
                error,
                due,
                flagged,
                last,
                core.series(kb, data.measurements),
                courses(moved.get(episode.pk, [])),
                any(a.kind == "referral" for a in actions.get(episode.pk, [])),
                services.goal_statuses(revision, progress, rows, today=today),
            )
        )
    return out


@dataclass(frozen=True)
class RevisionVisits:
    """A plan revision and the signed visits that fell under it (signed while it was the current plan)."""

    revision: PlanRevision
    visits: list[Visit]


def revisions_with_visits(episode: Episode) -> tuple[list[RevisionVisits], list[Visit]]:
    """Each revision, the latest first, with the visits signed under it; and the visits signed before
    any plan was recorded. Both revisions and signatures are immutable, so the link never changes."""
    revisions = list(episode.plan_revisions.select_related("revised_by").order_by("number"))
    signed = list(
        episode.visits.filter(signed_at__isnull=False).select_related("clinician").order_by("signed_at", "id")
    )
    before: list[Visit] = []
    under: dict[int, list[Visit]] = {r.pk: [] for r in revisions}
    for visit in signed:
        current = None
        for revision in revisions:
            if revision.revised_at <= visit.signed_at:
                current = revision
        if current is None:
            before.append(visit)
        else:
            under[current.pk].append(visit)
    return [RevisionVisits(r, under[r.pk]) for r in reversed(revisions)], before


__all__ = ["EpisodeProgress", "RevisionVisits", "progress_of_episodes", "revisions_with_visits"]
