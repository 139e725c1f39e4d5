"""Range of motion (ROM) as an outcome measure: one measured range read against its norm, and the
change between a baseline and a later measurement. Pure functions, no Django.

Every norm is data (knowledge base: rom.yaml, validated by `needlechart.knowledge.rom`); this
module applies it:

- `reading(kb, joint, movement, side, degrees)` checks the joint, the movement and the side (left
  or right for a bilateral movement, none for a midline one) and that the value lies between 0 and
  the movement's plausible maximum, and returns a `RomReading`: the percentage of normal, the norm
  with its sources, and a plain text such as "120° of 180° normal (67%)".
- `rom_change(kb, joint, movement, baseline, latest)` returns a `RomChange`: the improvement in the
  movement's unit and in percentage points of normal, and whether it reaches the minimal detectable
  change. Where the data has no MDC (the case for every movement today), `met` is None and `reason`
  says why.

Two scales (see rom.yaml): a `range` movement is read from neutral (more is better); a `lag`
movement (elbow and knee extension) is how far the joint stops short of straight (0 is normal, less
is better, and a percentage of normal means nothing, so it is None).

Bad input raises a `RomInputError` (a ValueError) subclass whose message names the bad value and
the valid options (the closest matches for an unknown ID).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass

from needlechart.knowledge.model import KnowledgeBase
from needlechart.knowledge.rom import RomJoint, RomMovement, RomNorms
from needlechart.knowledge.sourceref import SourceRef

SIDES = ("left", "right")
NO_MDC_REASON = (
    "no minimal detectable change is recorded for {what}: the clinical reference has not gathered "
    "MDC values for range of motion, so the change is reported without a verdict"
)


class RomInputError(ValueError):
    """ROM input that names something unknown or is out of range; the message says what and how to fix it."""


class UnknownJointError(RomInputError):
    """The joint ID is not in rom.yaml."""


class UnknownMovementError(RomInputError):
    """The movement ID is not one of the joint's movements."""


class RomSideError(RomInputError):
    """A bilateral movement without left/right, a midline movement with a side, or an unknown side."""


class RomValueError(RomInputError):
    """The measured value is not a number, or lies outside 0 to the movement's plausible maximum."""


@dataclass(frozen=True, slots=True)
class RomReading:
    """One measured range read against its norm.

    `value` is in `unit` (degrees, or mm for mouth opening). `percent_of_normal` is value / normal
    x 100, unrounded (None for a lag). `side` is "left" or "right", or None for a midline movement.
    `text` is the plain reading for the chart, e.g. "120° of 180° normal (67%)".
    """

    joint: str
    joint_name: str
    movement: str
    movement_name: str
    side: str | None
    value: float
    unit: str
    scale: str
    normal: float
    percent_of_normal: float | None
    normal_sources: tuple[SourceRef, ...]
    verified: bool
    note: str
    text: str


@dataclass(frozen=True, slots=True)
class RomChange:
    """The change of one movement from its baseline to its latest measurement.

    `improvement` is in `unit`, positive when better (latest - baseline for a range, baseline -
    latest for a lag). `improvement_percent_of_normal` is that in percentage points of normal (None
    for a lag). `met` is whether the improvement reaches `mdc`; None when no MDC is recorded, with
    `reason` saying so. `text` is a plain summary.
    """

    joint: str
    movement: str
    unit: str
    scale: str
    baseline: float
    latest: float
    improvement: float
    improvement_percent_of_normal: float | None
    mdc: float | None
    mdc_sources: tuple[SourceRef, ...]
    met: bool | None
    reason: str
    text: str


# ---------------------------------------------------------------- look-up


def norms_of(kb: KnowledgeBase) -> RomNorms:
    if kb.rom is None:
        raise RomInputError("the knowledge base has no range-of-motion norms (rom.yaml)")
    return kb.rom


def joint_of(kb: KnowledgeBase, joint: str) -> RomJoint:
    joints = norms_of(kb).joints
    if joint not in joints:
        raise UnknownJointError(f"unknown joint {joint!r}; closest: {_closest(joint, joints)}")
    return joints[joint]


def movement_of(kb: KnowledgeBase, joint: str, movement: str) -> RomMovement:
    j = joint_of(kb, joint)
    if movement not in j.movements:
        raise UnknownMovementError(
            f"unknown movement {movement!r} of the {j.name.lower()}; closest: {_closest(movement, j.movements)}"
        )
    return j.movements[movement]


# ---------------------------------------------------------------- reading and change


