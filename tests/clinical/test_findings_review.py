"""Screening findings as reviewed for issue 6: what each finding's text says is what the engine does.

One scenario per reviewed or added finding, through the public screening API and the real knowledge
base. Targets are checked on both sides where a finding is one-sided, so a rule that spread to the
whole body (or did nothing) would fail.
"""

from __future__ import annotations

import pytest

from needlechart.clinical.screening import ReportedFinding
from tests.clinical.scenarios import run, status, untouched_by


def counted(result):
    """Finding ID -> the kind it counts as for this patient."""
    return {f.id: f.kind for f in result.findings}


# --- A. existing findings: text and rules agree ------------------------------------------------------


def test_pregnancy_marks_abdomen_sacral_points_traditional_points_and_electrical_stimulation(kb):
    r = run(
        kb,
        "pregnancy",
        planned=(
            ("CV4", "midline"),
            ("BL32", "left"),
            ("iliopsoas", "left"),
            ("LI4", "right"),
            ("upper_trapezius", "left"),
        ),
        modalities=("acupuncture", "electrical_stimulation"),
    )
    assert r.verdict == "caution"
    assert status(r, "CV4", "midline") == "caution"  # lower abdomen, over the uterus
    assert status(r, "BL32", "left") == "caution"  # sacral foramen
    assert status(r, "iliopsoas", "left") == "caution"  # lies in the lower abdomen: abdominal group
    assert status(r, "LI4", "right") == "caution"  # traditionally avoided in pregnancy
    assert status(r, "upper_trapezius", "left") == "ok"
    assert status(r, "electrical_stimulation") == "caution"
    assert status(r, "acupuncture") == "ok"
    assert any("uterus" in reason for reason in r.status_of("CV4", "midline").reasons)


def test_first_trimester_blocks_dry_needling_and_brings_pregnancy(kb):
    r = run(kb, "pregnancy_first_trimester", planned=(("LI4", "left"),), modalities=("dry_needling", "acupuncture"))
    assert r.verdict == "caution"
    assert status(r, "dry_needling") == "blocked"
    assert status(r, "acupuncture") == "ok"
    assert "week 12" in r.status_of("dry_needling").reasons[0]
    assert "pregnancy" in counted(r)  # implied: the pregnancy rules apply too
    assert status(r, "LI4", "left") == "caution"


def test_high_risk_pregnancy_stops_needling(kb):
    r = run(kb, "high_risk_pregnancy", planned=(("upper_trapezius", "left"),))
    assert r.verdict == "do_not_needle"
    assert status(r, "upper_trapezius", "left") == "blocked"
    assert "pregnancy" in counted(r)
    assert "in writing" in kb.findings["high_risk_pregnancy"].action


def test_recent_knee_surgery_blocks_entry_into_that_knee_and_cautions_around_it(kb):
    r = run(
        kb,
        ReportedFinding("recent_surgery", "knee_medial", "left"),
        planned=(
            ("ST35", "left"),
            ("EX-LE4", "left"),
            ("vastus_medialis", "left"),
            ("ST35", "right"),
            ("LI15", "left"),
        ),
        modalities=("acupuncture",),
    )
    assert status(r, "ST35", "left") == "blocked"
    assert status(r, "EX-LE4", "left") == "blocked"
    assert status(r, "vastus_medialis", "left") == "caution"  # thigh beside the operated knee
    assert status(r, "ST35", "right") == "ok"
    assert status(r, "LI15", "left") == "ok"  # enters a joint, but not the operated one


def test_lymphoedema_of_the_arm_blocks_that_upper_limb_quadrant_only(kb):
    r = run(
        kb,
        ReportedFinding("lymphedema", "upper_arm_anterior", "right"),
        planned=(
            ("LI15", "right"),
            ("LI4", "right"),
            ("LI4", "left"),
            ("upper_trapezius", "right"),
            ("gastrocnemius", "right"),
        ),
    )
    assert r.verdict == "caution"
    assert status(r, "LI15", "right") == "blocked"  # lateral shoulder lies in the upper-limb quadrant
    assert status(r, "LI4", "right") == "blocked"  # the hand of the same limb
    assert status(r, "LI4", "left") == "ok"
    assert status(r, "upper_trapezius", "right") == "blocked"  # shoulder top is in the quadrant (regions.yaml)
    assert status(r, "gastrocnemius", "right") == "ok"
    assert "guideline" in kb.findings["lymphedema"].reason and "2,965" in kb.findings["lymphedema"].reason


