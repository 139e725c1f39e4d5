"""The review of the muscle and region data (issue 6, section 4): what it changed, as data facts and
as suggestion scenarios a clinician would check (Simons, Travell & Simons 1999; Travell & Simons
1992; Donnelly 2019; the prevalence studies cited in the data).

Each scenario fails on the data as it was before the review: gluteus minimus had the outer hip only
as spillover, digastric referred to both sides everywhere, the inner arm had no region, the spine
took no midline side and ties in suggestion fell to the alphabet.
"""

from __future__ import annotations

import pytest

from needlechart.clinical.suggestion import Pain, suggest

SPINE = ["posterior_neck", "interscapular", "thoracic_back", "lumbar", "sacroiliac", "coccyx"]
JOINTS = {
    "jaw": "temporomandibular",
    "anterior_shoulder": "shoulder",
    "lateral_shoulder": "shoulder",
    "posterior_shoulder": "shoulder",
    "elbow_lateral": "elbow",
    "elbow_medial": "elbow",
    "elbow_posterior": "elbow",
    "wrist_dorsal": "wrist",
    "wrist_volar": "wrist",
    "lateral_hip": "hip",
    "groin": "hip",
    "knee_anterior": "knee",
    "knee_medial": "knee",
    "knee_lateral": "knee",
    "knee_posterior": "knee",
    "ankle_anterior": "ankle",
    "ankle_medial": "ankle",
    "ankle_lateral": "ankle",
}
# New muscles: (file part they lie in, hazard kinds, words their hazards must name, compressible).
NEW_MUSCLES = {
    "opponens_pollicis": ({"nerve", "artery"}, ["median nerve"], True),
    "flexor_digitorum_superficialis": ({"nerve", "artery"}, ["median nerve"], True),
    "extensor_indicis": ({"nerve"}, ["posterior interosseous nerve"], True),
    "coracobrachialis": ({"nerve", "artery", "vein"}, ["musculocutaneous nerve", "brachial artery"], True),
    "pectineus": ({"nerve", "artery", "vein"}, ["femoral nerve", "femoral artery", "femoral vein"], False),
    "adductor_magnus": ({"nerve", "artery", "vein"}, ["sciatic nerve", "femoral artery", "adductor hiatus"], False),
    "gracilis": ({"vein", "artery"}, ["femoral artery", "saphenous vein"], True),
    "sartorius": ({"nerve", "artery"}, ["femoral artery", "femoral nerve"], True),
    "extensor_hallucis_longus": ({"nerve", "artery"}, ["deep fibular nerve", "anterior tibial artery"], True),
    "flexor_hallucis_longus": ({"nerve", "artery", "vein"}, ["tibial nerve", "posterior tibial"], False),
    "fibularis_tertius": ({"nerve"}, ["superficial fibular nerve"], True),
}


def muscles(result, side: str | None = None) -> list[str]:
    return [s.id for s in result.muscles if side is None or s.side == side]


def rank(result, muscle: str, side: str) -> int:
    for n, s in enumerate(result.muscles, start=1):
        if s.id == muscle and s.side == side:
            return n
    return 999


def hit(result, muscle: str, side: str):
    return next(s for s in result.muscles if s.id == muscle and s.side == side)


# --------------------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------------------


def test_regions_covering_a_joint_name_it(kb):
    assert {r.id: r.joint for r in kb.regions.values() if r.joint} == JOINTS


def test_limb_quadrants_are_the_whole_limb_and_its_girdle(kb):
    upper = {r.id for r in kb.regions.values() if r.part in ("shoulder", "upper_limb")}
    upper |= {"lateral_chest", "chest", "scapula"}  # the armpit and the shoulder girdle on the trunk
    lower = {r.id for r in kb.regions.values() if r.part == "lower_limb"} | {"groin", "buttock", "lateral_hip"}
    assert "upper_arm_medial" in upper
    assert {r.id for r in kb.regions.values() if r.quadrant == "upper_limb"} == upper
    assert {r.id for r in kb.regions.values() if r.quadrant == "lower_limb"} == lower
    assert not kb.regions["lumbar"].quadrant and not kb.regions["lower_abdomen"].quadrant


@pytest.mark.parametrize("region", SPINE)
def test_spine_regions_accept_central_pain(kb, region):
    assert kb.regions[region].midline and "midline" in kb.regions[region].sides
    assert set(kb.regions[region].choir) == {"left", "right"}  # CHOIR keys stay per side


def test_central_low_back_pain_points_to_both_sides(kb):
    result = suggest(kb, [Pain("lumbar", "midline")], top=80)
    for side in ("left", "right"):
        assert rank(result, "quadratus_lumborum", side) < 999
        assert "lumbar" in hit(result, "quadratus_lumborum", side).primary


