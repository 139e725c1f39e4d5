"""The second pass of the clinical safety review: defects found by trying the engine as clinicians
and outside testers would, each with the scenario that failed before its fix."""

from __future__ import annotations

import pytest

from needlechart.clinical import billing
from needlechart.clinical.screening import ReportedFinding, ScreeningInputError, screening_input_from_dict
from needlechart.clinical.suggestion import Pain, suggest
from tests.clinical.scenarios import reasons, run, status

# --- screening -----------------------------------------------------------------------------------------


def test_jaw_surgery_blocks_the_points_that_enter_the_jaw_joint(kb):
    """SI19 and TE21 lie in front of the ear but their needle enters the temporomandibular joint."""
    r = run(kb, ReportedFinding("recent_surgery", "jaw", "right"), planned=(("SI19", "right"), ("SI19", "left")))
    assert status(r, "SI19", "right") == "blocked" and "operated joint" in reasons(r, "SI19", "right")
    assert status(r, "SI19", "left") == "ok"


def test_surgery_at_a_region_that_is_no_joint_blocks_no_joint_entry(kb):
    r = run(kb, ReportedFinding("recent_surgery", "ear", "right"), planned=(("SI19", "right"),))
    assert status(r, "SI19", "right") == "caution"
    assert "operated joint" not in reasons(r, "SI19", "right")


def test_a_blocked_needling_modality_blocks_every_target(kb):
    dn = run(kb, "pregnancy_first_trimester", planned=(("upper_trapezius", "left"),), modalities=("dry_needling",))
    assert status(dn, "dry_needling") == "blocked"
    assert status(dn, "upper_trapezius", "left") == "blocked"
    assert "First trimester" in reasons(dn, "upper_trapezius", "left")
    both = run(
        kb,
        "pregnancy_first_trimester",
        planned=(("upper_trapezius", "left"),),
        modalities=("dry_needling", "acupuncture"),
    )
    assert status(both, "upper_trapezius", "left") == "ok"  # acupuncture remains possible


def test_suggestions_are_blocked_when_the_visit_modality_is(kb):
    from needlechart.clinical.screening import ScreeningInput

    screening = ScreeningInput(30, (ReportedFinding("pregnancy_first_trimester"),), (), ("dry_needling",))
    result = suggest(kb, [Pain("lumbar", "left")], screening=screening, top=5)
    assert {m.status for m in result.muscles} == {"blocked"}


@pytest.mark.parametrize("flag", ["cancer_history", "unexplained_weight_loss", "failure_to_improve"])
def test_an_unknown_age_is_asked_for_not_assumed(kb, flag):
    """Alone, the flag is a precaution (the issue's 'at least caution'); without the age the note says
    the threshold could not be checked and asks for it, instead of silently treating the patient as young."""
    r = run(kb, flag, age=None, planned=(("upper_trapezius", "left"),))
    assert r.verdict == "caution"
    note = next(f.note for f in r.findings if f.id == flag)
    assert "age is not known" in note and "red flag" in note
    assert "age is not known" not in next(f.note for f in run(kb, flag, age=30).findings if f.id == flag)


@pytest.mark.parametrize("flag", ["osteoporosis", "long_term_corticosteroids"])
def test_older_age_makes_a_fracture_risk_a_red_flag(kb, flag):
    assert run(kb, flag, age=85).verdict == "refer"
    assert run(kb, flag, age=60).verdict == "caution"


def test_adding_a_finding_never_lifts_the_bilateral_thorax_caution(kb):
    plan = (("subscapularis", "left"), ("rhomboids", "right"))
    before = run(kb, planned=plan)
    after = run(kb, "anticoagulant_therapy", planned=plan)
    assert status(before, "rhomboids", "right") == "caution"
    assert status(after, "rhomboids", "right") == "caution"


def test_vascular_disease_cautions_the_lower_legs_and_feet(kb):
    r = run(kb, "vascular_disease", planned=(("tibialis_anterior", "left"), ("upper_trapezius", "left")))
    assert status(r, "tibialis_anterior", "left") == "caution"
    assert status(r, "upper_trapezius", "left") == "ok"


