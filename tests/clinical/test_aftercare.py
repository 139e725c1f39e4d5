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
    assert care.treated == ("left upper trapezius", f"{kb.acupoints['GV14'].label}, neck (back)")
    assert 0 < len(care.exercises) <= 5
    # Exercises for the treated muscle and the condition come first.
    first = care.exercises[0]
    assert "upper_trapezius" in first.muscles and first.id in kb.conditions["neck_pain"].exercises


def test_each_acupoint_is_named_by_its_code_and_where_it_is_in_plain_words(kb):
    care = build_aftercare(kb, ["acupuncture"], [("LI4", "right"), ("ST36", "left"), ("upper_trapezius", "left")])
    li4, st36, trapezius = care.treated
    assert li4 == "right LI4 (Hegu, Union Valley), back of hand"
    assert st36.startswith("left ST36 (Zusanli") and st36.endswith(", shin")
    assert trapezius == "left upper trapezius"  # a muscle's name is already plain words


def test_every_acupoint_line_carries_its_code_and_its_region_words(kb):
    for point in kb.acupoints.values():
        side = "midline" if point.midline else "left"
        (line,) = build_aftercare(kb, ["acupuncture"], [(point.code, side)]).treated
        assert point.code in line and line.endswith(", " + kb.regions[point.region].name.lower()), line


def test_exercises_without_condition_follow_the_treated_muscles(kb):
    care = build_aftercare(kb, ["dry_needling"], [("gastrocnemius", "left")])
    assert care.exercises and all("gastrocnemius" in e.muscles for e in care.exercises)


# ------------------------------------------------------------------------- a warning for every hazard


def sheet(care) -> str:
    """Everything the patient's sheet prints, as one lower-case text."""
    parts = [*care.treated, *(i.text for i in care.urgent + care.routine)]
    for e in care.exercises:
        parts += [e.name, e.dosage, *e.steps]
    return "\n".join(parts).lower()


def urgent_for(kb, hazard):
    return [i for i in kb.aftercare if i.urgent and any(t.matches_hazard(hazard) for t in i.when)]


def all_targets(kb):
    return [*kb.muscles.values(), *kb.acupoints.values()]


def side_of(kb, target_id):
    return "midline" if target_id in kb.acupoints and kb.acupoints[target_id].midline else "left"


def test_quadratus_lumborum_brings_the_kidney_warning(kb):
    care = build_aftercare(kb, ["dry_needling"], [("quadratus_lumborum", "left")])
    kidney = next(i for i in care.urgent if i.id == "kidney_warning")
    assert "below the ribs" in kidney.text and "blood in the urine" in kidney.text
    assert "emergency" in kidney.text


def test_iliopsoas_brings_the_abdominal_pain_warning(kb):
    care = build_aftercare(kb, ["dry_needling"], [("iliopsoas", "right")])
    abdomen = next(i for i in care.urgent if i.id == "abdomen_warning")
    assert "pain in your belly" in abdomen.text and "emergency" in abdomen.text
    # Its hazard also names the kidney (posterior approach), so the kidney warning comes too.
    assert "kidney_warning" in ids(care.urgent)


def test_suboccipitals_bring_the_neck_emergency_warning_once(kb):
    hazards = {h.kind for h in kb.muscles["suboccipitals"].hazards}
    assert {"spinal_canal", "artery"} <= hazards  # the cord and the vertebral artery
    care = build_aftercare(kb, ["dry_needling"], [("suboccipitals", "left")])
    neck = [i for i in care.urgent if i.id == "spine_neck_emergency"]
    assert len(neck) == 1  # both hazards fire it; it prints once
    text = neck[0].text.lower()
    for sign in ("emergency services", "headache", "dizzy", "sight", "speech", "weakness or numbness in an arm or leg"):
        assert sign in text, sign
    assert "tell the emergency team that you had needling in your neck" in text and "stroke" in text


