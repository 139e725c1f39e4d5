"""Discharging an episode of care.

A discharge records why care ended, the final outcomes against baseline as the core reads them on the
day, and the home programme to continue. It is final: the `Discharge` row is append-only and a trigger
locks the discharged episode (migration 0002), so a patient who comes back starts a new episode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.charting.models import ExerciseAssignment
from needlechart.clinical import progress as core
from needlechart.knowledge import load
from needlechart.patients.models import Episode, EpisodeStatus

from . import services
from .models import Discharge, DischargeReason
from .reviews import refresh_review
from .services import OutcomeError, require_outcomes

MAX_NOTE = 4000
MAX_PROGRAMME = 20


@dataclass(frozen=True)
class DischargeDraft:
    """What a discharge of the episode today would record, for the form to show before it is final:
    the core's reading, the final outcomes rows and the home programme from the latest signed visit."""

    progress: core.ProgressResult | None
    error: str
    outcomes: list[dict[str, Any]]
    programme: list[dict[str, str]]
    drafts: list[date]  # dates of draft visits still open in the episode (they block a discharge)


def _outcome_rows(result: core.ProgressResult | None) -> list[dict[str, Any]]:
    if result is None:
        return []
    rows = []
    for r in result.instruments:
        rows.append(
            {
                "instrument": r.instrument,
                "facet": r.facet,
                "name": r.name,
                "unit": r.unit,
                "baseline": r.baseline,
                "baseline_date": r.baseline_date.isoformat() if r.baseline_date else None,
                "latest": r.latest,
                "latest_date": r.latest_date.isoformat(),
                "change": r.change,
                "improvement": r.improvement,
                "mcid": r.mcid,
                "met": r.met,
                "worsened": r.worsened,
                "reading": r.reading,
            }
        )
    return rows


def current_programme(episode: Episode) -> list[dict[str, str]]:
    """The home exercises of the episode's latest signed visit that gave any, with their dosage."""
    kb = load()
    latest = (
        episode.visits.filter(signed_at__isnull=False, exerciseassignments__isnull=False)
        .order_by("-visit_date", "-signed_at")
        .first()
    )
    if latest is None:
        return []
    rows = ExerciseAssignment.objects.filter(visit=latest).order_by("id")
    return [
        {
            "exercise": a.exercise,
            "name": kb.exercises[a.exercise].name if a.exercise in kb.exercises else a.exercise,
            "dosage": a.dosage,
        }
        for a in rows
    ]


def _open_drafts(episode: Episode) -> list[date]:
    return list(
        episode.visits.filter(signed_at__isnull=True, discarded_at__isnull=True)
        .order_by("visit_date")
        .values_list("visit_date", flat=True)
    )


def discharge_draft(user, episode: Episode, *, today: date | None = None) -> DischargeDraft:
    require_outcomes(user, episode)
    try:
        result, error = services.progress_for_episode(user, episode, today=today), ""
    except OutcomeError as exc:
        result, error = None, str(exc)
    return DischargeDraft(result, error, _outcome_rows(result), current_programme(episode), _open_drafts(episode))


def _programme(raw: list[dict[str, Any]]) -> list[dict[str, str]]:
    kb = load()
    if len(raw) > MAX_PROGRAMME:
        raise OutcomeError(f"A home programme of {len(raw)} exercises is too long: keep it to {MAX_PROGRAMME}.")
    out = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise OutcomeError(f"home programme item {n} must be an object with exercise and dosage")
        ident = str(item.get("exercise", "")).strip()
        if ident not in kb.exercises:
            raise OutcomeError(f"home programme item {n}: '{ident}' is not an exercise of the knowledge base")
        dosage = str(item.get("dosage") or kb.exercises[ident].dosage).strip()
        if len(dosage) > 200:
            raise OutcomeError(f"home programme item {n}: keep the dosage to 200 characters")
        out.append({"exercise": ident, "name": kb.exercises[ident].name, "dosage": dosage})
    return out


def discharge_episode(
    user,
    episode: Episode,
    *,
    reason: str,
    discharged_on: date | None = None,
    note: str = "",
    home_programme: list[dict[str, Any]] | None = None,
    request=None,
) -> Discharge:
    """End the episode: refused while a draft visit is open (sign or discard it first), for a date in
    the future, before the episode's start or before its last signed visit. The home programme
    defaults to the latest signed visit's exercises; the final outcomes are the core's on the day."""
    require_outcomes(user, episode)
    if reason not in DischargeReason.values:
        raise OutcomeError(f"reason '{reason}' is not valid; use one of: {', '.join(DischargeReason.values)}")
    today = timezone.localdate()
    discharged_on = discharged_on or today
    if discharged_on > today:
        raise OutcomeError(f"discharged_on {discharged_on.isoformat()} is in the future: give today or earlier")
    if discharged_on < episode.started_on:
        raise OutcomeError(
            f"discharged_on {discharged_on.isoformat()} is before the episode started "
            f"({episode.started_on.isoformat()})"
        )
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise OutcomeError(f"Keep the discharge note to {MAX_NOTE} characters ({len(note)} given).")
    with transaction.atomic():
        # The row lock orders a discharge against a concurrent one (two tabs) and against new visits.
        locked = Episode.objects.select_for_update().select_related("patient").get(pk=episode.pk)
        if locked.status == EpisodeStatus.DISCHARGED:
            raise OutcomeError("This episode is discharged already: start a new episode of care instead.")
        drafts = _open_drafts(locked)
        if drafts:
            days = ", ".join(d.isoformat() for d in drafts)
            raise OutcomeError(f"A draft visit is still open ({days}): sign or discard it before discharging.")
        last = (
            locked.visits.filter(signed_at__isnull=False)
            .order_by("-visit_date")
            .values_list("visit_date", flat=True)
            .first()
        )
        if last is not None and discharged_on < last:
            raise OutcomeError(
                f"discharged_on {discharged_on.isoformat()} is before the last signed visit ({last.isoformat()})"
            )
        programme = current_programme(locked) if home_programme is None else _programme(home_programme)
        try:
            result = core.assess(load(), services.progress_input(locked, today=discharged_on))
        except core.ProgressInputError:
            result = None
        discharge = Discharge.objects.create(
            episode=locked,
            reason=reason,
            discharged_on=discharged_on,
            note=note,
            status=result.status if result else "",
            final_outcomes=_outcome_rows(result),
            home_programme=programme,
            discharged_by=user,
        )
        Episode.objects.filter(pk=locked.pk).update(status=EpisodeStatus.DISCHARGED, ended_on=discharged_on)
        locked.status, locked.ended_on = EpisodeStatus.DISCHARGED, discharged_on
        record(
            user,
            Action.CHANGE,
            discharge,
            patient=locked.patient,
            summary=f"Discharged the episode ({DischargeReason(reason).label.lower()})",
            request=request,
            detail={"episode": locked.pk, "reason": reason},
        )
        refresh_review(locked, today=today)
    episode.status, episode.ended_on = locked.status, locked.ended_on
    return discharge


__all__ = ["DischargeDraft", "current_programme", "discharge_draft", "discharge_episode"]
