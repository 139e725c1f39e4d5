"""The clinic's outcomes and safety as figures with confidence intervals, set against published
benchmarks (knowledge base: benchmarks.yaml). Pure: the dashboard's selectors turn rows into
`EpisodeData` and adverse-event tuples, and everything counted or estimated is decided here.

Definitions (the dashboard states them beside its tables):

- Exact intervals: a proportion's interval is Clopper-Pearson (the binomial distribution inverted
  with the regularized incomplete beta function, computed by its continued fraction and inverted by
  bisection); a mean's interval is Student's t with n - 1 degrees of freedom (the t quantile from the
  same incomplete beta). Both at 95% unless asked otherwise.
- Responder on an instrument: the core's reading (`progress.instrument_progress`) of the episode's
  measurements of that instrument dated within 12 weeks of the plan's start (baseline = the first,
  latest = the last in that window) has `met` true. Episodes whose reading has nothing to compare
  (`met` None: a single measurement) are not counted. The NPRS is read on its current rating (not the
  24-hour best and worst); the PPT, read per site and side, counts as met only when every site and
  side compared met it.
- Mean change at k weeks (4, 8, 12): per episode, the follow-up is the measurement of the instrument
  closest to the plan's start + k weeks, within 7 days either side (a tie goes to the earlier), and
  dated after the baseline (the episode's first measurement of it); the change is follow-up minus
  baseline, as plain arithmetic (on the NPRS, a fall in pain is negative, as in the published mean
  differences). The GROC (a rating of change, no baseline) and the PPT (per site, not pooled) are
  not averaged.
- Adverse events per 1,000 treatments: treatments are the signed visits; a kind's count is the
  number of treatments with at least one event of that kind (so it is a binomial count, and its
  exact interval holds).
- Outcome completeness: the share of due measurements actually taken, by the rule of
  `needlechart.clinical.due` (`occasions`), counting the points that fall in the date range.
- A comparison with a benchmark says whether the two intervals overlap (no clear difference) or not
  (higher or lower); a benchmark without an interval is read by whether its value lies in the
  clinic's interval, and the text says the source gave none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from needlechart.clinical import due as schedule
from needlechart.clinical import progress as core
from needlechart.knowledge.benchmarks import AdverseEventStudy, Benchmarks, Effect, Interval
from needlechart.knowledge.instruments import Instrument
from needlechart.knowledge.model import KnowledgeBase
from needlechart.knowledge.sourceref import SourceRef

CONFIDENCE = 0.95
RESPONDER_WEEKS = 12
CHANGE_WEEKS = (4, 8, 12)
WINDOW_DAYS = 7
_BETA_EPS = 1e-15
_TINY = 1e-300


class BenchmarkInputError(ValueError):
    """A count, a confidence level or a date range that cannot be estimated from."""


# ---------------------------------------------------------------- exact intervals


def _continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz's method)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _BETA_EPS:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1."""
    if a <= 0 or b <= 0:
        raise BenchmarkInputError(f"the beta function needs a > 0 and b > 0, not a={a:g}, b={b:g}")
    if not 0.0 <= x <= 1.0:
        raise BenchmarkInputError(f"x must lie in [0, 1], not {x:g}")
    if x == 0.0 or x == 1.0:
        return x
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _continued_fraction(b, a, 1.0 - x) / b


def beta_quantile(p: float, a: float, b: float) -> float:
    """The x with I_x(a, b) = p, by bisection (I_x is increasing in x)."""
    if not 0.0 <= p <= 1.0:
        raise BenchmarkInputError(f"a probability lies in [0, 1], not {p:g}")
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        if incomplete_beta(a, b, mid) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-15:
            break
    return (low + high) / 2


