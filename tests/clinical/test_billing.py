"""Billing code rules: dry needling by muscles, acupuncture by the CPT time rule on the session's total
face-to-face time with one unit per set of new needles, ICD-10-CM codes by the sides of the pain drawing."""

from __future__ import annotations

import re
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needlechart.clinical.billing import (
    BillingInputError,
    Increment,
    Insertion,
    acupuncture_codes,
    codes_from_dict,
    diagnoses_for,
    dry_needling_codes,
    time_rule_units,
)
from needlechart.knowledge import KnowledgeError, load


def codes(coding):
    return [(c.code, c.units) for c in coding.procedures]


def icd(coding):
    return [d.code for d in coding.diagnoses]


def seg(minutes, es=False, reinserted=None):
    return Increment(minutes, es, reinserted)


# ------------------------------------------------------------------------------------ dry needling


def test_one_muscle_is_20560(kb):
    assert codes(dry_needling_codes(kb, [Insertion("upper_trapezius", "left")])) == [("20560", 1)]


def test_many_insertions_into_two_muscles_is_still_20560(kb):
    insertions = [Insertion("upper_trapezius", "left")] * 4 + [Insertion("levator_scapulae", "left")] * 3
    coding = dry_needling_codes(kb, insertions)
    assert codes(coding) == [("20560", 1)]
    assert "2 muscle(s)" in coding.procedures[0].reason


def test_three_muscles_is_20561(kb):
    insertions = [Insertion(m, "right") for m in ("gluteus_medius", "gluteus_minimus", "piriformis")]
    assert codes(dry_needling_codes(kb, insertions)) == [("20561", 1)]


def test_left_and_right_of_one_muscle_count_as_two(kb):
    insertions = [Insertion("upper_trapezius", "left"), Insertion("upper_trapezius", "right")]
    assert codes(dry_needling_codes(kb, insertions)) == [("20560", 1)]
    insertions.append(Insertion("levator_scapulae", "left"))
    assert codes(dry_needling_codes(kb, insertions)) == [("20561", 1)]


def test_bilateral_upper_trapezius_is_20560_with_a_note_and_a_levator_makes_20561(kb):
    both = [Insertion("upper_trapezius", "left")] * 3 + [Insertion("upper_trapezius", "right")] * 2
    coding = dry_needling_codes(kb, both)
    assert codes(coding) == [("20560", 1)]
    note = next(n for n in coding.notes if "both sides" in n)
    assert "upper trapezius" in note and "count as two muscles" in note and "count once" in note
    assert "(muscle count: AAPC PM&R Coding Alert)" in note
    assert "(muscle count: AAPC PM&R Coding Alert)" in coding.procedures[0].reason
    assert coding.procedures[0].rules == ("muscle_count",)

    with_levator = dry_needling_codes(kb, [*both, Insertion("levator_scapulae", "right")])
    assert codes(with_levator) == [("20561", 1)]
    assert "3 muscle(s)" in with_levator.procedures[0].reason
    assert any("both sides: upper trapezius." in n for n in with_levator.notes)


def test_one_sided_muscles_get_no_bilateral_note(kb):
    coding = dry_needling_codes(kb, [Insertion("upper_trapezius", "left"), Insertion("levator_scapulae", "right")])
    assert not any("both sides" in n for n in coding.notes)


def test_dry_needling_is_untimed_and_not_reported_with_acupuncture_codes(kb):
    coding = dry_needling_codes(kb, [Insertion("upper_trapezius", "left")])
    note = next(n for n in coding.notes if "untimed" in n)
    assert "97810-97814" in note and "(dry needling is untimed: Coding Ahead, CPT 2020 notes)" in note


def test_acupoints_do_not_count_as_muscles(kb):
    coding = dry_needling_codes(kb, [Insertion("LI4", "left")])
    assert coding.procedures == ()
    assert any("LI4" in n for n in coding.notes)


