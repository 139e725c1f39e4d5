"""Every acupoint lies in a region, so that screening reaches it (issue 6).

The placements are checked against facts that do not come from the data itself: the course of each
meridian (which limb segment, which side of the arm), the spinal level of each back point, the
distance of each abdominal point above or below the umbilicus, and the lungs under the thorax. A
point moved to the wrong part of the body fails here. Points with a region but no description are
screened by it and never suggested; ST17 (nipple) and CV8 (umbilicus) are never needled at all.
"""

from __future__ import annotations

import pytest

from needlechart.clinical.screening import PlannedTarget, ScreeningInput, screen
from needlechart.clinical.suggestion import Pain, suggest


def codes(meridian: str, first: int, last: int) -> list[str]:
    return [f"{meridian}{n}" for n in range(first, last + 1)]


def region(kb, code: str) -> str:
    return kb.acupoints[code].region


def part(kb, code: str) -> str:
    return kb.regions[region(kb, code)].part


def kinds(kb, code: str) -> set[str]:
    return {h.kind for h in kb.acupoints[code].hazards}


FROM_ELBOW = {
    "elbow_lateral",
    "elbow_medial",
    "elbow_posterior",
    "forearm_dorsal",
    "forearm_volar",
    "wrist_dorsal",
    "wrist_volar",
    "hand_dorsal",
    "palm",
    "thumb",
    "fingers",
}
# The yin channels of the arm run down its front (flexor) side, the yang channels down its back.
FLEXOR_SIDE = {"elbow_lateral", "elbow_medial", "forearm_volar", "wrist_volar", "palm", "thumb", "fingers"}
EXTENSOR_SIDE = {
    "elbow_lateral",
    "elbow_medial",
    "elbow_posterior",
    "forearm_dorsal",
    "wrist_dorsal",
    "hand_dorsal",
    "thumb",
    "fingers",
}
UPPER_ARM = {"upper_arm_anterior", "upper_arm_posterior", "upper_arm_medial"}
KNEE = {"knee_anterior", "knee_medial", "knee_lateral", "knee_posterior"}
BELOW_KNEE = {
    "shin",
    "leg_lateral",
    "calf",
    "achilles",
    "ankle_anterior",
    "ankle_medial",
    "ankle_lateral",
    "heel",
    "sole",
    "foot_dorsal",
    "big_toe",
    "toes",
}
FOOT = {"heel", "sole", "foot_dorsal", "big_toe", "toes"}
BACK = {"interscapular", "thoracic_back", "lumbar", "sacroiliac"}
LUNG_REGIONS = {"chest", "lateral_chest", "interscapular", "thoracic_back", "scapula"}

YIN_ARM_FROM_ELBOW = codes("LU", 5, 11) + codes("PC", 3, 9) + codes("HT", 3, 9)
YANG_ARM_FROM_ELBOW = codes("LI", 1, 11) + codes("SI", 1, 8) + codes("TE", 1, 10)
UPPER_ARM_POINTS = ["LU3", "LU4", "HT2", "PC2", "LI13", "LI14", "TE11", "TE12", "TE13"]
LEG_BELOW_KNEE = (
    codes("ST", 36, 45)
    + codes("SP", 1, 8)
    + codes("LR", 1, 6)
    + codes("KI", 1, 9)
    + codes("GB", 34, 44)
    + codes("BL", 55, 67)
)
FOOT_POINTS = (
    codes("ST", 42, 45)
    + codes("SP", 1, 4)
    + codes("LR", 1, 3)
    + ["KI1", "KI2", "KI5"]
    + codes("GB", 41, 44)
    + ["BL61"]
    + codes("BL", 63, 67)
)
# The jing-well points at the tips of the digits.
WELL_POINTS = {
    "LU11": "thumb",
    "LI1": "fingers",
    "HT9": "fingers",
    "SI1": "fingers",
    "PC9": "fingers",
    "TE1": "fingers",
    "ST45": "toes",
    "SP1": "big_toe",
    "LR1": "big_toe",
    "GB44": "toes",
    "BL67": "toes",
    "KI1": "sole",
}
THIGH = {
    **dict.fromkeys(codes("ST", 31, 34), "thigh_anterior"),
    **dict.fromkeys(["SP10", "SP11", "LR9", "LR10", "LR11"], "thigh_medial"),
    **dict.fromkeys(["GB31", "GB32"], "thigh_lateral"),
    "BL37": "thigh_posterior",
}
HEAD = (
    codes("ST", 1, 8)
    + codes("BL", 1, 9)
    + codes("GB", 1, 20)
    + codes("TE", 17, 23)
    + ["LI19", "LI20", "SI18", "SI19"]
    + codes("GV", 16, 28)
    + ["CV24"]
)
NECK = ["LI17", "LI18", "ST9", "ST10", "ST11", "ST12", "SI16", "SI17", "TE16", "GV14", "GV15", "CV22", "CV23"]

