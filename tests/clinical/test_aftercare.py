"""Aftercare follows what was done and who the patient is."""

from __future__ import annotations

from needlechart.clinical.aftercare import build_aftercare


def ids(items):
    return {i.id for i in items}


def test_every_session_gets_the_basics(kb):
    care = build_aftercare(kb, ["dry_needling"], [("gastrocnemius", "left")])
    assert {"soreness", "movement", "heat", "hydration"} <= ids(care.routine)
    assert "infection_signs" in ids(care.urgent)
    assert "thorax_breathlessness" not in ids(care.urgent)


def test_needling_over_the_lung_brings_the_pneumothorax_warning(kb):
    care = build_aftercare(kb, ["dry_needling"], [("rhomboids", "right")])
    assert "thorax_breathlessness" in ids(care.urgent)
    warning = next(i for i in care.urgent if i.id == "thorax_breathlessness")
    assert "short of breath" in warning.text and "two days" in warning.text


def test_anticoagulant_patient_is_told_to_press_longer(kb):
    care = build_aftercare(kb, ["acupuncture"], [("LI4", "left")], findings=["anticoagulant_therapy"])
    assert "anticoagulant_pressure" in ids(care.routine)


def test_pregnancy_adds_the_maternity_warning(kb):
    care = build_aftercare(kb, ["acupuncture"], [("ST36", "left")], findings=["pregnancy"])
    assert "pregnancy_warning" in ids(care.urgent)


def test_electrical_stimulation_item(kb):
    assert "electrical_stimulation" in ids(build_aftercare(kb, ["electrical_stimulation"], []).routine)


def test_treated_sites_and_condition_exercises(kb):
    care = build_aftercare(
        kb, ["dry_needling"], [("upper_trapezius", "left"), ("GV14", "midline")], condition="neck_pain"
    )
    assert care.treated == ("left upper trapezius", kb.acupoints["GV14"].label)
    assert 0 < len(care.exercises) <= 5
    # Exercises for the treated muscle and the condition come first.
    first = care.exercises[0]
    assert "upper_trapezius" in first.muscles and first.id in kb.conditions["neck_pain"].exercises


def test_exercises_without_condition_follow_the_treated_muscles(kb):
    care = build_aftercare(kb, ["dry_needling"], [("gastrocnemius", "left")])
    assert care.exercises and all("gastrocnemius" in e.muscles for e in care.exercises)
