"""Second review round of the data: clinical weight for ties in common regions, the carotid warning,
and urgent aftercare a patient can read (sources in the data files and data/sources/review_round2.yaml)."""

from __future__ import annotations

import re

import pytest

from needlechart.clinical.aftercare import build_aftercare
from needlechart.clinical.suggestion import Pain, suggest

# --------------------------------------------------------------------------------------------------
# Prevalence: each common region has a clinical weight, and only a few muscles carry it
# --------------------------------------------------------------------------------------------------

REGIONS = [
    "interscapular",
    "thoracic_back",
    "scapula",
    "chest",
    "posterior_shoulder",
    "lateral_shoulder",
    "upper_arm_anterior",
    "upper_arm_posterior",
    "forearm_dorsal",
    "calf",
    "shin",
    "coccyx",
    "thigh_anterior",
    "thigh_posterior",
    "buttock",
    "groin",
    "achilles",
    "knee_anterior",
    "knee_medial",
    "knee_posterior",
]


def common_in(kb, region):
    return [m.id for m in kb.muscles.values() if m.prevalence and region in m.prevalence.regions]


@pytest.mark.parametrize("region", REGIONS)
def test_region_has_a_clinical_weight_that_few_muscles_carry(kb, region):
    common = common_in(kb, region)
    # One at least, so a tie there does not fall back to file order; three at most, or the weight
    # breaks no tie.
    assert 1 <= len(common) <= 3, (region, common)
    for muscle in common:
        prevalence = kb.muscles[muscle].prevalence
        assert prevalence.sources and all(ref.locator for ref in prevalence.sources), muscle


def test_no_region_has_more_than_three_common_muscles(kb):
    for region in kb.regions:
        assert len(common_in(kb, region)) <= 3, (region, common_in(kb, region))


def test_the_shoulder_weights_rest_on_prevalence_studies(kb):
    # The outer shoulder and the back of the forearm rest on studies, not only on the manual.
    cited = {
        m: {ref.id for ref in kb.muscles[m].prevalence.sources}
        for m in ("supraspinatus", "infraspinatus", "extensor_carpi_radialis_brevis")
    }
    assert "hidalgo_lozano_2010" in cited["supraspinatus"]
    assert {"bron_2011", "hidalgo_lozano_2010"} <= cited["infraspinatus"]
    assert "fernandez_carnero_2007" in cited["extensor_carpi_radialis_brevis"]


@pytest.mark.parametrize("region", ["interscapular", "calf", "lateral_shoulder"])
def test_a_tie_at_the_top_goes_to_a_common_source(kb, region):
    muscles = suggest(kb, [Pain(region, "left")], top=40).muscles
    first, rest = muscles[0], muscles[1:]
    tied = [s for s in rest if s.score == first.score]
    assert tied, f"no tie at the top for {region}: the test no longer checks anything"
    assert first.id in common_in(kb, region), [(s.id, s.score) for s in muscles[:5]]


@pytest.mark.parametrize(
    "region, first",
    [
        ("thoracic_back", {"iliocostalis", "multifidus"}),  # file order put latissimus dorsi first
        ("scapula", {"serratus_posterior_superior"}),  # ... latissimus dorsi
        ("chest", {"pectoralis_major", "pectoralis_minor"}),  # ... scalenes
        ("posterior_shoulder", {"deltoid", "subscapularis"}),  # ... teres minor
        ("calf", {"gastrocnemius", "soleus"}),  # ... gluteus minimus
        ("groin", {"adductor_longus", "iliopsoas"}),  # ... pectineus came between them
    ],
)
def test_the_weighted_muscles_lead_their_region(kb, region, first):
    muscles = suggest(kb, [Pain(region, "right")], top=40).muscles
    assert {s.id for s in muscles[: len(first)]} == first, [(s.id, s.score) for s in muscles[:6]]


def test_a_weighted_tie_names_its_source(kb):
    first = suggest(kb, [Pain("lateral_shoulder", "left")], top=5).muscles[0]
    assert first.id == "supraspinatus"
    assert "commonest sources of pain" in first.reason and "Hidalgo" in first.reason


# --------------------------------------------------------------------------------------------------
# The carotid warning
# --------------------------------------------------------------------------------------------------


