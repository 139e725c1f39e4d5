"""Progress of an episode of care: is the patient responding, too early to tell, not responding, or
to be referred, and why? Also the plan's reassessment points, payer limits and default plan.

Every threshold and rule is data (knowledge base: progress.yaml for the rules, instruments.yaml for
each instrument's minimal important change); this module applies them:

- Each instrument (NPRS current, best and worst separately; PPT per site and side) is read from its
  first measurement (the baseline) to its latest, with the change turned so that getting better is
  positive, against its MCID by `needlechart.clinical.instruments.change` (the GROC, a rating of
  change, is read on its latest rating alone).
- `refer` whatever the scores: a red flag at the re-screen (as `needlechart.clinical.screening`
  counts it: this module never decides what a red flag is), a symptom flag (worsening, spreading,
  unexplained symptoms), or a deciding instrument worse by at least its MCID.
- `responding`: any deciding instrument reaches its MCID (at any time, even early).
- `not_yet`: otherwise, before the judgement point (half the planned sessions or four weeks,
  whichever comes first), or when no follow-up has been measured.
- `not_responding`: otherwise. The underlying drivers come with what to check (those the recorded
  signs or re-screen findings point to first) and the recommended actions. A non-responder four
  weeks into care with no improvement at all on any deciding instrument also has the screening
  finding 'pain not improving with care', which screening turns into a red flag for some patients
  (a history of cancer, or 50 or over): then `refer`.

Statuses from best to worst: responding, not_yet, not_responding, refer. A better latest score never
makes the status worse, and a red flag always gives `refer` (both are property-tested).
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from needlechart.clinical import instruments as scoring
from needlechart.clinical.screening import (
    URGENCY_ADVICE,
    FindingResult,
    ReportedFinding,
    ScreeningInput,
    ScreeningInputError,
    screen,
    screening_input_from_dict,
)
from needlechart.knowledge.instruments import Instrument
from needlechart.knowledge.lookup import UnknownName, normalise, resolve
from needlechart.knowledge.model import KnowledgeBase
from needlechart.knowledge.progress import (
    URGENCY_RANK,
    Action,
    DefaultPlan,
    ProgressRules,
)
from needlechart.knowledge.sourceref import SourceRef

RESPONDING, NOT_YET, NOT_RESPONDING, REFER = "responding", "not_yet", "not_responding", "refer"
STATUSES = (RESPONDING, NOT_YET, NOT_RESPONDING, REFER)
STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}  # higher is worse
LOWER_IS_BETTER, HIGHER_IS_BETTER, RATING_OF_CHANGE = "lower_is_better", "higher_is_better", "rating_of_change"
NPRS_FACETS = ("best", "worst")  # NPRS over the last 24 hours, beside the current rating (`score`)
_EPSILON = 1e-9


class ProgressInputError(ValueError):
    """Progress input that names something unknown or is malformed; the message says what and how to fix it."""


# ---------------------------------------------------------------- input


@dataclass(frozen=True, slots=True)
class Plan:
    """The plan of care as far as progress needs it. `defaults` names the fields that came from the
    condition's default plan; `prior_visits_this_year` counts towards a payer's annual limit."""

    sessions_planned: int
    frequency_per_week: float
    start: date
    payer: str = ""
    prior_visits_this_year: int = 0
    defaults: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Measurement:
    """One dated outcome score. NPRS: `score` is the current rating, `best`/`worst` those of the last
    24 hours. PPT: `score` in kPa at `site` (a muscle or region ID) on `side`."""

    date: date
    instrument: str
    score: float
    best: float | None = None
    worst: float | None = None
    site: str = ""
    side: str = ""


@dataclass(frozen=True, slots=True)
class ProgressInput:
    condition: str
    plan: Plan
    sessions_done: int
    today: date
    measurements: tuple[Measurement, ...] = ()
    findings: tuple[ReportedFinding, ...] = ()  # found at the re-screen
    symptoms: tuple[str, ...] = ()  # symptom flag IDs: worsening, spreading, unexplained
    signs: tuple[str, ...] = ()  # driver sign IDs recorded at the reassessment
    age: int | None = None


# ---------------------------------------------------------------- output


@dataclass(frozen=True, slots=True)
class InstrumentProgress:
    """One instrument's course. `change` is latest minus baseline as plain arithmetic; `improvement`
    is the same turned so that better is positive. `met` is None when there is nothing to compare
    yet (a single measurement); `worsened` means worse by at least the MCID."""

    instrument: str
    facet: str
    name: str
    unit: str
    direction: str
    decides: bool
    measurements: int
    baseline: float | None
    baseline_date: date | None
    latest: float
    latest_date: date
    change: float | None
    percent_change: float | None
    improvement: float | None
    mcid: float | None
    mcid_kind: str
    relative_percent: float | None
    mcid_sources: tuple[SourceRef, ...]
    met: bool | None
    worsened: bool
    reading: str


@dataclass(frozen=True, slots=True)
class Referral:
    reason: str
    to: str
    urgency: str
    action: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class DriverCheck:
    """A driver to examine in a non-responder; `indicated` when a recorded sign or re-screen finding
    points to it (`because` lists them)."""

    id: str
    name: str
    why: str
    checks: tuple[str, ...]
    indicated: bool
    because: tuple[str, ...]
    actions: tuple[str, ...]
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class RecommendedAction:
    id: str
    kind: str  # change_plan | stop_needling | refer
    name: str
    text: str
    refer_to: str
    urgency: str
    when: str  # "now", or the reassessment it waits for
    because: tuple[str, ...]
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class ReassessmentPoint:
    label: str
    kind: str  # sessions | weeks
    date: date
    session: int | None
    weeks: int | None
    reached: bool
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class JudgementPoint:
    """When a course can first be judged: after `session`, planned for `session_date`, or on
    `weeks_date`, whichever comes first (`date`)."""

    session: int
    session_date: date
    weeks_date: date
    date: date
    reached: bool
    text: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class PayerWarning:
    rule: str
    name: str
    message: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True)
class ProgressResult:
    condition: str
    condition_name: str
    status: str
    urgency: str  # the most urgent referral's, under `refer`
    reasons: tuple[str, ...]
    today: date
    days_since_start: int
    plan: Plan
    last_session_date: date
    instruments: tuple[InstrumentProgress, ...]
    judgement: JudgementPoint
    referrals: tuple[Referral, ...]
    drivers: tuple[DriverCheck, ...]
    actions: tuple[RecommendedAction, ...]
    reassessment: tuple[ReassessmentPoint, ...]
    payer_warnings: tuple[PayerWarning, ...]
    screening_verdict: str
    findings: tuple[FindingResult, ...]
    notes: tuple[str, ...]
    sources: tuple[SourceRef, ...]


# ---------------------------------------------------------------- rules and plans


def merge_sources(refs: Iterable[SourceRef]) -> tuple[SourceRef, ...]:
    """Each source once, in first-cited order, its locators joined."""
    locators: dict[str, list[str]] = {}
    for ref in refs:
        found = locators.setdefault(ref.id, [])
        found.extend(part for part in ref.locator.split("; ") if part and part not in found)
    return tuple(SourceRef(ident, "; ".join(locs)) for ident, locs in locators.items())


def rules_of(kb: KnowledgeBase) -> ProgressRules:
    if kb.progress is None:
        raise ValueError("the knowledge base has no progress rules (progress.yaml)")
    return kb.progress


def instrument_of(kb: KnowledgeBase, ident: str) -> Instrument:
    instrument = kb.instruments.get(ident)
    if not isinstance(instrument, Instrument):
        raise ProgressInputError(f"unknown instrument '{ident}'; closest: {_closest(ident, kb.instruments)}")
    return instrument


def default_plan(kb: KnowledgeBase, condition: str) -> DefaultPlan:
    """The condition's default frequency and number of sessions (every condition has one)."""
    return rules_of(kb).default_plans[condition]