def test_inner_arm_region(kb):
    region = kb.regions["upper_arm_medial"]
    assert (region.view, region.part, region.quadrant, region.midline) == ("front", "upper_limb", "upper_limb", False)
    assert region.choir == kb.regions["upper_arm_anterior"].choir == {"left": "f12", "right": "f11"}
    assert set(region.adjacent) == {
        "anterior_shoulder",
        "lateral_chest",
        "upper_arm_anterior",
        "upper_arm_posterior",
        "elbow_medial",
    }
    for other in region.adjacent:
        assert "upper_arm_medial" in kb.regions[other].adjacent, other


def test_inner_arm_pain_tells_the_pectoral_patterns_from_the_scalene_and_serratus_posterior(kb):
    # Simons 1999: pectoralis major and minor, serratus anterior and latissimus dorsi refer down the
    # ulnar (inner) side of the arm; the scalenes to its front and back; serratus posterior superior
    # over triceps at the back.
    for muscle in ("pectoralis_minor", "pectoralis_major", "serratus_anterior", "latissimus_dorsi"):
        assert "upper_arm_medial" in kb.muscles[muscle].spillover, muscle
        assert "upper_arm_anterior" not in kb.muscles[muscle].primary + kb.muscles[muscle].spillover, muscle
    for muscle in ("scalenes", "serratus_posterior_superior"):
        zones = kb.muscles[muscle].primary + kb.muscles[muscle].spillover
        assert "upper_arm_medial" not in zones and "upper_arm_posterior" in zones, muscle

    inner = suggest(kb, [Pain("upper_arm_medial", "left")], top=80)
    assert "pectoralis_minor" in muscles(inner, "left") and "scalenes" not in muscles(inner)
    back = suggest(kb, [Pain("upper_arm_posterior", "left"), Pain("scapula", "left")], top=80)
    assert "serratus_posterior_superior" in muscles(back, "left") and "pectoralis_minor" not in muscles(back)
    chest_and_inner_arm = suggest(kb, [Pain("chest", "right"), Pain("upper_arm_medial", "right")], top=80)
    assert rank(chest_and_inner_arm, "pectoralis_minor", "right") < rank(chest_and_inner_arm, "scalenes", "right")


# --------------------------------------------------------------------------------------------------
# Referral: divisions, primary zones, crossing the midline
# --------------------------------------------------------------------------------------------------


def test_outer_hip_pain_ranks_gluteus_minimus_first(kb):
    result = suggest(kb, [Pain("lateral_hip", "left")], top=40)
    top = result.muscles[0]
    assert (top.id, top.side) == ("gluteus_minimus", "left"), [(s.id, s.side, s.score) for s in result.muscles[:5]]
    assert "lateral_hip" in top.primary
    assert "anterior portion" in top.reason


def test_gluteus_minimus_has_its_two_patterns(kb):
    divisions = {d.name: d for d in kb.muscles["gluteus_minimus"].divisions}
    assert set(divisions) == {"anterior portion", "posterior portion"}
    assert {"lateral_hip", "thigh_lateral", "leg_lateral"} <= set(divisions["anterior portion"].primary)
    assert {"buttock", "thigh_posterior", "calf"} <= set(divisions["posterior portion"].primary)
    assert "lateral_hip" in kb.muscles["gluteus_minimus"].primary


def test_digastric_posterior_belly_stays_on_its_side(kb):
    result = suggest(kb, [Pain("lateral_neck", "left")], top=80)
    assert rank(result, "digastric", "left") < 999
    assert rank(result, "digastric", "right") == 999


def test_digastric_anterior_belly_reaches_both_sides_from_the_lower_incisors(kb):
    result = suggest(kb, [Pain("teeth", "left")], top=80)
    for side in ("left", "right"):
        digastric = hit(result, "digastric", side)
        assert "teeth" in digastric.primary and "anterior belly" in digastric.reason
    assert rank(result, "masseter", "right") == 999  # the other teeth muscles stay on their side


def test_rectus_abdominis_band_crosses_the_sacroiliac_region_too(kb):
    assert set(kb.muscles["rectus_abdominis"].crosses_midline) == {"thoracic_back", "lumbar", "sacroiliac"}
    result = suggest(kb, [Pain("sacroiliac", "left")], top=80)
    assert rank(result, "rectus_abdominis", "right") < 999


def test_only_the_reviewed_patterns_cross_the_midline(kb):
    crossing = {m.id: set(m.crosses_midline) for m in kb.muscles.values() if m.crosses_midline}
    assert crossing == {
        "sternocleidomastoid": {"forehead"},
        "digastric": {"teeth"},
        "rectus_abdominis": {"thoracic_back", "lumbar", "sacroiliac"},
    }


def test_primary_zones_changed_in_the_review(kb):
    assert "elbow_lateral" in kb.muscles["extensor_carpi_radialis_brevis"].primary  # Fernández-Carnero 2007
    assert "anterior_neck" in kb.muscles["medial_pterygoid"].primary  # the throat, with the mouth and ear
    assert "sternum" in kb.muscles["pectoralis_major"].spillover  # parasternal points, same side


