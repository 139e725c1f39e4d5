"""Pain locations: the one rule for a body region, its side and an optional 0-10 intensity.

Every way a pain location comes in goes through here: the command line's text ("temple:left:6"),
the explorer's query values, a session's JSON pain drawing for billing, the API's pain schema and the
suggestion engine's own check. A location is valid when

- the region is a knowledge-base region, given by its ID or, when names are resolved, by any name or
  synonym ("Low back", "TMJ"), in any case;
- the side (trimmed, any case) is one the region has: left or right, and midline for the regions
  that lie on the midline (the lumbar region, the sternum...);
- the intensity is left out, or a whole number from 0 to 10: an int, an integral float (6.0) or a
  string of digits ("6"); true and false are refused, not read as 1 and 0.

A bad location raises PainInputError, whose message says what is wrong and how to fix it; each caller
turns it into its own error (the CLI's BadInput, billing's BillingInputError, a field error in the
API, a note on the explorer page). `drawing_pains` is the lenient reader for drawings already stored,
which shows what it can and never raises.

Pure Python: nothing here imports Django.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from needlechart.knowledge.lookup import UnknownName, closest, resolve
from needlechart.knowledge.model import KnowledgeBase

MIN_INTENSITY, MAX_INTENSITY = 0, 10
TEXT_FORM = "REGION:SIDE or REGION:SIDE:INTENSITY, e.g. temple:left:6"
DRAWING_KEYS = ("region", "side", "intensity")


@dataclass(frozen=True, slots=True)
class Pain:
    """One painful location of a pain drawing: a region ID, a side and the 0-10 intensity, if rated."""

    region: str
    side: str
    intensity: int | None = None

    @property
    def weight(self) -> float:
        return 1.0 if self.intensity is None else 0.5 + self.intensity / 20


class PainInputError(ValueError):
    """A pain location that cannot be used. The message says what is wrong and how to fix it.

    `field` is the part at fault (region, side, intensity, or "" for the form of the whole input) and
    `choices` the valid values to offer (the closest regions, or the region's sides)."""

    def __init__(self, message: str, *, field: str = "", choices: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.choices = choices

    def within(self, prefix: str) -> PainInputError:
        """The same error with `prefix` before its message ("pain 2: ...")."""
        return PainInputError(f"{prefix}: {self.message}", field=self.field, choices=self.choices)


def _or(words: tuple[str, ...] | list[str]) -> str:
    """'left or right', 'left, right or midline'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _shown(value: object) -> str:
    """A value as the message quotes it: text in single quotes, trimmed; anything else as repr."""
    return f"'{value.strip()}'" if isinstance(value, str) else repr(value)


def _region(kb: KnowledgeBase, region: object, resolve_names: bool) -> str:
    if not isinstance(region, str):
        raise PainInputError(
            f"region {region!r} is not a region: give a region ID or name, e.g. temple", field="region"
        )
    if not region.strip():
        raise PainInputError("no region given: name a body region, e.g. temple or lumbar", field="region")
    if resolve_names:
        try:
            return resolve(kb, "region", region)
        except UnknownName as exc:
            near = exc.suggestions
    elif region.strip() in kb.regions:
        return region.strip()
    else:
        near = closest(kb, "region", region)
    fix = f"closest: {', '.join(near)}" if near else "name a body region, e.g. temple or lumbar"
    raise PainInputError(f"unknown region '{region.strip()}'; {fix}", field="region", choices=tuple(near))


def _side(kb: KnowledgeBase, region: str, side: object) -> str:
    sides = kb.regions[region].sides
    if isinstance(side, str) and side.strip().lower() in sides:
        return side.strip().lower()
    if isinstance(side, str) and not side.strip():
        raise PainInputError(f"no side given for {region}: use {_or(sides)}", field="side", choices=sides)
    hint = ""
    if isinstance(side, str):
        near = difflib.get_close_matches(side.strip().lower(), sides, n=1, cutoff=0.6)
        hint = f" (closest: {near[0]})" if near else ""
    raise PainInputError(
        f"side {_shown(side)} is not valid for {region}; use {_or(sides)}{hint}", field="side", choices=sides
    )


def parse_intensity(value: object) -> int | None:
    """None, or the whole number from 0 to 10 that `value` is (an int, an integral float or digits)."""
    if value is None:
        return None
    problem = f"intensity {_shown(value)} must be a whole number from {MIN_INTENSITY} to {MAX_INTENSITY}"
    number: int
    if isinstance(value, bool):
        raise PainInputError(f"{problem}, not true or false", field="intensity")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        digits = value.strip().lstrip("0") or "0"
        number = int(digits) if len(digits) <= 3 else MAX_INTENSITY + 1  # no int() of a huge string
    else:
        raise PainInputError(problem, field="intensity")
    if not MIN_INTENSITY <= number <= MAX_INTENSITY:
        raise PainInputError(
            f"intensity {_shown(value)} is out of range: use a whole number from {MIN_INTENSITY} to {MAX_INTENSITY}",
            field="intensity",
        )
    return number


def parse_pain(
    kb: KnowledgeBase, region: str, side: str, intensity: object = None, *, resolve_names: bool = True
) -> Pain:
    """The pain location `region`/`side`/`intensity`, checked; PainInputError says what is wrong.

    With `resolve_names` the region may be any name or synonym of a region (else its exact ID)."""
    region_id = _region(kb, region, resolve_names)
    return Pain(region_id, _side(kb, region_id, side), parse_intensity(intensity))


def parse_pain_text(kb: KnowledgeBase, text: str) -> Pain:
    """A pain location written as REGION:SIDE or REGION:SIDE:INTENSITY ("Low back:right:6")."""
    bits = text.split(":")
    if len(bits) == 1:
        raise PainInputError(f"no side given: write {TEXT_FORM}")
    if len(bits) > 3:
        raise PainInputError(f"too many parts ({len(bits)}): write {TEXT_FORM}")
    return parse_pain(kb, bits[0], bits[1], bits[2] if len(bits) == 3 else None)


def parse_pain_drawing(kb: KnowledgeBase, items: object) -> list[Pain]:
    """A pain drawing given as JSON: a list of {"region", "side", "intensity"?} objects.

    Errors name the item by its number from 1. The same region and side twice is one pain: the first
    one drawn is kept, with its intensity."""
    if not isinstance(items, list):
        raise PainInputError(
            f'a pain drawing is a list of {{"region", "side", "intensity"}} objects, not {type(items).__name__}'
        )
    pains: dict[tuple[str, str], Pain] = {}
    for n, item in enumerate(items, start=1):
        form = '{"region": ..., "side": ...} with an optional "intensity"'
        if not isinstance(item, Mapping):
            raise PainInputError(f"pain {n}: each pain is {form}, not {item!r}")
        missing = [key for key in ("region", "side") if key not in item]
        if missing:
            raise PainInputError(f"pain {n}: no {' or '.join(missing)} given; each pain is {form}")
        unknown = sorted(str(key) for key in item if key not in DRAWING_KEYS)
        if unknown:
            raise PainInputError(
                f"pain {n}: unknown key(s) {', '.join(unknown)}; the keys are region, side and intensity"
            )
        try:
            pain = parse_pain(kb, item["region"], item["side"], item.get("intensity"))
        except PainInputError as exc:
            raise exc.within(f"pain {n}") from None
        pains.setdefault((pain.region, pain.side), pain)
    return list(pains.values())


def drawing_pains(kb: KnowledgeBase, stored: object) -> list[Pain]:
    """The pains of a drawing already stored, for showing an old record: whatever is not a valid pain
    location (a region since removed, a bad side or intensity, a malformed item) is left out, never
    raised; the same region and side twice is shown once."""
    if not isinstance(stored, list | tuple):
        return []
    pains: dict[tuple[str, str], Pain] = {}
    for item in stored:
        if not isinstance(item, Mapping):
            continue
        try:
            pain = parse_pain(kb, item.get("region", ""), item.get("side", ""), item.get("intensity"))
        except PainInputError:
            continue
        pains.setdefault((pain.region, pain.side), pain)
    return list(pains.values())
