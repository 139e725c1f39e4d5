"""Every ID the product promises is in the knowledge base, and the content rules hold."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REGIONS = [
    "vertex",
    "forehead",
    "temple",
    "orbit",
    "cheek",
    "jaw",
    "teeth",
    "ear",
    "occiput",
    "anterior_neck",
    "lateral_neck",
    "posterior_neck",
    "shoulder_top",
    "anterior_shoulder",
    "lateral_shoulder",
    "posterior_shoulder",
    "upper_arm_anterior",
    "upper_arm_posterior",
    "upper_arm_medial",
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
    "chest",
    "sternum",
    "lateral_chest",
    "upper_abdomen",
    "lower_abdomen",
    "groin",
    "scapula",
    "interscapular",
    "thoracic_back",
    "lumbar",
    "sacroiliac",
    "buttock",
    "coccyx",
    "lateral_hip",
    "thigh_anterior",
    "thigh_lateral",
    "thigh_medial",
    "thigh_posterior",
    "knee_anterior",
    "knee_medial",
    "knee_lateral",
    "knee_posterior",
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
]
# The head and sternum regions, and the spine from the back of the neck to the coccyx (central pain).
MIDLINE_REGIONS = {
    "vertex",
    "forehead",
    "occiput",
    "sternum",
    "posterior_neck",
    "interscapular",
    "thoracic_back",
    "lumbar",
    "sacroiliac",
    "coccyx",
}
MUSCLES = [
    "upper_trapezius",
    "middle_trapezius",
    "lower_trapezius",
    "levator_scapulae",
    "sternocleidomastoid",
    "scalenes",
    "splenius_capitis",
    "splenius_cervicis",
    "semispinalis_capitis",
    "suboccipitals",
    "temporalis",
    "masseter",
    "lateral_pterygoid",
    "medial_pterygoid",
    "digastric",
    "supraspinatus",
    "infraspinatus",
    "teres_minor",
    "teres_major",
    "subscapularis",
    "deltoid",
    "pectoralis_major",
    "pectoralis_minor",
    "coracobrachialis",
    "latissimus_dorsi",
    "rhomboids",
    "serratus_anterior",
    "serratus_posterior_superior",
    "biceps_brachii",
    "triceps_brachii",
    "brachialis",
    "brachioradialis",
    "extensor_carpi_radialis_longus",
    "extensor_carpi_radialis_brevis",
    "extensor_digitorum",
    "extensor_indicis",
    "supinator",
    "pronator_teres",
    "flexor_carpi_radialis",
    "flexor_digitorum_superficialis",
    "adductor_pollicis",
    "opponens_pollicis",
    "first_dorsal_interosseous",
    "iliocostalis",
    "multifidus",
    "quadratus_lumborum",
    "iliopsoas",
    "rectus_abdominis",
    "gluteus_maximus",
    "gluteus_medius",
    "gluteus_minimus",
    "piriformis",
    "tensor_fasciae_latae",
    "rectus_femoris",
    "vastus_medialis",
    "vastus_lateralis",
    "adductor_longus",
    "pectineus",
    "adductor_magnus",
    "gracilis",
    "sartorius",
    "biceps_femoris",
    "semitendinosus",
    "gastrocnemius",
    "soleus",
    "tibialis_anterior",
    "tibialis_posterior",
    "flexor_hallucis_longus",
    "fibularis_longus",
    "fibularis_tertius",
    "extensor_digitorum_longus",
    "extensor_hallucis_longus",
    "popliteus",
    "abductor_hallucis",
    "quadratus_plantae",
    "flexor_digitorum_brevis",
]
CONDITIONS = [
    "tension_type_headache",
    "temporomandibular_disorder",
    "neck_pain",
    "shoulder_impingement",
    "lateral_epicondylalgia",
    "carpal_tunnel_syndrome",
    "thoracic_back_pain",
    "low_back_pain",
    "hip_pain",
    "knee_pain",
    "plantar_heel_pain",
    "achilles_tendinopathy",
    "calf_cramps",
    "myofascial_pain_syndrome",
    "fibromyalgia",
]
RED_FLAGS = [
    "saddle_anesthesia",
    "bladder_bowel_dysfunction",
    "progressive_neurological_deficit",
    "unexplained_weight_loss",
    "cancer_history",
    "night_pain",
    "fever",
    "major_trauma",
    "cervical_arterial_signs",
    "sudden_severe_headache",
    "dvt_signs",
    "chest_pain_dyspnea",
]
CONTRAINDICATIONS = [
    "needle_phobia",
    "unable_to_consent",
    "consent_refused",
    "medical_emergency",
    "lymphedema",
    "local_skin_infection",
]
PRECAUTIONS = [
    "anticoagulant_therapy",
    "bleeding_disorder",
    "pregnancy",
    "immunocompromised",
    "epilepsy",
    "diabetes",
    "vascular_disease",
    "metal_allergy",
    "pacemaker",
    "recent_surgery",
    "lymph_node_removal",
    "minor",
]
PREGNANCY_POINTS = ["LI4", "SP6", "BL60", "BL67", "GB21", "BL31", "BL32", "BL33", "BL34"]
INSTRUMENTS = ["nprs", "vas", "ppt", "psfs", "groc", "ndi", "odi", "lefs", "quickdash"]
# Slips in the shared table, corrected to the WHO 2008 pinyin: code -> (ours, the table's).
PINYIN_CORRECTIONS = {
    "ST1": ("Chengqi", "Cheng Qi"),
    "ST2": ("Sibai", "Si Bai"),
    "ST31": ("Biguan", "Diguan"),
    "SP9": ("Yinlingquan", "Yinlingqnan"),
    "BL32": ("Ciliao", "Chiliao"),
    "KI23": ("Shenfeng", "Shengfeng"),
    "TE18": ("Chimai", "Chimai, Qimai"),
    "GV26": ("Shuigou", "Shuigou, Renzhong"),
    "CV17": ("Danzhong", "Tanzhong"),
}
# A copy of the project's shared table of the 361 standard codes (TARA acupoint ontology, MIT).
SHARED_CSV = Path(__file__).parent / "fixtures" / "acupoint-names.csv"


def test_every_region(kb):
    assert set(REGIONS) <= set(kb.regions)
    for region in kb.regions.values():
        assert region.midline == (region.id in MIDLINE_REGIONS), region.id
        assert set(region.choir) == {"left", "right"}
        assert all(k[0] in "fb" and k[1:].isdigit() and len(k) == 3 for k in region.choir.values()), region.id


def test_every_muscle_is_complete(kb):
    assert set(MUSCLES) <= set(kb.muscles)
    for m in kb.muscles.values():
        assert m.primary, m.id
        assert m.position and m.needling and m.sources, m.id


def test_synonyms_clinicians_use(kb):
    from needlechart.knowledge import resolve

    assert resolve(kb, "muscle", "Peroneus longus") == "fibularis_longus"
    assert resolve(kb, "muscle", "SCM") == "sternocleidomastoid"
    assert resolve(kb, "muscle", "TFL") == "tensor_fasciae_latae"
    assert resolve(kb, "acupoint", "li 4") == "LI4"
    assert resolve(kb, "acupoint", "Hegu") == "LI4"
    assert resolve(kb, "region", "Low back") == "lumbar"


def test_hazards_of_thorax_and_neck_muscles(kb):
    def kinds(m):
        return {h.kind for h in kb.muscles[m].hazards}

    for m in (
        "upper_trapezius",
        "scalenes",
        "rhomboids",
        "middle_trapezius",
        "serratus_anterior",
        "pectoralis_minor",
    ):
        assert "lung" in kinds(m), m
    assert {"artery", "vein"} <= kinds("sternocleidomastoid")
    assert "nerve" in kinds("piriformis") and "nerve" in kinds("fibularis_longus") and "nerve" in kinds("supinator")
    assert "organ" in kinds("quadratus_lumborum")
    assert not kb.muscles["iliopsoas"].compressible and not kb.muscles["tibialis_posterior"].compressible


def test_all_361_standard_acupoints(kb):
    with SHARED_CSV.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 361
    for row in rows:
        point = kb.acupoints[row["code"]]
        expected = PINYIN_CORRECTIONS.get(row["code"], (row["pinyin"].strip(), ""))
        if row["code"] in PINYIN_CORRECTIONS:
            assert row["pinyin"].strip() == expected[1], f"the shared table changed for {row['code']}"
            expected = (expected[0], "")
        assert point.pinyin.lower() == expected[0].lower(), row["code"]
    standard = [p for p in kb.acupoints.values() if p.meridian != "EX"]
    assert len(standard) == 361


def test_detailed_acupoints(kb):
    detailed = [p for p in kb.acupoints.values() if p.detailed]
    assert len(detailed) >= 80
    for p in detailed:
        assert p.english and p.location and p.needling, p.code
    for code in PREGNANCY_POINTS:
        assert kb.acupoints[code].pregnancy_caution, code
    for code in ("GB21", "LU1", "CV22", "LI18", "SI17", "GV15", "GV16"):
        assert kb.acupoints[code].hazards, code
    assert kb.acupoints["GV14"].midline and not kb.acupoints["GB20"].midline


def test_conditions(kb):
    assert set(CONDITIONS) <= set(kb.conditions)
    for c in kb.conditions.values():
        assert c.icd10 and c.muscles and c.instruments and c.complementary, c.id
        assert c.local_acupoints or c.distal_acupoints, c.id
        assert all(code.code[0].isalpha() and "." in code.code or len(code.code) == 3 for code in c.icd10), c.id


def test_findings(kb):
    for ids, kind in (
        (RED_FLAGS, "red_flag"),
        (CONTRAINDICATIONS, "contraindication"),
        (PRECAUTIONS, "precaution"),
    ):
        for ident in ids:
            assert kb.findings[ident].kind == kind, ident
    assert kb.findings["cancer_history"].counts_when is not None
    assert kb.findings["lymphedema"].scope == "site"
    assert [(r.status, r.modality) for r in kb.findings["pacemaker"].rules] == [("blocked", "electrical_stimulation")]


def test_exercises_cover_every_kind_and_condition(kb):
    assert {e.kind for e in kb.exercises.values()} == {"stretch", "strengthen", "posture", "mobility"}
    for c in kb.conditions.values():
        assert c.exercises, c.id


def test_instruments(kb):
    assert set(INSTRUMENTS) <= set(kb.instruments)


@pytest.mark.parametrize("table", ["regions", "muscles", "acupoints", "conditions", "findings", "exercises", "billing"])
def test_every_entry_cites_a_known_source(kb, table):
    for entry in getattr(kb, table).values():
        assert entry.sources
        assert all(ref.id in kb.sources for ref in entry.sources)
