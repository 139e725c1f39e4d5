"""Scoring outcome instruments, and reading the change between two visits.

Every rule the scorer applies (item ranges, how many items may be left blank, the formula, the
bands, the minimal important change) comes from the instrument's record in instruments.yaml,
validated at load time. This module only does the arithmetic, so a clinician checking a result
can follow it by hand:

- NDI:       raw = sum of items (prorated: sum x 10 / answered), 0-50 points; percent = raw x 2.
- ODI:       percent = sum / (5 x sections answered) x 100.
- QuickDASH: score = (mean of answered items - 1) x 25, 0-100.
- LEFS:      sum of the 20 items, 0-80.
- PSFS:      mean of the 3-5 activity ratings.
- PPT:       mean of the trials, reported in kPa and in the unit they were entered in.
- NPRS, VAS, GROC: the single rating.

Two kinds of bad input are kept apart on purpose. A value that cannot be on the form (an NDI
item of 9, eleven NDI answers, a kg/cm2 reading typed as "kgs") is a ValueError naming the item
and the valid range: the form was filled in wrongly and must be corrected. A form with too many
unanswered items is a valid form that simply cannot be scored: it returns a Score with
`scorable=False` and the reason, so it can still be stored and shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

from needlechart.knowledge.instruments import Instrument

# Pressure units to kPa: 1 kgf/cm2 = 9.80665 N / 1e-4 m2 = 98.0665 kPa; 1 N/cm2 = 1e4 Pa = 10 kPa.
KPA_PER_UNIT: dict[str, float] = {"kPa": 1.0, "kg/cm2": 98.0665, "N/cm2": 10.0}
_UNIT_ALIASES = {
    "kpa": "kPa",
    "kg/cm2": "kg/cm2",
    "kg/cm²": "kg/cm2",
    "kgf/cm2": "kg/cm2",
    "kgf/cm²": "kg/cm2",
    "n/cm2": "N/cm2",
    "n/cm²": "N/cm2",
}
_EPSILON = 1e-9  # float slack when comparing a change with its threshold (7.5 vs 7.499999...)


class ChangeNotApplicable(ValueError):
    """The instrument already rates change (GROC); subtracting two of its scores means nothing."""


@dataclass(frozen=True, slots=True)
class Score:
    """One completed form, scored.

    `value` is the reported score in `unit` (NDI raw points, ODI percent, QuickDASH 0-100, PSFS
    mean, PPT mean in kPa, ...). `raw` is the plain arithmetic before any proration or rescaling:
    the sum of the answered items for summed scales, the mean for mean-scored ones, the rating for
    single-item ones. `percent` is set where a scale is also read as a percentage of its maximum
    (NDI). `input_value`/`input_unit` give a PPT mean in the unit the trials were entered in.
    """

    instrument: str
    scorable: bool
    reason: str
    value: float | None
    unit: str
    raw: float | None
    percent: float | None
    band: str | None
    interpretation: str
    items: int
    answered: int
    missing: int
    prorated: bool
    input_value: float | None = None
    input_unit: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    """The change between two scores of one instrument, with improvement always positive.

    `difference` is follow-up minus baseline as plain arithmetic; `improvement` is the same change
    turned so that getting better is positive whichever way the scale runs. `percent_improvement`
    is the improvement as a percentage of the baseline (None when the baseline is 0).
    `reaches_mcid` compares the improvement with the instrument's MCID (or MDC, see
    `threshold_kind`); `responder` also applies the relative rule where one is published
    (NPRS, VAS, ODI: 30% of baseline), and `responder_reason` says which rule decided.
    """

    instrument: str
    unit: str
    baseline: float
    follow_up: float
    difference: float
    improvement: float
    percent_improvement: float | None
    threshold: float | None
    threshold_kind: str | None
    relative_percent: float | None
    reaches_mcid: bool | None
    responder: bool
    responder_reason: str


class _ScoreCommon(TypedDict):
    """The fields every Score of one form shares, scorable or not."""

    instrument: str
    unit: str
    items: int
    answered: int
    missing: int


class _ChangeCommon(TypedDict):
    """The fields every Change shares, with or without an MCID."""

    instrument: str
    unit: str
    baseline: float
    follow_up: float
    difference: float
    improvement: float
    percent_improvement: float | None


def normalise_pressure_unit(unit: str) -> str:
    """Accept the spellings clinicians type (kpa, kg/cm², N/cm2) and return the canonical one."""
    canonical = _UNIT_ALIASES.get(unit.strip().lower().replace(" ", ""))
    if canonical is None:
        raise ValueError(f"unknown pressure unit {unit!r}; use one of: {', '.join(KPA_PER_UNIT)}")
    return canonical


def convert_pressure(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a pressure between kPa, kg/cm2 and N/cm2 (1 kg/cm2 = 98.0665 kPa, 1 N/cm2 = 10 kPa)."""
    source, target = normalise_pressure_unit(from_unit), normalise_pressure_unit(to_unit)
    if source == target:
        return float(value)
    return float(value) * KPA_PER_UNIT[source] / KPA_PER_UNIT[target]


