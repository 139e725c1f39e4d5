"""Progress of an episode of care: explicit clinical cases for each status and each rule, then the
properties that must hold for every input (a better score never makes the status worse; a red flag
always refers)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needlechart.clinical.progress import (
    NOT_RESPONDING,
    NOT_YET,
    REFER,
    RESPONDING,
    STATUS_RANK,
    Measurement,
    Plan,
    ProgressInput,
    ProgressInputError,
    assess,
    default_plan,
    instrument_progress,
    judgement_point,
    payer_warnings,
    progress_input_from_dict,
    reassessment_points,
    session_date,
)
from needlechart.clinical.screening import ReportedFinding
from needlechart.knowledge import load
from needlechart.knowledge.instruments import Instrument

KB = load()
RULES = KB.progress
START = date(2026, 9, 1)


def day(n: int) -> date:
    return START + timedelta(days=n)


def plan(n: int = 6, per_week: float = 1, payer: str = "", prior: int = 0) -> Plan:
    return Plan(n, per_week, START, payer, prior)


def m(on: int, instrument: str, score: float, **extra) -> Measurement:
    return Measurement(day(on), instrument, score, **extra)


def run(
    measurements=(),
    *,
    condition="neck_pain",
    done=4,
    today=28,
    findings=(),
    symptoms=(),
    signs=(),
    age=None,
    the_plan=None,
):
    data = ProgressInput(
        condition,
        the_plan or plan(),
        done,
        day(today),
        tuple(measurements),
        tuple(ReportedFinding(f) if isinstance(f, str) else f for f in findings),
        tuple(symptoms),
        tuple(signs),
        age,
    )
    return assess(KB, data)


def row(result, instrument, facet=""):
    return next(r for r in result.instruments if r.instrument == instrument and r.facet == facet)


FLAT = [m(0, "ndi", 22), m(0, "nprs", 6), m(28, "ndi", 22), m(28, "nprs", 6)]  # a clear non-responder


# ---------------------------------------------------------------- responders


def test_issue_example_ndi_alone_is_below_its_mcid():
    # NDI 24 -> 20 after 4 of 6 weekly sessions: 4 points, below the MCID of 10.
    result = run([m(0, "ndi", 24), m(28, "ndi", 20)], age=40)
    ndi = row(result, "ndi")
    assert (ndi.baseline, ndi.latest, ndi.change, ndi.improvement) == (24, 20, -4, 4)
    assert ndi.percent_change == pytest.approx(-100 / 6)
    assert ndi.mcid == 10 and ndi.met is False and ndi.worsened is False
    assert "young_2009" in {s.id for s in ndi.mcid_sources}
    assert result.status == NOT_RESPONDING


def test_responder_by_ndi_at_its_mcid_of_10():
    result = run([m(0, "ndi", 24), m(28, "ndi", 14)])
    assert result.status == RESPONDING and row(result, "ndi").met
    assert "reaches the MCID of 10 points" in result.reasons[0]


def test_ndi_change_of_8_is_not_a_response_any_more():
    # 7.5 lay inside the NDI's minimal detectable change of 10.2 (Young 2009): 8 points could be noise.
    result = run([m(0, "ndi", 24), m(28, "ndi", 16)], age=40)
    assert row(result, "ndi").met is False and result.status == NOT_RESPONDING


def test_responder_by_the_nprs_relative_rule():
    # 3 -> 2 is one point but a third of the baseline: the 30% rule.
    result = run([m(0, "nprs", 3), m(28, "nprs", 2)])
    assert result.status == RESPONDING and "30% rule" in row(result, "nprs").reading


def test_responder_by_a_single_groc_rating():
    result = run([m(28, "groc", 3)])
    groc = row(result, "groc")
    assert groc.direction == "rating_of_change" and groc.baseline is None and groc.change is None
    assert groc.met and result.status == RESPONDING


def test_an_early_response_counts_before_the_judgement_point():
    result = run([m(0, "nprs", 7), m(7, "nprs", 4)], done=2, today=7)
    assert not result.judgement.reached and result.status == RESPONDING


def test_one_responding_instrument_is_enough():
    result = run([m(0, "ndi", 24), m(28, "ndi", 22), m(0, "nprs", 7), m(28, "nprs", 5)])
    assert result.status == RESPONDING and [r.instrument for r in result.instruments if r.met] == ["nprs"]


def test_ppt_supports_but_never_decides():
    result = run([m(0, "ppt", 250), m(28, "ppt", 350), *FLAT], age=40)
    ppt = row(result, "ppt")
    assert ppt.met and not ppt.decides and result.status == NOT_RESPONDING
    result = run([m(0, "ppt", 350), m(28, "ppt", 250), *FLAT], age=40)
    assert row(result, "ppt").worsened and result.status == NOT_RESPONDING  # not refer


# ---------------------------------------------------------------- too early


def test_too_early_says_when_it_can_be_judged():
    # 2 of 6 weekly sessions after one week: session 3 (planned 15 Sept) comes before 4 weeks (29 Sept).
    result = run([m(0, "nprs", 6), m(7, "nprs", 6)], done=2, today=7)
    assert result.status == NOT_YET
    j = result.judgement
    assert (j.session, j.session_date, j.weeks_date, j.date) == (3, day(14), day(28), day(14))
    assert "after session 3 of 6" in result.reasons[0] and "whichever comes first" in result.reasons[0]
    assert {s.id for s in result.sources} >= {"clinit_physio", "kietrys_2013"}


def test_a_long_plan_is_judged_at_four_weeks():
    # 14 weekly sessions: half the plan is session 7 (13 Oct), four weeks come first (29 Sept).
    j = judgement_point(KB, plan(14), sessions_done=2, today=day(7))
    assert (j.session, j.session_date, j.date) == (7, day(42), day(28))
    result = run(FLAT, the_plan=plan(14), done=4, today=28, age=40)
    assert result.judgement.reached and result.status == NOT_RESPONDING


def test_half_the_sessions_come_first_on_a_twice_weekly_plan():
    # 6 sessions twice a week: session 3 is on day 7; judged once it is done, before four weeks.
    assert session_date(plan(6, 2), 3) == day(7)
    flat = [m(0, "nprs", 6), m(8, "nprs", 6)]
    assert run(flat, the_plan=plan(6, 2), done=2, today=8).status == NOT_YET
    assert run(flat, the_plan=plan(6, 2), done=3, today=8).status == NOT_RESPONDING


def test_four_weeks_judge_a_patient_behind_on_sessions():
    assert run(FLAT, done=1, today=28, age=40).status == NOT_RESPONDING
    assert run(FLAT[:2] + [m(27, "ndi", 22)], done=1, today=27).status == NOT_YET


def test_judgement_point_passed_without_a_follow_up_asks_for_the_measurements():
    result = run([m(0, "ndi", 22)], done=3, today=21)
    assert result.status == NOT_YET and "take the measurements now" in result.reasons[0]
    assert row(result, "ndi").met is None and row(result, "ndi").reading.startswith("baseline only")


# ---------------------------------------------------------------- non-responders and their drivers


DRIVER_CASES = [
    ("mechanical_load", ["sustained_posture", "load_increase"], (), "adjust_load_and_ergonomics"),
    ("joint_dysfunction", ["segmental_hypomobility"], (), "refer_musculoskeletal_physician"),
    ("nerve_related", ["dermatomal_symptoms", "myotomal_weakness"], (), "refer_nerve_assessment"),
    ("nerve_related", [], [ReportedFinding("diabetic_foot", "sole", "left")], "nerve_directed_care"),
    ("central_sensitisation", ["widespread_pain", "pain_out_of_proportion"], (), "refer_pain_service"),
    ("systemic_illness", ["statin_started"], (), "refer_physician_systemic"),
    ("systemic_illness", [], ["night_pain"], "refer_physician_systemic"),  # alone, a precaution
]


@pytest.mark.parametrize("driver, signs, findings, action", DRIVER_CASES)
def test_non_responder_of_each_driver(driver, signs, findings, action):
    result = run(FLAT, done=6, today=35, signs=signs, findings=findings, age=40)
    assert result.status == NOT_RESPONDING
    first = result.drivers[0]
    assert first.id == driver and first.indicated and first.checks and first.sources
    assert all(not d.indicated for d in result.drivers[1:])
    assert len(result.drivers) == len(RULES.drivers)  # every driver is listed, to be examined
    recommended = {a.id: a for a in result.actions}
    assert action in recommended and first.name in recommended[action].because
    # Every non-responder is told to change the plan: strengthening, movement retraining, stress.
    assert {"add_progressive_strengthening", "movement_retraining", "stress_strategies"} <= set(recommended)
    for a in result.actions:
        assert (a.kind == "refer") == bool(a.refer_to and a.urgency), a
    kinds = [a.kind for a in result.actions]
    assert kinds == sorted(kinds, key=["change_plan", "stop_needling", "refer"].index)


def test_the_five_drivers_of_the_issue_each_have_checks_and_actions():
    assert set(RULES.drivers) == {
        "mechanical_load",
        "joint_dysfunction",
        "nerve_related",
        "central_sensitisation",
        "systemic_illness",
    }
    refers = {RULES.actions[a].refer_to for d in RULES.drivers.values() for a in d.actions}
    assert any("pain service" in r for r in refers) and any("physician" in r for r in refers)


def test_without_signs_the_condition_orders_the_drivers():
    result = run(FLAT, condition="carpal_tunnel_syndrome", done=6, today=35, age=40)
    assert result.drivers[0].id == "nerve_related" and not any(d.indicated for d in result.drivers)
    assert any("examine each one" in n for n in result.notes)
    result = run(FLAT, condition="fibromyalgia", done=6, today=35, age=40)
    assert result.drivers[0].id == "central_sensitisation"
    # No driver indicated: only the general plan changes and the stop rule, no referral yet.
    assert {a.kind for a in result.actions} == {"change_plan", "stop_needling"}


def test_stop_needling_when_the_course_is_over():
    done = run(FLAT, done=6, today=35, age=40)
    stop = next(a for a in done.actions if a.kind == "stop_needling")
    assert stop.when == "now"
    midway = run([*FLAT[:2], m(21, "ndi", 22)], done=3, today=21, age=40)
    stop = next(a for a in midway.actions if a.kind == "stop_needling")
    assert "after session 6 of 6" in stop.when and "12 weeks" in stop.when
    late = run(FLAT[:2] + [m(84, "ndi", 22)], done=4, today=84, age=40)  # 12 weeks, behind on sessions
    assert next(a for a in late.actions if a.kind == "stop_needling").when == "now"


def test_no_improvement_at_four_weeks_is_a_red_flag_at_50_or_over():
    # Screening's 'pain not improving with care' counts as a red flag at 50 or over (Deyo 1988).
    result = run(FLAT, age=55)
    assert result.status == REFER and result.urgency == "soon"
    assert "Pain not improving with care" in result.reasons[-1]
    assert any(f.id == "failure_to_improve" for f in result.findings)
    # Younger: a precaution, and the drivers.
    result = run(FLAT, age=40)
    assert result.status == NOT_RESPONDING and any("Pain not improving" in n for n in result.notes)
    # A cancer history makes it a red flag at any age, by screening's combination rule.
    assert run(FLAT, age=40, findings=["cancer_history"]).status == REFER
    # Some improvement below the MCID is not 'no improvement'; nor is three weeks 'about a month'.
    assert run([*FLAT[:2], m(28, "ndi", 19)], age=55).status == NOT_RESPONDING
    assert run([*FLAT[:2], m(21, "ndi", 22)], done=3, today=21, age=55).status == NOT_RESPONDING


# ---------------------------------------------------------------- refer whatever the scores

IMPROVED = [m(0, "ndi", 24), m(28, "ndi", 10), m(0, "nprs", 7), m(28, "nprs", 2)]


def test_red_flag_at_the_re_screen_refers_a_responder():
    result = run(IMPROVED, findings=["cancer_history", "night_pain"], age=61)
    assert result.status == REFER and result.urgency == "soon"
    assert row(result, "ndi").met  # the scores are still reported
    assert {r.reason.split(": ", 1)[1].split(" (")[0] for r in result.referrals} == {
        "History of cancer",
        "Constant night pain",
    }
    assert result.screening_verdict == "refer"


def test_the_most_urgent_red_flag_sets_the_urgency():
    result = run(IMPROVED, findings=["night_pain", "cancer_history", "saddle_anesthesia"], age=61)
    assert result.urgency == "emergency" and result.referrals[0].urgency == "emergency"
    assert "emergency" in result.referrals[0].to.lower()


def test_screening_decides_what_counts_as_a_red_flag():
    # A cancer history alone at 40 is a precaution for screening, so it does not refer.
    result = run(IMPROVED, findings=["cancer_history"], age=40)
    assert result.status == RESPONDING and result.screening_verdict == "caution"


@pytest.mark.parametrize("flag", ["worsening", "spreading", "unexplained"])
def test_symptom_flags_refer_whatever_the_scores(flag):
    result = run(IMPROVED, symptoms=[flag])
    spec = RULES.symptom_flags[flag]
    assert result.status == REFER and result.urgency == spec.urgency
    assert result.referrals[0].to == spec.refer_to and result.referrals[0].sources


@pytest.mark.parametrize(
    "series, refers",
    [
        ([m(0, "ndi", 20), m(28, "ndi", 30)], True),  # 10 worse: the MCID
        ([m(0, "ndi", 20), m(28, "ndi", 29)], False),
        ([m(0, "nprs", 4), m(28, "nprs", 6)], True),
        ([m(0, "lefs", 50), m(28, "lefs", 41)], True),  # higher is better: 9 lower
        ([m(0, "lefs", 50), m(28, "lefs", 42)], False),
        ([m(0, "odi", 30), m(28, "odi", 40)], True),
        ([m(28, "groc", -3)], True),
        ([m(28, "groc", -2)], False),
    ],
)
def test_worsening_beyond_the_mcid_refers(series, refers):
    result = run(series, done=2, today=28, age=40)
    assert (result.status == REFER) is refers, result.reasons
    assert any(r.worsened for r in result.instruments) is refers
    if refers:
        assert result.referrals[0].to == RULES.worsening.refer_to
        assert "cms_ncd_30_3_3" in {s.id for s in result.referrals[0].sources}


# ---------------------------------------------------------------- direction of each instrument


@pytest.mark.parametrize(
    "instrument, before, after, direction",
    [
        ("nprs", 6, 3, "lower_is_better"),
        ("vas", 60, 40, "lower_is_better"),
        ("ndi", 30, 18, "lower_is_better"),
        ("odi", 40, 28, "lower_is_better"),
        ("quickdash", 50, 30, "lower_is_better"),
        ("lefs", 40, 52, "higher_is_better"),
        ("psfs", 3, 6, "higher_is_better"),
        ("ppt", 250, 320, "higher_is_better"),
    ],
)
def test_direction_of_each_instrument(instrument, before, after, direction):
    better = instrument_progress(KB, [m(0, instrument, before), m(28, instrument, after)])[0]
    worse = instrument_progress(KB, [m(0, instrument, after), m(28, instrument, before)])[0]
    assert better.direction == worse.direction == direction
    assert better.change == after - before and better.improvement > 0 and better.met
    assert worse.improvement == -better.improvement and worse.met is False and worse.worsened


def test_every_instrument_is_covered_by_the_direction_cases():
    tested = {"nprs", "vas", "ndi", "odi", "quickdash", "lefs", "psfs", "ppt", "groc"}
    assert set(KB.instruments) == tested


def test_nprs_best_and_worst_and_ppt_sites_are_their_own_rows():
    rows = instrument_progress(
        KB,
        [
            m(0, "nprs", 6, best=3, worst=8),
            m(28, "nprs", 5, best=1, worst=8),
            m(0, "ppt", 250, site="upper_trapezius", side="left"),
            m(28, "ppt", 300, site="upper_trapezius", side="left"),
            m(0, "ppt", 260, site="upper_trapezius", side="right"),
        ],
        "neck_pain",
    )
    names = [r.name for r in rows]
    assert names == [
        "NPRS",
        "NPRS best (24 h)",
        "NPRS worst (24 h)",
        "PPT upper trapezius (left)",
        "PPT upper trapezius (right)",
    ]
    assert [r.met for r in rows] == [False, True, False, True, None]


def test_baseline_is_the_earliest_and_latest_the_most_recent_whatever_the_order():
    rows = instrument_progress(KB, [m(28, "ndi", 12), m(0, "ndi", 24), m(14, "ndi", 20)])
    assert (rows[0].baseline, rows[0].latest, rows[0].measurements) == (24, 12, 3)


# ---------------------------------------------------------------- reassessment points


def test_reassessment_points_of_a_weekly_plan():
    points = reassessment_points(KB, plan(6), sessions_done=3, today=day(20))
    assert [(p.label, p.date, p.reached) for p in points] == [
        ("after session 3 of 6 (50%)", date(2026, 9, 15), True),
        ("4 weeks", date(2026, 9, 29), False),
        ("after session 6 of 6 (100%)", date(2026, 10, 6), False),
        ("8 weeks", date(2026, 10, 27), False),
        ("12 weeks", date(2026, 11, 24), False),
    ]
    assert all(p.sources for p in points)


def test_reassessment_points_of_a_twice_weekly_odd_plan():
    # 5 sessions twice a week: 50% is session 3 (day 7), 100% session 5 (day 14).
    points = {p.label: p.date for p in reassessment_points(KB, plan(5, 2))}
    assert points["after session 3 of 5 (50%)"] == day(7)
    assert points["after session 5 of 5 (100%)"] == day(14)
    assert [session_date(plan(6, 3), k) for k in (1, 2, 3, 4)] == [day(0), day(2), day(4), day(7)]


# ---------------------------------------------------------------- payer rules (Medicare NCD 30.3.3)


def warnings(n, per_week=1, condition="low_back_pain", prior=0, improving=None):
    return [w.message for w in payer_warnings(KB, condition, plan(n, per_week, "medicare", prior), improving=improving)]


def test_medicare_twelve_weekly_visits_are_within_the_rule():
    assert warnings(12) == []


def test_medicare_thirteen_weekly_visits_fall_in_90_days():
    found = warnings(13)
    assert any("13 sessions in the first 90 days" in w for w in found)
    assert any("covered only if the patient is improving" in w for w in found)


def test_medicare_twenty_visits_need_improvement_and_fit_the_year():
    found = warnings(20, per_week=0.5)  # fortnightly: 7 in the first 90 days
    assert not any("first 90 days" in w for w in found)
    assert any("session 13 on" in w and "at most 8 more" in w for w in found)
    assert warnings(20, per_week=0.5, improving=True) == []


def test_medicare_annual_limit_counts_earlier_visits():
    assert any("21 visits this year is more than the 20" in w for w in warnings(21, per_week=0.5, improving=True))
    found = warnings(12, prior=10, improving=True)
    assert any("22 visits this year (10 before this plan)" in w for w in found)


def test_medicare_stops_when_not_improving():
    assert any("treatment must stop" in w for w in warnings(6, improving=False))


def test_medicare_covers_chronic_low_back_pain_only():
    found = warnings(6, condition="neck_pain")
    assert len(found) == 1 and "covers low back pain only" in found[0] and "neck pain is not covered" in found[0]
    assert payer_warnings(KB, "low_back_pain", plan(30)) == ()  # no payer, no payer rule


def test_reassess_passes_its_progress_to_the_payer_rule():
    result = run(FLAT, condition="low_back_pain", the_plan=plan(14, 1, "medicare"), age=40)
    assert result.status == NOT_RESPONDING
    assert any("treatment must stop" in w.message for w in result.payer_warnings)
    assert all(w.sources[0].id == "cms_ncd_30_3_3" for w in result.payer_warnings)


# ---------------------------------------------------------------- default plans and input


def test_every_condition_has_a_default_plan():
    for condition in KB.conditions:
        default = default_plan(KB, condition)
        assert default.sessions >= 1 and 0 < default.frequency_per_week <= 7 and default.sources
    assert (default_plan(KB, "neck_pain").frequency_per_week, default_plan(KB, "neck_pain").sessions) == (1, 6)
    assert default_plan(KB, "fibromyalgia").sessions == 10


def test_input_takes_the_default_plan_and_today_from_the_latest_measurement():
    raw = {
        "condition": "Neck pain",
        "plan": {"start": "2026-09-01"},
        "sessions_done": 2,
        "measurements": [
            {"date": "2026-09-01", "instrument": "NDI", "score": 24},
            {"date": "2026-09-15", "instrument": "nprs", "current": 5, "worst": 7},
            {
                "date": "2026-09-08",
                "instrument": "ppt",
                "score": 3,
                "unit": "kg/cm2",
                "site": "upper trap",
                "side": "L",
            },
        ],
    }
    with pytest.raises(ProgressInputError, match="side 'L' is not valid"):
        progress_input_from_dict(KB, raw, fallback_today=date(2030, 1, 1))
    raw["measurements"][2]["side"] = "left"
    data = progress_input_from_dict(KB, raw, fallback_today=date(2030, 1, 1))
    assert data.condition == "neck_pain" and data.today == date(2026, 9, 15)
    assert (data.plan.sessions_planned, data.plan.frequency_per_week) == (6, 1)
    assert data.plan.defaults == ("sessions_planned", "frequency_per_week")
    assert data.measurements[1] == Measurement(date(2026, 9, 15), "nprs", 5, None, 7)
    assert data.measurements[2].score == pytest.approx(3 * 98.0665) and data.measurements[2].site == "upper_trapezius"
    no_scores = {**raw, "measurements": []}
    assert progress_input_from_dict(KB, no_scores, fallback_today=date(2030, 1, 1)).today == date(2030, 1, 1)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"condition": "neck pian"}, "unknown condition 'neck pian'; closest: neck_pain"),
        ({"sessions_done": -1}, "sessions_done -1"),
        ({"plan": {"start": "2026-02-30"}}, "plan: start '2026-02-30' is not a date"),
        ({"plan": {"start": "2026-09-01", "frequency_per_week": 0}}, "frequency_per_week 0"),
        ({"symptoms": ["worse"]}, "unknown symptom 'worse'; closest: worsening"),
        ({"signs": ["widespread"]}, "unknown sign 'widespread'; closest: widespread_pain"),
        ({"findings": ["sadle anesthesia"]}, "unknown finding 'sadle anesthesia'; closest: saddle_anesthesia"),
        ({"measurements": [{"date": "2026-09-01", "instrument": "ndx", "score": 1}]}, "closest: ndi"),
        ({"measurements": [{"date": "2026-09-01", "instrument": "ndi", "score": 51}]}, "runs from 0 to 50 points"),
        ({"measurements": [{"date": "2026-09-01", "instrument": "ndi", "score": 5, "best": 2}]}, "NPRS ratings"),
        ({"measurements": [{"date": "2026-09-01", "instrument": "ndi", "score": 5, "site": "scm"}]}, "ppt"),
        ({"today": "2026-08-01", "measurements": [{"date": "2026-09-01", "instrument": "ndi", "score": 5}]}, "after"),
    ],
)
def test_bad_input_names_the_bad_value(change, message):
    raw = {"condition": "neck_pain", "plan": {"start": "2026-09-01"}, "sessions_done": 1, **change}
    with pytest.raises(ProgressInputError, match=message.replace("(", r"\(")):
        data = progress_input_from_dict(KB, raw, fallback_today=date(2026, 10, 1))
        assess(KB, data)


# ---------------------------------------------------------------- properties

SCORED = ["nprs", "ndi", "psfs", "lefs", "groc", "ppt"]
PATIENT_FINDINGS = sorted(f.id for f in KB.findings.values() if not f.site_scoped)
QUIET_FINDINGS = sorted(f.id for f in KB.findings.values() if f.kind != "red_flag" and not f.site_scoped)
UNCONDITIONAL_RED_FLAGS = sorted(
    f.id for f in KB.findings.values() if f.kind == "red_flag" and f.counts_when is None and not f.site_scoped
)
COMBINED_RED_FLAGS = [
    (f.id, partner)
    for f in KB.findings.values()
    if f.kind == "red_flag" and f.counts_when is not None
    for partner in f.counts_when.with_any
]


def instrument(ident: str) -> Instrument:
    value = KB.instruments[ident]
    assert isinstance(value, Instrument)
    return value


@st.composite
def episodes(draw):
    n = draw(st.integers(1, 14))
    per_week = draw(st.sampled_from([0.5, 1, 2, 3]))
    today = draw(st.integers(0, 120))
    measurements = []
    for ident in draw(st.lists(st.sampled_from(SCORED), min_size=1, max_size=4, unique=True)):
        spec = instrument(ident)
        days = draw(st.lists(st.integers(0, today), min_size=1, max_size=3, unique=True))
        low, high = int(spec.score.min), int(min(spec.score.max, 600))
        step = int(spec.mcid.value * 2) if spec.mcid else 5  # moves around the MCID, both ways
        score = draw(st.integers(low, high))
        for d in sorted(days):
            measurements.append(m(d, ident, score))
            score = min(max(score + draw(st.integers(-step, step)), low), high)
    return ProgressInput(
        condition=draw(st.sampled_from(sorted(KB.conditions))),
        plan=plan(n, per_week, draw(st.sampled_from(["", "medicare"]))),
        sessions_done=draw(st.integers(0, n + 2)),
        today=day(today),
        measurements=tuple(measurements),
        # Mostly findings that are no red flag, now and then any finding, rarely a symptom flag: the
        # scores, not the flags, should decide most generated episodes.
        findings=tuple(ReportedFinding(f) for f in draw(st.lists(st.sampled_from(QUIET_FINDINGS), max_size=2)))
        + tuple(ReportedFinding(f) for f in (draw(st.sampled_from(PATIENT_FINDINGS)),) if draw(st.integers(0, 5)) == 0),
        symptoms=draw(st.sampled_from([(), (), (), (), (), (), ("worsening",), ("spreading",), ("unexplained",)])),
        signs=tuple(draw(st.lists(st.sampled_from(sorted(RULES.signs)), max_size=2, unique=True))),
        age=draw(st.none() | st.integers(18, 90)),
    )


@settings(max_examples=300, deadline=None)
@given(data=episodes(), pick=st.integers(0, 100), step=st.integers(1, 40))
def test_a_better_latest_score_never_makes_the_status_worse(data, pick, step):
    before = assess(KB, data)
    # Improve the latest score of one instrument (within its range).
    idents = sorted({x.instrument for x in data.measurements})
    ident = idents[pick % len(idents)]
    spec = instrument(ident)
    latest = max((x for x in data.measurements if x.instrument == ident), key=lambda x: x.date)
    sign = 1 if spec.higher_is_better else -1
    better = min(max(latest.score + sign * step, spec.score.min), spec.score.max)
    changed = tuple(replace(x, score=better) if x is latest else x for x in data.measurements)
    after = assess(KB, replace(data, measurements=changed))
    assert STATUS_RANK[after.status] <= STATUS_RANK[before.status], (before.reasons, after.reasons)


@settings(max_examples=200, deadline=None)
@given(data=episodes(), flag=st.sampled_from(UNCONDITIONAL_RED_FLAGS))
def test_a_red_flag_always_refers(data, flag):
    result = assess(KB, replace(data, findings=(*data.findings, ReportedFinding(flag))))
    assert result.status == REFER and result.urgency in ("emergency", "urgent", "soon")
    assert any(KB.findings[flag].name in r.reason for r in result.referrals)


@settings(max_examples=100, deadline=None)
@given(data=episodes(), pair=st.sampled_from(COMBINED_RED_FLAGS))
def test_a_red_flag_with_its_combination_always_refers(data, pair):
    findings = (*data.findings, *(ReportedFinding(f) for f in pair))
    assert assess(KB, replace(data, findings=findings)).status == REFER


@settings(max_examples=100, deadline=None)
@given(data=episodes(), flag=st.sampled_from(sorted(RULES.symptom_flags)))
def test_a_symptom_flag_always_refers(data, flag):
    assert assess(KB, replace(data, symptoms=(flag,))).status == REFER


@settings(max_examples=100, deadline=None)
@given(data=episodes())
def test_every_status_has_reasons_and_sources(data):
    result = assess(KB, data)
    assert result.reasons and result.sources
    assert all(ref.id in KB.sources for ref in result.sources)
    assert (result.status == NOT_RESPONDING) == bool(result.drivers)
    assert (result.status == REFER) == bool(result.referrals) == bool(result.urgency)