@pytest.mark.parametrize("code", ["ST17", "CV8"])
def test_points_never_to_needle_are_blocked_for_everyone_and_never_suggested(kb, code):
    point = kb.acupoints[code]
    side = "midline" if point.midline else "left"
    for modality in ("acupuncture", "dry_needling"):
        r = run(kb, planned=((code, side),), modalities=(modality,))
        assert status(r, code, side) == "blocked" and "never needled" in reasons(r, code, side)
    drawn = suggest(kb, [Pain(point.region, side if side != "midline" else "left")], top=200)
    assert code not in {p.id for p in drawn.acupoints}


def test_every_acupoint_is_screened_by_where_it_lies(kb):
    """No point escapes a site rule for want of a region (KI13 lies on the lower abdomen)."""
    assert all(p.region for p in kb.acupoints.values())
    r = run(kb, "abdominal_aortic_aneurysm", planned=(("KI13", "left"),))
    assert status(r, "KI13", "left") == "blocked"


def test_screening_input_refuses_unknown_keys_and_sites_on_whole_patient_findings(kb):
    with pytest.raises(ScreeningInputError, match="unknown key"):
        screening_input_from_dict(kb, {"planned": [{"target": "LI4", "side": "left", "depth": 20}]})
    with pytest.raises(ScreeningInputError, match="whole patient"):
        screening_input_from_dict(kb, {"findings": [{"code": "pregnancy", "region": "lumbar", "side": "left"}]})


# --- suggestion ---------------------------------------------------------------------------------------


def test_pain_on_both_sides_is_named_on_both_sides(kb):
    result = suggest(kb, [Pain("forehead", "left"), Pain("forehead", "right")], top=60)
    scm = next(m for m in result.muscles if m.id == "sternocleidomastoid" and m.side == "right")
    assert "left and right forehead" in scm.reason


def test_a_region_counts_once_per_point_even_when_it_is_near_and_distal(kb):
    result = suggest(kb, [Pain("knee_lateral", "left")], top=50, modality="acupuncture")
    ids = [p.id for p in result.acupoints]
    gb34 = next(p for p in result.acupoints if p.id == "GB34")
    assert gb34.score <= 1.0
    local = [p for p in result.acupoints if "knee_lateral" in p.primary]
    if local:
        assert ids.index(local[0].id) < ids.index("GB34")


def test_the_tie_reason_survives_top_one_and_cites_in_words(kb):
    for region in kb.regions.values():
        result = suggest(kb, [Pain(region.id, "left")], top=1)
        for item in (*result.muscles, *result.acupoints):
            assert "SourceRef(" not in item.reason
    interscapular = suggest(kb, [Pain("interscapular", "left")], top=1).muscles[0]
    full = suggest(kb, [Pain("interscapular", "left")], top=5).muscles
    if full[1].score == full[0].score:
        assert "ranks above" in interscapular.reason
    assert "left between" not in interscapular.reason


# --- billing ------------------------------------------------------------------------------------------


def test_a_muscle_never_counts_on_the_midline(kb):
    with pytest.raises(billing.BillingInputError, match="left or right"):
        billing.dry_needling_codes(kb, [billing.Insertion("upper_trapezius", s) for s in ("left", "right", "midline")])
    with pytest.raises(billing.BillingInputError, match="not valid for upper_trapezius"):
        billing.codes_from_dict(
            kb, {"modality": "dry_needling", "insertions": [{"target": "upper_trapezius", "side": "midline"}]}
        )


def test_the_stimulated_re_insertion_takes_the_stimulation_add_on(kb):
    """10 min manual, new needles for 5 min, new needles with stimulation for 10 min: 25 min, two units;
    the second unit (minutes 15-25) is the stimulated one."""
    segments = [
        billing.Increment(10, False),
        billing.Increment(5, False, True),
        billing.Increment(10, True, True),
    ]
    coding = billing.acupuncture_codes(kb, segments)
    assert sorted((p.code, p.units) for p in coding.procedures) == [("97810", 1), ("97814", 1)]


