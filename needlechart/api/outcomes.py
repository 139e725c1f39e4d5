"""An episode's plan of care, outcome measurements, progress and what is due to be measured.

Clinical content throughout: another clinic's episode is 404 (and the attempt audited), front desk
403. Reads are audited like opening the chart. The outcomes services hold the rules; their refusals
are 422 (api.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from needlechart.accounts.permissions import require_clinical
from needlechart.clinical import progress as core
from needlechart.knowledge import load
from needlechart.outcomes import reviews, services
from needlechart.outcomes.discharge import discharge_episode
from needlechart.outcomes.rom import record_rom, rom_of
from needlechart.patients.models import Episode
from needlechart.patients.selectors import get_episode

from .access import audit_read, field_error, staff
from .outcome_schemas import (
    DischargeIn,
    DischargeOut,
    DueMeasurementsOut,
    FlaggedOut,
    MeasurementIn,
    MeasurementOut,
    PlanIn,
    PlanRevisedOut,
    PlansOut,
    ProgressOut,
    ReviewActionIn,
    ReviewActionOut,
    RomIn,
    RomOut,
)
from .schemas import EpisodeId, IsoDate, responses

router = Router(tags=["outcomes"])


def _episode(request: HttpRequest, episode_id: int) -> Episode:
    """The episode of the user's clinic (404 for any other, recorded), then the role (403 front desk)."""
    user = staff(request)
    episode = get_episode(user, episode_id)
    require_clinical(user)
    return episode


def _visit_in(episode: Episode, visit_id: int | None):
    """The episode's visit a measurement was taken at, or None; another visit is a 422 on `visit_id`."""
    if visit_id is None:
        return None
    visit = episode.visits.filter(pk=visit_id).first()
    if visit is None:
        raise field_error("visit_id", "this episode has no such visit")
    return visit


def _plan(revision: Any, warnings: Any = None) -> dict[str, Any]:
    out = {
        field: getattr(revision, field)
        for field in (
            "id",
            "episode_id",
            "number",
            "revised_at",
            "revised_by_id",
            "reason",
            "icd10",
            "frequency_per_week",
            "sessions_planned",
            "start",
            "goals",
            "components",
            "payer",
            "prior_visits_this_year",
            "defaults",
        )
    }
    if warnings is not None:
        out["warnings"] = list(warnings)
    return out


@router.get("/episodes/{episode_id}/plan", response=responses({200: PlansOut}))
def read_plan(request: HttpRequest, episode_id: EpisodeId) -> dict[str, Any]:
    """The current plan of care (the latest revision, null before the first), every revision latest first,
    the condition's default plan and the payer limits the current plan breaks."""
    episode = _episode(request, episode_id)
    revisions = services.plan_revisions(episode)
    current = revisions[0] if revisions else None
    default = core.default_plan(load(), episode.condition)
    audit_read(request, episode, episode.patient, "Opened the plan of care")
    return {
        "current": _plan(current) if current else None,
        "revisions": [_plan(r) for r in revisions],
        "default": {
            "frequency_per_week": default.frequency_per_week,
            "sessions": default.sessions,
            "sources": default.sources,
        },
        "warnings": list(services.plan_warnings(episode, current)),
    }


@router.post("/episodes/{episode_id}/plan", response=responses({201: PlanRevisedOut}, body=True))
def revise_plan(request: HttpRequest, episode_id: EpisodeId, payload: PlanIn):
    """A new revision of the plan (the first is the plan itself): never a change to an earlier one. The
    answer lists the payer limits the plan breaks (Medicare: 12 visits in 90 days, at most 20 a year)."""
    episode = _episode(request, episode_id)
    data = payload.dict()
    revision = services.revise_plan(request.user, episode, request=request, **data)
    return Status(201, _plan(revision, services.plan_warnings(episode, revision)))


@router.get("/episodes/{episode_id}/measurements", response=responses({200: list[MeasurementOut]}))
def list_measurements(request: HttpRequest, episode_id: EpisodeId, include_void: bool = False):
    """The episode's measurements by date, each with the core's score (or why it could not be scored)."""
    episode = _episode(request, episode_id)
    audit_read(request, episode, episode.patient, "Opened the outcome measurements")
    return services.measurements_of(episode, include_void=include_void)


@router.post("/episodes/{episode_id}/measurements", response=responses({201: MeasurementOut}, body=True))
def record_measurement(request: HttpRequest, episode_id: EpisodeId, payload: MeasurementIn):
    """Record one completed form, scored by the core. Not scorable (too many items unanswered): stored with
    the reason. An answer outside the item's range, or the wrong number of items: 422."""
    episode = _episode(request, episode_id)
    visit = _visit_in(episode, payload.visit_id)
    data = payload.dict(exclude={"visit_id"})
    measurement = services.record_measurement(request.user, episode, visit=visit, request=request, **data)
    return Status(201, measurement)