def test_lymph_node_removal_cautions_that_quadrant_and_labels_its_basis(kb):
    r = run(
        kb,
        ReportedFinding("lymph_node_removal", "upper_arm_anterior", "right"),
        planned=(("LI4", "right"), ("LI4", "left")),
    )
    assert status(r, "LI4", "right") == "caution"
    assert status(r, "LI4", "left") == "ok"
    assert "guideline" in kb.findings["lymph_node_removal"].reason


# --- vascular disease and diabetes ------------------------------------------------------------------


def test_peripheral_vascular_disease_cautions_the_lower_leg_on_its_side(kb):
    r = run(
        kb,
        ReportedFinding("peripheral_vascular_disease", "calf", "left"),
        planned=(("tibialis_anterior", "left"), ("tibialis_anterior", "right"), ("vastus_medialis", "left")),
    )
    assert status(r, "tibialis_anterior", "left") == "caution"
    assert status(r, "tibialis_anterior", "right") == "ok"
    assert status(r, "vastus_medialis", "left") == "ok"  # thigh: above the distal lower limb
    # It does not bring the general vascular-disease finding, which marks both legs.
    assert "vascular_disease" not in counted(r)


def test_peripheral_vascular_disease_of_both_legs_cautions_both_sides(kb):
    r = run(
        kb,
        ReportedFinding("peripheral_vascular_disease", "calf", "both"),
        planned=(("tibialis_anterior", "left"), ("tibialis_anterior", "right"), ("LI4", "left")),
    )
    assert status(r, "tibialis_anterior", "left") == "caution"
    assert status(r, "tibialis_anterior", "right") == "caution"
    assert status(r, "LI4", "left") == "ok"


def test_diabetic_foot_blocks_that_foot_and_cautions_that_lower_leg(kb):
    r = run(
        kb,
        ReportedFinding("diabetic_foot", "sole", "right"),
        planned=(
            ("abductor_hallucis", "right"),
            ("abductor_hallucis", "left"),
            ("tibialis_anterior", "right"),
            ("tibialis_anterior", "left"),
        ),
    )
    assert status(r, "abductor_hallucis", "right") == "blocked"
    assert status(r, "tibialis_anterior", "right") == "caution"
    assert "diabetes" in counted(r)
    # The left leg carries only the whole-patient diabetes caution on the lower leg and foot.
    assert status(r, "abductor_hallucis", "left") == "caution"
    assert all(f == "diabetes" for f in r.status_of("abductor_hallucis", "left").findings)


def test_poorly_controlled_diabetes_cautions_both_lower_legs_and_brings_diabetes(kb):
    r = run(
        kb,
        "poorly_controlled_diabetes",
        planned=(("gastrocnemius", "left"), ("gastrocnemius", "right"), ("upper_trapezius", "left")),
    )
    assert r.verdict == "caution"
    assert status(r, "gastrocnemius", "left") == "caution"
    assert status(r, "gastrocnemius", "right") == "caution"
    assert status(r, "upper_trapezius", "left") == "ok"
    assert "diabetes" in counted(r)
    assert "poorly_controlled_diabetes" in r.status_of("gastrocnemius", "left").findings


def test_diabetes_alone_still_cautions_the_lower_leg(kb):
    r = run(kb, "diabetes", planned=(("tibialis_anterior", "left"), ("LI4", "left")))
    assert status(r, "tibialis_anterior", "left") == "caution"
    assert status(r, "LI4", "left") == "ok"


def test_known_aortic_aneurysm_blocks_abdomen_and_deep_lumbar_muscles(kb):
    r = run(
        kb,
        "abdominal_aortic_aneurysm",
        planned=(
            ("iliopsoas", "left"),
            ("CV6", "midline"),
            ("rectus_abdominis", "right"),
            ("quadratus_lumborum", "left"),
            ("upper_trapezius", "left"),
        ),
    )
    assert r.verdict == "caution"  # a contraindication for those sites, not for the whole patient
    assert status(r, "iliopsoas", "left") == "blocked"
    assert status(r, "CV6", "midline") == "blocked"
    assert status(r, "rectus_abdominis", "right") == "blocked"
    assert status(r, "quadratus_lumborum", "left") == "blocked"
    assert status(r, "upper_trapezius", "left") == "ok"


def test_signs_of_a_leaking_aneurysm_are_an_emergency(kb):
    r = run(kb, "aortic_aneurysm_rupture_signs", age=68, planned=(("upper_trapezius", "left"),))
    assert r.verdict == "refer" and r.urgency == "emergency"
    assert status(r, "upper_trapezius", "left") == "blocked"