@pytest.mark.parametrize(
    "segments, expected",
    [
        # manual first, stimulation later with new needles: the add-on is the stimulated one
        ([(10, False, None), (15, True, True)], [("97810", 1), ("97814", 1)]),
        # stimulation first, then manual new needles
        ([(20, True, None), (10, False, True)], [("97811", 1), ("97813", 1)]),
        # stimulation on needles that earn no unit does not make another unit a stimulation unit
        ([(8, False, None), (8, True, True), (8, False, True)], [("97810", 1), ("97811", 1)]),
        # new needles only before the second unit's minutes and gone by then: no add-on
        ([(14, False, None), (1, False, True), (15, False, False)], [("97810", 1), ("97811", 1)]),
        ([(35, False, None), (1, False, True), (9, False, True)], [("97810", 1), ("97811", 1)]),
    ],
)
def test_each_unit_takes_stimulation_from_its_own_needles(kb, segments, expected):
    coding = billing.acupuncture_codes(kb, [billing.Increment(m, es, r) for m, es, r in segments])
    assert sorted((p.code, p.units) for p in coding.procedures) == expected


def test_a_point_never_needled_is_no_side_of_the_thorax(kb):
    r = run(kb, planned=(("ST17", "right"), ("ST13", "left")), modalities=("acupuncture",))
    assert status(r, "ST17", "right") == "blocked"
    assert status(r, "ST13", "left") == "ok" and not r.plan_notes


def test_the_visit_modality_replaces_the_screened_one_in_suggestions(kb):
    from needlechart.clinical.screening import ScreeningInput

    screened_for_acupuncture = ScreeningInput(30, (ReportedFinding("pregnancy_first_trimester"),), (), ("acupuncture",))
    dry = suggest(kb, [Pain("lumbar", "left")], screening=screened_for_acupuncture, modality="dry_needling", top=3)
    assert {m.status for m in dry.muscles} == {"blocked"}
    screened_for_dry = ScreeningInput(30, (), (), ("dry_needling",))
    acu = suggest(kb, [Pain("orbit", "left")], screening=screened_for_dry, modality="acupuncture", top=20)
    assert "BL1" in {p.id for p in acu.acupoints}


def test_the_tie_reason_does_not_depend_on_how_many_are_shown(kb):
    one = suggest(kb, [Pain("lumbar", "midline")], top=1).muscles[0]
    two = suggest(kb, [Pain("lumbar", "midline")], top=2).muscles[0]
    assert one.reason == two.reason


def test_an_infant_is_never_needled_over_the_fontanelles(kb):
    infant = run(kb, age=1, planned=(("GV22", "midline"), ("LI4", "left")), modalities=("acupuncture",))
    assert "infant" in {f.id for f in infant.findings if f.derived}
    assert status(infant, "GV22", "midline") == "blocked"
    assert status(infant, "LI4", "left") == "ok"
    assert status(run(kb, age=3, planned=(("GV22", "midline"),)), "GV22", "midline") == "ok"


@pytest.mark.parametrize("code", ["GB21", "PC6", "GB30", "CV17", "GV14", "LU1", "SI11", "BL13", "SI14", "GB20"])
def test_points_a_dry_needler_treats_with_caution(kb, code):
    """The addendum's 'Caution' points for dry needlers: a caution with the technique limit for dry
    needling, while an acupuncture visit sees their hazards only."""
    point = kb.acupoints[code]
    side = "midline" if point.midline else "left"
    dn = run(kb, planned=((code, side),), modalities=("dry_needling",))
    assert status(dn, code, side) == "caution"
    assert point.dry_needling_caution.technique in reasons(dn, code, side)
    assert status(run(kb, planned=((code, side),), modalities=("acupuncture",)), code, side) == "ok"
