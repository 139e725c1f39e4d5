"""The published benchmarks (data/benchmarks.yaml) as typed, frozen records.

The clinic dashboard sets the clinic's own figures against these: adverse events per 1,000
treatments by kind (Brady 2014, Boyce 2020) and treatment effects on pain and disability. Every
figure names its source; a confidence interval the source does not give is None with a note saying
so, never a number of ours.

The file is one mapping of sections. Problems are collected and reported at once as
`benchmarks.yaml: entry 'ID': field 'F': ...`. References to other files (conditions, instruments,
sources) are returned for the loader to check with the rest of the knowledge base; references inside
the file (an adverse-event kind's codes and severities, a study's kinds) are checked here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import where
from .reader import Reader
from .sourceref import SourceRef

FILE = "benchmarks.yaml"
SECTIONS = ("adverse_event_codes", "severities", "adverse_event_types", "adverse_event_studies", "effects")
MEASURES = ("mean_difference", "smd", "sd_effect", "derived_points")
POINT_MEASURES = ("mean_difference", "derived_points")  # in an instrument's own points
SIGNS = ("negative", "positive")
DASHBOARD_WEEKS = (4, 8, 12)
EXPOSURE_UNITS = ("treatments", "sessions")

# (kind, id, file, entry, field): a reference the loader checks against the other files.
Reference = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class Interval:
    """A confidence interval (or a derived range), low to high."""

    low: float
    high: float

    def scaled(self, factor: float) -> Interval:
        return Interval(self.low * factor, self.high * factor)

    def overlaps(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class AdverseEventType:
    """A kind of adverse event the dashboard counts: the events with one of `codes`, or (an aggregate)
    with one of `severities`."""

    id: str
    name: str
    codes: tuple[str, ...]
    severities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StudyRate:
    """One kind's rate per 1,000 in a study. `events`: the count the source reports, if any (an exact
    interval can then be computed from it and the study's exposure)."""

    type: str
    per_1000: float
    events: int | None
    ci: Interval | None
    ci_note: str


@dataclass(frozen=True, slots=True)
class AdverseEventStudy:
    id: str
    name: str
    exposure: int
    exposure_unit: str
    population: str
    note: str
    rates: tuple[StudyRate, ...]
    sources: tuple[SourceRef, ...]

    def rate(self, kind: str) -> StudyRate | None:
        return next((r for r in self.rates if r.type == kind), None)


@dataclass(frozen=True, slots=True)
class Effect:
    """A published treatment effect. `value` (or, for a derived figure, `range`) in the `measure`'s
    unit; `sign` says whether a benefit is negative or positive; `weeks` the dashboard columns its time
    point matches."""

    id: str
    study: str  # how the page names it: "Navarro-Santana 2020"
    modality: str
    conditions: tuple[str, ...]  # empty: chronic or myofascial pain in general
    comparison: str
    timepoint: str
    weeks: tuple[int, ...]
    measure: str
    instrument: str  # for measures in an instrument's points; "" otherwise
    outcome: str
    value: float | None
    range: Interval | None
    sign: str
    ci: Interval | None
    ci_note: str
    sources: tuple[SourceRef, ...]

    @property
    def in_points(self) -> bool:
        return self.measure in POINT_MEASURES

    def listed_for(self, condition: str) -> bool:
        """Shown for the filter: every effect for all conditions, else the condition's and the general ones."""
        return not condition or not self.conditions or condition in self.conditions

    def compares_with(self, condition: str) -> bool:
        """Set against the clinic's figure: a general effect always, a condition's only when that
        condition is chosen (a neck-pain trial says nothing about a clinic's knees)."""
        return not self.conditions or condition in self.conditions


@dataclass(frozen=True)
class Benchmarks:
    adverse_event_codes: tuple[str, ...]
    severities: tuple[str, ...]
    adverse_event_types: dict[str, AdverseEventType]
    adverse_event_studies: dict[str, AdverseEventStudy]
    effects: dict[str, Effect]


