"""Range-of-motion norms (data/rom.yaml) as typed, frozen records.

`needlechart.clinical.rom` reads a measured range against these norms: each joint, its movements,
each movement's normal value with its sources, its unit, whether it is read on each side or once
at the midline, whether it is a range from neutral or a lag short of full extension, the highest
plausible value, and a minimal detectable change where a source gives one.

The file is a list of joints, each with its movements. Every problem is collected and reported at
once as `rom.yaml: entry 'JOINT' (or 'JOINT.MOVEMENT'): field 'F': ...`. Source IDs are returned
for the loader to check against the bibliography with the rest of the knowledge base.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .errors import where
from .reader import Reader
from .sourceref import SourceRef

FILE = "rom.yaml"
UNITS = ("degrees", "mm")
SIDES = ("bilateral", "midline")  # bilateral: read left and right; midline: one reading, no side
SCALES = ("range", "lag")  # range: from neutral, more is better; lag: short of full extension, 0 is normal
DEFAULT_MAX_FACTOR = 1.5  # without an explicit `max`, a range reading above 1.5 x normal is implausible
_ID = re.compile(r"^[a-z][a-z0-9_]*$")

# (kind, id, file, entry, field): a reference the loader checks against the other files.
Reference = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class Mdc:
    """The minimal detectable change of one movement, in the movement's unit."""

    value: float
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class RomMovement:
    """One movement of a joint and its norm.

    `scale` is `range` (degrees or mm from neutral; read as a percentage of `normal`, which is
    above 0) or `lag` (degrees short of full extension; `normal` is 0 and there is no percentage).
    `max` is the highest plausible reading (explicit, or 1.5 x normal). `side` is `bilateral`
    (a reading names left or right) or `midline` (a reading names no side).
    """

    id: str
    name: str
    normal: float
    unit: str
    side: str
    scale: str
    max: float
    verified: bool
    note: str
    sources: tuple[SourceRef, ...]
    mdc: Mdc | None = None

    @property
    def bilateral(self) -> bool:
        return self.side == "bilateral"


@dataclass(frozen=True, slots=True)
class RomJoint:
    """A joint (or spinal region), how it is measured, and its movements by ID."""

    id: str
    name: str
    method: str
    sources: tuple[SourceRef, ...]
    movements: dict[str, RomMovement]


@dataclass(frozen=True, slots=True)
class RomNorms:
    """Every joint by ID (the `rom` attribute of the knowledge base)."""

    joints: dict[str, RomJoint]

    @property
    def unverified(self) -> tuple[tuple[str, str], ...]:
        """(joint, movement) of every norm marked `verified: false`."""
        return tuple((j.id, m.id) for j in self.joints.values() for m in j.movements.values() if not m.verified)


# ---------------------------------------------------------------- reading


def _id(r: Reader) -> str:
    ident = r.text("id")
    if ident and not _ID.match(ident):
        r.problem("id", f"'{ident}' must be lower snake_case")
    return ident


def _number(r: Reader, key: str, required: bool = True) -> float | None:
    r.seen.add(key)
    value = r.raw.get(key)
    if value is None:
        if required:
            r.problem(key, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        r.problem(key, f"must be a number, not {value!r}")
        return None
    return float(value)


def _sources(r: Reader, refs: list[Reference], field: str = "sources") -> tuple[SourceRef, ...]:
    found = r.sources(field)
    refs.extend(("source", ref.id, r.file, r.entry, field) for ref in found)
    return found


def _mdc(r: Reader, refs: list[Reference]) -> Mdc | None:
    if "mdc" not in r.raw or r.raw["mdc"] is None:
        r.seen.add("mdc")
        return None
    raw = r.mapping("mdc")
    m = r.sub(raw, "mdc")
    value = _number(m, "value")
    sources = _sources(m, refs)
    m.finish()
    if value is None:
        return None
    if value <= 0:
        r.problem("mdc", f"value must be above 0, not {value:g}")
        return None
    return Mdc(value, sources)


def _movement(raw: Any, joint: Reader, index: int, refs: list[Reference]) -> RomMovement | None:
    r = Reader(raw, FILE, index, joint.problems)
    r.entry = f"{joint.entry}.{r.entry}"
    ident, name = _id(r), r.text("name")
    normal = _number(r, "normal")
    unit = r.choice("unit", UNITS)
    side = r.choice("side", SIDES)
    scale = r.choice("scale", SCALES, required=False, default="range")
    explicit_max = _number(r, "max", required=False)
    verified = r.flag("verified", True)
    note = r.text("note", required=not verified)
    sources = _sources(r, refs)
    mdc = _mdc(r, refs)
    r.finish()
    if scale == "lag" and unit and unit != "degrees":
        r.problem("unit", f"a lag is measured in degrees, not {unit}")
    if normal is None:
        return None
    if scale == "range" and normal <= 0:
        r.problem("normal", f"must be above 0, not {normal:g} (a movement whose normal is 0 is a `scale: lag`)")
        return None
    if scale == "lag" and normal != 0:
        r.problem("normal", f"a lag's normal is 0 (full extension), not {normal:g}")
        return None
    if scale == "lag" and explicit_max is None:
        r.problem("max", "is required for a lag (the largest plausible shortfall, in degrees)")
        return None
    top = explicit_max if explicit_max is not None else normal * DEFAULT_MAX_FACTOR
    if top <= normal:
        r.problem("max", f"must be above the normal value {normal:g}, not {top:g}")
        return None
    if not (ident and name and unit and side and scale):
        return None
    return RomMovement(ident, name, normal, unit, side, scale, top, verified, note, sources, mdc)


def _joint(raw: Any, index: int, problems: list[str], refs: list[Reference]) -> RomJoint | None:
    r = Reader(raw, FILE, index, problems)
    ident, name, method = _id(r), r.text("name"), r.text("method")
    sources = _sources(r, refs)
    items = r.items("movements", required=True)
    r.finish()
    if not items and "movements" in r.raw:
        r.problem("movements", "must list at least one movement")
    movements: dict[str, RomMovement] = {}
    for i, item in enumerate(items):
        movement = _movement(item, r, i, refs)
        if movement is None:
            continue
        if movement.id in movements:
            r.problem("movements", f"movement '{movement.id}' is listed more than once")
            continue
        movements[movement.id] = movement
    if not ident:
        return None
    return RomJoint(ident, name, method, sources, movements)


def parse_rom(raw: object, problems: list[str]) -> tuple[RomNorms | None, list[Reference]]:
    """Validate rom.yaml and return its norms with the source references the loader must check.

    Problems are appended to `problems` (file, entry, field); the norms are None only when the file
    is not a list at all.
    """
    refs: list[Reference] = []
    if not isinstance(raw, list):
        problems.append(f"{where(FILE, None, None)}: must be a list of joints")
        return None, refs
    joints: dict[str, RomJoint] = {}
    for index, entry in enumerate(raw):
        joint = _joint(entry, index, problems, refs)
        if joint is None:
            continue
        if joint.id in joints:
            problems.append(f"{where(FILE, joint.id, 'id')}: duplicate ID")
            continue
        joints[joint.id] = joint
    if not joints:
        problems.append(f"{where(FILE, None, None)}: must list at least one joint")
    return RomNorms(joints), refs