# ------------------------------------------------------------------------------------- acupuncture


@pytest.mark.parametrize(
    "minutes, units",
    [(1, 0), (7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4), (67, 4), (68, 5)],
)
def test_time_rule_table(minutes, units):
    assert time_rule_units(minutes) == units


def test_one_segment_without_stimulation_is_97810(kb):
    assert codes(acupuncture_codes(kb, [seg(15)])) == [("97810", 1)]


def test_eight_plus_eight_plus_eight_with_reinsertions_is_two_units(kb):
    """Per increment this was three units; on the 24-minute total it is two."""
    coding = acupuncture_codes(kb, [seg(8), seg(8, reinserted=True), seg(8, reinserted=True)])
    assert codes(coding) == [("97810", 1), ("97811", 1)]
    # The second unit (minutes 15-24) rests on the needles in place as it ends, those of segment 3.
    assert any("segment 2 earns no unit" in n and "24 min in total is 2 units" in n for n in coding.notes)


def test_seven_plus_seven_is_one_unit(kb):
    """Each 7-minute piece was unbillable alone; the 14-minute total is one unit."""
    assert codes(acupuncture_codes(kb, [seg(7), seg(7, reinserted=True)])) == [("97810", 1)]
    assert codes(acupuncture_codes(kb, [seg(7), seg(7, reinserted=False)])) == [("97810", 1)]


def test_seven_minutes_alone_is_not_billable(kb):
    coding = acupuncture_codes(kb, [seg(7)])
    assert coding.procedures == ()
    assert any("7 min of face-to-face time" in n and "(CPT time rule: AAC Info Network)" in n for n in coding.notes)


def test_thirty_minutes_of_retained_needles_is_97810_only(kb):
    coding = acupuncture_codes(kb, [seg(30)])
    assert codes(coding) == [("97810", 1)]
    no_new = [n for n in coding.notes if "had no new needles of their own" in n]
    assert no_new and "re-insertion rule: Acupuncture Today" in no_new[0]
    retention = next(n for n in coding.notes if "looks like retention" in n)
    assert "unattended, is not face-to-face time" in retention and "face-to-face time: AAC Info Network" in retention


def test_thirty_minutes_in_two_segments_without_new_needles_is_one_unit(kb):
    coding = acupuncture_codes(kb, [seg(15), seg(15, reinserted=False)])
    assert codes(coding) == [("97810", 1)]


def test_manual_first_then_stimulation_with_new_needles_is_97810_and_97814(kb):
    coding = acupuncture_codes(kb, [seg(15), seg(15, es=True, reinserted=True)])
    assert codes(coding) == [("97810", 1), ("97814", 1)]
    add_on = coding.procedures[1]
    assert "unit 2: minutes 15-30 (needles of segment 2" in add_on.reason.lower()
    assert "with electrical stimulation" in add_on.reason
    assert set(add_on.rules) == {"cpt_time_rule", "stimulation_in_any_part", "reinsertion_for_add_on"}


def test_stimulation_first_then_manual_reinsertion_is_97813_and_97811(kb):
    coding = acupuncture_codes(kb, [seg(15, es=True), seg(15, reinserted=True)])
    assert codes(coding) == [("97813", 1), ("97811", 1)]


def test_stimulation_later_on_the_same_needles_makes_the_unit_an_es_unit(kb):
    """The unit covers its whole needle set: stimulation in any part of it takes the ES code."""
    coding = acupuncture_codes(kb, [seg(10), seg(5, es=True, reinserted=False)])
    assert codes(coding) == [("97813", 1)]


def test_three_sets_take_one_initial_code_only(kb):
    coding = acupuncture_codes(kb, [seg(15), seg(15, es=True, reinserted=True), seg(15, reinserted=True)])
    assert codes(coding) == [("97810", 1), ("97814", 1), ("97811", 1)]
    assert sum(c.units for c in coding.procedures if c.code in ("97810", "97813")) == 1


