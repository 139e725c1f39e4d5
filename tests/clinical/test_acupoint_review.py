"""The acupoint safety review (issue 6, section 3, and the point data sections 1 and 4 rely on).

Data: points for trained acupuncturists only carry a restriction with its reason and technique; the
caution points carry their hazards with the depth facts; midline, joint, depth, knee distal points
and prevalence are recorded. Behaviour: screening and suggestion gate the orbital points by modality.
Each data test fails on the knowledge base as it was before the review.
"""

from __future__ import annotations

import pytest

from needlechart.clinical.screening import PlannedTarget, ScreeningInput, screen
from needlechart.clinical.suggestion import Pain, suggest

RESTRICTED = {
    "BL1": "orbit",
    "ST1": "orbit",
    "EX-HN7": "orbit",
    "CV22": "suprasternal_notch",
    "ST9": "carotid_sinus",
    "LI18": "great_vessels",
    "SI17": "great_vessels",
    "SI16": "great_vessels",
    "ST11": "great_vessels",
    "ST12": "lung_apex",
    "GV15": "brainstem",
    "GV16": "brainstem",
    "HT1": "nerve_trunk",
}
ORBIT = ("BL1", "ST1", "EX-HN7")

# Caution points of the addendum's table: never restricted, but each carries these hazard kinds, and
# the note of the first kind listed names the depth fact (a substring of it).
CAUTION_HAZARDS = {
    "GB21": (("lung",), "17.4 mm"),
    "LU1": (("lung",), "oblique"),
    "LU2": (("lung",), ""),
    "KI27": (("lung",), "perpendicular"),
    "CV17": (("organ",), "13.8%"),
    "SI11": (("lung", "nerve"), "scapular foramen"),
    "BL11": (("lung",), "3.7 cm"),
    "BL12": (("lung",), "3.7 cm"),
    "BL13": (("lung",), "3.7 cm"),
    "BL14": (("lung",), "3.7 cm"),
    "BL15": (("lung",), "3.7 cm"),
    "BL16": (("lung",), "3.7 cm"),
    "BL17": (("lung",), "70%"),
    "BL43": (("lung",), "3.7 cm"),
    "GB20": (("artery", "spinal_canal"), "5 cm"),
    "GV14": (("spinal_canal",), "42 mm"),
    "SI14": (("lung",), "42 mm"),
    "PC6": (("nerve",), "pierced it in 14"),
    "GB30": (("nerve",), ""),
    "ST21": (("organ",), "gallbladder"),
    "BL52": (("organ",), "kidney"),
}
KNEE_REGIONS = ("knee_anterior", "knee_medial", "knee_lateral", "knee_posterior")
ABDOMINAL_CV = [f"CV{n}" for n in range(2, 15) if n != 8]  # CV8 is the umbilicus: never needled


def screen_one(kb, code, side, modality):
    return screen(kb, ScreeningInput(40, (), (PlannedTarget(code, side),), (modality,))).status_of(code, side)


# --- data: restrictions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "reason"), sorted(RESTRICTED.items()))
def test_point_for_trained_acupuncturists_only_has_reason_note_technique_and_sources(kb, code, reason):
    point = kb.acupoints[code]
    restriction = point.restricted
    assert restriction is not None, code
    assert restriction.reason == reason
    assert len(restriction.note) > 40 and len(restriction.technique) > 40
    assert restriction.sources and all(ref.id in kb.sources for ref in restriction.sources)
    assert point.detailed and point.hazards, code


def test_qiuhou_is_an_orbital_extra_point(kb):
    point = kb.acupoints["EX-HN7"]
    assert (point.meridian, point.pinyin, point.region) == ("EX", "Qiuhou", "orbit")
    assert point.english and point.location and point.needling
    assert not point.midline


def test_orbital_technique_is_the_slow_unmanipulated_insertion(kb):
    for code in ORBIT:
        technique = kb.acupoints[code].restricted.technique.lower()
        assert "slowly" in technique and "lifting" in technique and "twisting" in technique, code
        assert "press" in technique, code


@pytest.mark.parametrize("code", sorted(CAUTION_HAZARDS))
def test_caution_points_are_not_restricted_but_carry_their_hazards(kb, code):
    point = kb.acupoints[code]
    kinds, fact = CAUTION_HAZARDS[code]
    assert point.restricted is None, code
    by_kind = {}
    for hazard in point.hazards:
        by_kind.setdefault(hazard.kind, hazard)
    assert set(kinds) <= set(by_kind), (code, sorted(by_kind))
    if fact:
        notes = " ".join(h.note for h in point.hazards if h.kind == kinds[0])
        assert fact in notes, (code, notes)


def test_new_pleural_points_join_the_lung_field(kb):
    lung_field = kb.groups["lung_field"].members
    for code in ("ST11", "ST12", "KI27"):
        assert code in lung_field, code


# --- data: midline, joint, depth, distal, prevalence -------------------------------------------------