# --- B. thorax, breast, bleeding, neck ----------------------------------------------------------------


@pytest.mark.parametrize("finding", ["chronic_lung_disease", "previous_pneumothorax", "low_body_mass"])
def test_higher_pneumothorax_risk_cautions_lung_field_targets_only(kb, finding):
    r = run(kb, finding, planned=(("rhomboids", "left"), ("GB21", "left"), ("gastrocnemius", "left")))
    assert r.verdict == "caution"
    assert status(r, "rhomboids", "left") == "caution"
    assert status(r, "GB21", "left") == "caution"
    assert status(r, "gastrocnemius", "left") == "ok"
    reasons = " ".join(r.status_of("rhomboids", "left").reasons)
    assert "superficial" in reasons.lower() and "depth" in reasons


def test_low_body_mass_also_cautions_deep_lumbar_muscles_with_the_bmi_depth(kb):
    r = run(kb, "low_body_mass", planned=(("quadratus_lumborum", "left"), ("rhomboids", "left")))
    assert status(r, "quadratus_lumborum", "left") == "caution"
    assert "2.5 cm" in " ".join(r.status_of("rhomboids", "left").reasons)
    assert "0.380" in kb.findings["low_body_mass"].reason


def test_copd_leaves_the_lumbar_deep_muscles_alone(kb):
    r = run(kb, "chronic_lung_disease", planned=(("iliopsoas", "left"),))
    assert status(r, "iliopsoas", "left") == "ok"


def test_breast_implant_blocks_pectoral_targets_on_its_side_unless_image_guided(kb):
    r = run(
        kb,
        ReportedFinding("breast_implant", "chest", "left"),
        planned=(("pectoralis_major", "left"), ("pectoralis_major", "right"), ("LU1", "left"), ("LI4", "left")),
    )
    assert status(r, "pectoralis_major", "left") == "blocked"
    assert status(r, "LU1", "left") == "blocked"
    assert untouched_by(r, "pectoralis_major", "right", "breast_implant")
    assert status(r, "LI4", "left") == "ok"
    assert "image-guided" in r.status_of("pectoralis_major", "left").reasons[0]


def test_antiplatelets_are_a_caution_where_anticoagulants_block(kb):
    r = run(kb, "antiplatelet_therapy", planned=(("iliopsoas", "left"), ("upper_trapezius", "left")))
    assert r.verdict == "caution"
    assert status(r, "iliopsoas", "left") == "caution"
    assert status(r, "upper_trapezius", "left") == "ok"
    anticoagulated = run(kb, "anticoagulant_therapy", planned=(("iliopsoas", "left"),))
    assert status(anticoagulated, "iliopsoas", "left") == "blocked"


def test_cervical_artery_risk_factors_ask_for_a_vascular_screen_before_neck_needling(kb):
    r = run(
        kb,
        "cervical_artery_risk_factors",
        planned=(("suboccipitals", "left"), ("GB20", "right"), ("gastrocnemius", "left")),
    )
    assert r.verdict == "caution"
    assert status(r, "suboccipitals", "left") == "caution"
    assert status(r, "GB20", "right") == "caution"
    assert status(r, "gastrocnemius", "left") == "ok"
    assert "blood pressure" in " ".join(r.status_of("suboccipitals", "left").reasons)


# --- red flags ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag, urgency",
    [
        ("giant_cell_arteritis_signs", "urgent"),
        ("suspected_fracture", "urgent"),
        ("bilateral_leg_symptoms", "emergency"),
        ("new_sexual_dysfunction", "emergency"),
        ("upper_cervical_instability_signs", "urgent"),
        ("aortic_aneurysm_rupture_signs", "emergency"),
    ],
)
def test_new_red_flag_refers_at_its_urgency(kb, flag, urgency):
    r = run(kb, flag, age=40, planned=(("upper_trapezius", "left"),), modalities=("acupuncture",))
    assert r.verdict == "refer" and r.urgency == urgency
    assert status(r, "upper_trapezius", "left") == "blocked"
    assert status(r, "acupuncture") == "blocked"
    assert counted(r)[flag] == "red_flag"


def test_giant_cell_arteritis_action_sends_visual_symptoms_to_the_emergency_department(kb):
    action = kb.findings["giant_cell_arteritis_signs"].action
    assert "visual" in action and "emergency department" in action