def reading(kb: KnowledgeBase, joint: str, movement: str, side: str | None, degrees: float) -> RomReading:
    """Read one measured range against its norm.

    `side` is "left" or "right" for a bilateral movement and None (or "") for a midline one.
    `degrees` is the measured value in the movement's unit (degrees; mm for mouth opening; for a
    lag, the degrees short of full extension). Raises a RomInputError subclass on bad input.
    """
    j = joint_of(kb, joint)
    m = movement_of(kb, joint, movement)
    chosen = _side(j, m, side)
    value = _value(j, m, degrees, "value")
    percent = None if m.scale == "lag" else value / m.normal * 100
    return RomReading(
        joint=j.id,
        joint_name=j.name,
        movement=m.id,
        movement_name=m.name,
        side=chosen,
        value=value,
        unit=m.unit,
        scale=m.scale,
        normal=m.normal,
        percent_of_normal=percent,
        normal_sources=m.sources,
        verified=m.verified,
        note=m.note,
        text=_reading_text(m, value, percent),
    )


def rom_change(kb: KnowledgeBase, joint: str, movement: str, baseline: float, latest: float) -> RomChange:
    """The change of one movement (one side) from `baseline` to `latest`, both in the movement's unit.

    Improvement is positive when the range got better. `met` compares it with the movement's
    minimal detectable change, or is None (with the reason) where none is recorded.
    """
    j = joint_of(kb, joint)
    m = movement_of(kb, joint, movement)
    first = _value(j, m, baseline, "baseline")
    last = _value(j, m, latest, "latest")
    improvement = first - last if m.scale == "lag" else last - first
    percent = None if m.scale == "lag" else improvement / m.normal * 100
    what = f"{j.name.lower()} {m.name.lower()}"
    mdc: float | None = None
    mdc_sources: tuple[SourceRef, ...] = ()
    met: bool | None = None
    if m.mdc is None:
        reason = NO_MDC_REASON.format(what=what)
    else:
        mdc, mdc_sources = m.mdc.value, m.mdc.sources
        met = improvement >= mdc - 1e-9
        word = "reaches" if met else "does not reach"
        reason = (
            f"the improvement of {_amount(improvement, m.unit)} {word} "
            f"the minimal detectable change of {_amount(mdc, m.unit)}"
        )
    return RomChange(
        joint=j.id,
        movement=m.id,
        unit=m.unit,
        scale=m.scale,
        baseline=first,
        latest=last,
        improvement=improvement,
        improvement_percent_of_normal=percent,
        mdc=mdc,
        mdc_sources=mdc_sources,
        met=met,
        reason=reason,
        text=_change_text(m, first, last, improvement, percent),
    )


# ---------------------------------------------------------------- checks and text


def _side(j: RomJoint, m: RomMovement, side: str | None) -> str | None:
    what = f"{j.name.lower()} {m.name.lower()}"
    if m.bilateral:
        if side not in SIDES:
            raise RomSideError(f"side {side!r}: {what} is read on each side; give 'left' or 'right'")
        return side
    if side:
        raise RomSideError(f"side {side!r}: {what} is a midline movement; give no side (None)")
    return None


def _value(j: RomJoint, m: RomMovement, value: float, label: str) -> float:
    what = f"{j.name.lower()} {m.name.lower()}"
    bounds = f"0 to {_fmt(m.max)} {m.unit}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RomValueError(f"{label} {value!r} for {what} is not a number; give {bounds}")
    if not 0 <= value <= m.max:
        extra = " (a lag is degrees short of full extension)" if m.scale == "lag" else ""
        raise RomValueError(f"{label} {_fmt(value)} {m.unit} for {what} is out of range; give {bounds}{extra}")
    return float(value)


def _closest(word: str, options: Iterable[str]) -> str:
    ordered = sorted(options)
    best = difflib.get_close_matches(word, ordered, n=3, cutoff=0)
    return ", ".join(best or ordered[:3])


def _fmt(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _amount(value: float, unit: str) -> str:
    return f"{_fmt(value)}°" if unit == "degrees" else f"{_fmt(value)} {unit}"


def _reading_text(m: RomMovement, value: float, percent: float | None) -> str:
    if m.scale == "lag" or percent is None:
        if value == 0:
            return "full extension (0° short; normal 0°)"
        return f"{_amount(value, m.unit)} short of full extension (normal 0°)"
    return f"{_amount(value, m.unit)} of {_amount(m.normal, m.unit)} normal ({percent:.0f}%)"


def _change_text(m: RomMovement, first: float, last: float, improvement: float, percent: float | None) -> str:
    direction = "better" if improvement > 0 else "worse" if improvement < 0 else "unchanged"
    span = f"{_amount(first, m.unit)} to {_amount(last, m.unit)}"
    if improvement == 0:
        return f"{span}: unchanged"
    size = _amount(abs(improvement), m.unit)
    if percent is None:
        return f"{span} short of full extension: {size} {direction}"
    return f"{span}: {size} {direction} ({abs(percent):.0f} points of normal)"