# Spinal level of each point of the back (the lower border of the spinous process it is level with).
SPINE_LEVEL = {
    **{f"BL{n}": f"T{n - 10}" for n in range(11, 18)},  # BL11 T1 ... BL17 T7
    "BL18": "T9", "BL19": "T10", "BL20": "T11", "BL21": "T12",
    "BL22": "L1", "BL23": "L2", "BL24": "L3", "BL25": "L4", "BL26": "L5",
    "BL27": "S1", "BL28": "S2", "BL29": "S3", "BL30": "S4",
    "BL41": "T2", "BL42": "T3", "BL43": "T4", "BL44": "T5", "BL45": "T6", "BL46": "T7",
    "BL47": "T9", "BL48": "T10", "BL49": "T11", "BL50": "T12", "BL51": "L1", "BL52": "L2",
    "GV3": "L4", "GV4": "L2", "GV5": "L1", "GV6": "T11", "GV7": "T10", "GV8": "T9", "GV9": "T7",
    "GV10": "T6", "GV11": "T5", "GV12": "T3", "GV13": "T1", "GV14": "C7",
}  # fmt: skip


def region_of_level(level: str) -> str:
    segment, number = level[0], int(level[1:])
    if segment == "C":
        return "posterior_neck"
    if segment == "T":
        return "interscapular" if number <= 6 else "thoracic_back"
    return {"L": "lumbar", "S": "sacroiliac"}[segment]


# Cun above (+) or below (-) the centre of the umbilicus. WHO counts the umbilicus level as upper abdomen.
UMBILICUS_OFFSET = {
    **{f"ST{19 + i}": 6 - i for i in range(11)},  # ST19 +6 ... ST25 0 ... ST29 -4
    **{f"KI{11 + i}": i - 5 for i in range(6)},  # KI11 -5 ... KI16 0
    "KI17": 2, "KI18": 3, "KI19": 4, "KI20": 5, "KI21": 6,
    # CV2 lies on the pubic symphysis, 5 cun down; CV6 is 1.5 cun down; CV15 is 7 cun up, under the xiphoid.
    "CV2": -5, "CV3": -4, "CV4": -3, "CV5": -2, "CV6": -1.5, "CV7": -1,
    **{f"CV{n}": n - 8 for n in range(8, 16)},  # CV8 0 ... CV15 +7
    "SP13": -4.3, "SP14": -1.3, "SP15": 0, "SP16": 3,
    "GB26": 0, "GB27": -3,
}  # fmt: skip


def abdomen_of(offset: float) -> str:
    return "upper_abdomen" if offset >= 0 else "lower_abdomen"


MIDLINE_REGIONS = {
    "GV1": "coccyx",
    "GV2": "sacroiliac",
    "GV15": "posterior_neck",
    **dict.fromkeys(["GV16", "GV17", "GV18"], "occiput"),
    **dict.fromkeys(["GV19", "GV20", "GV21", "GV22"], "vertex"),
    **dict.fromkeys(["GV23", "GV24"], "forehead"),
    **dict.fromkeys(["GV25", "GV26", "GV27"], "cheek"),
    "GV28": "teeth",
    # CV1 is in the perineum, which has no region: coccyx is the nearest midline region (see the data).
    "CV1": "coccyx",
    **dict.fromkeys(codes("CV", 16, 21), "sternum"),
    **dict.fromkeys(["CV22", "CV23"], "anterior_neck"),
    "CV24": "jaw",
}

