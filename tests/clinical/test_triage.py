"""The public self-check's triage: the screening's verdict turned into one of four answers, with the
reasons (cited) and next steps. No database."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needlechart.clinical import triage as t
from needlechart.clinical.locations import Pain
from needlechart.clinical.readability import as_sentences, grade_level
from needlechart.clinical.screening import ReportedFinding, ScreeningInput, screen
from needlechart.knowledge import load

KB = load()
LOW_BACK = (Pain("lumbar", "midline"),)
NECK = (Pain("posterior_neck", "midline"), Pain("shoulder_top", "left"))


def answers(*findings, pains=LOW_BACK, age=40, duration="one_to_six_weeks", aggravating=()) -> t.Answers:
    reported = tuple(f if isinstance(f, ReportedFinding) else ReportedFinding(f) for f in findings)
    return t.Answers(pains=pains, duration=duration, aggravating=aggravating, findings=reported, age=age)


def test_no_findings_is_suitable_with_both_modalities_and_what_the_first_visit_involves():
    result = t.triage(KB, answers(pains=NECK))
    assert result.outcome == t.SUITABLE and not result.urgent
    assert result.reasons == () and result.precautions == ()
    offered = {m.id for m in result.modalities if m.offered}
    assert offered == {"dry_needling", "acupuncture"}
    assert any("first visit" in step for step in result.next_steps)
    assert "dry needling or acupuncture" in result.next_steps[0]


@pytest.mark.parametrize(
    "flag, outcome, urgency",
    [
        ("saddle_anesthesia", t.EMERGENCY, "emergency"),
        ("chest_pain_dyspnea", t.EMERGENCY, "emergency"),
        ("sudden_severe_headache", t.EMERGENCY, "emergency"),
        ("fever", t.SEE_DOCTOR, "urgent"),
        ("dvt_signs", t.SEE_DOCTOR, "urgent"),
    ],
)
def test_a_red_flag_gives_the_urgent_answer_for_its_urgency(flag, outcome, urgency):
    result = t.triage(KB, answers(flag))
    assert (result.outcome, result.urgency) == (outcome, urgency)
    assert [r.finding for r in result.reasons] == [flag]
    reason = result.reasons[0]
    assert reason.question == KB.findings[flag].question  # the patient's own words
    assert reason.sources == KB.findings[flag].sources and reason.sources  # cited
    assert result.modalities == ()  # no needling is offered with a red flag


def test_the_strongest_red_flag_decides_and_the_others_are_still_listed():
    result = t.triage(KB, answers("fever", "bladder_bowel_dysfunction", "anticoagulant_therapy"))
    assert result.outcome == t.EMERGENCY
    assert {r.finding for r in result.reasons} == {"fever", "bladder_bowel_dysfunction"}
    assert [r.finding for r in result.precautions] == ["anticoagulant_therapy"]


def test_a_soon_red_flag_is_a_doctor_within_days_before_any_needling():
    result = t.triage(KB, answers("cancer_history", age=63))  # a past cancer at 50 or over counts
    assert (result.outcome, result.urgency) == (t.SEE_DOCTOR, "soon")
    assert "next few days" in result.summary
    assert any("Do not have needling" in s for s in result.next_steps)


def test_a_red_flag_that_counts_only_in_combination_is_a_precaution_as_at_the_clinic():
    young = t.triage(KB, answers("cancer_history", age=35))
    assert young.outcome == t.SUITABLE
    assert [r.finding for r in young.precautions] == ["cancer_history"]
    assert young.precautions[0].kind == "precaution" and young.precautions[0].note
    combined = t.triage(KB, answers("cancer_history", "night_pain", age=35))
    assert combined.outcome == t.SEE_DOCTOR


def test_an_absolute_contraindication_is_probably_not_suitable_with_why_and_what_else_may_help():
    result = t.triage(KB, answers("needle_phobia", "diabetes"))
    assert result.outcome == t.NOT_SUITABLE
    assert [r.finding for r in result.reasons] == ["needle_phobia"]
    assert [r.finding for r in result.precautions] == ["diabetes"]
    assert any("Exercise" in s for s in result.next_steps)


def test_first_trimester_offers_acupuncture_only_and_names_the_precaution():
    result = t.triage(KB, answers("pregnancy_first_trimester", pains=NECK))
    assert result.outcome == t.SUITABLE
    offered = {m.id: m.offered for m in result.modalities}
    assert offered == {"dry_needling": False, "acupuncture": True}
    assert {"pregnancy_first_trimester", "pregnancy"} <= {r.finding for r in result.precautions}


def test_a_site_scoped_contraindication_where_it_hurts_leaves_no_target_and_is_not_suitable():
    # An infected wound over the whole of a small area: every target there is blocked.
    pains = (Pain("calf", "right"),)
    infected = [ReportedFinding("local_skin_infection", "calf", "right")]
    result = t.triage(KB, answers(*infected, pains=pains))
    blocked_everywhere = all(not m.offered for m in result.modalities)
    assert (result.outcome == t.NOT_SUITABLE) == blocked_everywhere
    # The same finding on the other leg changes nothing for the right calf.
    other = t.triage(KB, answers(ReportedFinding("local_skin_infection", "calf", "left"), pains=pains))
    assert other.outcome == t.SUITABLE and any(m.offered for m in other.modalities)


def test_the_age_is_required_and_minor_follows_from_it():
    with pytest.raises(t.TriageInputError, match="age"):
        t.triage(KB, answers(age=None))
    with pytest.raises(t.TriageInputError, match="age"):
        t.triage(KB, answers(age=0))
    teen = t.triage(KB, answers(age=15))
    assert "minor" in {r.finding for r in teen.precautions}
    assert next(r for r in teen.precautions if r.finding == "minor").question == ""
    with pytest.raises(t.TriageInputError, match="follow"):
        t.triage(KB, answers("minor"))


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"pains": ()}, "at least one"),
        ({"pains": (Pain("elbow", "left"),)}, "elbow"),
        ({"pains": (Pain("lumbar", "top"),)}, "side"),
        ({"duration": "forever"}, "duration"),
        ({"aggravating": ("moonlight",)}, "moonlight"),
        ({"findings": (ReportedFinding("werewolf"),)}, "werewolf"),
        ({"findings": (ReportedFinding("lymphedema"),)}, "region and side"),
        ({"findings": (ReportedFinding("fever", "calf", "left"),)}, "whole patient"),
    ],
)
def test_bad_answers_are_refused_with_a_message_naming_what_is_wrong(bad, message):
    with pytest.raises(t.TriageInputError, match=message):
        t.triage(KB, dataclasses.replace(answers(), **bad))


def test_every_finding_is_asked_once_or_follows_from_the_age():
    groups = t.questions(KB)
    asked = [f.id for _, findings in groups for f in findings]
    assert len(asked) == len(set(asked))
    assert set(asked) | set(t.FROM_AGE) == set(KB.findings)
    assert all(f.question for _, findings in groups for f in findings)
    # Red flags come before everything else, so a person in danger reaches the answer soonest.
    first_flags = {f.id for _, findings in groups[:5] for f in findings}
    assert {f.id for f in KB.findings.values() if f.kind == "red_flag"} <= first_flags


def test_a_finding_missing_from_the_groups_is_refused(monkeypatch):
    monkeypatch.setattr(t, "GROUPS", t.GROUPS[:-1])
    t.questions.cache_clear()
    try:
        with pytest.raises(t.TriageInputError, match="not in the self-check"):
            t.questions(KB)
    finally:
        monkeypatch.undo()
        t.questions.cache_clear()


# --- properties --------------------------------------------------------------------------------------

RED_FLAGS = sorted(f.id for f in KB.findings.values() if f.kind == "red_flag")
PATIENT_FINDINGS = sorted(f.id for f in KB.findings.values() if not f.site_scoped and f.id not in t.FROM_AGE)
REGIONS = sorted(KB.regions)


@st.composite
def public_answers(draw):
    region = draw(st.sampled_from(REGIONS))
    side = draw(st.sampled_from(KB.regions[region].sides))
    codes = draw(st.lists(st.sampled_from(PATIENT_FINDINGS), max_size=6, unique=True))
    age = draw(st.integers(min_value=t.MIN_AGE, max_value=t.MAX_AGE))
    return answers(*codes, pains=(Pain(region, side),), age=age)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=public_answers(), flag=st.sampled_from(RED_FLAGS))
def test_every_red_flag_whose_screening_verdict_is_refer_is_never_suitable(data, flag):
    with_flag = dataclasses.replace(data, findings=(*data.findings, ReportedFinding(flag)))
    verdict = screen(KB, ScreeningInput(age=with_flag.age, findings=with_flag.findings)).verdict
    result = t.triage(KB, with_flag)
    if verdict == "refer":
        assert result.outcome in (t.EMERGENCY, t.SEE_DOCTOR)
        assert result.outcome == t.URGENCY_OUTCOME[result.urgency]
        assert result.reasons and all(r.kind == "red_flag" and r.sources for r in result.reasons)
    assert result.outcome != t.SUITABLE or verdict in ("clear", "caution")


@settings(max_examples=150, deadline=None)
@given(data=public_answers())
def test_the_answer_follows_the_screening_verdict(data):
    verdict = screen(KB, ScreeningInput(age=data.age, findings=data.findings)).verdict
    result = t.triage(KB, data)
    expected = {"refer": {t.EMERGENCY, t.SEE_DOCTOR}, "do_not_needle": {t.NOT_SUITABLE}}
    assert result.outcome in expected.get(verdict, {t.SUITABLE, t.NOT_SUITABLE})
    if result.outcome == t.SUITABLE:
        assert any(m.offered for m in result.modalities)
    for reason in (*result.reasons, *result.precautions):
        assert reason.sources, reason.finding


def test_every_emergency_flag_alone_is_the_emergency_answer():
    for code in RED_FLAGS:
        finding = KB.findings[code]
        if finding.urgency == "emergency" and finding.counts_when is None:
            assert t.triage(KB, answers(code)).outcome == t.EMERGENCY, code


# --- plain words ------------------------------------------------------------------------------------


def _copy() -> list[str]:
    texts = [*t.OUTCOME_TITLES.values(), *t.DURATIONS.values(), *t.AGGRAVATING.values()]
    for group in t.GROUPS:
        texts += [group.title, group.intro]
    for outcome in t.OUTCOMES:
        for urgency in ("emergency", "urgent", "soon", ""):
            if outcome == t.SEE_DOCTOR and not urgency or outcome == t.EMERGENCY and urgency != "emergency":
                continue
            texts.append(t._summary(outcome, urgency))
            texts += t._steps(outcome, urgency, ())
    return texts


def test_the_triage_copy_reads_at_grade_7_or_below():
    text = as_sentences(_copy())
    assert grade_level(text) <= 7, grade_level(text)