def _ids(raw: dict[str, Any], key: str, problems: list[str]) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{where(FILE, None, key)}: must be a non-empty list of IDs")
        return ()
    return tuple(value)


def _entries(raw: dict[str, Any], key: str, problems: list[str]) -> list[Reader]:
    value = raw.get(key)
    if not isinstance(value, list):
        problems.append(f"{where(FILE, None, key)}: must be a list of entries")
        return []
    readers, seen = [], set()
    for i, item in enumerate(value):
        r = Reader(item, FILE, i, problems)
        if r.entry in seen:
            r.problem("id", "duplicate ID")
        seen.add(r.entry)
        readers.append(r)
    return readers


def _number(r: Reader, raw: Any, field: str) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        r.problem(field, f"must be a number, not {raw!r}")
        return None
    return float(raw)


def _interval(r: Reader, raw: Any, field: str) -> Interval | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"low", "high"}:
        r.problem(field, f"must be {{low, high}} or null, not {raw!r}")
        return None
    low, high = _number(r, raw["low"], field), _number(r, raw["high"], field)
    if low is None or high is None:
        return None
    if low > high:
        r.problem(field, f"low {low:g} is above high {high:g}")
        return None
    return Interval(low, high)


def _ci(r: Reader, raw: dict[str, Any]) -> tuple[Interval | None, str]:
    """The interval, or null with the note that says why (an absent `ci` key is a mistake, not a null)."""
    r.seen.update(("ci", "ci_note"))
    if "ci" not in raw:
        r.problem("ci", "is required: give {low, high}, or null with a ci_note such as 'not reported in our source'")
        return None, ""
    ci = _interval(r, raw["ci"], "ci")
    note = raw.get("ci_note", "")
    if not isinstance(note, str):
        r.problem("ci_note", f"must be text, not {note!r}")
        note = ""
    if ci is None and raw["ci"] is None and not note.strip():
        r.problem("ci_note", "a null ci needs its note (e.g. 'not reported in our source')")
    return ci, note.strip()


def _types(
    raw: dict[str, Any], codes: tuple[str, ...], severities: tuple[str, ...], problems: list[str]
) -> dict[str, AdverseEventType]:
    out: dict[str, AdverseEventType] = {}
    for r in _entries(raw, "adverse_event_types", problems):
        kind = AdverseEventType(r.text("id"), r.text("name"), r.texts("codes"), r.texts("severities"))
        r.finish()
        if bool(kind.codes) == bool(kind.severities):
            r.problem("codes", "give either codes or severities (an aggregate by severity), not both nor neither")
        for code in kind.codes:
            if code not in codes:
                r.problem("codes", f"'{code}' is not one of adverse_event_codes")
        for severity in kind.severities:
            if severity not in severities:
                r.problem("severities", f"'{severity}' is not one of severities")
        out[kind.id] = kind
    return out


def _studies(
    raw: dict[str, Any], types: dict[str, AdverseEventType], problems: list[str], refs: list[Reference]
) -> dict[str, AdverseEventStudy]:
    out: dict[str, AdverseEventStudy] = {}
    for r in _entries(raw, "adverse_event_studies", problems):
        exposure = r.integer("exposure", required=True) or 0
        if exposure < 1 and "exposure" in r.raw:
            r.problem("exposure", "must be 1 or more treatments")
        rates = []
        for n, item in enumerate(r.items("rates", required=True), start=1):
            sub = r.sub(item, f"rates #{n}")
            kind = sub.choice("type", tuple(types))
            per_1000 = _number(sub, sub.raw.get("per_1000"), "per_1000")
            sub.seen.add("per_1000")
            events = sub.integer("events")
            ci, note = _ci(sub, sub.raw)
            sub.finish()
            if per_1000 is not None and not 0 <= per_1000 <= 1000:
                sub.problem("per_1000", f"{per_1000:g} is not a rate per 1,000 (0 to 1,000)")
            if events is not None and exposure and not 0 <= events <= exposure:
                sub.problem("events", f"{events} is not between 0 and the exposure ({exposure})")
            if per_1000 is not None and kind:
                rates.append(StudyRate(kind, per_1000, events, ci, note))
        if len({rate.type for rate in rates}) != len(rates):
            r.problem("rates", "names a kind more than once")
        study = AdverseEventStudy(
            id=r.text("id"),
            name=r.text("name"),
            exposure=exposure,
            exposure_unit=r.choice("exposure_unit", EXPOSURE_UNITS),
            population=r.text("population"),
            note=r.text("note", required=False),
            rates=tuple(rates),
            sources=r.sources(),
        )
        r.finish()
        refs.extend(("source", s.id, FILE, r.entry, "sources") for s in study.sources)
        out[study.id] = study
    return out