def session_date(plan: Plan, session: int) -> date:
    """The planned date of session `session` (1 is the start), spread evenly at the plan's frequency."""
    return plan.start + timedelta(days=math.floor((session - 1) * 7 / plan.frequency_per_week + _EPSILON))


def _session_at(percent: int, planned: int) -> int:
    """The session that completes `percent` % of the planned sessions: 50% of 5 is session 3."""
    return max(1, -(-percent * planned // 100))


def reassessment_points(
    kb: KnowledgeBase, plan: Plan, *, sessions_done: int = 0, today: date | None = None
) -> tuple[ReassessmentPoint, ...]:
    """After each listed share of the planned sessions (planned dates) and at each listed week, by date."""
    rule = rules_of(kb).reassessment
    n = plan.sessions_planned
    points = []
    for percent in rule.percent_of_planned:
        k = _session_at(percent, n)
        points.append(
            ReassessmentPoint(
                f"after session {k} of {n} ({percent}%)",
                "sessions",
                session_date(plan, k),
                k,
                None,
                sessions_done >= k,
                rule.sources,
            )
        )
    for weeks in rule.weeks:
        when = plan.start + timedelta(weeks=weeks)
        reached = today is not None and today >= when
        points.append(ReassessmentPoint(f"{weeks} weeks", "weeks", when, None, weeks, reached, rule.sources))
    return tuple(sorted(points, key=lambda p: (p.date, p.kind)))


def judgement_point(kb: KnowledgeBase, plan: Plan, *, sessions_done: int, today: date) -> JudgementPoint:
    """Half the planned sessions or four weeks (progress.yaml `judgement`), whichever comes first."""
    rule = rules_of(kb).judgement
    k = _session_at(rule.percent_of_planned, plan.sessions_planned)
    by_session, by_weeks = session_date(plan, k), plan.start + timedelta(weeks=rule.weeks)
    reached = sessions_done >= k or today >= by_weeks
    text = (
        f"progress can be judged after session {k} of {plan.sessions_planned} "
        f"({rule.percent_of_planned}% of the plan, planned for {by_session.isoformat()}) or from "
        f"{by_weeks.isoformat()} ({rule.weeks} weeks from the start), whichever comes first"
    )
    return JudgementPoint(k, by_session, by_weeks, min(by_session, by_weeks), reached, text, rule.sources)


def _warn(out: list[PayerWarning], rule: str, name: str, sources: tuple[SourceRef, ...], message: str) -> None:
    out.append(PayerWarning(rule, name, message, sources))


def payer_warnings(
    kb: KnowledgeBase, condition: str, plan: Plan, *, improving: bool | None = None
) -> tuple[PayerWarning, ...]:
    """Where the plan breaks the limits of its payer's rules (Medicare: 12 visits in 90 days, 8 more
    only if improving, at most 20 a year, chronic low back pain only). `improving` is the course's
    progress when known: False stops cover beyond the first visits and asks for treatment to stop."""
    out: list[PayerWarning] = []
    for rule in rules_of(kb).payer_rules.values():
        if not plan.payer or rule.payer != plan.payer:
            continue
        warn = functools.partial(_warn, out, rule.id, rule.name, rule.sources)
        if condition not in rule.conditions:
            covered = ", ".join(kb.conditions[c].name.lower() for c in rule.conditions)
            warn(
                f"{rule.name} covers {covered} only: "
                f"a plan for {kb.conditions[condition].name.lower()} is not covered.",
            )
            continue
        n = plan.sessions_planned
        window = sum(1 for k in range(1, n + 1) if (session_date(plan, k) - plan.start).days < rule.initial_days)
        if window > rule.initial_visits:
            warn(
                f"The plan puts {window} sessions in the first {rule.initial_days} days; "
                f"at most {rule.initial_visits} are covered in {rule.initial_days} days.",
            )
        total = n + plan.prior_visits_this_year
        if total > rule.annual_max:
            before = f" ({plan.prior_visits_this_year} before this plan)" if plan.prior_visits_this_year else ""
            warn(
                f"{total} visits this year{before} is more than the {rule.annual_max} a year covered.",
            )
        if improving is False:
            warn(
                f"The patient is not improving: treatment must stop, and no visit beyond the first "
                f"{rule.initial_visits} is covered.",
            )
        elif total > rule.initial_visits and improving is None:
            first_extra = max(rule.initial_visits - plan.prior_visits_this_year, 0) + 1
            warn(
                f"Visits beyond {rule.initial_visits} (session {first_extra} on) are covered only if the "
                f"patient is improving, at most {rule.extra_visits} more: record the improvement at the "
                "reassessment before them.",
            )
    return tuple(out)


# ---------------------------------------------------------------- instruments


def _total(instrument: Instrument, value: float) -> scoring.Score:
    """A total as the scorer would have reported it, so that `instruments.change` reads it."""
    n = instrument.items.max
    return scoring.Score(
        instrument=instrument.id,
        scorable=True,
        reason="",
        value=value,
        unit=instrument.score.unit,
        raw=value,
        percent=None,
        band=None,
        interpretation="",
        items=n,
        answered=n,
        missing=0,
        prorated=False,
    )


def _fmt(value: float, digits: int = 1) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _site_name(kb: KnowledgeBase, site: str) -> str:
    if site in kb.muscles:
        return kb.muscles[site].name.lower()
    if site in kb.regions:
        return kb.regions[site].name.lower()
    return site.replace("_", " ")


def series(kb: KnowledgeBase, measurements: Iterable[Measurement]) -> dict[tuple[str, str], list[tuple[date, float]]]:
    """Measurements grouped by instrument and facet (NPRS best/worst, PPT site:side), in date order."""
    series: dict[tuple[str, str], list[tuple[date, float]]] = {}
    for m in measurements:
        facet = f"{m.site}:{m.side}" if m.site else ""
        series.setdefault((m.instrument, facet), []).append((m.date, float(m.score)))
        for name, value in (("best", m.best), ("worst", m.worst)):
            if value is not None:
                series.setdefault((m.instrument, name), []).append((m.date, float(value)))
    for points in series.values():
        points.sort(key=lambda p: p[0])  # stable: same-day scores keep their order
    return series


def _row_name(kb: KnowledgeBase, instrument: Instrument, facet: str) -> str:
    if facet in NPRS_FACETS:
        return f"{instrument.abbreviation} {facet} (24 h)"
    if ":" in facet:
        site, side = facet.split(":", 1)
        return f"{instrument.abbreviation} {_site_name(kb, site)}" + (f" ({side})" if side else "")
    return instrument.abbreviation


def _read(
    kb: KnowledgeBase, instrument: Instrument, facet: str, points: list[tuple[date, float]]
) -> InstrumentProgress:
    """One series read from its first point (the baseline) to its last, against the instrument's MCID."""
    rules = rules_of(kb)
    mcid = instrument.mcid
    first_date, first = points[0]
    last_date, last = points[-1]
    direction = HIGHER_IS_BETTER if instrument.higher_is_better else LOWER_IS_BETTER
    baseline: float | None = first
    baseline_date: date | None = first_date
    difference: float | None = None
    percent: float | None = None
    improvement: float | None = None
    met: bool | None = None
    worse = False
    if mcid is not None and mcid.kind == "threshold":  # GROC: one rating of change, read alone
        direction, baseline, baseline_date = RATING_OF_CHANGE, None, None
        met = scoring.groc_improved(instrument, _total(instrument, last))
        worse = last <= -mcid.value + _EPSILON
        verdict = "improved" if met else "worse" if worse else "not improved"
        reading = f"latest rating {last:+g}: {verdict} (improved at +{_fmt(mcid.value)}, worse at -{_fmt(mcid.value)})"
    elif len(points) < 2:
        reading = "baseline only: nothing to compare yet"
    else:
        result = scoring.change(instrument, _total(instrument, first), _total(instrument, last))
        difference, improvement = result.difference, result.improvement
        percent = difference / abs(first) * 100 if first != 0 else None
        reading = result.responder_reason
        if mcid is not None:
            met = result.responder
            worse = improvement <= -mcid.value + _EPSILON
            if worse:
                name = "MCID" if mcid.kind == "mcid" else "minimal detectable change"
                reading += f"; worse by at least the {name}"
    return InstrumentProgress(
        instrument=instrument.id,
        facet=facet,
        name=_row_name(kb, instrument, facet),
        unit=instrument.score.unit,
        direction=direction,
        decides=mcid is not None and instrument.id not in rules.response.supporting_only,
        measurements=len(points),
        baseline=baseline,
        baseline_date=baseline_date,
        latest=last,
        latest_date=last_date,
        change=difference,
        percent_change=percent,
        improvement=improvement,
        mcid=mcid.value if mcid else None,
        mcid_kind=mcid.kind if mcid else "",
        relative_percent=mcid.relative_percent if mcid else None,
        mcid_sources=mcid.sources if mcid else (),
        met=met,
        worsened=worse,
        reading=reading,
    )


def instrument_progress(
    kb: KnowledgeBase, measurements: Iterable[Measurement], condition: str = ""
) -> tuple[InstrumentProgress, ...]:
    """Each instrument's course, the condition's own instruments first (in its order)."""
    order = list(kb.conditions[condition].instruments) if condition in kb.conditions else []
    rows = [_read(kb, instrument_of(kb, key[0]), key[1], points) for key, points in series(kb, measurements).items()]

    def rank(row: InstrumentProgress) -> tuple[int, str, int, str]:
        place = order.index(row.instrument) if row.instrument in order else len(order)
        facet = {"": 0, "best": 1, "worst": 2}.get(row.facet, 3)
        return place, row.instrument, facet, row.facet

    return tuple(sorted(rows, key=rank))


# ---------------------------------------------------------------- the assessment


def _validate(kb: KnowledgeBase, data: ProgressInput) -> None:
    rules = rules_of(kb)
    if data.condition not in kb.conditions:
        raise ProgressInputError(
            f"unknown condition '{data.condition}'; closest: {_closest(data.condition, kb.conditions)}"
        )
    plan = data.plan
    if plan.sessions_planned < 1:
        raise ProgressInputError(f"sessions_planned {plan.sessions_planned}: plan at least 1 session")
    if not 0 < plan.frequency_per_week <= 7:
        raise ProgressInputError(f"frequency_per_week {plan.frequency_per_week:g}: give more than 0 and at most 7")
    if data.sessions_done < 0:
        raise ProgressInputError(f"sessions_done {data.sessions_done}: give 0 or more")
    if plan.prior_visits_this_year < 0:
        raise ProgressInputError(f"prior_visits_this_year {plan.prior_visits_this_year}: give 0 or more")
    if plan.payer and plan.payer not in rules.payers:
        raise ProgressInputError(f"unknown payer '{plan.payer}'; closest: {_closest(plan.payer, rules.payers)}")
    for flag in data.symptoms:
        if flag not in rules.symptom_flags:
            raise ProgressInputError(f"unknown symptom '{flag}'; closest: {_closest(flag, rules.symptom_flags)}")
    for sign in data.signs:
        if sign not in rules.signs:
            raise ProgressInputError(f"unknown sign '{sign}'; closest: {_closest(sign, rules.signs)}")
    for n, m in enumerate(data.measurements, start=1):
        what = f"measurement {n} ({m.instrument}, {m.date.isoformat()})"
        instrument = instrument_of(kb, m.instrument)
        if m.date > data.today:
            raise ProgressInputError(f"{what} is dated after today ({data.today.isoformat()})")
        for label, value in (("score", m.score), ("best", m.best), ("worst", m.worst)):
            if value is not None:
                _check_score(instrument, value, f"{what}: {label}")
        if (m.best is not None or m.worst is not None) and instrument.id != "nprs":
            raise ProgressInputError(f"{what}: best and worst (over 24 h) are NPRS ratings; give only a score")
        if (m.site or m.side) and not instrument.input_units:
            raise ProgressInputError(f"{what}: site and side are for the pressure pain threshold (ppt) only")


def _check_score(instrument: Instrument, value: float, what: str) -> None:
    low, high = instrument.score.min, instrument.score.max
    unit = instrument.score.unit
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProgressInputError(
            f"{what} {value!r} is not a number ({instrument.abbreviation}: {_fmt(low)} to {_fmt(high)} {unit})"
        )
    if not low - _EPSILON <= value <= high + _EPSILON:
        raise ProgressInputError(
            f"{what} {_fmt(value, 2)} is out of range: the {instrument.abbreviation} runs "
            f"from {_fmt(low)} to {_fmt(high)} {unit}"
        )
    if instrument.scoring == "single" and instrument.integer_items and not float(value).is_integer():
        raise ProgressInputError(f"{what} {_fmt(value, 2)}: the {instrument.abbreviation} is rated in whole numbers")


def _most_urgent(referrals: Sequence[Referral]) -> str:
    return min((r.urgency for r in referrals), key=URGENCY_RANK.__getitem__, default="")


def _red_flag_referrals(results: Iterable[FindingResult]) -> list[Referral]:
    return [
        Referral(
            reason=f"red flag at the re-screen: {f.name}" + (f" ({f.note})" if f.note else ""),
            to=URGENCY_ADVICE[f.urgency],
            urgency=f.urgency,
            action=f.action,
            sources=f.sources,
        )
        for f in results
        if f.kind == "red_flag"
    ]


def _drivers(
    kb: KnowledgeBase, rules: ProgressRules, condition: str, signs: Iterable[str], found: Iterable[FindingResult]
) -> tuple[DriverCheck, ...]:
    present = set(signs)
    finding_ids = {f.id for f in found}
    checks = []
    for index, driver in enumerate(rules.drivers.values()):
        because = [s.name for s in driver.signs if s.id in present]
        because += [f"{kb.findings[f].name} (at the re-screen)" for f in driver.findings if f in finding_ids]
        checks.append(
            (
                (-len(because), 0 if condition in driver.conditions else 1, index),
                DriverCheck(
                    driver.id,
                    driver.name,
                    driver.why,
                    driver.checks,
                    bool(because),
                    tuple(because),
                    driver.actions,
                    driver.sources,
                ),
            )
        )
    return tuple(check for _key, check in sorted(checks, key=lambda c: c[0]))


def _recommend(
    kb: KnowledgeBase, rules: ProgressRules, drivers: Sequence[DriverCheck], data: ProgressInput, days: int
) -> tuple[RecommendedAction, ...]:
    why: dict[str, list[str]] = {ident: ["every non-responder"] for ident in rules.general_actions}
    for driver in drivers:
        if driver.indicated:
            for ident in driver.actions:
                why.setdefault(ident, []).append(driver.name)
    stop = rules.stop_needling
    k = _session_at(stop.at_percent_of_planned, data.plan.sessions_planned)
    stop_date = data.plan.start + timedelta(weeks=stop.at_weeks)
    if data.sessions_done >= k or days >= stop.at_weeks * 7:
        stop_when = "now"
    else:
        stop_when = (
            f"if there is still no clinically important change after session {k} of {data.plan.sessions_planned} "
            f"or on {stop_date.isoformat()} ({stop.at_weeks} weeks), whichever comes first"
        )
    why.setdefault(stop.action, []).append(
        "the end of the planned course" if stop_when == "now" else "every non-responder"
    )

    def build(action: Action, because: list[str]) -> RecommendedAction:
        when = stop_when if action.id == stop.action else "now"
        return RecommendedAction(
            action.id,
            action.kind,
            action.name,
            action.text,
            action.refer_to,
            action.urgency,
            when,
            tuple(dict.fromkeys(because)),
            action.sources,
        )

    kind_order = {"change_plan": 0, "stop_needling": 1, "refer": 2}
    order = list(rules.actions)
    actions = [build(rules.actions[ident], because) for ident, because in why.items()]
    actions.sort(key=lambda a: (kind_order[a.kind], URGENCY_RANK.get(a.urgency, 0), order.index(a.id)))
    return tuple(actions)


def assess(kb: KnowledgeBase, data: ProgressInput) -> ProgressResult:
    """The episode's progress: status with its reasons, each instrument's course, and what to do."""
    _validate(kb, data)
    rules = rules_of(kb)
    condition = kb.conditions[data.condition]
    plan = data.plan
    days = max((data.today - plan.start).days, 0)
    rows = instrument_progress(kb, data.measurements, data.condition)
    deciding = [r for r in rows if r.decides]
    try:
        screening = screen(kb, ScreeningInput(age=data.age, findings=data.findings))
    except ScreeningInputError as exc:
        raise ProgressInputError(str(exc)) from None
    findings = screening.findings
    judgement = judgement_point(kb, plan, sessions_done=data.sessions_done, today=data.today)
    points = reassessment_points(kb, plan, sessions_done=data.sessions_done, today=data.today)
    notes: list[str] = []
    if data.sessions_done > plan.sessions_planned:
        notes.append(
            f"{data.sessions_done} sessions done of {plan.sessions_planned} planned: record a plan revision "
            "before going on."
        )
    for f in findings:
        if f.note and f.kind != "red_flag":
            notes.append(f"{f.name}: {f.note}.")

    referrals = _red_flag_referrals(findings)
    for flag_id in dict.fromkeys(data.symptoms):
        flag = rules.symptom_flags[flag_id]
        referrals.append(
            Referral(f"{flag.name}: {flag.meaning}", flag.refer_to, flag.urgency, flag.action, flag.sources)
        )
    worsened = [r for r in deciding if r.worsened]
    for row in worsened:
        referrals.append(
            Referral(
                f"{row.name} is worse by at least its minimal important change ({row.reading})",
                rules.worsening.refer_to,
                rules.worsening.urgency,
                rules.worsening.note,
                rules.worsening.sources,
            )
        )

    met = [r for r in deciding if r.met]
    compared = [r for r in deciding if r.met is not None]
    drivers: tuple[DriverCheck, ...] = ()
    actions: tuple[RecommendedAction, ...] = ()
    status_sources: tuple[SourceRef, ...]
    reasons: list[str]
    if referrals:
        status = REFER
        reasons = [r.reason for r in referrals]
        status_sources = tuple(ref for r in referrals for ref in r.sources)
    elif met:
        status = RESPONDING
        reasons = [f"{r.name}: {r.reading}" for r in met]
        status_sources = rules.response.sources
    elif not judgement.reached:
        status = NOT_YET
        reasons = [f"too early: {judgement.text}"]
        status_sources = judgement.sources
    elif not compared:
        status = NOT_YET
        measured = "no deciding instrument measured yet" if not deciding else "no follow-up measurement yet"
        reasons = [f"{measured}: the judgement point was reached ({judgement.text}); take the measurements now"]
        status_sources = judgement.sources
    else:
        status = NOT_RESPONDING
        reasons = [f"{r.name}: {r.reading}" for r in compared]
        reasons.append(
            f"reviewed at or after the judgement point (session {judgement.session} of {plan.sessions_planned} "
            f"or {judgement.weeks_date.isoformat()}, whichever came first)"
        )
        status_sources = rules.response.sources + judgement.sources
        # Four weeks in with no improvement at all is screening's finding 'pain not improving with care'.
        failure = rules.failure_to_improve
        reported = {f.code for f in data.findings}
        better = [r for r in compared if (r.latest if r.direction == RATING_OF_CHANGE else r.improvement or 0) > 0]
        if better:
            notes.append(
                "Some improvement, below the minimal important change: "
                + "; ".join(f"{r.name} {r.reading.split(':')[0]}" for r in better)
                + "."
            )
        elif days >= failure.after_weeks * 7 and failure.finding not in reported:
            rescreen = screen(
                kb, ScreeningInput(age=data.age, findings=(*data.findings, ReportedFinding(failure.finding)))
            )
            counted = next((f for f in rescreen.findings if f.id == failure.finding), None)
            if counted is not None and counted.kind == "red_flag":
                status = REFER
                referrals = _red_flag_referrals([counted])
                reasons.append(f"{counted.name} after {failure.after_weeks} weeks: {counted.note}")
                status_sources = status_sources + failure.sources + counted.sources
                findings = (*findings, counted)
            elif counted is not None:
                notes.append(f"{counted.name}: {counted.note}.")
        if status == NOT_RESPONDING:
            drivers = _drivers(kb, rules, data.condition, data.signs, findings)
            actions = _recommend(kb, rules, drivers, data, days)
            if not any(d.indicated for d in drivers):
                notes.append(
                    "No recorded sign or finding points to a driver yet: examine each one below; the actions "
                    "of those you find are added to the plan."
                )

    improving = True if status == RESPONDING else False if status == NOT_RESPONDING or worsened else None
    return ProgressResult(
        condition=condition.id,
        condition_name=condition.name,
        status=status,
        urgency=_most_urgent(referrals) if status == REFER else "",
        reasons=tuple(reasons),
        today=data.today,
        days_since_start=days,
        plan=plan,
        last_session_date=session_date(plan, plan.sessions_planned),
        instruments=rows,
        judgement=judgement,
        referrals=tuple(sorted(referrals, key=lambda r: URGENCY_RANK[r.urgency])) if status == REFER else (),
        drivers=drivers,
        actions=actions,
        reassessment=points,
        payer_warnings=payer_warnings(kb, data.condition, plan, improving=improving),
        screening_verdict=screening.verdict,
        findings=tuple(findings),
        notes=tuple(notes),
        sources=merge_sources(status_sources),
    )


# ---------------------------------------------------------------- goals


@dataclass(frozen=True, slots=True)
class GoalStatus:
    """One goal of the plan against the latest score: `reached` is None until measured; `overdue`
    when its date has passed unreached."""

    kind: str  # instrument | psfs
    label: str
    target: float
    unit: str
    by_date: date
    latest: float | None
    latest_date: date | None
    reached: bool | None
    overdue: bool


def goal_status(
    kb: KnowledgeBase,
    goal: dict[str, object],
    *,
    instruments: Sequence[InstrumentProgress],
    psfs: Sequence[tuple[date, Sequence[str], Sequence[float | None]]] = (),
    today: date,
) -> GoalStatus:
    """A goal read by the instrument's own direction (a score to reach: at or below it when lower is
    better, at or above it otherwise; a PSFS activity: its own rating in the latest PSFS naming it,
    at or above the target). `psfs`: each PSFS in date order as (date, activities, ratings)."""
    by_date = date.fromisoformat(str(goal["by_date"]))
    latest: float | None = None
    latest_date: date | None = None
    if goal.get("kind") == "psfs":
        activity, target, unit = str(goal.get("activity", "")), float(str(goal.get("target", 0))), "/10"
        label = f"PSFS: {activity}"
        for day, names, ratings in reversed(psfs):
            if activity in names and ratings[list(names).index(activity)] is not None:
                latest, latest_date = ratings[list(names).index(activity)], day
                break
        reached = None if latest is None else latest >= target - _EPSILON
    else:
        instrument = instrument_of(kb, str(goal.get("instrument", "")))
        target, unit = float(str(goal.get("target_score", 0))), instrument.score.unit
        label = f"{instrument.abbreviation} to {_fmt(target)} {unit}"
        row = next((r for r in instruments if r.instrument == instrument.id and r.facet == ""), None)
        if row is not None:
            latest, latest_date = row.latest, row.latest_date
        if latest is None:
            reached = None
        elif instrument.higher_is_better:
            reached = latest >= target - _EPSILON
        else:
            reached = latest <= target + _EPSILON
    overdue = today > by_date and reached is not True
    return GoalStatus(
        str(goal.get("kind", "instrument")), label, target, unit, by_date, latest, latest_date, reached, overdue
    )


# ---------------------------------------------------------------- flags to act on

FLAGGED = (NOT_RESPONDING, REFER)


def flag_open(status: str, *, evidence: Iterable[datetime], acted: Iterable[datetime]) -> bool:
    """Whether a course stays flagged for the clinician: it is not responding or to be referred, and
    nothing has been done about it since the latest evidence behind that reading.

    `evidence`: when each input of the reading arrived (a measurement recorded or voided, a re-screen,
    the moment the course became judgeable). `acted`: when the clinician acted on it (a plan revision,
    a referral recorded, a reason recorded for going on). Acting clears the flag; new evidence read the
    same way raises it again, so a course that stays poor after a change of plan is looked at again."""
    if status not in FLAGGED:
        return False
    last_act = max(acted, default=None)
    if last_act is None:
        return True
    latest = max(evidence, default=None)
    return latest is not None and last_act < latest


def recheck_on(result: ProgressResult) -> date | None:
    """The date the reading can change with no new input: a course too early to judge becomes
    judgeable on the judgement point's date (sessions are new input: signing one reads it again)."""
    if result.status == NOT_YET and not result.judgement.reached:
        return result.judgement.weeks_date
    return None


# ---------------------------------------------------------------- JSON-shaped input

_TOP_KEYS = ("condition", "plan", "sessions_done", "measurements", "findings", "symptoms", "signs", "age", "today")
_PLAN_KEYS = ("sessions_planned", "frequency_per_week", "start", "payer", "prior_visits_this_year")
_MEASUREMENT_KEYS = ("date", "instrument", "score", "current", "best", "worst", "site", "side", "unit")


def _closest(word: str, options: Iterable[str]) -> str:
    options = sorted(options)
    best = difflib.get_close_matches(word, options, n=3, cutoff=0)
    return ", ".join(best or options[:3])


def _keys(raw: dict[str, object], allowed: Sequence[str], what: str) -> None:
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        word = unknown[0]
        raise ProgressInputError(f"{what}: unknown key '{word}'; closest: {_closest(word, allowed)}")


def _date(value: object, what: str) -> date:
    if not isinstance(value, str):
        raise ProgressInputError(f"{what} {value!r} is not a date: write it as text, YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ProgressInputError(f"{what} '{value}' is not a date: write YYYY-MM-DD, e.g. 2026-09-01") from None


def _whole(value: object, what: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ProgressInputError(f"{what} {value!r}: give a whole number of {low} or more")
    return value


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProgressInputError(f"{what} {value!r} is not a number")
    return float(value)


def _ident(value: object) -> str:
    return normalise(str(value)).replace(" ", "_")


def _instrument_key(kb: KnowledgeBase, value: object, what: str) -> Instrument:
    key = normalise(str(value)).replace(" ", "")
    for instrument in kb.instruments.values():
        if isinstance(instrument, Instrument) and key in (
            instrument.id,
            normalise(instrument.abbreviation).replace(" ", ""),
        ):
            return instrument
    raise ProgressInputError(f"{what}: unknown instrument '{value}'; closest: {_closest(key, kb.instruments)}")


def _site(kb: KnowledgeBase, value: object, what: str) -> str:
    for category in ("muscle", "region"):
        try:
            return resolve(kb, category, str(value))
        except UnknownName:
            continue
    raise ProgressInputError(
        f"{what}: unknown site '{value}' (a muscle or region); "
        f"closest: {_closest(_ident(value), [*kb.muscles, *kb.regions])}"
    )


def _measurement(kb: KnowledgeBase, n: int, raw: object) -> Measurement:
    if not isinstance(raw, dict):
        raise ProgressInputError(f'measurement {n} must be {{"date", "instrument", "score"}}, not {raw!r}')
    what = f"measurement {n}"
    _keys(raw, _MEASUREMENT_KEYS, what)
    if "instrument" not in raw:
        raise ProgressInputError(f'{what}: give its instrument, e.g. "instrument": "ndi"')
    instrument = _instrument_key(kb, raw["instrument"], what)
    if "date" not in raw:
        raise ProgressInputError(f"{what} ({instrument.id}): give its date, YYYY-MM-DD")
    when = _date(raw["date"], f"{what} ({instrument.id}): date")
    what = f"{what} ({instrument.id}, {when.isoformat()})"
    if "current" in raw and instrument.id != "nprs":
        raise ProgressInputError(f"{what}: current, best and worst are NPRS ratings; give a score")
    if "current" in raw and "score" in raw:
        raise ProgressInputError(f"{what}: give the current NPRS as score or as current, not both")
    value = raw.get("score", raw.get("current"))
    if value is None:
        raise ProgressInputError(f'{what}: give its score, e.g. "score": 24')
    score = _number(value, f"{what}: score")
    unit = raw.get("unit")
    if unit is not None:
        if not instrument.input_units:
            raise ProgressInputError(
                f"{what}: the {instrument.abbreviation} takes no unit (its score is in {instrument.score.unit})"
            )
        try:
            score = scoring.convert_pressure(score, str(unit), instrument.score.unit)
        except ValueError as exc:
            raise ProgressInputError(f"{what}: {exc}") from None
    best = _number(raw["best"], f"{what}: best") if raw.get("best") is not None else None
    worst = _number(raw["worst"], f"{what}: worst") if raw.get("worst") is not None else None
    site = _site(kb, raw["site"], what) if raw.get("site") else ""
    side = ""
    if raw.get("side"):
        side = normalise(str(raw["side"]))
        if side not in ("left", "right", "midline"):
            raise ProgressInputError(f"{what}: side '{raw['side']}' is not valid; use left, right or midline")
    if side and not site:
        raise ProgressInputError(f'{what}: a side needs its site, e.g. "site": "upper_trapezius"')
    return Measurement(when, instrument.id, score, best, worst, site, side)


def _names(raw: dict[str, object], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProgressInputError(f"'{key}' must be a list of IDs, not {value!r}")
    return tuple(_ident(v) for v in value)


def progress_input_from_dict(kb: KnowledgeBase, raw: object, *, fallback_today: date) -> ProgressInput:
    """Build a ProgressInput from JSON-shaped data (the `needlechart reassess` file):

    `{"condition": "neck_pain", "plan": {"sessions_planned": 6, "frequency_per_week": 1, "start": "2026-09-01"},
    "sessions_done": 4, "measurements": [{"date": "2026-09-01", "instrument": "ndi", "score": 24}, ...],
    "findings": [...]}`, optionally with "symptoms", "signs", "age" and "today". A plan without
    sessions_planned or frequency_per_week takes the condition's default. Today is "today", else the
    latest measurement's date, else `fallback_today`.
    """
    rules = rules_of(kb)
    if not isinstance(raw, dict):
        raise ProgressInputError("the input must be a JSON object with condition, plan, sessions_done and measurements")
    _keys(raw, _TOP_KEYS, "input")
    for key in ("condition", "plan", "sessions_done"):
        if key not in raw:
            raise ProgressInputError(f"'{key}' is missing: give condition, plan, sessions_done and measurements")
    try:
        condition = resolve(kb, "condition", str(raw["condition"]))
    except UnknownName as exc:
        raise ProgressInputError(str(exc)) from None
    plan_raw = raw["plan"]
    if not isinstance(plan_raw, dict):
        raise ProgressInputError(
            f'plan must be {{"sessions_planned", "frequency_per_week", "start"}}, not {plan_raw!r}'
        )
    _keys(plan_raw, _PLAN_KEYS, "plan")
    if "start" not in plan_raw:
        raise ProgressInputError('plan: give its start date, e.g. "start": "2026-09-01"')
    default = rules.default_plans[condition]
    defaults = []
    if plan_raw.get("sessions_planned") is None:
        sessions_planned = default.sessions
        defaults.append("sessions_planned")
    else:
        sessions_planned = _whole(plan_raw["sessions_planned"], "plan: sessions_planned", 1)
    if plan_raw.get("frequency_per_week") is None:
        frequency = default.frequency_per_week
        defaults.append("frequency_per_week")
    else:
        frequency = _number(plan_raw["frequency_per_week"], "plan: frequency_per_week")
        if not 0 < frequency <= 7:
            raise ProgressInputError(f"plan: frequency_per_week {frequency:g}: give more than 0 and at most 7")
    payer = _ident(plan_raw["payer"]) if plan_raw.get("payer") else ""
    if payer and payer not in rules.payers:
        raise ProgressInputError(f"plan: unknown payer '{plan_raw['payer']}'; closest: {_closest(payer, rules.payers)}")
    prior = _whole(plan_raw.get("prior_visits_this_year", 0), "plan: prior_visits_this_year", 0)
    plan = Plan(sessions_planned, frequency, _date(plan_raw["start"], "plan: start"), payer, prior, tuple(defaults))
    sessions_done = _whole(raw["sessions_done"], "sessions_done", 0)

    items = raw.get("measurements", [])
    if not isinstance(items, list):
        raise ProgressInputError(f"'measurements' must be a list, not {items!r}")
    measurements = tuple(_measurement(kb, n, item) for n, item in enumerate(items, start=1))
    age = raw.get("age")
    try:
        screening = screening_input_from_dict(kb, {"age": age, "findings": raw.get("findings", [])})
    except ScreeningInputError as exc:
        raise ProgressInputError(f"findings: {exc}") from None
    symptoms = _names(raw, "symptoms")
    for flag in symptoms:
        if flag not in rules.symptom_flags:
            raise ProgressInputError(
                f"symptoms: unknown symptom '{flag}'; closest: {_closest(flag, rules.symptom_flags)}"
            )
    signs = _names(raw, "signs")
    for sign in signs:
        if sign not in rules.signs:
            raise ProgressInputError(f"signs: unknown sign '{sign}'; closest: {_closest(sign, rules.signs)}")
    if raw.get("today") is not None:
        today = _date(raw["today"], "today")
    elif measurements:
        today = max(m.date for m in measurements)
    else:
        today = fallback_today
    return ProgressInput(
        condition=condition,
        plan=plan,
        sessions_done=sessions_done,
        today=today,
        measurements=measurements,
        findings=screening.findings,
        symptoms=symptoms,
        signs=signs,
        age=screening.age,
    )