def _fmt(value: float, digits: int = 2) -> str:
    """A number as a clinician writes it: 7.5, 16, 35.56."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _amount(value: float, unit: str, digits: int = 2, *, change: bool = False) -> str:
    """A number with its unit as it reads in a note: 35.56%, 1 point, 7.5 points, 47 kPa.

    A change on a percentage scale is written in percentage points (ODI 40% -> 30% is 10
    percentage points) so that it cannot be confused with a relative change of 10%.
    """
    if unit == "percent":
        return f"{_fmt(value, digits)} percentage points" if change else f"{_fmt(value, digits)}%"
    if unit == "points" and abs(abs(value) - 1) < _EPSILON:
        unit = "point"
    return f"{_fmt(value, digits)} {unit}"


def _count_text(instrument: Instrument) -> str:
    n = instrument.items
    return f"{n.min}" if n.fixed else f"{n.min} to {n.max}"


def _input_unit(instrument: Instrument, unit: str | None) -> str | None:
    """The unit the answers are in: one of the instrument's input units (PPT), else None."""
    if not instrument.input_units:
        if unit is not None and unit.strip() and unit.strip() != instrument.score.unit:
            raise ValueError(f"{instrument.abbreviation} takes no unit (its score is in {instrument.score.unit})")
        return None
    chosen = normalise_pressure_unit(unit) if unit else instrument.score.unit
    if chosen not in instrument.input_units:
        raise ValueError(f"unit {chosen} is not accepted; use one of: {', '.join(instrument.input_units)}")
    return chosen


def _check_items(instrument: Instrument, answers: Sequence[float | None], unit: str | None) -> list[float | None]:
    """Validate every answer and return them in the score's unit (kPa for PPT), None kept as None."""
    count = len(answers)
    if not instrument.items.min <= count <= instrument.items.max:
        raise ValueError(f"{instrument.abbreviation} takes {_count_text(instrument)} item(s); got {count}")
    low, high = instrument.item_min, instrument.item_max
    shown_low, shown_high, suffix = low, high, ""
    if unit is not None:
        shown_low = convert_pressure(low, instrument.score.unit, unit)
        shown_high = convert_pressure(high, instrument.score.unit, unit)
        suffix = f" {unit}"
    kind = "whole numbers " if instrument.integer_items else ""
    valid = f"valid: {kind}{_fmt(shown_low)} to {_fmt(shown_high)}{suffix}"
    out: list[float | None] = []
    for number, answer in enumerate(answers, start=1):
        if answer is None:
            out.append(None)
            continue
        if isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer):
            raise ValueError(f"item {number} is {answer!r}, not a number ({valid})")
        value = float(answer)
        if instrument.integer_items and not value.is_integer():
            raise ValueError(f"item {number} is {_fmt(value, 4)} ({valid})")
        base = convert_pressure(value, unit, instrument.score.unit) if unit is not None else value
        if not low - _EPSILON <= base <= high + _EPSILON:
            raise ValueError(f"item {number} is {_fmt(value, 4)}{suffix}, out of range ({valid})")
        out.append(base)
    return out


def _interpret(instrument: Instrument, value: float) -> tuple[str | None, str]:
    """The published band, and a one-line reading (the band, or GROC's improved / not improved)."""
    band = instrument.bands.label_for(value) if instrument.bands else None
    mcid = instrument.mcid
    if mcid is not None and mcid.kind == "threshold":
        sign = "+" if mcid.value > 0 else ""
        verdict = "improved" if value >= mcid.value - _EPSILON else "not improved"
        return band, f"{verdict} (threshold {sign}{_fmt(mcid.value)})"
    return band, band or ""