def _effects(raw: dict[str, Any], problems: list[str], refs: list[Reference]) -> dict[str, Effect]:
    out: dict[str, Effect] = {}
    for r in _entries(raw, "effects", problems):
        measure = r.choice("measure", MEASURES)
        weeks = tuple(r.items("weeks", required=True))
        for w in weeks:
            if w not in DASHBOARD_WEEKS:
                r.problem("weeks", f"{w!r} is not a dashboard column ({', '.join(map(str, DASHBOARD_WEEKS))})")
        value = _number(r, r.raw["value"], "value") if r.raw.get("value") is not None else None
        r.seen.add("value")
        span = _interval(r, r.raw.get("range"), "range")
        r.seen.add("range")
        if (value is None) == (span is None):
            r.problem("value", "give a value, or (for a derived figure) a range, not both nor neither")
        if span is not None and measure != "derived_points":
            r.problem("range", "only a derived_points figure is a range; give the source's value")
        ci, note = _ci(r, r.raw)
        instrument = r.text("instrument", required=measure in POINT_MEASURES)
        if instrument and measure not in POINT_MEASURES:
            r.problem("instrument", f"a {measure} is in standard deviations, not in an instrument's points")
        effect = Effect(
            id=r.text("id"),
            study=r.text("study"),
            modality=r.choice("modality", ("dry_needling", "acupuncture")),
            conditions=r.texts("conditions", required=True),
            comparison=r.text("comparison"),
            timepoint=r.text("timepoint"),
            weeks=tuple(w for w in weeks if isinstance(w, int)),
            measure=measure,
            instrument=instrument,
            outcome=r.text("outcome", required=not instrument, default="pain"),
            value=value,
            range=span,
            sign=r.choice("sign", SIGNS),
            ci=ci,
            ci_note=note,
            sources=r.sources(),
        )
        r.finish()
        refs.extend(("condition", c, FILE, r.entry, "conditions") for c in effect.conditions)
        if instrument:
            refs.append(("instrument", instrument, FILE, r.entry, "instrument"))
        refs.extend(("source", s.id, FILE, r.entry, "sources") for s in effect.sources)
        out[effect.id] = effect
    return out


def parse_benchmarks(raw: object, problems: list[str]) -> tuple[Benchmarks | None, list[Reference]]:
    """Validate benchmarks.yaml; return its records with the references the loader must check."""
    if not isinstance(raw, dict):
        problems.append(f"{FILE}: must be a mapping of sections ({', '.join(SECTIONS)})")
        return None, []
    for key in sorted(set(map(str, raw)) - set(SECTIONS)):
        problems.append(f"{where(FILE, None, key)}: is not a known section (use {', '.join(SECTIONS)})")
    refs: list[Reference] = []
    codes = _ids(raw, "adverse_event_codes", problems)
    severities = _ids(raw, "severities", problems)
    types = _types(raw, codes, severities, problems)
    studies = _studies(raw, types, problems, refs)
    effects = _effects(raw, problems, refs)
    return Benchmarks(codes, severities, types, studies, effects), refs