# Points in a thoracic region that do not lie over the lung, and why.
NOT_OVER_LUNG = {
    # On the midline, over the spinous processes: what lies under them is the spinal canal.
    **dict.fromkeys(codes("GV", 6, 13), "midline over the spinal canal"),
    # At the apex of the armpit: the needle enters the axillary fat toward the vessels, away from the chest wall.
    "HT1": "axilla",
}
# The points the review named as lying over the lungs.
OVER_LUNG = (
    codes("ST", 13, 18)
    + codes("KI", 22, 27)
    + codes("SP", 17, 21)
    + ["PC1", "GB21", "GB22", "GB23", "GB24", "LR14", "LU1", "LU2"]
    + codes("BL", 11, 21)
    + codes("BL", 41, 50)
)


# --- every point has a region -------------------------------------------------------------------------


def test_every_point_lies_in_a_known_region(kb):
    assert len(kb.acupoints) >= 368
    for point in kb.acupoints.values():
        assert point.region in kb.regions, point.code


def test_points_with_only_a_region_are_never_suggested(kb):
    undescribed = {p.code for p in kb.acupoints.values() if not p.detailed}
    assert len(undescribed) > 200
    for pain in ("lower_abdomen", "upper_abdomen", "chest", "thoracic_back", "shin", "temple", "forearm_volar"):
        result = suggest(kb, [Pain(pain, "left")], top=300, modality="acupuncture")
        assert not {s.id for s in result.acupoints} & undescribed, pain


# --- the course of the meridians ------------------------------------------------------------------------


@pytest.mark.parametrize("code", YIN_ARM_FROM_ELBOW)
def test_yin_arm_points_from_the_elbow_down_lie_on_the_flexor_side(kb, code):
    assert region(kb, code) in FLEXOR_SIDE, (code, region(kb, code))


@pytest.mark.parametrize("code", YANG_ARM_FROM_ELBOW)
def test_yang_arm_points_from_the_elbow_down_lie_on_the_extensor_side(kb, code):
    assert region(kb, code) in EXTENSOR_SIDE, (code, region(kb, code))


def test_upper_arm_points_lie_on_the_upper_arm(kb):
    for code in UPPER_ARM_POINTS:
        assert region(kb, code) in UPPER_ARM, (code, region(kb, code))
    assert region(kb, "HT2") == "upper_arm_medial"
    assert {region(kb, c) for c in ("TE11", "TE12", "TE13")} == {"upper_arm_posterior"}
    for code in YIN_ARM_FROM_ELBOW + YANG_ARM_FROM_ELBOW + UPPER_ARM_POINTS:
        assert kb.regions[region(kb, code)].quadrant == "upper_limb", code


@pytest.mark.parametrize("code", LEG_BELOW_KNEE)
def test_leg_points_below_the_knee_lie_below_the_knee(kb, code):
    assert region(kb, code) in BELOW_KNEE, (code, region(kb, code))


def test_knee_points_lie_at_the_knee(kb):
    for code in ("ST35", "SP9", "LR7", "LR8", "KI10", "GB33", "BL38", "BL39", "BL40", "EX-LE2", "EX-LE4"):
        assert region(kb, code) in KNEE, (code, region(kb, code))


def test_leg_points_lie_on_the_side_of_the_leg_their_channel_follows(kb):
    for code in codes("GB", 34, 39):
        assert region(kb, code) == "leg_lateral", code
    for code in codes("ST", 36, 40) + ["SP6", "SP7", "SP8", "LR5", "LR6", "KI8"]:
        assert region(kb, code) == "shin", code
    for code in codes("BL", 55, 58) + ["KI9"]:
        assert region(kb, code) == "calf", code
    for code, expected in THIGH.items():
        assert region(kb, code) == expected, code


def test_foot_points_lie_on_the_foot(kb):
    for code in FOOT_POINTS:
        assert region(kb, code) in FOOT, (code, region(kb, code))
    for code, expected in WELL_POINTS.items():
        assert region(kb, code) == expected, code
    foot = kb.groups["foot"].members
    assert set(FOOT_POINTS) <= foot
    assert set(LEG_BELOW_KNEE) <= kb.groups["distal_lower_limb"].members


