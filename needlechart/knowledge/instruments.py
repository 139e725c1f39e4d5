"""Outcome instruments (data/instruments.yaml) as typed, frozen records.

The scoring code in `needlechart.clinical.instruments` trusts these records completely: it never
re-checks an item range or a missing-item cap. So everything a scorer relies on is validated here,
at load time, including the arithmetic that ties `scoring`, `items` and `score` together (a typo
such as an NDI maximum of 40 would otherwise silently mis-band every patient). Every problem is
collected and reported at once, naming file, entry and field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .errors import KnowledgeError, where
from .reader import Reader
from .sourceref import SourceRef

DIRECTIONS = ("higher_is_worse", "higher_is_better")
SCORINGS = ("single", "sum", "sum_and_percent", "percent", "mean")
MISSING_METHODS = ("none", "prorate")
MCID_KINDS = ("mcid", "mdc", "threshold")
SCORE_UNITS = ("points", "percent", "mm", "kPa")
PRESSURE_UNITS = ("kPa", "kg/cm2", "N/cm2")
ITEM_TEXT = ("licensed", "free")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LOINC = re.compile(r"^(\d{1,7})-(\d)$")


@dataclass(frozen=True, slots=True)
class ItemCount:
    """How many items a completed form has; min < max where the patient or clinician chooses."""

    min: int
    max: int

    @property
    def fixed(self) -> bool:
        return self.min == self.max


@dataclass(frozen=True, slots=True)
class ScoreRange:
    """Range and unit of the reported score."""

    min: float
    max: float
    unit: str


@dataclass(frozen=True, slots=True)
class MissingRule:
    """What to do with unanswered items: `none` (all required) or `prorate` up to `max_missing`."""

    method: str
    max_missing: int
    note: str = ""
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class Bands:
    """Published interpretation bands on the reported score, in ascending order."""

    levels: tuple[Band, ...]
    note: str = ""
    sources: tuple[SourceRef, ...] = ()

    def label_for(self, value: float) -> str | None:
        """The band a value reads as.

        Bands are published with whole-number limits (NDI 0-4, 5-14, ...) but a prorated score can
        fall between them (4.4); such a value reads as the lower band, as if truncated.
        """
        found = None
        for band in self.levels:
            if value >= band.min:
                found = band
        if found is None or value > self.levels[-1].max:
            return None
        return found.label


@dataclass(frozen=True, slots=True)
class Mcid:
    """The change that matters on the reported score (or, for `threshold`, the single score that does)."""

    kind: str
    value: float
    unit: str
    relative_percent: float | None = None
    note: str = ""
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str
    name: str
    abbreviation: str
    construct: str
    items: ItemCount
    item_min: float
    item_max: float
    integer_items: bool
    scoring: str
    score: ScoreRange
    direction: str
    missing: MissingRule
    item_text: str
    licence: str
    sources: tuple[SourceRef, ...]
    input_units: tuple[str, ...] = ()
    bands: Bands | None = None
    mcid: Mcid | None = None
    loinc: str = ""
    note: str = ""

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"


def loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit (the Luhn algorithm) for the part of a code before the hyphen."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


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


def _flag(r: Reader, key: str) -> bool:
    r.seen.add(key)
    value = r.raw.get(key)
    if not isinstance(value, bool):
        r.problem(key, "is required" if value is None else f"must be true or false, not {value!r}")
        return False
    return value


def _nested_sources(sub: Reader, required: bool, allowed: set[str]) -> tuple[SourceRef, ...]:
    """Sources of a nested record; they must also appear in the entry's own `sources`.

    The loader checks only entry-level sources against the bibliography, so requiring nested IDs to
    be a subset keeps every citation checked without the loader knowing this schema.
    """
    if "sources" not in sub.raw and not required:
        sub.seen.add("sources")
        return ()
    refs = sub.sources()
    for ref in refs:
        if ref.id not in allowed:
            sub.problem("sources", f"cites '{ref.id}', which the entry's own 'sources' does not list")
    return refs


def _items(r: Reader) -> ItemCount:
    r.seen.add("items")
    raw = r.raw.get("items")
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 1:
            r.problem("items", f"must be at least 1, not {raw}")
        return ItemCount(raw, raw)
    if isinstance(raw, dict):
        sub = r.sub(raw, "items")
        low, high = sub.integer("min", required=True), sub.integer("max", required=True)
        sub.finish()
        if low is None or high is None:
            return ItemCount(1, 1)
        if low < 1 or high < low:
            r.problem("items", f"needs 1 <= min <= max, not min {low}, max {high}")
        return ItemCount(low, high)
    r.problem("items", "is required" if raw is None else f"must be a count or {{min, max}}, not {raw!r}")
    return ItemCount(1, 1)


def _score(r: Reader) -> ScoreRange:
    sub = r.sub(r.mapping("score"), "score")
    low, high = _number(sub, "min"), _number(sub, "max")
    unit = sub.choice("unit", SCORE_UNITS)
    sub.finish()
    if low is not None and high is not None and low >= high:
        r.problem("score", f"min {low:g} must be below max {high:g}")
    return ScoreRange(low or 0.0, high if high is not None else 1.0, unit)


def _missing(r: Reader, items: ItemCount, allowed: set[str]) -> MissingRule:
    sub = r.sub(r.mapping("missing"), "missing")
    method = sub.choice("method", MISSING_METHODS)
    max_missing = sub.integer("max_missing", required=True)
    note = sub.text("note", required=False)
    refs = _nested_sources(sub, required=bool(max_missing), allowed=allowed)
    sub.finish()
    if max_missing is None:
        return MissingRule(method or "none", 0, note, refs)
    if max_missing < 0 or max_missing >= items.min:
        r.problem("missing", f"max_missing must be from 0 to {items.min - 1}, not {max_missing}")
    if method == "none" and max_missing != 0:
        r.problem("missing", "method 'none' allows no unanswered item: set max_missing to 0")
    if method == "prorate" and max_missing == 0:
        r.problem("missing", "method 'prorate' needs max_missing of at least 1")
    return MissingRule(method or "none", max_missing, note, refs)


def _bands(r: Reader, score: ScoreRange, allowed: set[str]) -> Bands | None:
    if r.raw.get("bands") is None:
        r.seen.add("bands")
        return None
    sub = r.sub(r.mapping("bands"), "bands")
    note = sub.text("note", required=False)
    refs = _nested_sources(sub, required=True, allowed=allowed)
    levels: list[Band] = []
    for i, raw in enumerate(sub.items("levels", required=True)):
        lr = sub.sub(raw, f"levels[{i}]")
        label, low, high = lr.text("label"), _number(lr, "min"), _number(lr, "max")
        lr.finish()
        if low is None or high is None:
            continue
        if low > high:
            r.problem("bands", f"level '{label}': min {low:g} is above max {high:g}")
        if low < score.min or high > score.max:
            r.problem("bands", f"level '{label}' ({low:g}-{high:g}) lies outside the score range")
        if levels and low <= levels[-1].max:
            r.problem("bands", f"level '{label}' must start above the previous level's max {levels[-1].max:g}")
        levels.append(Band(label, low, high))
    sub.finish()
    if not levels:
        r.problem("bands", "must list at least one level")
        return None
    return Bands(tuple(levels), note, refs)


def _mcid(r: Reader, score: ScoreRange, allowed: set[str]) -> Mcid | None:
    if r.raw.get("mcid") is None:
        r.seen.add("mcid")
        return None
    sub = r.sub(r.mapping("mcid"), "mcid")
    kind = sub.choice("kind", MCID_KINDS)
    value = _number(sub, "value")
    unit = sub.choice("unit", SCORE_UNITS)
    relative = _number(sub, "relative_percent", required=False)
    note = sub.text("note", required=False)
    refs = _nested_sources(sub, required=True, allowed=allowed)
    sub.finish()
    if unit and unit != score.unit:
        r.problem("mcid", f"unit '{unit}' must be the score's unit '{score.unit}'")
    if value is not None:
        if kind == "threshold" and not score.min < value <= score.max:
            r.problem("mcid", f"threshold {value:g} lies outside the score range")
        if kind != "threshold" and not 0 < value <= score.max - score.min:
            r.problem("mcid", f"value {value:g} must be a positive change within the score range")
    if relative is not None and not 0 < relative <= 100:
        r.problem("mcid", f"relative_percent must be above 0 and at most 100, not {relative:g}")
    if relative is not None and kind == "threshold":
        r.problem("mcid", "a threshold takes no relative_percent")
    return Mcid(kind, value if value is not None else 1.0, unit, relative, note, refs)


def _check_arithmetic(r: Reader, inst: Instrument) -> None:
    """The score range must follow from the items and the scoring rule."""
    n, lo, hi, score = inst.items, inst.item_min, inst.item_max, inst.score
    if inst.scoring in ("sum", "sum_and_percent", "percent", "single") and not n.fixed:
        r.problem("items", f"scoring '{inst.scoring}' needs a fixed item count")
        return
    if inst.scoring == "single" and n.max != 1:
        r.problem("items", "scoring 'single' needs exactly 1 item")
    expected: tuple[float, float] | None = None
    if inst.scoring in ("single", "mean"):
        expected = (lo, hi)
    elif inst.scoring in ("sum", "sum_and_percent"):
        expected = (n.max * lo, n.max * hi)
    elif inst.scoring == "percent":
        expected = (0.0, 100.0)
    if expected and (score.min, score.max) != expected:
        r.problem(
            "score",
            f"scoring '{inst.scoring}' of {n.max} item(s) {lo:g}-{hi:g} gives "
            f"{expected[0]:g}-{expected[1]:g}, not {score.min:g}-{score.max:g}",
        )


def _instrument(raw: Any, file: str, index: int, problems: list[str]) -> Instrument | None:
    r = Reader(raw, file, index, problems)
    if not isinstance(raw, dict):
        return None  # Reader has already reported it
    ident = r.text("id")
    if ident and not _ID.match(ident):
        r.problem("id", f"'{ident}' must be lower snake_case")
    refs = r.sources()
    allowed = {ref.id for ref in refs}
    items = _items(r)
    item_min, item_max = _number(r, "item_min"), _number(r, "item_max")
    if item_min is not None and item_max is not None and item_min >= item_max:
        r.problem("item_max", f"must be above item_min ({item_min:g})")
    integer_items = _flag(r, "integer_items")
    if integer_items and any(v is not None and not float(v).is_integer() for v in (item_min, item_max)):
        r.problem("integer_items", "whole-number items need whole-number item_min and item_max")
    score = _score(r)
    input_units = r.texts("input_units")
    unknown_units = [u for u in input_units if u not in PRESSURE_UNITS]
    if unknown_units:
        r.problem("input_units", f"{', '.join(unknown_units)} not one of: {', '.join(PRESSURE_UNITS)}")
    if input_units and (score.unit != "kPa" or "kPa" not in input_units):
        r.problem("input_units", "pressure input needs score unit 'kPa' and must accept kPa itself")
    loinc = r.text("loinc", required=False)
    if loinc:
        match = _LOINC.match(loinc)
        if not match:
            r.problem("loinc", f"'{loinc}' is not a LOINC code like 72514-3")
        elif loinc_check_digit(match.group(1)) != int(match.group(2)):
            r.problem(
                "loinc",
                f"'{loinc}' fails the LOINC check digit (expected {loinc_check_digit(match.group(1))})",
            )
    instrument = Instrument(
        id=ident,
        name=r.text("name"),
        abbreviation=r.text("abbreviation"),
        construct=r.text("construct"),
        items=items,
        item_min=item_min if item_min is not None else 0.0,
        item_max=item_max if item_max is not None else 1.0,
        integer_items=integer_items,
        scoring=r.choice("scoring", SCORINGS),
        score=score,
        direction=r.choice("direction", DIRECTIONS),
        missing=_missing(r, items, allowed),
        item_text=r.choice("item_text", ITEM_TEXT),
        licence=r.text("licence"),
        sources=refs,
        input_units=input_units,
        bands=_bands(r, score, allowed),
        mcid=_mcid(r, score, allowed),
        loinc=loinc,
        note=r.text("note", required=False),
    )
    if instrument.scoring:
        _check_arithmetic(r, instrument)
    if instrument.missing.method == "prorate" and instrument.scoring == "single":
        r.problem("missing", "a single-item scale cannot be prorated")
    if instrument.mcid and instrument.mcid.kind == "threshold" and instrument.scoring != "single":
        r.problem("mcid", "kind 'threshold' is for single-item ratings of change (GROC)")
    r.finish()
    return instrument


def parse_instruments(raw: object, file: str) -> dict[str, Instrument]:
    """Validate the entries of instruments.yaml and return them by ID.

    Raises KnowledgeError listing every problem (file, entry, field). Source IDs are returned as
    SourceRef objects; whether they exist in the bibliography is the loader's check.
    """
    problems: list[str] = []
    if not isinstance(raw, list):
        raise KnowledgeError([f"{where(file, None, None)}: must be a list of entries"])
    out: dict[str, Instrument] = {}
    for index, entry in enumerate(raw):
        instrument = _instrument(entry, file, index, problems)
        if instrument is None or not instrument.id:
            continue
        if instrument.id in out:
            problems.append(f"{where(file, instrument.id, 'id')}: duplicate ID")
            continue
        out[instrument.id] = instrument
    if problems:
        raise KnowledgeError(problems)
    return out