@router.get("/episodes/{episode_id}/progress", response=responses({200: ProgressOut}))
def read_progress(request: HttpRequest, episode_id: EpisodeId) -> dict[str, Any]:
    """The core's reading of the episode today: responding, not yet (too early, and when it will be), not
    responding (the drivers to examine and the actions) or refer, each with its reasons."""
    episode = _episode(request, episode_id)
    result = services.progress_for_episode(request.user, episode)
    audit_read(request, episode, episode.patient, f"Opened the progress of the episode: {result.status}")
    out = {field: getattr(result, field) for field in ProgressOut.model_fields if hasattr(result, field)}
    out.update(episode_id=episode.pk, sessions_done=services.sessions_done(episode, on=result.today))
    return out


@router.get("/episodes/{episode_id}/due", response=responses({200: DueMeasurementsOut}))
def read_due(request: HttpRequest, episode_id: EpisodeId, on: IsoDate | None = None) -> dict[str, Any]:
    """What the plan's schedule makes due on `on` (default today): baselines at the first visit, then each
    instrument not measured since the latest reassessment point reached (50% and 100% of the planned
    sessions, 4, 8 and 12 weeks)."""
    episode = _episode(request, episode_id)
    result = services.due_measurements(request.user, episode, on=on)
    audit_read(request, episode, episode.patient, "Opened the measurements due")
    return {
        "episode_id": episode.pk,
        "on": result.on,
        "sessions": result.sessions,
        "instruments": list(result.instruments),
        "points": list(result.points),
        "due": list(result.due),
    }


@router.post("/episodes/{episode_id}/discharge", response=responses({201: DischargeOut}, body=True))
def discharge(request: HttpRequest, episode_id: EpisodeId, payload: DischargeIn):
    """Discharge the episode: final outcomes against baseline as the core reads them, the home programme
    to continue. Final: the episode is then read-only (a returning patient starts a new episode)."""
    episode = _episode(request, episode_id)
    data = payload.dict()
    programme = data.pop("home_programme")
    row = discharge_episode(request.user, episode, home_programme=programme, request=request, **data)
    return Status(201, row)


@router.get("/episodes/{episode_id}/discharge", response=responses({200: DischargeOut}))
def read_discharge(request: HttpRequest, episode_id: EpisodeId):
    """The episode's discharge; 404 while the episode is in care."""
    episode = _episode(request, episode_id)
    row = getattr(episode, "discharge", None) if episode.status == "discharged" else None
    if row is None:
        return Status(404, {"detail": "This episode is not discharged."})
    audit_read(request, episode, episode.patient, "Opened the discharge")
    return row


@router.post("/episodes/{episode_id}/review-actions", response=responses({201: ReviewActionOut}, body=True))
def act_on_review(request: HttpRequest, episode_id: EpisodeId, payload: ReviewActionIn):
    """Record what was done about a course flagged as not responding or to refer; the flag clears until
    new evidence (a measurement, a re-screen) reads the same way again."""
    episode = _episode(request, episode_id)
    action = reviews.record_review_action(request.user, episode, request=request, **payload.dict())
    return Status(201, action)


@router.get("/reviews/flagged", response=responses({200: list[FlaggedOut]}, lookup=False))
def flagged(request: HttpRequest) -> list[dict[str, Any]]:
    """The clinic's courses to act on, the most urgent first (clinicians and clinic admins)."""
    user = staff(request)
    require_clinical(user)
    rows = reviews.flagged_reviews(user)
    for r in rows:
        audit_read(request, r.episode, r.episode.patient, "Listed a course to act on")
    return [
        {
            "episode_id": r.episode_id,
            "patient_id": r.episode.patient_id,
            "condition": r.episode.condition,
            "status": r.status,
            "urgency": r.urgency,
            "reasons": r.reasons,
            "computed_on": r.computed_on,
        }
        for r in rows
    ]


@router.post("/episodes/{episode_id}/range-of-motion", response=responses({201: RomOut}, body=True))
def record_range_of_motion(request: HttpRequest, episode_id: EpisodeId, payload: RomIn):
    """Record one range-of-motion reading (degrees; mm for mouth opening), read against its norm."""
    episode = _episode(request, episode_id)
    visit = _visit_in(episode, payload.visit_id)
    data = payload.dict(exclude={"visit_id"})
    row = record_rom(request.user, episode, visit=visit, request=request, **data)
    return Status(201, row)


@router.get("/episodes/{episode_id}/range-of-motion", response=responses({200: list[RomOut]}))
def list_range_of_motion(request: HttpRequest, episode_id: EpisodeId):
    """The episode's range-of-motion readings by date (not the void ones)."""
    episode = _episode(request, episode_id)
    audit_read(request, episode, episode.patient, "Opened the range-of-motion readings")
    return rom_of(episode)