def test_head_and_neck_points(kb):
    for code in HEAD:
        assert part(kb, code) == "head", (code, region(kb, code))
    for code in NECK:
        assert part(kb, code) == "neck", (code, region(kb, code))
    assert set(NECK) <= kb.groups["neck"].members
    # The scalp: the front hairline band is forehead, the crown is vertex, above the occipital bone occiput.
    for code in ("BL3", "BL4", "BL5", "GB13", "GB14", "GB15", "GB16", "GV23", "GV24"):
        assert region(kb, code) == "forehead", code
    for code in ("BL6", "BL7", "BL8", "GB17", "GB18", "GV19", "GV20", "GV21", "GV22"):
        assert region(kb, code) == "vertex", code
    for code in ("BL9", "BL10", "GB19", "GB20", "GV17"):
        assert part(kb, code) in ("head", "neck") and region(kb, code) in ("occiput", "posterior_neck"), code


@pytest.mark.parametrize("code", sorted(SPINE_LEVEL))
def test_back_points_lie_in_the_region_of_their_spinal_level(kb, code):
    assert region(kb, code) == region_of_level(SPINE_LEVEL[code]), (code, SPINE_LEVEL[code], region(kb, code))


def test_bladder_line_from_bl11_to_bl30_is_on_the_back(kb):
    for code in codes("BL", 11, 30) + codes("BL", 41, 52):
        assert region(kb, code) in BACK, (code, region(kb, code))
    for code in ("BL31", "BL32", "BL33", "BL34"):
        assert region(kb, code) == "sacroiliac", code
    assert {region(kb, c) for c in ("BL53", "BL54", "BL36")} == {"buttock"}


@pytest.mark.parametrize("code", sorted(UMBILICUS_OFFSET))
def test_abdominal_points_lie_above_or_below_the_umbilicus_as_they_should(kb, code):
    expected = abdomen_of(UMBILICUS_OFFSET[code])
    assert region(kb, code) == expected, (code, UMBILICUS_OFFSET[code], region(kb, code))


def test_kidney_points_of_the_trunk(kb):
    for code in codes("KI", 11, 15):
        assert region(kb, code) == "lower_abdomen", code
    for code in codes("KI", 16, 21):
        assert region(kb, code) == "upper_abdomen", code
    for code in codes("KI", 22, 27):
        assert region(kb, code) == "chest", code


def test_chest_points(kb):
    for code in codes("ST", 13, 18) + codes("SP", 17, 20) + ["GB24", "LR14"]:
        assert region(kb, code) == "chest", code
    assert region(kb, "ST12") in ("lateral_neck", "anterior_neck")
    assert region(kb, "PC1") in ("chest", "lateral_chest")
    for code in ("SP21", "GB22", "GB23", "HT1"):
        assert region(kb, code) == "lateral_chest", code
    for code in ("ST30", "SP12", "LR12"):
        assert region(kb, code) == "groin", code
    for code in ("GB25", "GB26", "LR13"):
        assert part(kb, code) == "abdomen", code


def test_governor_and_conception_points_sit_in_the_midline_region_they_lie_in(kb):
    expected = {
        **MIDLINE_REGIONS,
        **{code: region_of_level(level) for code, level in SPINE_LEVEL.items() if code.startswith("GV")},
    }
    expected.update({code: abdomen_of(off) for code, off in UMBILICUS_OFFSET.items() if code.startswith("CV")})
    assert set(expected) == set(codes("GV", 1, 28) + codes("CV", 1, 24))
    for code, want in expected.items():
        assert region(kb, code) == want, (code, region(kb, code))


# --- hazards ---------------------------------------------------------------------------------------------