def test_vertebral_artery_alone_brings_the_neck_warning(kb):
    # splenius cervicis has the cord too; GB20 has the medulla: check a target whose only deep neck
    # hazard is the vertebral artery, through the trigger itself.
    from needlechart.knowledge.model import Hazard

    neck = next(i for i in kb.aftercare if i.id == "spine_neck_emergency")
    assert any(t.matches_hazard(Hazard("artery", "vertebral arteries")) for t in neck.when)
    assert not any(t.matches_hazard(Hazard("artery", "popliteal artery")) for t in neck.when)


def test_upper_trapezius_brings_a_lung_warning_that_does_not_say_chest_wall(kb):
    care = build_aftercare(kb, ["dry_needling"], [("upper_trapezius", "left")])
    lung = next(i for i in care.urgent if i.id == "thorax_breathlessness")
    assert "base of the neck" in lung.text and "short of breath" in lung.text
    assert "chest wall" not in sheet(care)


def test_only_lung_field_targets_can_mention_the_chest_wall(kb):
    lung_field = kb.groups["lung_field"].members
    for target in all_targets(kb):
        care = build_aftercare(kb, ["dry_needling"], [(target.id, side_of(kb, target.id))])
        assert "chest wall" not in sheet(care) or target.id in lung_field, target.id


def test_gastrocnemius_alone_brings_no_lung_organ_or_spine_warning(kb):
    care = build_aftercare(kb, ["dry_needling"], [("gastrocnemius", "left")])
    unwanted = {
        "thorax_breathlessness",
        "kidney_warning",
        "abdomen_warning",
        "heart_airway_warning",
        "eye_warning",
        "spine_neck_emergency",
        "spine_emergency",
    }
    assert not unwanted & ids(care.urgent + care.routine)
    assert "chest" not in sheet(care)
    # Its own hazards (popliteal vessels, tibial nerve) do bring their warnings.
    assert {"vessel_swelling", "nerve_worsening"} <= ids(care.urgent)


def test_every_hazard_kind_of_the_targets_brings_an_urgent_warning(kb):
    kinds = {h.kind for t in all_targets(kb) for h in t.hazards}
    assert {"lung", "nerve", "artery", "vein", "organ", "spinal_canal"} <= kinds
    for kind in kinds:
        warned = set()
        for target in (t for t in all_targets(kb) if any(h.kind == kind for h in t.hazards)):
            care = build_aftercare(kb, ["dry_needling"], [(target.id, side_of(kb, target.id))])
            warned |= {i.id for i in care.urgent if any(t.kind == "hazard" and t.value == kind for t in i.when)}
        assert warned, f"no urgent aftercare item for hazard kind {kind!r}"


# Hazards with nothing a patient could watch for beyond the other warnings of the same target: the
# parotid gland under masseter (its facial artery brings the swelling warning). Add to this only with
# a reason; a new hazard otherwise fails below until it has a warning.
NO_WARNING_NEEDED = ("parotid",)


def test_every_hazard_of_every_target_brings_an_urgent_warning(kb):
    missing = [
        f"{t.id}: {h.kind} ({h.structure})"
        for t in all_targets(kb)
        for h in t.hazards
        if not urgent_for(kb, h) and not any(word in h.structure for word in NO_WARNING_NEEDED)
    ]
    assert not missing, "hazards without an urgent aftercare warning:\n" + "\n".join(missing)


def test_the_neck_warning_fires_only_for_neck_targets(kb):
    # Its text says "needling in your neck": true only if every target that fires it is in the neck.
    neck = kb.groups["neck"].members
    item = next(i for i in kb.aftercare if i.id == "spine_neck_emergency")
    firing = {t.id for t in all_targets(kb) for h in t.hazards if any(w.matches_hazard(h) for w in item.when)}
    assert firing and firing <= neck, sorted(firing - neck)


def test_lower_spine_targets_get_the_spine_warning_not_the_neck_one(kb):
    care = build_aftercare(kb, ["acupuncture"], [("GV4", "midline")])
    assert "spine_emergency" in ids(care.urgent) and "spine_neck_emergency" not in ids(care.urgent)
    text = next(i for i in care.urgent if i.id == "spine_emergency").text
    assert "bladder" in text and "neck" not in text


# --------------------------------------------------------------------------- the loader's checks
