"""Safety screening, case by case: explicit clinical scenarios for every finding in the knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from needlechart.clinical.screening import (
    ReportedFinding,
    ScreeningInput,
    ScreeningInputError,
    screen,
    screening_input_from_dict,
)
from tests.clinical.scenarios import run, status, untouched_by

NECK_PLAN = (("upper_trapezius", "left"), ("levator_scapulae", "left"))


def test_no_findings_is_clear_and_every_target_ok(kb):
    r = run(kb, planned=NECK_PLAN)
    assert r.verdict == "clear" and r.findings == ()
    assert [t.status for t in r.targets] == ["ok", "ok"]
    assert r.may_needle


# --- red flags: refer, do not needle, with urgency ------------------------------------------------


@pytest.mark.parametrize(
    "flag, urgency",
    [
        ("saddle_anesthesia", "emergency"),  # cauda equina
        ("bladder_bowel_dysfunction", "emergency"),  # cauda equina
        ("progressive_neurological_deficit", "urgent"),
        ("fever", "urgent"),  # spinal infection
        ("major_trauma", "urgent"),  # fracture
        ("cervical_arterial_signs", "emergency"),
        ("sudden_severe_headache", "emergency"),
        ("dvt_signs", "urgent"),
        ("chest_pain_dyspnea", "emergency"),
    ],
)
def test_single_red_flag_refers_and_blocks_everything(kb, flag, urgency):
    r = run(kb, flag, planned=NECK_PLAN, modalities=("dry_needling", "electrical_stimulation"))
    assert r.verdict == "refer" and r.urgency == urgency
    assert not r.may_needle
    assert all(t.status == "blocked" for t in r.targets + r.modalities)
    assert all(flag in t.findings for t in r.targets)
    assert r.findings[0].kind == "red_flag" and r.findings[0].sources


def test_low_back_pain_with_saddle_numbness_and_retention_is_an_emergency(kb):
    r = run(kb, "saddle_anesthesia", "bladder_bowel_dysfunction", planned=(("quadratus_lumborum", "left"),))
    assert r.verdict == "refer" and r.urgency == "emergency"
    assert "Refer, do not needle today" in r.targets[0].reasons[0]


def test_most_urgent_red_flag_sets_the_urgency(kb):
    r = run(kb, "fever", "sudden_severe_headache")
    assert r.urgency == "emergency"


def test_cancer_history_alone_is_a_precaution(kb):
    # Breast cancer treated 8 years ago, mechanical neck pain, no other sign: treat with care.
    r = run(kb, "cancer_history", age=44, planned=NECK_PLAN)
    assert r.verdict == "caution"
    assert r.findings[0].kind == "precaution"
    assert "red flag with" in r.findings[0].note


def test_cancer_history_with_new_night_pain_refers(kb):
    r = run(kb, "cancer_history", "night_pain", age=58, planned=(("iliocostalis", "left"),))
    assert r.verdict == "refer" and r.urgency == "soon"
    assert {f.id for f in r.findings if f.kind == "red_flag"} == {"cancer_history", "night_pain"}
    assert r.targets[0].status == "blocked"


def test_cancer_history_with_weight_loss_refers(kb):
    r = run(kb, "cancer_history", "unexplained_weight_loss", age=40)
    assert r.verdict == "refer"


def test_night_pain_alone_is_a_precaution(kb):
    r = run(kb, "night_pain", age=35)
    assert r.verdict == "caution" and r.findings[0].kind == "precaution"


def test_night_pain_with_fever_refers_urgently(kb):
    r = run(kb, "night_pain", "fever", age=35)
    assert r.verdict == "refer" and r.urgency == "urgent"


def test_weight_loss_in_a_young_adult_alone_is_a_precaution(kb):
    r = run(kb, "unexplained_weight_loss", age=32)
    assert r.verdict == "caution"


def test_weight_loss_over_fifty_refers(kb):
    r = run(kb, "unexplained_weight_loss", age=63)
    assert r.verdict == "refer" and r.urgency == "soon"
    assert "age 50" in r.findings[0].note


def test_red_flag_outranks_contraindication(kb):
    r = run(kb, "needle_phobia", "cervical_arterial_signs")
    assert r.verdict == "refer"


# --- absolute contraindications -----------------------------------------------------------------


@pytest.mark.parametrize(
    "finding",
    ["needle_phobia", "unable_to_consent", "consent_refused", "medical_emergency", "previous_adverse_reaction"],
)
def test_whole_patient_contraindication_stops_needling(kb, finding):
    r = run(kb, finding, planned=NECK_PLAN, modalities=("acupuncture",))
    assert r.verdict == "do_not_needle" and r.urgency == ""
    assert all(t.status == "blocked" for t in r.targets + r.modalities)
    assert "Do not needle" in r.targets[0].reasons[0]


def test_lymphoedema_of_right_arm_blocks_the_right_upper_quadrant_only(kb):
    # After right mastectomy with axillary clearance and right-arm lymphoedema; lateral elbow pain both sides.
    r = run(
        kb,
        ReportedFinding("lymphedema", "upper_arm_anterior", "right"),
        planned=(
            ("extensor_carpi_radialis_brevis", "right"),
            ("extensor_carpi_radialis_brevis", "left"),
            ("first_dorsal_interosseous", "right"),
            ("LI4", "left"),
            ("LI4", "right"),
            ("upper_trapezius", "right"),
        ),
    )
    assert r.verdict == "caution"
    assert status(r, "extensor_carpi_radialis_brevis", "right") == "blocked"
    assert status(r, "first_dorsal_interosseous", "right") == "blocked"
    assert status(r, "LI4", "right") == "blocked"
    assert status(r, "extensor_carpi_radialis_brevis", "left") == "ok"
    assert status(r, "LI4", "left") == "ok"
    # The quadrant includes the shoulder girdle on that side: the upper trapezius over the shoulder too.
    assert status(r, "upper_trapezius", "right") == "blocked"
    assert "lymph" in r.status_of("LI4", "right").reasons[0].lower()


def test_skin_infection_blocks_its_region_and_side_only(kb):
    r = run(
        kb,
        ReportedFinding("local_skin_infection", "lumbar", "left"),
        planned=(("quadratus_lumborum", "left"), ("quadratus_lumborum", "right"), ("gluteus_medius", "left")),
    )
    assert status(r, "quadratus_lumborum", "left") == "blocked"
    assert untouched_by(r, "quadratus_lumborum", "right", "local_skin_infection")
    assert status(r, "gluteus_medius", "left") == "ok"


def test_midline_skin_lesion_blocks_both_sides_of_its_region(kb):
    # A healing abrasion over the back of the skull, in the middle: GB20 on both sides sits in it.
    r = run(
        kb,
        ReportedFinding("local_skin_infection", "occiput", "midline"),
        planned=(("GB20", "left"), ("GB20", "right"), ("GV20", "midline")),
        modalities=("acupuncture",),
    )
    assert status(r, "GB20", "left") == "blocked" and status(r, "GB20", "right") == "blocked"
    assert status(r, "GV20") == "ok"


def test_one_sided_lesion_blocks_the_midline_point_beside_it(kb):
    r = run(kb, ReportedFinding("local_skin_infection", "occiput", "left"), planned=(("GV16", "midline"),))
    assert status(r, "GV16") == "blocked"


def test_a_blocked_lung_target_still_counts_as_a_thorax_side(kb):
    """A block can be overridden in writing, so the other side keeps its caution: a finding that
    blocks one side must never lift the bilateral warning from the other."""
    r = run(
        kb,
        ReportedFinding("local_skin_infection", "shoulder_top", "left"),
        planned=(("upper_trapezius", "left"), ("upper_trapezius", "right")),
    )
    assert status(r, "upper_trapezius", "left") == "blocked"
    assert status(r, "upper_trapezius", "right") == "caution" and r.plan_notes


# --- precautions ----------------------------------------------------------------------------------


def test_anticoagulant_blocks_deep_non_compressible_targets_only(kb):
    # On apixaban for atrial fibrillation; low back and hip pain.
    r = run(
        kb,
        "anticoagulant_therapy",
        planned=(("iliopsoas", "left"), ("gluteus_medius", "left"), ("upper_trapezius", "right")),
    )
    assert r.verdict == "caution"
    assert status(r, "iliopsoas", "left") == "blocked"
    assert status(r, "gluteus_medius", "left") == "ok"
    assert status(r, "upper_trapezius", "right") == "ok"
    assert "pressure" in r.status_of("iliopsoas").reasons[0]


def test_bleeding_disorder_blocks_tibialis_posterior(kb):
    r = run(kb, "bleeding_disorder", planned=(("tibialis_posterior", "right"), ("gastrocnemius", "right")))
    assert status(r, "tibialis_posterior") == "blocked"
    assert status(r, "gastrocnemius") == "ok"


def test_pregnancy_marks_the_traditional_points_with_caution(kb):
    r = run(
        kb,
        "pregnancy",
        age=31,
        planned=(("LI4", "left"), ("SP6", "right"), ("BL60", "right"), ("GB21", "left"), ("ST36", "left")),
        modalities=("acupuncture",),
    )
    assert r.verdict == "caution"
    for code in ("LI4", "SP6", "BL60", "GB21"):
        assert status(r, code) == "caution", code
    assert status(r, "ST36") == "ok"


def test_pacemaker_blocks_electrical_stimulation_but_not_needling(kb):
    r = run(kb, "pacemaker", planned=NECK_PLAN, modalities=("dry_needling", "electrical_stimulation"))
    assert r.verdict == "caution"
    assert r.status_of("electrical_stimulation").status == "blocked"
    assert r.status_of("dry_needling").status == "ok"
    assert all(t.status == "ok" for t in r.targets)


def test_epilepsy_makes_electrical_stimulation_a_caution(kb):
    r = run(kb, "epilepsy", modalities=("acupuncture", "electrical_stimulation"))
    assert r.status_of("electrical_stimulation").status == "caution"
    assert r.status_of("acupuncture").status == "ok"


@pytest.mark.parametrize(
    "finding",
    [
        "immunocompromised",
        "diabetes",
        "vascular_disease",
        "metal_allergy",
        "minor",
        "latex_allergy",
        "vasovagal_history",
    ],
)
def test_whole_patient_precaution_gives_caution_with_advice(kb, finding):
    r = run(kb, finding, planned=NECK_PLAN)
    assert r.verdict == "caution"
    assert r.findings[0].kind == "precaution" and r.findings[0].action
    assert all(t.status == "ok" for t in r.targets)


def test_recent_knee_surgery_marks_that_knee_only(kb):
    r = run(
        kb,
        ReportedFinding("recent_surgery", "knee_anterior", "right"),
        planned=(("ST35", "right"), ("ST35", "left")),
        modalities=("acupuncture",),
    )
    assert status(r, "ST35", "right") == "blocked"  # its needle enters the operated knee
    assert status(r, "ST35", "left") == "ok"


def test_lymph_node_removal_marks_the_whole_limb_on_that_side(kb):
    r = run(
        kb,
        ReportedFinding("lymph_node_removal", "upper_arm_anterior", "left"),
        planned=(("LI4", "left"), ("LI4", "right")),
    )
    assert status(r, "LI4", "left") == "caution"
    assert status(r, "LI4", "right") == "ok"


def test_child_is_a_minor_from_the_age_alone(kb):
    r = run(kb, age=15, planned=NECK_PLAN)
    assert r.verdict == "caution"
    assert r.findings[0].id == "minor" and r.findings[0].derived


def test_adult_is_not_a_minor(kb):
    assert run(kb, age=18).verdict == "clear"


def test_both_sides_of_the_thorax_in_one_session_is_flagged(kb):
    r = run(kb, planned=(("upper_trapezius", "left"), ("upper_trapezius", "right"), ("masseter", "left")))
    assert status(r, "upper_trapezius", "left") == "caution"
    assert status(r, "upper_trapezius", "right") == "caution"
    assert status(r, "masseter", "left") == "ok"
    assert r.plan_notes and "one side" in r.plan_notes[0]


def test_one_side_of_the_thorax_is_fine(kb):
    r = run(kb, planned=(("upper_trapezius", "left"), ("rhomboids", "left")))
    assert all(t.status == "ok" for t in r.targets) and not r.plan_notes


def test_block_outranks_caution_on_the_same_target(kb):
    r = run(
        kb,
        "pregnancy",
        ReportedFinding("lymphedema", "hand_dorsal", "left"),
        planned=(("LI4", "left"),),
    )
    assert status(r, "LI4", "left") == "blocked"
    assert len(r.status_of("LI4").reasons) == 2


# --- input checking -------------------------------------------------------------------------------


def test_input_from_json_accepts_names_and_synonyms(kb):
    data = screening_input_from_dict(
        kb,
        {
            "age": 42,
            "findings": [
                "Anticoagulant_therapy",
                {"code": "lymphedema", "region": "upper arm (front)", "side": "Right"},
            ],
            "planned": [
                {"target": "upper trap", "side": "left"},
                {"target": "li4", "side": "right"},
                {"target": "GV14"},
            ],
            "modalities": ["dry_needling", "electrical_stimulation"],
        },
    )
    assert data.findings[0].code == "anticoagulant_therapy"
    assert data.findings[1] == ReportedFinding("lymphedema", "upper_arm_anterior", "right")
    assert [p.target for p in data.planned] == ["upper_trapezius", "LI4", "GV14"]
    assert data.planned[2].side == "midline"
    r = screen(kb, data)
    assert r.status_of("LI4", "right").status == "blocked"


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"findings": ["pacemakr"]}, "unknown finding 'pacemakr'; closest: pacemaker"),
        ({"findings": [{"code": "lymphedema"}]}, "give its region and side"),
        ({"planned": [{"target": "GV14", "side": "left"}]}, "use midline"),
        ({"planned": [{"target": "upper_trapezius", "side": "top"}]}, "side 'top' is not valid"),
        ({"modalities": ["laser"]}, "unknown modality 'laser'"),
        ({"age": 200}, "age 200 is out of range"),
        ({"age": "forty"}, "age must be whole years"),
        ({"finding": []}, "unknown key(s) finding"),
        ([], "must be a JSON object"),
    ],
)
def test_bad_input_names_what_is_wrong(kb, raw, message):
    with pytest.raises(ScreeningInputError) as caught:
        screen(kb, screening_input_from_dict(kb, raw))
    assert message in str(caught.value)


def test_every_finding_in_the_knowledge_base_is_screened(kb):
    """No finding is silently ignored: each one changes the verdict away from clear."""
    for finding in kb.findings.values():
        reported = (
            ReportedFinding(finding.id, "upper_arm_anterior", "right")
            if finding.site_scoped
            else ReportedFinding(finding.id)
        )
        r = screen(kb, ScreeningInput(45, (reported,), (), ()))
        assert r.verdict != "clear", finding.id


def test_every_finding_has_an_explicit_scenario(kb):
    """Each finding in the knowledge base is named in at least one scenario: above, or in the safety
    review's scenario files beside this one."""
    here = Path(__file__)
    source = here.read_text(encoding="utf-8").split("def test_every_finding_has_an_explicit")[0]
    for other in ("test_findings_review.py", "test_safety_review.py", "test_safety_review_round2.py"):
        source += (here.parent / other).read_text(encoding="utf-8")
    missing = [f for f in kb.findings if f'"{f}"' not in source]
    assert not missing, f"no explicit screening scenario for: {missing}"