def test_every_point_over_the_lungs_has_a_lung_hazard(kb):
    for point in kb.acupoints.values():
        if point.region not in LUNG_REGIONS:
            continue
        if point.code in NOT_OVER_LUNG:
            assert "lung" not in kinds(kb, point.code), point.code
        else:
            assert "lung" in kinds(kb, point.code), (point.code, point.region)
    for code in NOT_OVER_LUNG:
        assert region(kb, code) in LUNG_REGIONS, code  # an exception must still be a thoracic point
    for code in OVER_LUNG:
        assert "lung" in kinds(kb, code), code
    assert set(OVER_LUNG) <= kb.groups["lung_field"].members


def test_midline_back_points_carry_the_spinal_canal_and_the_right_warning(kb):
    neck_warning = next(i for i in kb.aftercare if i.id == "spine_neck_emergency")
    spine_warning = next(i for i in kb.aftercare if i.id == "spine_emergency")
    for code in ["GV2"] + codes("GV", 3, 13):
        canal = [h for h in kb.acupoints[code].hazards if h.kind == "spinal_canal"]
        assert canal, code
        # Below the neck the warning that says "needling in your neck" must not fire.
        assert not any(t.matches_hazard(h) for h in canal for t in neck_warning.when), code
        assert any(t.matches_hazard(h) for h in canal for t in spine_warning.when), code


def test_abdominal_points_are_over_the_abdominal_organs_and_deep(kb):
    abdominal = [p for p in kb.acupoints.values() if p.region in ("upper_abdomen", "lower_abdomen")]
    assert len(abdominal) >= 45
    for point in abdominal:
        assert "organ" in kinds(kb, point.code), point.code
        assert point.depth in ("deep", "intermediate"), point.code
    # Only the two points under the xiphoid are needled obliquely (liver and heart); the rest go through the wall.
    assert {p.code for p in abdominal if p.depth == "intermediate"} == {"CV14", "CV15"}
    assert {"KI12", "KI13", "ST26", "ST27", "SP13", "GB27"} <= kb.groups["over_uterus"].members
    assert {p.code for p in abdominal} <= kb.groups["abdominal"].members


def test_points_beside_great_vessels_and_nerves(kb):
    expected = {
        "LU9": "radial artery",
        "LU8": "radial artery",
        "ST10": "carotid",
        "LI17": "carotid",
        "ST30": "femoral",
        "SP12": "femoral",
        "LR12": "femoral",
        "SP11": "femoral",
        "ST42": "dorsalis pedis",
        "PC3": "brachial",
        "HT2": "brachial",
        "BL55": "popliteal",
    }
    for code, words in expected.items():
        vessels = " ".join(h.structure for h in kb.acupoints[code].hazards if h.kind in ("artery", "vein"))
        assert words in vessels, (code, vessels)
    nerves = {
        "SI8": "ulnar",
        "BL38": "common fibular",
        "PC4": "median",
        "PC5": "median",
        "GB37": "superficial fibular",
        "SP12": "femoral",
    }
    for code, words in nerves.items():
        structures = " ".join(h.structure for h in kb.acupoints[code].hazards if h.kind == "nerve")
        assert words in structures, (code, structures)
    # KI12 lies half a cun from the midline above the pubis: over the bladder, far from the femoral vessels.
    assert "bladder" in " ".join(h.structure for h in kb.acupoints["KI12"].hazards if h.kind == "organ")
    assert not {"artery", "vein"} & kinds(kb, "KI12")


def test_sternal_points_carry_the_heart_or_great_vessels(kb):
    for code in codes("CV", 16, 21):
        assert {"organ", "artery"} & kinds(kb, code), code


# --- areas never needled ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ST17", "CV8"])
def test_nipple_and_umbilicus_are_never_needled(kb, code):
    point = kb.acupoints[code]
    assert point.never_needle is not None, code
    assert len(point.never_needle.note) > 40
    assert "asap_2018" in {ref.id for ref in point.never_needle.sources}
    side = "midline" if point.midline else "left"
    for modality in ("acupuncture", "dry_needling"):
        result = screen(kb, ScreeningInput(40, (), (PlannedTarget(code, side),), (modality,)))
        assert result.status_of(code, side).status == "blocked", (code, modality)


def test_only_the_nipple_and_umbilicus_are_never_needled(kb):
    assert {p.code for p in kb.acupoints.values() if p.never_needle} == {"ST17", "CV8"}
