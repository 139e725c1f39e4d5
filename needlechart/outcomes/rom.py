"""Range of motion: record a reading (the core reads it against its norm), void one, and each
movement's course from its first reading to its latest (`needlechart.clinical.rom`).

ROM is kept apart from the scored questionnaires: it has no MCID in the knowledge base (no minimal
detectable change was gathered), so it informs the clinician but never decides the progress status.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from django.db import transaction

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.charting.models import Visit
from needlechart.clinical import rom as core
from needlechart.knowledge import load
from needlechart.patients.models import Episode

from .models import RangeOfMotion, RangeOfMotionVoid
from .services import OutcomeError, _just_recorded, _require_open, require_outcomes, taken_on_checked


@dataclass(frozen=True)
class RomCourse:
    """One movement on one side: its readings in date order and the core's change first to latest."""

    joint: str
    movement: str
    side: str
    name: str
    readings: list[RangeOfMotion]
    latest: core.RomReading
    change: core.RomChange | None


def record_rom(
    user,
    episode: Episode,
    *,
    joint: str,
    movement: str,
    side: str | None,
    value: float,
    taken_on: date | None = None,
    visit: Visit | None = None,
    request=None,
) -> RangeOfMotion:
    """Keep one reading as the core reads it; a value, side, joint or movement it refuses is an
    OutcomeError naming what is wrong and what is valid."""
    require_outcomes(user, episode)
    _require_open(episode)
    if visit is not None and visit.episode_id != episode.pk:
        raise OutcomeError("That visit is not in this episode of care.")
    taken_on = taken_on_checked(episode, taken_on, visit)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OutcomeError(f"value {value!r} must be a number of degrees (mm for mouth opening)")
    try:
        result = core.reading(load(), joint, movement, side or None, float(value))
    except core.RomInputError as exc:
        raise OutcomeError(f"Range of motion: {exc}") from None
    with transaction.atomic():
        Episode.objects.select_for_update().filter(pk=episode.pk).first()
        repeat = _just_recorded(
            RangeOfMotion.objects.filter(
                episode=episode,
                joint=result.joint,
                movement=result.movement,
                side=result.side or "",
                taken_on=taken_on,
                visit=visit,
                recorded_by=user,
                void__isnull=True,
            ),
            lambda r: r.value == result.value,
        )
        if repeat is not None:
            return repeat  # the same form sent twice: kept once
        row = RangeOfMotion.objects.create(
            episode=episode,
            visit=visit,
            joint=result.joint,
            movement=result.movement,
            side=result.side or "",
            value=result.value,
            unit=result.unit,
            taken_on=taken_on,
            result={k: v for k, v in asdict(result).items() if k != "normal_sources"},
            recorded_by=user,
        )
        record(
            user,
            Action.CREATE,
            row,
            patient=episode.patient,
            summary=f"Recorded {result.joint_name.lower()} {result.movement_name.lower()}"
            + (f" ({result.side})" if result.side else "")
            + f" of {taken_on.isoformat()}: {result.text}",
            request=request,
            detail={"episode": episode.pk, "visit": visit.pk if visit else None},
        )
    return row


def void_rom(user, row: RangeOfMotion, *, reason: str, request=None) -> RangeOfMotionVoid:
    episode = row.episode
    require_outcomes(user, episode)
    _require_open(episode)
    reason = reason.strip()
    if not reason:
        raise OutcomeError("Give the reason the reading is void (e.g. the wrong side).")
    with transaction.atomic():
        if RangeOfMotionVoid.objects.filter(reading=row).exists():
            raise OutcomeError("This reading is void already.")
        void = RangeOfMotionVoid.objects.create(reading=row, reason=reason, voided_by=user)
        record(
            user,
            Action.DISCARD,
            row,
            patient=episode.patient,
            summary=f"Voided a ROM reading: {reason}",
            request=request,
        )
    return void


def rom_of(episode: Episode, *, include_void: bool = False) -> list[RangeOfMotion]:
    rows = episode.rom_measurements.select_related("void").order_by("taken_on", "recorded_at", "id")
    if not include_void:
        rows = rows.filter(void__isnull=True)
    return list(rows)


def courses(rows: list[RangeOfMotion]) -> list[RomCourse]:
    """Each movement and side measured, in the order first measured, read by the core."""
    kb = load()
    grouped: dict[tuple[str, str, str], list[RangeOfMotion]] = {}
    for r in rows:
        grouped.setdefault((r.joint, r.movement, r.side), []).append(r)
    out = []
    for (joint, movement, side), readings in grouped.items():
        latest = core.reading(kb, joint, movement, side or None, readings[-1].value)
        change = (
            core.rom_change(kb, joint, movement, readings[0].value, readings[-1].value) if len(readings) > 1 else None
        )
        name = f"{latest.joint_name} {latest.movement_name.lower()}" + (f" ({side})" if side else "")
        out.append(RomCourse(joint, movement, side, name, readings, latest, change))
    return out


__all__ = ["RomCourse", "courses", "record_rom", "rom_of", "void_rom"]