def test_initial_already_billed_today_gives_add_on_codes_only(kb):
    assert codes(acupuncture_codes(kb, [seg(15)], initial_billed_today=True)) == [("97811", 1)]
    coding = acupuncture_codes(kb, [seg(15, es=True), seg(15, reinserted=True)], initial_billed_today=True)
    assert codes(coding) == [("97814", 1), ("97811", 1)]
    assert any("already billed today" in n for n in coding.notes)


def test_missing_reinserted_on_segment_two_is_refused(kb):
    with pytest.raises(BillingInputError, match=r"segment 2: 'reinserted' is missing"):
        acupuncture_codes(kb, [seg(15), seg(15)])
    with pytest.raises(BillingInputError, match=r"segment 2: 'reinserted' is missing"):
        codes_from_dict(kb, {"modality": "acupuncture", "increments": [{"minutes": 15}, {"minutes": 15}]})


def test_first_segment_may_omit_reinserted(kb):
    coding = codes_from_dict(kb, {"modality": "acupuncture", "increments": [{"minutes": 20}]})
    assert codes(coding) == [("97810", 1)]


def test_segment_minutes_range(kb):
    assert codes(acupuncture_codes(kb, [seg(120)])) == [("97810", 1)]
    for minutes in (0, 121):
        with pytest.raises(BillingInputError, match=f"segment 1: {minutes} minutes is out of range"):
            acupuncture_codes(kb, [seg(minutes)])


def test_reasons_name_the_rules_and_their_sources(kb):
    coding = acupuncture_codes(kb, [seg(15), seg(15, reinserted=True)])
    initial, add_on = coding.procedures
    assert "30 min face-to-face in total = 2 units (CPT time rule: AAC Info Network)" in initial.reason
    assert "(one initial code per day: AAPC)" in initial.reason
    assert "(re-insertion rule: Acupuncture Today)" in add_on.reason
    for code in coding.procedures:
        assert all(rule in kb.billing_rules for rule in code.rules)


def test_issue_examples(kb):
    dn = codes_from_dict(
        kb,
        {
            "modality": "dry_needling",
            "insertions": [
                {"target": "upper_trapezius", "side": "left"},
                {"target": "levator_scapulae", "side": "left"},
            ],
        },
    )
    assert codes(dn) == [("20560", 1)]
    ac = codes_from_dict(
        kb,
        {
            "modality": "acupuncture",
            "increments": [
                {"minutes": 15, "electrical_stimulation": False},
                {"minutes": 15, "electrical_stimulation": True, "reinserted": True},
            ],
        },
    )
    assert codes(ac) == [("97810", 1), ("97814", 1)]


segments = st.lists(st.tuples(st.integers(1, 120), st.booleans(), st.booleans()), min_size=1, max_size=8).map(
    lambda items: [Increment(m, es, None if n == 0 else r) for n, (m, es, r) in enumerate(items)]
)


@settings(max_examples=300, deadline=None)
@given(segments, st.booleans())
def test_units_never_exceed_the_time_rule_or_the_needle_sets(increments, initial_billed_today):
    kb = load()
    coding = acupuncture_codes(kb, increments, initial_billed_today=initial_billed_today)
    units = sum(c.units for c in coding.procedures)
    total = sum(i.minutes for i in increments)
    reinsertions = sum(1 for i in increments[1:] if i.reinserted)
    assert units <= time_rule_units(total)
    assert units <= 1 + reinsertions
    initial = sum(c.units for c in coding.procedures if kb.billing[c.code].role == "initial")
    assert initial <= (0 if initial_billed_today else 1)


# --------------------------------------------------------------------------------------- diagnoses


def test_icd10_codes_come_from_the_condition(kb):
    coding = codes_from_dict(
        kb,
        {
            "modality": "dry_needling",
            "condition": "neck pain",
            "insertions": [{"target": "upper trap", "side": "left"}],
        },
    )
    assert "M54.2" in icd(coding)


