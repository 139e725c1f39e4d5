"""The clinic dashboard's reads: a fixed number of queries for the whole clinic and range, however
many visits, measurements or adverse events lie behind them (tests/dashboard/test_queries.py), handed
to the core (`needlechart.clinical.benchmarks`), which counts and estimates everything.

Scope: the signed visits of the user's clinic dated in the range (of the chosen clinician, of the
chosen condition's episodes). The episodes in scope are those with at least one such visit. Their
outcomes are read over the whole episode (a responder within 12 weeks of the plan's start; the change
at 4, 8 and 12 weeks), and completeness counts the schedule points that fall in the range.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from needlechart.accounts.models import User
from needlechart.charting.models import AdverseEvent, Visit
from needlechart.clinical import benchmarks as core
from needlechart.clinical import progress
from needlechart.knowledge import load
from needlechart.knowledge.benchmarks import Effect
from needlechart.outcomes import services as outcomes
from needlechart.outcomes.models import (
    Discharge,
    DischargeReason,
    EpisodeReview,
    Measurement,
    PlanRevision,
    ReviewAction,
    ReviewActionKind,
)
from needlechart.patients.models import Episode

from .forms import Filters, clinicians_of


@dataclass(frozen=True)
class OverviewRow:
    group: str  # all | condition | clinician
    label: str
    episodes: int
    signed_visits: int
    visits_in_episodes: int

    @property
    def visits_per_episode(self) -> float | None:
        return self.visits_in_episodes / self.episodes if self.episodes else None


@dataclass(frozen=True)
class FlagRow:
    id: str
    label: str
    episodes: int
    of: int

    @property
    def share(self) -> float | None:
        return self.episodes / self.of if self.of else None


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    on: date  # the day the schedule is read on: the range's end, or today if sooner
    overview: tuple[OverviewRow, ...]
    responders: tuple[core.ResponderRow, ...]
    changes: tuple[core.ChangeRow, ...]
    effects: tuple[Effect, ...]  # the published effects listed for the filter
    adverse_events: tuple[core.AdverseEventRow, ...]
    flags: tuple[FlagRow, ...]
    completeness: core.Completeness

    @property
    def episodes(self) -> int:
        return self.overview[0].episodes

    @property
    def treatments(self) -> int:
        return self.overview[0].signed_visits


def _signed_visits(user: User, f: Filters) -> QuerySet[Visit]:
    visits = Visit.objects.filter(
        patient__clinic_id=user.clinic_id,
        signed_at__isnull=False,
        visit_date__gte=f.date_from,
        visit_date__lte=f.date_to,
    )
    if f.clinician is not None:
        visits = visits.filter(clinician_id=f.clinician.pk)
    if f.condition:
        visits = visits.filter(episode__condition=f.condition)
    return visits


def _overview(rows: list[tuple[int, int | None, int, str | None]], names: dict[int, str]) -> tuple[OverviewRow, ...]:
    kb = load()

    def row(group: str, label: str, chosen: list[tuple[int, int | None, int, str | None]]) -> OverviewRow:
        episodes = {e for _, e, _, _ in chosen if e is not None}
        in_episodes = sum(1 for _, e, _, _ in chosen if e is not None)
        return OverviewRow(group, label, len(episodes), len(chosen), in_episodes)

    out = [row("all", "All", rows)]
    by_condition: dict[str, list] = defaultdict(list)
    by_clinician: dict[int, list] = defaultdict(list)
    for r in rows:
        if r[3]:
            by_condition[r[3]].append(r)
        by_clinician[r[2]].append(r)
    for condition in sorted(by_condition, key=lambda c: kb.conditions[c].name if c in kb.conditions else c):
        name = kb.conditions[condition].name if condition in kb.conditions else condition
        out.append(row("condition", name, by_condition[condition]))
    for clinician in sorted(by_clinician, key=lambda c: names.get(c, "")):
        out.append(row("clinician", names.get(clinician, "Former member of staff"), by_clinician[clinician]))
    return tuple(out)


def dashboard(user: User, f: Filters, *, today: date | None = None) -> Dashboard:
    """Every table of the dashboard for the user's clinic (the caller has checked the role)."""
    kb = load()
    today = today or timezone.localdate()
    on = min(f.date_to, today)
    visits = _signed_visits(user, f)
    rows = list(visits.values_list("id", "episode_id", "clinician_id", "episode__condition"))
    staff = {u.pk: u.display_name for u in clinicians_of(user.clinic_id)}
    overview = _overview(rows, staff)
    in_scope = visits.exclude(episode_id=None).values("episode_id")

    episodes = list(
        Episode.objects.filter(pk__in=in_scope, patient__clinic_id=user.clinic_id).only(
            "id", "condition", "started_on", "status", "ended_on", "patient_id"
        )
    )
    plans: dict[int, PlanRevision] = {}
    for revision in PlanRevision.objects.filter(episode_id__in=in_scope).order_by("episode_id", "-number"):
        plans.setdefault(revision.episode_id, revision)
    measured: dict[int, list[progress.Measurement]] = defaultdict(list)
    for m in (
        Measurement.objects.filter(episode_id__in=in_scope, void__isnull=True, scorable=True, score__isnull=False)
        .only("episode_id", "instrument", "taken_on", "score", "extra")
        .order_by("taken_on", "recorded_at", "id")
    ):
        if m.taken_on <= on:
            measured[m.episode_id].append(outcomes._core_measurement(m))
    visit_dates: dict[int, list[date]] = defaultdict(list)
    for episode_id, visit_date in (
        Visit.objects.filter(episode_id__in=in_scope, discarded_at__isnull=True, visit_date__lte=on)
        .order_by("visit_date", "id")
        .values_list("episode_id", "visit_date")
    ):
        visit_dates[episode_id].append(visit_date)
    discharges = {
        episode_id: (day, reason)
        for episode_id, day, reason in Discharge.objects.filter(episode_id__in=in_scope).values_list(
            "episode_id", "discharged_on", "reason"
        )
    }

    data = []
    for episode in episodes:
        revision = plans.get(episode.pk)
        discharged = discharges.get(episode.pk)
        data.append(
            core.EpisodeData(
                key=str(episode.pk),
                condition=episode.condition,
                plan=outcomes.core_plan(episode, revision),
                measurements=tuple(measured.get(episode.pk, ())),
                visit_dates=tuple(visit_dates.get(episode.pk, ())),
                instruments=outcomes.scheduled_instruments(episode, revision),
                ended_on=discharged[0] if discharged else episode.ended_on,
            )
        )

    events = [
        (str(visit_id), code, severity)
        for visit_id, code, severity in AdverseEvent.objects.filter(visit__in=visits.values("id")).values_list(
            "visit_id", "code", "severity"
        )
    ]
    reviews = Counter(EpisodeReview.objects.filter(episode_id__in=in_scope).values_list("status", flat=True))
    referred_actions = (
        ReviewAction.objects.filter(
            episode_id__in=in_scope,
            kind=ReviewActionKind.REFERRAL,
            acted_at__date__gte=f.date_from,
            acted_at__date__lte=f.date_to,
        )
        .values("episode_id")
        .distinct()
        .count()
    )
    referred_out = sum(
        1
        for day, reason in discharges.values()
        if reason == DischargeReason.REFERRED and f.date_from <= day <= f.date_to
    )
    n = len(episodes)
    flags = (
        FlagRow(
            "not_responding", "Not responding (the core's latest reading)", reviews.get(progress.NOT_RESPONDING, 0), n
        ),
        FlagRow("refer", "To be referred (the core's latest reading)", reviews.get(progress.REFER, 0), n),
        FlagRow("referral_made", "Referral recorded in the range (review action)", referred_actions, n),
        FlagRow("discharged_referred", "Discharged as referred on, in the range", referred_out, n),
    )
    return Dashboard(
        filters=f,
        on=on,
        overview=overview,
        responders=core.responders(kb, data),
        changes=core.mean_changes(kb, data, condition=f.condition),
        effects=core.effects_for(kb, f.condition),
        adverse_events=core.adverse_event_rates(kb, len(rows), events),
        flags=flags,
        completeness=core.completeness(kb, data, start=f.date_from, end=f.date_to, on=on),
    )