def score(instrument: Instrument, answers: Sequence[float | None], *, unit: str | None = None) -> Score:
    """Score one completed form; None marks an unanswered item.

    Raises ValueError when the form itself is wrong (wrong number of items, a value outside the
    item range, a fraction on a whole-number scale, an unknown unit). Returns an unscorable Score
    when more items are unanswered than the instrument's published rule allows.
    """
    input_unit = _input_unit(instrument, unit)
    values = _check_items(instrument, answers, input_unit)
    given = [v for v in values if v is not None]
    count, answered = len(values), len(given)
    missing = count - answered
    base = _ScoreCommon(
        instrument=instrument.id, unit=instrument.score.unit, items=count, answered=answered, missing=missing
    )
    rule = instrument.missing
    if missing > rule.max_missing or answered == 0:
        allowed = "every item must be answered" if rule.max_missing == 0 else f"at most {rule.max_missing} may be"
        reason = f"{missing} of {count} items unanswered; {allowed} for the {instrument.abbreviation}"
        return Score(
            scorable=False,
            reason=reason,
            value=None,
            raw=None,
            percent=None,
            band=None,
            interpretation="not scorable",
            prorated=False,
            input_unit=input_unit,
            **base,
        )

    lo, hi = instrument.item_min, instrument.item_max
    total = math.fsum(given)
    mean = total / answered
    percent: float | None = None
    typed_mean: float | None = None
    if instrument.scoring == "single":
        raw = value = given[0]
    elif instrument.scoring in ("sum", "sum_and_percent"):
        # Proration = substituting the mean of the answered items for each missing one.
        raw, value = total, (total if missing == 0 else total * count / answered)
        if instrument.scoring == "sum_and_percent":
            percent = _percent_of_range(total, answered, lo, hi)
    elif instrument.scoring == "percent":
        raw, value = total, _percent_of_range(total, answered, lo, hi)
    elif input_unit is not None and input_unit != instrument.score.unit:
        # Average the trials as typed, then convert once: 3.1, 3.3, 3.2 kg/cm2 -> 3.2 kg/cm2 exactly.
        typed_mean = math.fsum(float(a) for a in answers if a is not None) / answered
        raw = value = convert_pressure(typed_mean, input_unit, instrument.score.unit)
    else:  # mean
        raw = value = mean
    prorated = missing > 0
    notes: list[str] = []
    if prorated:
        notes.append(
            f"{missing} unanswered item(s): scored from the {answered} answered (at most {rule.max_missing} allowed)"
        )
    input_value = None
    if input_unit is not None:
        input_value = (
            typed_mean if typed_mean is not None else convert_pressure(value, instrument.score.unit, input_unit)
        )
    band, interpretation = _interpret(instrument, value)
    return Score(
        scorable=True,
        reason="",
        value=value,
        raw=raw,
        percent=percent,
        band=band,
        interpretation=interpretation,
        prorated=prorated,
        input_value=input_value,
        input_unit=input_unit,
        notes=tuple(notes),
        **base,
    )


def _percent_of_range(total: float, answered: int, lo: float, hi: float) -> float:
    """Mean of the answered items as a percentage of the item range, computed in one division.

    This is ODI's sum / (5 x answered) x 100 and QuickDASH's (mean - 1) x 25; dividing once keeps
    whole-number forms exact (a QuickDASH of 45 is 45.0, not 44.99999999999999).
    """
    return (total - answered * lo) * 100 / (answered * (hi - lo))


def groc_improved(instrument: Instrument, result: Score) -> bool:
    """Whether a single global-rating-of-change score reads as improved (at or above the threshold)."""
    mcid = instrument.mcid
    if mcid is None or mcid.kind != "threshold":
        raise ValueError(f"{instrument.abbreviation} has no improvement threshold; compare two scores with change()")
    if result.instrument != instrument.id or not result.scorable or result.value is None:
        raise ValueError(f"not a scorable {instrument.abbreviation} score")
    return result.value >= mcid.value - _EPSILON