def urgent_ids(kb, target, side="left"):
    return {i.id for i in build_aftercare(kb, ["dry_needling"], [(target, side)]).urgent}


@pytest.mark.parametrize("target", ["sternocleidomastoid", "ST9", "LI18", "SI16", "SI17"])
def test_targets_beside_the_carotid_bring_the_stroke_warning(kb, target):
    assert "carotid_stroke_warning" in urgent_ids(kb, target)


@pytest.mark.parametrize("target", ["gastrocnemius", "medial_pterygoid", "upper_trapezius", "LI4"])
def test_other_targets_do_not(kb, target):
    assert "carotid_stroke_warning" not in urgent_ids(kb, target)


def test_the_stroke_warning_says_what_to_do_in_plain_words(kb):
    item = next(i for i in kb.aftercare if i.id == "carotid_stroke_warning")
    text = item.text.lower()
    assert item.urgent and text.startswith("call emergency services")
    for sign in ("face droops", "arm or leg", "speak", "sight", "dizzy", "stroke"):
        assert sign in text, sign
    assert "needling in your neck" in text
    assert {"nhs_stroke_symptoms", "rushton_2023"} <= {ref.id for ref in item.sources}


def test_the_stroke_warning_fires_only_for_neck_targets(kb):
    # Its text says "needling in your neck": true only if every target that fires it is in the neck.
    item = next(i for i in kb.aftercare if i.id == "carotid_stroke_warning")
    targets = [*kb.muscles.values(), *kb.acupoints.values()]
    firing = {t.id for t in targets for h in t.hazards if any(w.matches_hazard(h) for w in item.when)}
    assert {"sternocleidomastoid", "ST9"} <= firing and firing <= kb.groups["neck"].members, sorted(firing)


# --------------------------------------------------------------------------------------------------
# Urgent aftercare a patient can read
# --------------------------------------------------------------------------------------------------

# Words a patient at about twelve would not know; each urgent item says these in everyday words.
JARGON = (
    "abdomen",
    "abdominal",
    "flank",
    "haematoma",
    "hematoma",
    "haemorrhage",
    "hemorrhage",
    "pneumothorax",
    "pleura",
    "pleural",
    "pleuritic",
    "peritoneum",
    "peritoneal",
    "ipsilateral",
    "bilateral",
    "neurological",
    "dyspnoea",
    "dyspnea",
    "cauda equina",
    "perianal",
    "saddle",
    "incontinence",
    "urinate",
    "urinary",
    "retention",
    "thrombolysis",
    "carotid",
    "vertebral",
    "cardiac",
    "palpitations",
    "syncope",
    "orbit",
    "orbital",
    "ischaemia",
    "ischemia",
    "paraesthesia",
    "paresthesia",
)
MAX_WORDS = 20


def urgent_items(kb):
    items = [i for i in kb.aftercare if i.urgent]
    assert len(items) >= 10
    return items


def test_every_urgent_sentence_is_short(kb):
    long = [
        (item.id, len(sentence.split()), sentence)
        for item in urgent_items(kb)
        for sentence in item.text.split(". ")
        if len(sentence.split()) > MAX_WORDS
    ]
    assert not long, long


def test_no_urgent_item_uses_clinical_jargon(kb):
    found = [
        (item.id, word)
        for item in urgent_items(kb)
        for word in JARGON
        if re.search(rf"\b{re.escape(word)}\b", item.text, re.IGNORECASE)
    ]
    assert not found, found


def test_urgent_items_put_the_action_first_and_name_no_country_number(kb):
    actions = ("call ", "go to ", "get medical ")
    for item in urgent_items(kb):
        assert item.text.lower().startswith(actions), item.id
        assert not re.search(r"\b(999|911|112|000|a&e)\b", item.text, re.IGNORECASE), item.id


def test_the_lung_warning_covers_every_place_a_lung_hazard_lies(kb):
    lung = next(i for i in kb.aftercare if i.id == "thorax_breathlessness")
    text = lung.text.lower()
    # Chest, upper back and the lower ribs at the back ("back"), shoulder, base of the neck.
    for place in ("chest", "back", "shoulder", "base of the neck"):
        assert place in text, place
    assert "chest wall" not in text and "short of breath" in text and "two days" in text
