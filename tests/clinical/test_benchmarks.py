"""The dashboard's estimates (needlechart.clinical.benchmarks): exact intervals checked against known
values (R's binom.test and t.test, closed forms, direct binomial sums), property tests, and the
dashboard's definitions on small hand-built episodes."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from needlechart.clinical import benchmarks as b
from needlechart.clinical import due as schedule
from needlechart.clinical.progress import Measurement, Plan
from needlechart.knowledge import load

KB = load()
START = date(2026, 1, 5)


def test_clopper_pearson_matches_r_binom_test():
    # binom.test(0, 20)$conf.int: 0.0000000 0.1684335 (closed form 1 - 0.025^(1/20))
    ci = b.clopper_pearson(0, 20)
    assert ci.low == 0 and ci.high == pytest.approx(1 - 0.025 ** (1 / 20), abs=1e-12)
    assert ci.high == pytest.approx(0.1684335, abs=1e-7)
    # binom.test(5, 50)$conf.int: 0.03327509 0.21813537
    ci = b.clopper_pearson(5, 50)
    assert (ci.low, ci.high) == (pytest.approx(0.03327509, abs=1e-8), pytest.approx(0.21813537, abs=1e-8))
    ci = b.clopper_pearson(20, 20)
    assert ci.high == 1 and ci.low == pytest.approx(0.025 ** (1 / 20), abs=1e-12)


def _upper_tail(k: int, n: int, p: float) -> float:
    return math.fsum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def test_clopper_pearson_191_of_1000_solves_the_binomial_tails():
    """191 of 1,000 (Brady's mild-event rate): each bound leaves exactly 2.5% in its tail."""
    ci = b.clopper_pearson(191, 1000)
    assert _upper_tail(191, 1000, ci.low) == pytest.approx(0.025, abs=1e-9)
    assert 1 - _upper_tail(192, 1000, ci.high) == pytest.approx(0.025, abs=1e-9)
    assert (round(ci.low, 4), round(ci.high, 4)) == (0.1671, 0.2168)


def test_t_quantiles_and_mean_interval_match_tables():
    for df, t in [(1, 12.706205), (2, 4.302653), (10, 2.228139), (30, 2.042272)]:
        assert b.t_quantile(0.975, df) == pytest.approx(t, abs=1e-6)
    assert b.t_quantile(0.025, 5) == pytest.approx(-2.570582, abs=1e-6)
    # t.test(c(1, 2, 3, 4))$conf.int: 0.4457397 4.5542603
    est = b.mean_ci([1, 2, 3, 4])
    assert est.mean == 2.5 and est.ci.low == pytest.approx(0.4457397, abs=1e-7)
    assert est.ci.high == pytest.approx(4.5542603, abs=1e-7)
    assert b.mean_ci([3.0]).ci is None


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(b.BenchmarkInputError, match="0 <= k <= n"):
        b.clopper_pearson(3, 2)
    with pytest.raises(b.BenchmarkInputError, match="between 0 and 1"):
        b.clopper_pearson(1, 2, confidence=1.5)
    with pytest.raises(b.BenchmarkInputError, match="no values"):
        b.mean_ci([])


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_interval_is_a_proportion_around_the_estimate(kn):
    k, n = kn
    ci = b.clopper_pearson(k, n)
    assert 0 <= ci.low <= k / n <= ci.high <= 1


@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_interval_widens_with_confidence(kn):
    k, n = kn
    narrow, wide = b.clopper_pearson(k, n, 0.8), b.clopper_pearson(k, n, 0.99)
    assert wide.low <= narrow.low + 1e-12 and narrow.high <= wide.high + 1e-12


@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=30))
def test_mean_interval_holds_the_mean(values):
    est = b.mean_ci(values)
    assert est.ci.low <= est.mean + 1e-9 and est.mean <= est.ci.high + 1e-9


def test_comparison_in_plain_words():
    clinic = b.Interval(10.0, 30.0)
    assert b.compare(clinic, "Brady 2014", 20, None).verdict == "overlap"
    low = b.compare(clinic, "Boyce 2020", 77, None)
    assert low.verdict == "lower" and "excludes Boyce 2020's 77" in low.text and "reports no interval" in low.text
    high = b.compare(clinic, "X", 2, b.Interval(1, 5))
    assert high.verdict == "higher" and "does not overlap" in high.text
    assert b.compare(None, "X", 2, None).verdict == "no_data"


def episode(key, scores, *, condition="neck_pain", instruments=("nprs", "ndi"), visits=(), ended_on=None):
    """`scores`: (day offset, instrument, score)."""
    plan = Plan(sessions_planned=6, frequency_per_week=1, start=START)
    ms = tuple(Measurement(START + timedelta(days=d), i, s) for d, i, s in scores)
    days = tuple(START + timedelta(days=d) for d in visits)
    return b.EpisodeData(key, condition, plan, ms, days, instruments, ended_on)