def change(instrument: Instrument, baseline: Score, follow_up: Score) -> Change:
    """Compare a follow-up score with the baseline, improvement positive, against the MCID.

    A responder reaches the absolute MCID, or, where the instrument publishes a relative rule,
    improves by at least that percentage of the baseline (NPRS: >= 2 points OR >= 30% reduction).
    Raises ChangeNotApplicable for the GROC, which already measures change (use groc_improved),
    and ValueError for scores of another instrument or that could not be scored.
    """
    mcid = instrument.mcid
    if mcid is not None and mcid.kind == "threshold":
        raise ChangeNotApplicable(
            f"the {instrument.abbreviation} already rates change: read one score with groc_improved() "
            f"(improved at {_fmt(mcid.value)} or more) instead of subtracting two"
        )
    for label, result in (("baseline", baseline), ("follow-up", follow_up)):
        if result.instrument != instrument.id:
            raise ValueError(f"{label} score is for '{result.instrument}', not '{instrument.id}'")
        if not result.scorable or result.value is None:
            raise ValueError(f"{label} {instrument.abbreviation} could not be scored: {result.reason}")
    before, after = float(baseline.value), float(follow_up.value)  # type: ignore[arg-type]
    difference = after - before
    improvement = difference if instrument.higher_is_better else -difference
    percent = improvement / abs(before) * 100 if before != 0 else None
    common = _ChangeCommon(
        instrument=instrument.id,
        unit=instrument.score.unit,
        baseline=before,
        follow_up=after,
        difference=difference,
        improvement=improvement,
        percent_improvement=percent,
    )
    if mcid is None:
        return Change(
            **common,
            threshold=None,
            threshold_kind=None,
            relative_percent=None,
            reaches_mcid=None,
            responder=False,
            responder_reason=f"no minimal important change is recorded for the {instrument.abbreviation}",
        )
    unit = instrument.score.unit
    reaches = improvement >= mcid.value - _EPSILON
    relative_ok = (
        mcid.relative_percent is not None and percent is not None and percent >= mcid.relative_percent - _EPSILON
    )
    name = "MCID" if mcid.kind == "mcid" else "minimal detectable change"
    moved = f"{_amount(abs(improvement), unit, change=True)} {'better' if improvement >= 0 else 'worse'}"
    if percent is not None:
        moved += f" ({_fmt(abs(percent), 1)}% of baseline)"
    rule = _amount(mcid.value, unit, change=True)
    if mcid.relative_percent is not None:
        rule += f" or {_fmt(mcid.relative_percent)}% of baseline"
    if improvement <= 0:
        reason = f"{moved}: not improved"
    elif reaches:
        reason = f"{moved}: reaches the {name} of {_amount(mcid.value, unit, change=True)}"
    elif relative_ok:
        absolute = _amount(mcid.value, unit, change=True)
        reason = f"{moved}: below {absolute} but reaches the {_fmt(mcid.relative_percent or 0)}% rule"
    else:
        reason = f"{moved}: below the {name} ({rule})"
    return Change(
        **common,
        threshold=mcid.value,
        threshold_kind=mcid.kind,
        relative_percent=mcid.relative_percent,
        reaches_mcid=reaches,
        responder=improvement > 0 and (reaches or relative_ok),
        responder_reason=reason,
    )


def responder_range(instrument: Instrument, baseline: float) -> tuple[float, float] | None:
    """The follow-up scores that `change` reads as a responder against `baseline` (for the GROC, the
    ratings `groc_improved` reads as improved), as (low, high) on the score scale; None when the
    instrument has no MCID or no score on the scale can reach it. Charts shade this band."""
    mcid = instrument.mcid
    low, high = instrument.score.min, instrument.score.max
    if mcid is None:
        return None
    if mcid.kind == "threshold":
        return (max(mcid.value, low), high)
    needed = mcid.value
    if mcid.relative_percent is not None and baseline != 0:
        needed = min(needed, abs(baseline) * mcid.relative_percent / 100)
    # Any improvement at all is needed too: the band never includes the baseline itself.
    if instrument.higher_is_better:
        edge = max(baseline + needed, math.nextafter(baseline, math.inf))
        return (edge, high) if edge <= high else None
    edge = min(baseline - needed, math.nextafter(baseline, -math.inf))
    return (low, edge) if edge >= low else None


def describe(instrument: Instrument, result: Score) -> str:
    """A few lines for a terminal: the score, its band, missing items, the MCID and the licence."""
    lines = [f"{instrument.name} ({instrument.abbreviation})"]
    if not result.scorable or result.value is None:
        lines.append(f"Not scorable: {result.reason}")
    else:
        text = f"Score: {_amount(result.value, result.unit)}"
        if instrument.scoring in ("sum", "sum_and_percent"):
            text = f"Score: {_fmt(result.value)} of {_amount(instrument.score.max, result.unit)}"
        if result.percent is not None:
            text += f" ({_fmt(result.percent)}%)"
        if result.input_unit and result.input_unit != result.unit and result.input_value is not None:
            text += f" = {_fmt(result.input_value, 3)} {result.input_unit} (mean of {result.answered} trials)"
        lines.append(text)
        if result.interpretation:
            lines.append(f"Reading: {result.interpretation}")
    lines.append(f"Items: {result.answered} of {result.items} answered")
    lines.extend(f"Note: {note}" for note in result.notes)
    mcid = instrument.mcid
    if mcid is not None and mcid.kind != "threshold":
        name = "MCID" if mcid.kind == "mcid" else "Minimal detectable change"
        rule = _amount(mcid.value, instrument.score.unit, change=True)
        if mcid.relative_percent is not None:
            rule += f" or {_fmt(mcid.relative_percent)}% of baseline"
        cited = ", ".join(ref.id for ref in mcid.sources)
        lines.append(f"{name}: {rule} ({cited})")
    lines.append(f"Licence: {instrument.licence}")
    return "\n".join(lines)