def test_yintang_is_the_only_midline_extra_point(kb):
    assert kb.acupoints["EX-HN3"].midline is True
    extra = [p for p in kb.acupoints.values() if p.meridian == "EX"]
    assert {p.code for p in extra if p.midline} == {"EX-HN3"}


def test_knee_eyes_enter_the_knee_joint(kb):
    assert kb.acupoints["ST35"].joint == "knee"
    assert kb.acupoints["EX-LE4"].joint == "knee"
    into_joint = kb.groups["into_joint"].members
    assert {"ST35", "EX-LE4"} <= into_joint
    assert {p.code for p in kb.acupoints.values() if p.joint} <= into_joint


def test_points_needled_into_other_joints(kb):
    expected = {"LI15": "shoulder", "TE14": "shoulder", "SI19": "temporomandibular", "ST41": "ankle"}
    for code, joint in expected.items():
        assert kb.acupoints[code].joint == joint, code
    assert not kb.acupoints["GB30"].joint  # the hip is not entered by standard needling


def test_abdominal_points_say_how_deep_they_are_needled(kb):
    for code in ABDOMINAL_CV:
        assert kb.acupoints[code].depth, code
    assert kb.acupoints["CV8"].never_needle  # the umbilicus is never needled, so never suggested
    abdominal = [p for p in kb.acupoints.values() if p.region in ("upper_abdomen", "lower_abdomen")]
    assert {p.meridian for p in abdominal} >= {"CV", "ST"}
    for point in abdominal:
        assert point.depth, point.code
    lower = [p for p in abdominal if p.region == "lower_abdomen"]
    assert len(lower) >= 6
    assert all(p.depth == "deep" for p in lower), [p.code for p in lower if p.depth != "deep"]


def test_deep_points_over_the_uterus_are_selectable(kb):
    over_uterus = kb.groups["over_uterus"].members
    deep = {code for code in over_uterus if code in kb.acupoints and kb.acupoints[code].depth == "deep"}
    assert {"CV3", "CV4", "CV6", "ST28", "ST29"} <= deep


def test_every_knee_region_has_a_distal_point(kb):
    for region in KNEE_REGIONS:
        distal = [p.code for p in kb.acupoints.values() if region in p.distal_for]
        assert distal, region
        assert all(kb.acupoints[c].region not in KNEE_REGIONS for c in distal), (region, distal)


def test_most_used_points_carry_their_clinical_weight(kb):
    def prevalence(code):
        p = kb.acupoints[code].prevalence
        assert p is not None, code
        return set(p.regions), {ref.id for ref in p.sources}

    for code in ("SP6", "ST36", "LI4", "LR3"):
        assert "acupunct_med_2020_points" in prevalence(code)[1], code
    for code in ("GB20", "GV20", "EX-HN5", "LI4", "LR3"):
        regions, sources = prevalence(code)
        assert "lu_2021_tth" in sources and {"temple", "forehead"} & regions, code
    for code in ("GB20", "GB21", "BL10", "SI3"):
        assert "posterior_neck" in prevalence(code)[0], code
    for code in ("BL23", "BL25", "BL40"):
        assert "lumbar" in prevalence(code)[0], code


# --- behaviour: screening and suggestion ----------------------------------------------------------------


def test_orbital_point_is_blocked_for_dry_needling_naming_the_orbit(kb):
    status = screen_one(kb, "BL1", "left", "dry_needling")
    assert status.status == "blocked"
    assert "orbit" in " ".join(status.reasons)


def test_orbital_point_is_a_caution_for_acupuncture_with_the_technique(kb):
    status = screen_one(kb, "BL1", "left", "acupuncture")
    assert status.status == "caution"
    assert kb.acupoints["BL1"].restricted.technique in " ".join(status.reasons)


@pytest.mark.parametrize("code", sorted(RESTRICTED))
def test_every_restricted_point_is_gated_by_modality(kb, code):
    side = "midline" if kb.acupoints[code].midline else "left"
    assert screen_one(kb, code, side, "dry_needling").status == "blocked"
    assert screen_one(kb, code, side, "acupuncture").status == "caution"


def test_dry_needling_never_suggests_the_orbital_points(kb):
    result = suggest(kb, [Pain("orbit", "left")], screening=ScreeningInput(40, (), (), ("dry_needling",)), top=200)
    suggested = {p.id for p in result.acupoints}
    assert suggested, "the orbit should still get safer suggestions"
    assert not suggested & set(ORBIT)


def test_acupuncture_ranks_orbital_points_below_an_equally_scored_safer_point(kb):
    result = suggest(kb, [Pain("orbit", "left")], screening=ScreeningInput(40, (), (), ("acupuncture",)), top=200)
    ids = [p.id for p in result.acupoints]
    by_id = {p.id: p for p in result.acupoints}
    for code in ORBIT:
        assert code in by_id, code
        restricted = by_id[code]
        assert restricted.status == "caution"
        safer = [p for p in result.acupoints if p.score == restricted.score and not kb.acupoints[p.id].restricted]
        assert safer, code  # BL2 lies in the orbit too and scores the same
        assert all(ids.index(p.id) < ids.index(code) for p in safer), (code, ids)