def _check_confidence(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise BenchmarkInputError(f"confidence {confidence:g}: give a level between 0 and 1, e.g. 0.95")
    return 1.0 - confidence


def clopper_pearson(k: int, n: int, confidence: float = CONFIDENCE) -> Interval:
    """The exact (Clopper-Pearson) interval for a proportion of k successes in n trials: the lower
    bound is the alpha/2 quantile of Beta(k, n - k + 1), the upper the 1 - alpha/2 quantile of
    Beta(k + 1, n - k); 0 and 1 at the edges (R's `binom.test`)."""
    alpha = _check_confidence(confidence)
    if isinstance(k, bool) or isinstance(n, bool) or n < 1 or not 0 <= k <= n:
        raise BenchmarkInputError(f"{k} of {n}: give 0 <= k <= n and n >= 1")
    low = 0.0 if k == 0 else beta_quantile(alpha / 2, k, n - k + 1)
    high = 1.0 if k == n else beta_quantile(1 - alpha / 2, k + 1, n - k)
    return Interval(low, high)


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution function: P(T <= t) = 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2 for t >= 0."""
    if df <= 0:
        raise BenchmarkInputError(f"degrees of freedom must be above 0, not {df:g}")
    tail = incomplete_beta(df / 2, 0.5, df / (df + t * t)) / 2
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p, by bisection on `t_cdf`."""
    if not 0.0 < p < 1.0:
        raise BenchmarkInputError(f"a probability strictly between 0 and 1, not {p:g}")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
        if high > 1e12:
            raise BenchmarkInputError(f"no t quantile for p={p:g} with {df:g} degrees of freedom")
    for _ in range(200):
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


@dataclass(frozen=True, slots=True)
class MeanEstimate:
    n: int
    mean: float
    sd: float | None
    ci: Interval | None  # None below two values


def mean_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> MeanEstimate:
    """The mean with its Student-t interval (n - 1 degrees of freedom; none for a single value)."""
    alpha = _check_confidence(confidence)
    n = len(values)
    if n == 0:
        raise BenchmarkInputError("no values: a mean needs at least one")
    mean = math.fsum(values) / n
    if n == 1:
        return MeanEstimate(1, mean, None, None)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile(1 - alpha / 2, n - 1) * sd / math.sqrt(n)
    return MeanEstimate(n, mean, sd, Interval(mean - half, mean + half))


# ---------------------------------------------------------------- comparing with a benchmark


@dataclass(frozen=True, slots=True)
class Comparison:
    verdict: str  # overlap | higher | lower | no_data | not_comparable
    text: str


def _fmt(value: float, digits: int = 2) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _span(interval: Interval, digits: int) -> str:
    return f"{_fmt(interval.low, digits)} to {_fmt(interval.high, digits)}"


def compare(
    clinic: Interval | None,
    name: str,
    value: float | None,
    interval: Interval | None,
    *,
    interval_kind: str = "interval",
    digits: int = 2,
) -> Comparison:
    """The clinic's interval against a benchmark's interval (or its range, `interval_kind` "range"),
    else against its value, in plain words."""
    if clinic is None:
        return Comparison("no_data", f"Too few clinic data for an interval: nothing to compare with {name}.")
    mine = f"the clinic's interval ({_span(clinic, digits)})"
    if interval is not None:
        theirs = f"{name}'s {interval_kind} ({_span(interval, digits)})"
        if clinic.overlaps(interval):
            return Comparison("overlap", f"No clear difference: {mine} overlaps {theirs}.")
        side = "higher" if clinic.low > interval.high else "lower"
        return Comparison(side, f"The clinic's figure is {side} than {name}'s: {mine} does not overlap {theirs}.")
    if value is None:
        return Comparison("not_comparable", f"{name} gives no figure to compare with.")
    caveat = f" {name} reports no interval, so its value alone is compared."
    if clinic.contains(value):
        return Comparison("overlap", f"No clear difference: {name}'s {_fmt(value, digits)} lies inside {mine}.{caveat}")
    side = "higher" if clinic.low > value else "lower"
    return Comparison(side, f"The clinic's figure is {side}: {mine} excludes {name}'s {_fmt(value, digits)}.{caveat}")


# ---------------------------------------------------------------- episodes


@dataclass(frozen=True, slots=True)
class EpisodeData:
    """What the dashboard reads of one episode: its condition, the plan the core reads it by, its
    scorable measurements (not void), its visits' dates (not discarded, in date order, up to the day),
    the instruments its schedule names and, when discharged, the day (nothing is due after it)."""

    key: str
    condition: str
    plan: core.Plan
    measurements: tuple[core.Measurement, ...]
    visit_dates: tuple[date, ...]
    instruments: tuple[str, ...]
    ended_on: date | None = None


def _instrument(kb: KnowledgeBase, ident: str) -> Instrument:
    found = kb.instruments.get(ident)
    if not isinstance(found, Instrument):
        raise BenchmarkInputError(f"unknown instrument '{ident}'")
    return found


def _order(kb: KnowledgeBase, idents: Iterable[str]) -> list[str]:
    listed = list(kb.instruments)
    return sorted(set(idents), key=lambda i: listed.index(i) if i in listed else len(listed))


@dataclass(frozen=True, slots=True)
class ResponderRow:
    instrument: str
    name: str
    responders: int
    assessed: int
    rate: float | None
    ci: Interval | None


def responder_status(kb: KnowledgeBase, episode: EpisodeData, instrument: str) -> bool | None:
    """True when the core's reading of the instrument within 12 weeks of the plan's start meets its
    MCID; None when there is nothing to compare (see the module's definitions)."""
    until = episode.plan.start + timedelta(weeks=RESPONDER_WEEKS)
    window = [m for m in episode.measurements if m.instrument == instrument and m.date <= until]
    if not window:
        return None
    rows = [r for r in core.instrument_progress(kb, window, episode.condition) if r.facet not in core.NPRS_FACETS]
    compared = [r for r in rows if r.met is not None]
    if not compared:
        return None
    return all(r.met for r in compared)


def responders(
    kb: KnowledgeBase, episodes: Sequence[EpisodeData], confidence: float = CONFIDENCE
) -> tuple[ResponderRow, ...]:
    """Per instrument measured: responders of the episodes with something to compare, with the exact
    interval of the rate."""
    counts: dict[str, list[int]] = {}
    for episode in episodes:
        for ident in {m.instrument for m in episode.measurements}:
            status = responder_status(kb, episode, ident)
            if status is not None:
                count = counts.setdefault(ident, [0, 0])
                count[0] += int(status)
                count[1] += 1
    out = []
    for ident in _order(kb, counts):
        k, n = counts[ident]
        out.append(
            ResponderRow(ident, _instrument(kb, ident).abbreviation, k, n, k / n, clopper_pearson(k, n, confidence))
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class EffectBenchmark:
    """A published effect in the instrument's own points, set against a change row."""

    effect: Effect
    comparison: Comparison


@dataclass(frozen=True, slots=True)
class ChangeRow:
    instrument: str
    name: str
    unit: str
    weeks: int
    estimate: MeanEstimate | None  # None: no episode had a follow-up in the window
    benchmarks: tuple[EffectBenchmark, ...]


def follow_up(
    measurements: Sequence[core.Measurement], start: date, weeks: int, window_days: int = WINDOW_DAYS
) -> tuple[core.Measurement, core.Measurement] | None:
    """The baseline (the first) and the follow-up closest to start + `weeks` within the window, dated
    after the baseline (a tie goes to the earlier); None when there is none. `measurements` are of
    one instrument."""
    ordered = sorted(measurements, key=lambda m: m.date)
    if len(ordered) < 2:
        return None
    baseline, target = ordered[0], start + timedelta(weeks=weeks)
    candidates = [m for m in ordered[1:] if m.date > baseline.date and abs((m.date - target).days) <= window_days]
    if not candidates:
        return None
    return baseline, min(candidates, key=lambda m: (abs((m.date - target).days), m.date))


def _averaged(kb: KnowledgeBase, ident: str, measurements: Iterable[core.Measurement]) -> bool:
    """Instruments whose change is averaged: not a rating of change, not measured per site."""
    return not schedule.rates_change(kb, ident) and not any(m.site for m in measurements)


def mean_changes(
    kb: KnowledgeBase,
    episodes: Sequence[EpisodeData],
    *,
    condition: str = "",
    confidence: float = CONFIDENCE,
) -> tuple[ChangeRow, ...]:
    """Mean change from baseline at 4, 8 and 12 weeks per instrument, each set against the published
    effects in that instrument's points that match its week (or name no week) and compare with the
    condition (`Effect.compares_with`: a condition's effect only when that condition is chosen)."""
    changes: dict[tuple[str, int], list[float]] = {}
    seen: set[str] = set()
    for episode in episodes:
        by_instrument: dict[str, list[core.Measurement]] = {}
        for m in episode.measurements:
            by_instrument.setdefault(m.instrument, []).append(m)
        for ident, rows in by_instrument.items():
            if not _averaged(kb, ident, rows):
                continue
            seen.add(ident)
            for weeks in CHANGE_WEEKS:
                pair = follow_up(rows, episode.plan.start, weeks)
                if pair is not None:
                    changes.setdefault((ident, weeks), []).append(pair[1].score - pair[0].score)
    effects = _benchmarks_of(kb).effects.values()
    out = []
    for ident in _order(kb, seen):
        instrument = _instrument(kb, ident)
        for weeks in CHANGE_WEEKS:
            values = changes.get((ident, weeks), [])
            estimate = mean_ci(values, confidence) if values else None
            beside = []
            for effect in effects:
                if not effect.in_points or effect.instrument != ident or not effect.compares_with(condition):
                    continue
                if effect.weeks and weeks not in effect.weeks:
                    continue
                comparison = compare(
                    estimate.ci if estimate else None,
                    effect.study,
                    effect.value,
                    effect.ci or effect.range,
                    interval_kind="range" if effect.ci is None and effect.range else "interval",
                )
                beside.append(EffectBenchmark(effect, comparison))
            out.append(ChangeRow(ident, instrument.abbreviation, instrument.score.unit, weeks, estimate, tuple(beside)))
    return tuple(out)


def effects_for(kb: KnowledgeBase, condition: str = "") -> tuple[Effect, ...]:
    """The published effects to list for the filter: all, or the condition's and the general ones."""
    return tuple(e for e in _benchmarks_of(kb).effects.values() if e.listed_for(condition))


def _benchmarks_of(kb: KnowledgeBase) -> Benchmarks:
    if kb.benchmarks is None:
        raise ValueError("the knowledge base has no benchmarks (benchmarks.yaml)")
    return kb.benchmarks


# ---------------------------------------------------------------- adverse events


@dataclass(frozen=True, slots=True)
class StudyBenchmark:
    study: AdverseEventStudy
    per_1000: float
    ci: Interval | None  # per 1,000
    ci_basis: str  # reported | computed from the reported counts | "" (none)
    ci_note: str
    comparison: Comparison


@dataclass(frozen=True, slots=True)
class AdverseEventRow:
    type: str
    name: str
    treatments_with: int
    treatments: int
    per_1000: float | None
    ci: Interval | None  # per 1,000
    benchmarks: tuple[StudyBenchmark, ...]


def adverse_event_rates(
    kb: KnowledgeBase,
    treatments: int,
    events: Iterable[tuple[str, str, str]],
    confidence: float = CONFIDENCE,
) -> tuple[AdverseEventRow, ...]:
    """Per kind of adverse event: the treatments (signed visits) with at least one such event, per
    1,000 treatments with the exact interval, beside each study's rate. `events` are (treatment key,
    code, severity) of the signed visits counted in `treatments`."""
    bench = _benchmarks_of(kb)
    if treatments < 0:
        raise BenchmarkInputError(f"{treatments} treatments: give 0 or more")
    hit: dict[str, set[str]] = {kind: set() for kind in bench.adverse_event_types}
    for visit, code, severity in events:
        if code not in bench.adverse_event_codes:
            raise BenchmarkInputError(f"unknown adverse-event code '{code}'")
        for kind in bench.adverse_event_types.values():
            if code in kind.codes or severity in kind.severities:
                hit[kind.id].add(visit)
    out = []
    for kind in bench.adverse_event_types.values():
        k = len(hit[kind.id])
        if k > treatments:
            raise BenchmarkInputError(f"{k} treatments with {kind.name.lower()} of {treatments} treatments")
        ci = clopper_pearson(k, treatments, confidence).scaled(1000) if treatments else None
        studies = []
        for study in bench.adverse_event_studies.values():
            rate = study.rate(kind.id)
            if rate is None:
                continue
            study_ci, basis = None, ""
            if rate.ci is not None:
                study_ci, basis = rate.ci, "reported"
            elif rate.events is not None:
                study_ci = clopper_pearson(rate.events, study.exposure, confidence).scaled(1000)
                basis = "computed from the reported counts"
            comparison = compare(ci, study.name, rate.per_1000, study_ci)
            studies.append(StudyBenchmark(study, rate.per_1000, study_ci, basis, rate.ci_note, comparison))
        per_1000 = 1000 * k / treatments if treatments else None
        out.append(AdverseEventRow(kind.id, kind.name, k, treatments, per_1000, ci, tuple(studies)))
    return tuple(out)


# ---------------------------------------------------------------- completeness


@dataclass(frozen=True, slots=True)
class CompletenessRow:
    instrument: str
    name: str
    due: int
    taken: int
    share: float | None
    ci: Interval | None


@dataclass(frozen=True, slots=True)
class Completeness:
    due: int
    taken: int
    share: float | None
    ci: Interval | None
    instruments: tuple[CompletenessRow, ...]


def completeness(
    kb: KnowledgeBase,
    episodes: Sequence[EpisodeData],
    *,
    start: date,
    end: date,
    on: date,
    confidence: float = CONFIDENCE,
) -> Completeness:
    """The share of due measurements taken: every instrument due at a point of an episode's schedule
    that falls between `start` and `end` (and by the discharge, for a discharged episode), read on
    `on` by `needlechart.clinical.due.occasions`."""
    if start > end:
        raise BenchmarkInputError(f"the range starts ({start.isoformat()}) after it ends ({end.isoformat()})")
    counts: dict[str, list[int]] = {}
    for episode in episodes:
        day = min(on, end, episode.ended_on) if episode.ended_on else min(on, end)
        visits = [d for d in episode.visit_dates if d <= day]
        points = schedule.due_points(kb, episode.plan, visits, day)
        taken: dict[str, list[date]] = {}
        for m in episode.measurements:
            taken.setdefault(m.instrument, []).append(m.date)
        for occasion in schedule.occasions(kb, episode.instruments, points, taken, day):
            if start <= occasion.due_on <= end:
                count = counts.setdefault(occasion.instrument, [0, 0])
                count[0] += int(occasion.taken)
                count[1] += 1
    rows = []
    for ident in _order(kb, counts):
        k, n = counts[ident]
        rows.append(
            CompletenessRow(ident, _instrument(kb, ident).abbreviation, n, k, k / n, clopper_pearson(k, n, confidence))
        )
    due = sum(r.due for r in rows)
    taken_total = sum(r.taken for r in rows)
    share = taken_total / due if due else None
    ci = clopper_pearson(taken_total, due, confidence) if due else None
    return Completeness(due, taken_total, share, ci, tuple(rows))


def sources_of(effects: Iterable[Effect], studies: Iterable[AdverseEventStudy]) -> tuple[SourceRef, ...]:
    """Each source cited by the benchmarks shown, once."""
    return core.merge_sources([*(s for e in effects for s in e.sources), *(s for st in studies for s in st.sources)])
