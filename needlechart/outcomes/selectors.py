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
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from needlechart.charting.models import Screening, Visit
from needlechart.clinical import progress as core
from needlechart.clinical.screening import ReportedFinding
from needlechart.knowledge import load
from needlechart.patients.models import Episode, EpisodeStatus

from . import services
from .models import Measurement, PlanRevision
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

    @property
    def flagged(self) -> bool:
        """Not responding or to be referred, on an episode still in care."""
        return (
            self.progress is not None
            and self.progress.status in (core.NOT_RESPONDING, core.REFER)
            and self.episode.status != EpisodeStatus.DISCHARGED
        )


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
    shown = [e for e in episodes if e.pk in plans or e.pk in measured]
    if not shown:
        return []
    visits: dict[int, list[tuple[date, bool]]] = {}
    for episode_id, visit_date, signed_at in (
        Visit.objects.filter(episode_id__in=[e.pk for e in shown], discarded_at__isnull=True, visit_date__lte=today)
        .order_by("visit_date", "id")
        .values_list("episode_id", "visit_date", "signed_at")
    ):
        visits.setdefault(episode_id, []).append((visit_date, signed_at is not None))
    earliest = min(e.started_on for e in shown)
    screenings = [
        (timezone.localdate(at), findings)
        for at, findings in Screening.objects.filter(patient=patient, performed_at__date__gte=earliest)
        .filter(performed_at__date__lte=today)
        .order_by("-performed_at", "-id")
        .values_list("performed_at", "findings")
    ]
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
        out.append(EpisodeProgress(episode, revision, done, progress, error, due))
    return out


__all__ = ["EpisodeProgress", "progress_of_episodes"]