def test_left_lateral_hip_pain_gives_the_left_hip_codes_never_the_right(kb):
    coding = codes_from_dict(
        kb,
        {
            "modality": "dry_needling",
            "condition": "hip_pain",
            "pain": [{"region": "lateral_hip", "side": "left"}],
            "insertions": [{"target": "gluteus_medius", "side": "left"}],
        },
    )
    assert icd(coding) == ["M25.552", "M70.62"]
    assert "M25.551" not in icd(coding)


def test_right_side_only_gives_the_right_codes(kb):
    codes_, _ = diagnoses_for(kb, "hip_pain", [("buttock", "right")])
    assert [c.code for c in codes_] == ["M25.551", "M70.61"]


def test_pain_outside_the_conditions_regions_does_not_set_its_side(kb):
    codes_, notes = diagnoses_for(kb, "hip_pain", [("temple", "left")])
    assert [c.code for c in codes_] == ["M25.559", "M70.60"]
    assert notes


def test_both_sides_take_the_bilateral_code_where_one_exists(kb):
    codes_, _ = diagnoses_for(kb, "carpal_tunnel_syndrome", [("palm", "left"), ("wrist_volar", "right")])
    assert [c.code for c in codes_] == ["G56.03"]
    tmd, _ = diagnoses_for(kb, "temporomandibular_disorder", [("jaw", "left"), ("jaw", "right")])
    assert [c.code for c in tmd] == ["M79.11", "M26.623", "M26.603"]


def test_both_sides_without_a_bilateral_code_list_left_and_right(kb):
    codes_, notes = diagnoses_for(kb, "hip_pain", [("lateral_hip", "left"), ("lateral_hip", "right")])
    assert [c.code for c in codes_] == ["M25.551", "M25.552", "M70.61", "M70.62"]
    assert any("no bilateral code" in n for n in notes)


def test_no_pain_drawing_gives_the_unspecified_code_only(kb):
    for pains in (None, []):
        codes_, notes = diagnoses_for(kb, "hip_pain", pains)
        assert [c.code for c in codes_] == ["M25.559", "M70.60"]
        assert all(c.side in ("", "unspecified") for c in codes_)
        assert any("(ICD-10-CM laterality: ICD-10-CM guidelines I.B.13)" in n for n in notes)
    tmd, _ = diagnoses_for(kb, "temporomandibular_disorder", None)
    assert [c.code for c in tmd] == ["M79.11", "M26.629", "M26.609"]


def test_low_back_pain_never_yields_vertebrogenic_m54_51(kb):
    for pains in (None, [("lumbar", "left")], [("lumbar", "midline"), ("buttock", "right")]):
        codes_, _ = diagnoses_for(kb, "low_back_pain", pains)
        assert "M54.51" not in [c.code for c in codes_]
        assert "M54.50" in [c.code for c in codes_]


def test_pain_input_is_checked(kb):
    base = {"modality": "acupuncture", "condition": "hip_pain", "increments": [{"minutes": 15}]}
    with pytest.raises(BillingInputError, match="side 'midline' is not valid for lateral_hip"):
        codes_from_dict(kb, {**base, "pain": [{"region": "lateral_hip", "side": "midline"}]})
    with pytest.raises(BillingInputError, match="unknown region"):
        codes_from_dict(kb, {**base, "pain": [{"region": "hipp", "side": "left"}]})
    with pytest.raises(BillingInputError, match="pain 2: intensity 11 is out of range"):
        codes_from_dict(
            kb,
            {
                **base,
                "pain": [
                    {"region": "lateral_hip", "side": "left"},
                    {"region": "lateral_hip", "side": "right", "intensity": 11},
                ],
            },
        )
    with pytest.raises(BillingInputError, match="a pain drawing is a list"):
        codes_from_dict(kb, {**base, "pain": {"region": "lateral_hip", "side": "left"}})