# --- C. cancer history and failure to improve -------------------------------------------------------


def test_cancer_history_at_55_refers(kb):
    r = run(kb, "cancer_history", age=55, planned=(("iliocostalis", "left"),))
    assert r.verdict == "refer" and r.urgency == "soon"
    assert counted(r)["cancer_history"] == "red_flag"


def test_cancer_history_alone_at_40_is_a_precaution_asking_for_medical_review(kb):
    r = run(kb, "cancer_history", age=40, planned=(("iliocostalis", "left"),))
    assert r.verdict == "caution"
    assert counted(r) == {"cancer_history": "precaution"}
    assert "medical review" in r.findings[0].action
    assert status(r, "iliocostalis", "left") == "ok"


def test_cancer_history_with_failure_to_improve_refers_at_any_age(kb):
    r = run(kb, "cancer_history", "failure_to_improve", age=40)
    assert r.verdict == "refer"
    assert counted(r) == {"cancer_history": "red_flag", "failure_to_improve": "red_flag"}


def test_failure_to_improve_counts_at_50_and_not_alone_when_younger(kb):
    assert run(kb, "failure_to_improve", age=50).verdict == "refer"
    young = run(kb, "failure_to_improve", age=35)
    assert young.verdict == "caution" and counted(young) == {"failure_to_improve": "precaution"}


# --- fracture flags ------------------------------------------------------------------------------------


def test_osteoporosis_with_long_term_steroids_refers(kb):
    r = run(kb, "osteoporosis", "long_term_corticosteroids", age=45)
    assert r.verdict == "refer" and r.urgency == "soon"
    assert counted(r)["osteoporosis"] == "red_flag" and counted(r)["long_term_corticosteroids"] == "red_flag"


def test_osteoporosis_with_a_minor_fall_refers_the_same_day(kb):
    r = run(kb, "osteoporosis", "minor_trauma", age=45)
    assert r.verdict == "refer" and r.urgency == "urgent"


def test_osteoporosis_alone_is_a_precaution(kb):
    r = run(kb, "osteoporosis", age=60, planned=(("iliocostalis", "left"),))
    assert r.verdict == "caution"
    assert counted(r) == {"osteoporosis": "precaution"}


def test_long_term_steroids_alone_is_a_caution_and_brings_weakened_immunity(kb):
    r = run(kb, "long_term_corticosteroids", age=45)
    assert r.verdict == "caution"
    assert counted(r) == {"long_term_corticosteroids": "precaution", "immunocompromised": "precaution"}


def test_minor_trauma_counts_with_age_alone_from_65(kb):
    assert run(kb, "minor_trauma", age=70).urgency == "urgent"
    assert run(kb, "minor_trauma", age=40).verdict == "caution"


# --- D. infection risk ----------------------------------------------------------------------------------


def test_infection_risk_is_a_precaution_that_points_to_the_fever_red_flag(kb):
    r = run(kb, "infection_risk", planned=(("iliocostalis", "left"),))
    assert r.verdict == "caution"
    assert status(r, "iliocostalis", "left") == "ok"
    assert "fever" in r.findings[0].action
    with_fever = run(kb, "infection_risk", "fever")
    assert with_fever.verdict == "refer" and with_fever.urgency == "urgent"


# --- E. every reviewed or added finding is complete ----------------------------------------------------

NEW_FINDINGS = [
    "pregnancy_first_trimester",
    "high_risk_pregnancy",
    "peripheral_vascular_disease",
    "diabetic_foot",
    "poorly_controlled_diabetes",
    "abdominal_aortic_aneurysm",
    "aortic_aneurysm_rupture_signs",
    "suspected_fracture",
    "minor_trauma",
    "osteoporosis",
    "long_term_corticosteroids",
    "low_body_mass",
    "chronic_lung_disease",
    "previous_pneumothorax",
    "breast_implant",
    "giant_cell_arteritis_signs",
    "antiplatelet_therapy",
    "cervical_artery_risk_factors",
    "bilateral_leg_symptoms",
    "new_sexual_dysfunction",
    "upper_cervical_instability_signs",
    "failure_to_improve",
    "infection_risk",
]


@pytest.mark.parametrize("finding_id", NEW_FINDINGS)
def test_new_finding_asks_a_question_and_cites_sources(kb, finding_id):
    finding = kb.findings[finding_id]
    assert finding.question.endswith("?")
    assert finding.reason and finding.action
    assert finding.sources and all(ref.id in kb.sources for ref in finding.sources)
