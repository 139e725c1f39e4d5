"""Target suggestion, checked against published trigger-point referral patterns.

Each case is a pain drawing a patient could make, with a muscle whose trigger points are known to
refer pain there (Simons, Travell & Simons 1999; Travell & Simons 1992; Donnelly 2019) and how
high it must rank among the suggestions on the painful side.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needlechart.clinical.screening import ReportedFinding, ScreeningInput
from needlechart.clinical.suggestion import Pain, SuggestionInputError, suggest


def pains(*specs: str) -> list[Pain]:
    out = []
    for spec in specs:
        region, side = spec.split(":")
        out.append(Pain(region, side))
    return out


def rank(result, target_id: str, side: str, kind: str = "muscles") -> int:
    for n, s in enumerate(getattr(result, kind), start=1):
        if s.id == target_id and s.side == side:
            return n
    return 999


REFERRAL_CASES = [
    # (pain drawing, muscle, side, must rank within)
    (("temple:left", "posterior_neck:left", "lateral_neck:left"), "upper_trapezius", "left", 1),
    (("temple:right", "teeth:right"), "temporalis", "right", 2),
    (("temple:left",), "upper_trapezius", "left", 5),
    (("jaw:left", "cheek:left", "teeth:left"), "masseter", "left", 2),
    (("jaw:right", "ear:right"), "masseter", "right", 4),
    (("ear:left", "cheek:left"), "lateral_pterygoid", "left", 5),
    (("vertex:right",), "splenius_capitis", "right", 4),
    (("vertex:left", "occiput:left", "orbit:left", "cheek:left"), "sternocleidomastoid", "left", 3),
    (("forehead:right", "ear:right"), "sternocleidomastoid", "right", 4),
    (("occiput:left", "temple:left", "orbit:left"), "suboccipitals", "left", 6),
    (("temple:right", "occiput:right"), "semispinalis_capitis", "right", 6),
    (("posterior_neck:left", "scapula:left", "posterior_shoulder:left"), "levator_scapulae", "left", 3),
    (
        ("chest:right", "upper_arm_anterior:right", "forearm_dorsal:right", "thumb:right", "scapula:right"),
        "scalenes",
        "right",
        2,
    ),
    (("lateral_shoulder:left", "upper_arm_posterior:left", "elbow_lateral:left"), "supraspinatus", "left", 4),
    (("anterior_shoulder:right", "upper_arm_anterior:right"), "infraspinatus", "right", 4),
    (("posterior_shoulder:left", "scapula:left", "wrist_dorsal:left"), "subscapularis", "left", 3),
    (("chest:left", "anterior_shoulder:left"), "pectoralis_major", "left", 3),
    (("interscapular:right", "scapula:right"), "rhomboids", "right", 5),
    (("lateral_chest:left", "scapula:left"), "serratus_anterior", "left", 4),
    (
        ("elbow_lateral:right", "forearm_dorsal:right", "wrist_dorsal:right"),
        "extensor_carpi_radialis_brevis",
        "right",
        4,
    ),
    (("elbow_lateral:left", "hand_dorsal:left", "thumb:left"), "supinator", "left", 6),
    (("thumb:right",), "brachialis", "right", 8),
    (("wrist_volar:left", "forearm_volar:left"), "pronator_teres", "left", 5),
    (("sacroiliac:left", "buttock:left", "lateral_hip:left"), "quadratus_lumborum", "left", 3),
    (("lumbar:right", "groin:right", "thigh_anterior:right"), "iliopsoas", "right", 3),
    (
        ("buttock:left", "thigh_lateral:left", "thigh_posterior:left", "calf:left", "leg_lateral:left"),
        "gluteus_minimus",
        "left",
        2,
    ),
    (("sacroiliac:right", "buttock:right", "thigh_posterior:right"), "piriformis", "right", 5),
    (("sacroiliac:left", "lumbar:left", "buttock:left"), "gluteus_medius", "left", 5),
    (("thigh_lateral:right", "lateral_hip:right"), "tensor_fasciae_latae", "right", 5),
    (("knee_anterior:left",), "rectus_femoris", "left", 4),
    (("knee_medial:right", "thigh_medial:right"), "vastus_medialis", "right", 5),
    (("groin:left", "thigh_medial:left", "knee_medial:left"), "adductor_longus", "left", 3),
    (("knee_posterior:right",), "popliteus", "right", 6),
    (("heel:left", "achilles:left"), "soleus", "left", 3),
    (("ankle_lateral:right", "leg_lateral:right"), "fibularis_longus", "right", 3),
    (("ankle_anterior:left", "big_toe:left"), "tibialis_anterior", "left", 2),
    (("foot_dorsal:right", "toes:right"), "extensor_digitorum_longus", "right", 3),
    (("heel:right", "sole:right"), "quadratus_plantae", "right", 5),
]


@pytest.mark.parametrize("drawing, muscle, side, within", REFERRAL_CASES, ids=[c[1] for c in REFERRAL_CASES])
def test_published_referral_pattern_ranks_its_muscle(kb, drawing, muscle, side, within):
    result = suggest(kb, pains(*drawing), top=50)
    found = rank(result, muscle, side)
    assert found <= within, f"{muscle} ranked {found}: {[(s.id, s.side, s.score) for s in result.muscles[:8]]}"
    suggestion = next(s for s in result.muscles if s.id == muscle and s.side == side)
    assert suggestion.primary or suggestion.spillover


def test_left_sided_pain_suggests_left_muscles_only(kb):
    result = suggest(kb, pains("temple:left", "posterior_neck:left"), top=50)
    assert result.muscles and {s.side for s in result.muscles} == {"left"}


def test_midline_pain_suggests_both_sides(kb):
    result = suggest(kb, pains("vertex:midline"), top=50)
    assert rank(result, "splenius_capitis", "left") < 999 and rank(result, "splenius_capitis", "right") < 999


def test_primary_zone_outranks_spillover(kb):
    muscle = kb.muscles["upper_trapezius"]
    result = suggest(kb, [Pain(muscle.primary[0], "left")], top=80)
    primary_hit = next(s for s in result.muscles if s.id == "upper_trapezius")
    assert primary_hit.primary == (muscle.primary[0],)
    if muscle.spillover:
        spill = suggest(kb, [Pain(muscle.spillover[0], "left")], top=80)
        spill_hit = next(s for s in spill.muscles if s.id == "upper_trapezius")
        assert spill_hit.spillover and spill_hit.score < primary_hit.score


def test_intensity_weights_the_ranking(kb):
    # Same two regions; whichever hurts more pulls its muscle up.
    jaw_worse = suggest(kb, [Pain("jaw", "left", 9), Pain("lumbar", "left", 1)], top=80)
    back_worse = suggest(kb, [Pain("jaw", "left", 1), Pain("lumbar", "left", 9)], top=80)
    assert rank(jaw_worse, "masseter", "left") < rank(back_worse, "masseter", "left")
    assert rank(back_worse, "quadratus_lumborum", "left") < rank(jaw_worse, "quadratus_lumborum", "left")


def test_condition_promotes_its_muscles(kb):
    without = suggest(kb, pains("heel:right"), top=80)
    with_condition = suggest(kb, pains("heel:right"), "plantar_heel_pain", top=80)
    first = kb.conditions["plantar_heel_pain"].muscles[0]
    assert rank(with_condition, first, "right") <= rank(without, first, "right")
    assert "plantar heel pain" in next(s for s in with_condition.muscles if s.id == first).reason


def test_condition_alone_lists_its_muscles_on_both_sides(kb):
    result = suggest(kb, [], "tension_type_headache", top=80)
    for muscle in kb.conditions["tension_type_headache"].muscles:
        assert rank(result, muscle, "left") < 999 and rank(result, muscle, "right") < 999


def test_reason_is_one_sentence_naming_side_and_regions(kb):
    result = suggest(kb, pains("temple:left", "posterior_neck:left"), "tension_type_headache")
    top = result.muscles[0]
    assert top.reason.startswith("Left ") and top.reason.endswith(".")
    assert top.reason.count(". ") == 0
    assert "left" in top.reason and ("temple" in top.reason or "posterior neck" in top.reason)
    for s in result.acupoints:
        assert s.reason.endswith(".") and s.reason.count(". ") == 0


def test_hazards_travel_with_the_suggestion(kb):
    result = suggest(kb, pains("temple:left", "posterior_neck:left", "lateral_neck:left"))
    trap = next(s for s in result.muscles if s.id == "upper_trapezius")
    assert "lung" in {h.kind for h in trap.hazards}


def test_local_acupoints_in_the_painful_region(kb):
    result = suggest(kb, pains("occiput:left"), top=40)
    assert rank(result, "GB20", "left", "acupoints") <= 5
    gb20 = next(s for s in result.acupoints if s.id == "GB20")
    assert gb20.role == "local" and "occiput" in gb20.reason


def test_midline_acupoints_are_on_the_midline(kb):
    result = suggest(kb, pains("lumbar:left", "lumbar:right"), "low_back_pain", top=60)
    gv = [s for s in result.acupoints if s.id.startswith(("GV", "CV"))]
    assert gv and all(s.side == "midline" for s in gv)


def test_distal_points_for_the_condition(kb):
    result = suggest(kb, pains("temple:left"), "tension_type_headache", top=60)
    li4 = next(s for s in result.acupoints if s.id == "LI4")
    assert li4.role == "distal" and li4.side == "left"
    assert "tension-type headache" in li4.reason


def test_distal_point_for_a_region_without_condition(kb):
    result = suggest(kb, pains("lumbar:right"), top=60)
    bl40 = next((s for s in result.acupoints if s.id == "BL40" and s.side == "right"), None)
    assert bl40 is not None and "distal" in bl40.reason


def test_screening_marks_and_sinks_blocked_targets(kb):
    screening = ScreeningInput(60, (ReportedFinding("anticoagulant_therapy"),), (), ("dry_needling",))
    result = suggest(kb, pains("lumbar:right", "groin:right", "thigh_anterior:right"), screening=screening, top=80)
    psoas = next(s for s in result.muscles if s.id == "iliopsoas")
    assert psoas.status == "blocked" and psoas.status_reasons
    statuses = [s.status for s in result.muscles]
    assert statuses.index("blocked") > statuses.index("ok")
    assert all(s == "blocked" for s in statuses[statuses.index("blocked") :])


def test_red_flag_blocks_every_suggestion(kb):
    screening = ScreeningInput(50, (ReportedFinding("saddle_anesthesia"),), (), ())
    result = suggest(kb, pains("lumbar:left"), screening=screening)
    assert all(s.status == "blocked" for s in result.muscles + result.acupoints)


@pytest.mark.parametrize(
    "bad, message",
    [
        ([Pain("elbw", "left")], "unknown region 'elbw'"),
        ([Pain("temple", "midline")], "side 'midline' is not valid for temple"),
        ([Pain("temple", "left", 11)], "intensity 11 is out of range"),
        ([Pain("temple", "left", True)], "intensity True must be a whole number from 0 to 10, not true or false"),
        (
            [Pain("temple", "left"), Pain("lumbar", "up")],
            "side 'up' is not valid for lumbar; use left, right or midline",
        ),
    ],
)
def test_bad_pain_input_is_named(kb, bad, message):
    with pytest.raises(SuggestionInputError) as caught:
        suggest(kb, bad)
    assert message in str(caught.value)


def test_pains_are_read_by_the_core_location_rule(kb):
    result = suggest(kb, [Pain("temple", " LEFT ", "6")])
    assert result.pains == (Pain("temple", "left", 6),)
    assert result == suggest(kb, [Pain("temple", "left", 6)])


def test_unknown_condition_is_named(kb):
    with pytest.raises(SuggestionInputError, match="unknown condition 'migraine'"):
        suggest(kb, pains("temple:left"), "migraine")


def test_ranking_is_deterministic(kb):
    drawing = pains("lumbar:left", "buttock:left", "thigh_posterior:left")
    assert suggest(kb, drawing) == suggest(kb, drawing)


def _locations(kb):
    return st.sampled_from([(r.id, s) for r in kb.regions.values() for s in r.sides])


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_suggestion_is_explained_by_the_drawing(kb, data):
    drawing = data.draw(st.lists(_locations(kb), min_size=1, max_size=6, unique=True))
    result = suggest(kb, [Pain(r, s) for r, s in drawing], top=100)
    painful = {r for r, _ in drawing}
    sides = {s for _, s in drawing}
    for s in result.muscles:
        assert set(s.primary) | set(s.spillover) <= painful
        assert s.score > 0
        muscle = kb.muscles[s.id]
        if muscle.laterality == "ipsilateral" and "midline" not in sides:
            assert s.side in sides
    scores = [s.score for s in result.muscles]
    assert scores == sorted(scores, reverse=True)