def test_pain_drawing_names_and_sides_are_read_by_the_core_rule(kb):
    base = {"modality": "acupuncture", "condition": "hip_pain", "increments": [{"minutes": 15}]}
    drawn = [{"region": "Outer hip", "side": " LEFT "}, {"region": "lateral_hip", "side": "left", "intensity": 4}]
    assert codes_from_dict(kb, {**base, "pain": drawn}) == codes_from_dict(
        kb, {**base, "pain": [{"region": "lateral_hip", "side": "left"}]}
    )


def test_every_side_specific_code_has_its_side(kb):
    for condition in kb.conditions.values():
        for code in condition.icd10:
            said = {w for w in ("left", "right", "bilateral") if re.search(rf"\b{w}\b", code.title, re.IGNORECASE)}
            assert said == ({code.side} if code.side in ("left", "right", "bilateral") else set()), code


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            '{code: M25.552, title: "Pain in left hip", side: left}',
            '{code: M25.552, title: "Pain in left hip", side: right}',
            "is 'right' but the title 'Pain in left hip' does not say right",
        ),
        (
            '{code: M25.552, title: "Pain in left hip", side: left}',
            '{code: M25.552, title: "Pain in left hip"}',
            "is missing: the title 'Pain in left hip' names a side (left)",
        ),
        (
            '{code: M25.559, title: "Pain in unspecified hip", side: unspecified}',
            '{code: M25.559, title: "Pain in unspecified hip"}',
            "differ only in laterality",
        ),
    ],
)
def test_the_loader_refuses_a_side_that_drifts_from_its_title(tmp_path, old, new, message):
    from needlechart.knowledge import loader

    data = tmp_path / "data"
    shutil.copytree(loader.DATA_DIR, data)
    conditions = data / "conditions.yaml"
    text = conditions.read_text(encoding="utf-8")
    assert old in text
    conditions.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load(data)
    assert any("hip_pain" in p and message in p for p in caught.value.problems), caught.value.problems


# ------------------------------------------------------------------------------------- input format


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"modality": "cupping"}, "unknown modality 'cupping'"),
        ({"modality": "dry_needling"}, "needs 'insertions'"),
        (
            {"modality": "dry_needling", "insertions": [{"target": "trapezoid", "side": "left"}]},
            "unknown target",
        ),
        ({"modality": "acupuncture", "increments": [{"minutes": "15"}]}, "'minutes' must be a whole number"),
        ({"modality": "acupuncture", "increments": [{"minutes": 15}], "extra": 1}, "unknown key(s) extra"),
        (
            {"modality": "acupuncture", "increments": [{"minutes": 15}, {"minutes": 15, "reinserted": "yes"}]},
            "segment 2: 'reinserted' must be true or false",
        ),
        (
            {"modality": "acupuncture", "increments": [{"minutes": 15}, {"minutes": 15, "reinserted": None}]},
            "segment 2: 'reinserted' must be true or false",
        ),
        ({"modality": "acupuncture", "increments": [{"minutes": 15, "new": True}]}, "segment 1: unknown key(s) new"),
    ],
)
def test_bad_session_input(kb, raw, message):
    with pytest.raises(BillingInputError) as caught:
        codes_from_dict(kb, raw)
    assert message in str(caught.value)


def test_descriptions_are_our_own_short_text(kb):
    for code in kb.billing.values():
        assert len(code.description) < 100 and code.sources


def test_billing_rules_cite_known_sources(kb):
    assert {"cpt_time_rule", "reinsertion_for_add_on", "muscle_count", "icd10_laterality"} <= set(kb.billing_rules)
    for rule in kb.billing_rules.values():
        assert rule.sources and all(ref.id in kb.sources for ref in rule.sources)
        assert all(code in kb.billing for code in rule.codes)