def test_responders_use_the_core_mcid_within_twelve_weeks():
    episodes = [
        episode("a", [(0, "nprs", 7), (28, "nprs", 4)]),  # -3: met (MCID 2)
        episode("b", [(0, "nprs", 6), (28, "nprs", 5)]),  # -1: not met
        episode("c", [(0, "nprs", 6), (100, "nprs", 0)]),  # only after 12 weeks: nothing to compare
        episode("d", [(0, "nprs", 5)]),  # baseline only
    ]
    (row,) = b.responders(KB, episodes)
    assert (row.instrument, row.responders, row.assessed) == ("nprs", 1, 2)
    assert row.ci == b.clopper_pearson(1, 2)


def test_mean_change_takes_the_closest_measurement_within_a_week():
    episodes = [
        # 4 weeks = day 28: day 25 (3 off) beats day 33 (5 off); change -2
        episode("a", [(0, "nprs", 6), (25, "nprs", 4), (33, "nprs", 1)]),
        # day 36 is 8 off from day 28: not in the 4-week window; it is the 8-week follow-up (day 56 ± 7)? no
        episode("b", [(0, "nprs", 8), (36, "nprs", 2), (57, "nprs", 3)]),
    ]
    rows = {(r.instrument, r.weeks): r for r in b.mean_changes(KB, episodes, condition="neck_pain")}
    four = rows[("nprs", 4)]
    assert four.estimate.n == 1 and four.estimate.mean == -2 and four.estimate.ci is None
    eight = rows[("nprs", 8)]
    assert eight.estimate.n == 1 and eight.estimate.mean == -5  # day 57 of episode b (day 33 of a is 23 off)
    assert rows[("nprs", 12)].estimate is None
    navarro = [x for x in four.benchmarks if x.effect.id == "navarro_santana_2020_sham_immediate"]
    assert navarro and navarro[0].comparison.verdict == "no_data"
    assert not any(x.effect.conditions == ("low_back_pain",) for x in four.benchmarks)
    assert {x.effect.measure for x in four.benchmarks} == {"mean_difference", "derived_points"}
    general = {(r.instrument, r.weeks): r for r in b.mean_changes(KB, episodes)}[("nprs", 4)]
    assert {x.effect.id for x in general.benchmarks} == {"vickers_2018_nprs_points"}  # no neck trial for all
    assert len(b.effects_for(KB, "")) == len(KB.benchmarks.effects)
    assert all(not e.conditions or "low_back_pain" in e.conditions for e in b.effects_for(KB, "low_back_pain"))


def test_adverse_events_count_treatments_with_an_event():
    events = [("v1", "bruising", "mild"), ("v1", "bruising", "mild"), ("v2", "bleeding", "significant")]
    rows = {r.type: r for r in b.adverse_event_rates(KB, 10, events)}
    assert rows["bruising"].treatments_with == 1 and rows["bruising"].per_1000 == 100
    assert rows["bruising"].ci == b.clopper_pearson(1, 10).scaled(1000)
    assert rows["any_mild"].treatments_with == 1 and rows["major"].treatments_with == 1
    boyce = next(s for s in rows["major"].benchmarks if s.study.id == "boyce_2020")
    assert boyce.ci_basis == "computed from the reported counts"
    assert boyce.ci == b.clopper_pearson(20, 20464).scaled(1000)
    brady = next(s for s in rows["bruising"].benchmarks if s.study.id == "brady_2014")
    assert brady.ci is None and brady.ci_note == "not reported in our source" and brady.per_1000 == 75.5


def test_completeness_reads_the_due_rule_over_time():
    # 6 sessions weekly from START: session points at sessions 3 and 6 (days 14 and 35), weeks 4/8/12.
    e = episode("a", [(0, "nprs", 6), (15, "nprs", 5)], instruments=("nprs", "ndi"), visits=(0, 7, 14, 21))
    result = b.completeness(KB, [e], start=START, end=START + timedelta(days=30), on=START + timedelta(days=30))
    rows = {r.instrument: r for r in result.instruments}
    # nprs: baseline taken; session 3 (day 14) taken on day 15; 4 weeks (day 28) not yet taken
    assert (rows["nprs"].taken, rows["nprs"].due) == (2, 3)
    assert (rows["ndi"].taken, rows["ndi"].due) == (0, 3)
    assert (result.taken, result.due) == (2, 6)


def test_completeness_and_due_now_agree():
    """What `due_now` lists on a day is exactly the occasions of the latest points not taken."""
    e = episode("a", [(0, "nprs", 6)], instruments=("nprs", "ndi", "groc"), visits=(0, 7, 14))
    on = START + timedelta(days=20)
    points = schedule.due_points(KB, e.plan, list(e.visit_dates), on)
    now = schedule.due_now(KB, e.instruments, points, {"nprs": [START]})
    occ = schedule.occasions(KB, e.instruments, points, {"nprs": [START]}, on)
    latest = max(o.due_on for o in occ)
    baseline_open = {o.instrument for o in occ if o.kind == "baseline" and not o.taken}
    open_now = {(i, "baseline") for i in baseline_open} | {
        (o.instrument, o.kind) for o in occ if not o.taken and o.due_on == latest and o.instrument not in baseline_open
    }
    assert open_now == {("ndi", "baseline"), ("nprs", "reassessment"), ("groc", "reassessment")}
    assert {(d.instrument, d.kind) for d in now} == open_now
