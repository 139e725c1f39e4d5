"""Billing code rules: dry needling by muscles, acupuncture by 15-minute increments."""

from __future__ import annotations

import pytest

from needlechart.clinical.billing import (
    BillingInputError,
    Increment,
    Insertion,
    acupuncture_codes,
    codes_from_dict,
    dry_needling_codes,
)


def codes(coding):
    return [(c.code, c.units) for c in coding.procedures]


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


def test_acupoints_do_not_count_as_muscles(kb):
    coding = dry_needling_codes(kb, [Insertion("LI4", "left")])
    assert coding.procedures == ()
    assert any("LI4" in n for n in coding.notes)


def test_one_increment_without_stimulation_is_97810(kb):
    assert codes(acupuncture_codes(kb, [Increment(15)])) == [("97810", 1)]


def test_initial_then_additional_increments(kb):
    assert codes(acupuncture_codes(kb, [Increment(15), Increment(15), Increment(12)])) == [
        ("97810", 1),
        ("97811", 2),
    ]


def test_stimulation_in_the_first_increment_is_97813(kb):
    assert codes(acupuncture_codes(kb, [Increment(15, True), Increment(15, True)])) == [
        ("97813", 1),
        ("97814", 1),
    ]


def test_mixed_increments_take_one_initial_code_only(kb):
    coding = acupuncture_codes(kb, [Increment(15), Increment(15, True), Increment(15)])
    assert codes(coding) == [("97810", 1), ("97814", 1), ("97811", 1)]
    assert sum(1 for c in coding.procedures if c.code in ("97810", "97813")) == 1


def test_initial_code_already_billed_today(kb):
    coding = acupuncture_codes(kb, [Increment(15)], initial_billed_today=True)
    assert codes(coding) == [("97811", 1)]


def test_short_increment_is_not_billable(kb):
    coding = acupuncture_codes(kb, [Increment(15), Increment(7)])
    assert codes(coding) == [("97810", 1)]
    assert any("Increment 2 (7 min) is not billable" in n for n in coding.notes)


def test_eight_minutes_is_billable(kb):
    assert codes(acupuncture_codes(kb, [Increment(8)])) == [("97810", 1)]


def test_increment_over_fifteen_minutes_is_rejected(kb):
    with pytest.raises(BillingInputError, match="increment 1: 30 minutes is out of range"):
        acupuncture_codes(kb, [Increment(30)])


def test_icd10_codes_come_from_the_condition(kb):
    coding = codes_from_dict(
        kb,
        {
            "modality": "dry_needling",
            "condition": "neck pain",
            "insertions": [{"target": "upper trap", "side": "left"}],
        },
    )
    assert "M54.2" in [d.code for d in coding.diagnoses]


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
                {"minutes": 15, "electrical_stimulation": True},
            ],
        },
    )
    assert codes(ac) == [("97810", 1), ("97814", 1)]


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
    ],
)
def test_bad_session_input(kb, raw, message):
    with pytest.raises(BillingInputError) as caught:
        codes_from_dict(kb, raw)
    assert message in str(caught.value)


def test_descriptions_are_our_own_short_text(kb):
    for code in kb.billing.values():
        assert len(code.description) < 100 and code.sources