# --------------------------------------------------------------------------------------------------
# Prevalence: ties broken by clinical weight, never by the alphabet
# --------------------------------------------------------------------------------------------------

PREVALENCE = {
    "upper_trapezius": {"posterior_neck", "temple", "lateral_neck"},
    "extensor_carpi_radialis_brevis": {"elbow_lateral"},
    "quadratus_lumborum": {"lumbar", "sacroiliac", "buttock"},
    "gluteus_medius": {"lumbar", "sacroiliac", "buttock"},
    "gluteus_minimus": {"lateral_hip", "thigh_lateral"},
    "infraspinatus": {"anterior_shoulder"},
    "soleus": {"heel"},
    "quadratus_plantae": {"heel"},
    "sternocleidomastoid": {"forehead"},
    "suboccipitals": {"occiput"},
    "temporalis": {"temple", "teeth"},
    "masseter": {"jaw"},
}


@pytest.mark.parametrize("muscle, regions", PREVALENCE.items(), ids=list(PREVALENCE))
def test_prevalence_is_recorded_with_its_source(kb, muscle, regions):
    prevalence = kb.muscles[muscle].prevalence
    assert prevalence is not None and regions <= set(prevalence.regions)
    assert prevalence.sources and all(ref.locator for ref in prevalence.sources)


def test_every_prevalence_region_is_one_the_muscle_explains(kb):
    for m in kb.muscles.values():
        if m.prevalence:
            assert set(m.prevalence.regions) <= set(m.primary) | set(m.spillover), m.id


@pytest.mark.parametrize(
    "region, first",
    [
        ("posterior_neck", {"upper_trapezius"}),  # the alphabet put levator scapulae first
        ("occiput", {"suboccipitals"}),  # ... semispinalis capitis
        ("jaw", {"masseter"}),  # ... lateral pterygoid
        ("elbow_lateral", {"extensor_carpi_radialis_brevis"}),  # ... brachioradialis
        ("anterior_shoulder", {"infraspinatus"}),  # ... biceps brachii
        ("heel", {"soleus", "quadratus_plantae"}),  # ... abductor hallucis
        ("temple", {"upper_trapezius", "temporalis"}),
        ("lumbar", {"quadratus_lumborum", "gluteus_medius", "iliocostalis"}),
        ("knee_posterior", {"biceps_femoris", "gastrocnemius"}),
    ],
)
def test_the_commonest_source_wins_a_tie(kb, region, first):
    result = suggest(kb, [Pain(region, "right")], top=40)
    top = result.muscles[: len(first)]
    assert {s.id for s in top} == first, [(s.id, s.score) for s in result.muscles[:6]]
    assert all(s.side == "right" and region in s.primary for s in top)
    if len(first) == 1:
        assert "commonest sources of pain" in top[0].reason


# --------------------------------------------------------------------------------------------------
# New muscles
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("muscle", NEW_MUSCLES, ids=list(NEW_MUSCLES))
def test_new_muscle_is_complete_with_its_hazards(kb, muscle):
    kinds, words, compressible = NEW_MUSCLES[muscle]
    m = kb.muscles[muscle]
    assert m.name and m.synonyms and m.regions and m.primary and m.conditions
    assert m.position and m.needling and m.depth
    assert m.sources and all(ref.locator for ref in m.sources)
    assert kinds <= {h.kind for h in m.hazards}
    named = " ".join(h.structure for h in m.hazards).lower()
    for word in words:
        assert word in named, word
    assert m.compressible is compressible
    if not compressible:
        assert m.depth == "deep"


def test_new_muscles_are_found_from_their_pain(kb):
    cases = [
        ([Pain("groin", "left")], "pectineus"),
        ([Pain("thigh_medial", "right"), Pain("groin", "right")], "adductor_magnus"),
        ([Pain("thumb", "left"), Pain("wrist_volar", "left")], "opponens_pollicis"),
        ([Pain("fingers", "right"), Pain("palm", "right")], "flexor_digitorum_superficialis"),
        ([Pain("big_toe", "left"), Pain("sole", "left")], "flexor_hallucis_longus"),
        ([Pain("foot_dorsal", "right"), Pain("big_toe", "right")], "extensor_hallucis_longus"),
        ([Pain("ankle_anterior", "left"), Pain("ankle_lateral", "left")], "fibularis_tertius"),
        ([Pain("anterior_shoulder", "left"), Pain("upper_arm_posterior", "left")], "coracobrachialis"),
        ([Pain("thigh_anterior", "right"), Pain("thigh_medial", "right"), Pain("knee_medial", "right")], "sartorius"),
    ]
    for drawing, muscle in cases:
        result = suggest(kb, drawing, top=80)
        side = drawing[0].side
        assert rank(result, muscle, side) <= 5, (muscle, [(s.id, s.score) for s in result.muscles[:6]])
