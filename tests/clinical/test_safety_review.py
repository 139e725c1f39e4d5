"""The clinical safety review, scenario by scenario: what a finding says is what the engine marks,
points for trained acupuncturists only are gated by modality, and suggestion ranks without misleading.

Each test names the bullet of the review it covers; each would fail on the engine before the review.
"""

from __future__ import annotations

import pytest

from needlechart.clinical.screening import (
    PlannedTarget,
    ReportedFinding,
    ScreeningInput,
    ScreeningInputError,
    screen,
    screening_input_from_dict,
)
from needlechart.clinical.suggestion import Pain, suggest
from tests.clinical import scenarios
from tests.clinical.scenarios import reasons, status


def run(kb, *findings, age=40, planned=(), modalities=("acupuncture",)):
    return scenarios.run(kb, *findings, age=age, planned=planned, modalities=modalities)


# --- 1. what a finding says is what the engine does ---------------------------------------------------


def test_pregnancy_cautions_abdomen_lumbosacral_uterus_and_electrical_stimulation(kb):
    r = run(
        kb,
        "pregnancy",
        planned=(("CV4", "midline"), ("BL32", "left"), ("rectus_abdominis", "left"), ("upper_trapezius", "left")),
        modalities=("acupuncture", "electrical_stimulation"),
    )
    assert status(r, "CV4") == "caution" and "abdomen" in reasons(r, "CV4").lower()
    assert status(r, "BL32", "left") == "caution" and "lumbosacral" in reasons(r, "BL32", "left").lower()
    assert status(r, "rectus_abdominis", "left") == "caution"
    assert status(r, "electrical_stimulation") == "caution"
    assert "strong electrical stimulation" in reasons(r, "electrical_stimulation").lower()
    assert status(r, "upper_trapezius", "left") == "ok"


def test_pregnancy_caution_says_what_to_change(kb):
    r = run(kb, "pregnancy", planned=(("LI4", "left"),))
    assert status(r, "LI4", "left") == "caution"
    text = reasons(r, "LI4", "left")
    assert "consent" in text.lower(), text


def test_deep_needling_over_the_uterus_is_its_own_caution(kb):
    deep_lower = [p for p in kb.acupoints.values() if p.region == "lower_abdomen" and p.depth == "deep"]
    assert deep_lower, "lower-abdominal points needled deep must say so in the data"
    point = deep_lower[0]
    side = "midline" if point.midline else "left"
    r = run(kb, "pregnancy", planned=((point.code, side),))
    assert "no deep needling over the uterus" in reasons(r, point.code, side).lower()


def test_lymphoedema_blocks_the_whole_quadrant_on_that_side_shoulder_included(kb):
    r = run(
        kb,
        ReportedFinding("lymphedema", "upper_arm_anterior", "right"),
        planned=(
            ("LI15", "right"),
            ("LI4", "right"),
            ("deltoid", "right"),
            ("infraspinatus", "right"),
            ("LI15", "left"),
            ("LI4", "left"),
        ),
    )
    for target in ("LI15", "LI4", "deltoid", "infraspinatus"):
        assert status(r, target, "right") == "blocked", target
    assert "quadrant" in reasons(r, "LI15", "right")
    assert status(r, "LI15", "left") == "ok" and status(r, "LI4", "left") == "ok"


def test_a_site_finding_on_both_sides_marks_both(kb):
    r = run(
        kb,
        ReportedFinding("local_skin_infection", "calf", "both"),
        planned=(("gastrocnemius", "left"), ("gastrocnemius", "right"), ("soleus", "left")),
    )
    assert status(r, "gastrocnemius", "left") == "blocked" and status(r, "gastrocnemius", "right") == "blocked"
    assert "left and right calf" in reasons(r, "gastrocnemius", "left")


def test_both_sides_is_only_for_site_findings(kb):
    with pytest.raises(ScreeningInputError, match="applies to the whole patient"):
        screen(kb, ScreeningInput(40, (ReportedFinding("pregnancy", "calf", "both"),)))
    with pytest.raises(ScreeningInputError, match="side 'both' is not valid for gastrocnemius"):
        screen(kb, ScreeningInput(40, planned=(PlannedTarget("gastrocnemius", "both"),)))
    data = screening_input_from_dict(kb, {"findings": [{"code": "lymphedema", "region": "calf", "side": "both"}]})
    assert data.findings[0].side == "both"


# --- 3. high-risk points and modality ------------------------------------------------------------------


RESTRICTED = ("BL1", "ST1", "CV22", "ST9", "LI18", "SI17")


@pytest.mark.parametrize("code", RESTRICTED)
def test_points_for_trained_acupuncturists_only_are_blocked_for_dry_needling(kb, code):
    point = kb.acupoints[code]
    side = "midline" if point.midline else "left"
    dn = run(kb, planned=((code, side),), modalities=("dry_needling",))
    assert status(dn, code, side) == "blocked" and "never for dry needling" in reasons(dn, code, side)
    acu = run(kb, planned=((code, side),), modalities=("acupuncture",))
    assert status(acu, code, side) == "caution"
    assert point.restricted.technique in reasons(acu, code, side)
    assert dn.verdict == "clear"  # the point, not the patient, is the problem


def test_dry_needling_never_suggests_them_and_acupuncture_ranks_them_below_safer_points(kb):
    dn = suggest(kb, [Pain("orbit", "left")], screening=ScreeningInput(40, (), (), ("dry_needling",)), top=50)
    assert not [p.id for p in dn.acupoints if kb.acupoints[p.id].restricted]
    acu = suggest(kb, [Pain("orbit", "left")], modality="acupuncture", top=50)
    ids = [p.id for p in acu.acupoints]
    assert "BL1" in ids
    for restricted in (p for p in acu.acupoints if kb.acupoints[p.id].restricted):
        safer_equal = [p for p in acu.acupoints if p.score == restricted.score and not kb.acupoints[p.id].restricted]
        for safer in safer_equal:
            assert ids.index(safer.id) < ids.index(restricted.id)
        assert restricted.status == "caution"


def test_midline_extra_points_are_one_point(kb):
    assert kb.acupoints["EX-HN3"].midline
    result = suggest(kb, [Pain("forehead", "left"), Pain("forehead", "right")], top=50)
    sides = {p.side for p in result.acupoints if p.id == "EX-HN3"}
    assert sides == {"midline"}
    with pytest.raises(ScreeningInputError):
        run(kb, planned=(("EX-HN3", "left"),))


# --- 4. suggestion: ranking that does not mislead ----------------------------------------------------


def test_sternocleidomastoid_reason_names_the_division(kb):
    result = suggest(kb, [Pain("forehead", "midline")], top=40)
    scm = next(m for m in result.muscles if m.id == "sternocleidomastoid")
    assert "clavicular division" in scm.reason
    result = suggest(kb, [Pain("vertex", "midline")], top=40)
    scm = next(m for m in result.muscles if m.id == "sternocleidomastoid")
    assert "sternal division" in scm.reason and "clavicular" not in scm.reason


def test_digastric_posterior_belly_is_ipsilateral_and_only_the_incisor_zone_crosses(kb):
    neck = suggest(kb, [Pain("lateral_neck", "left")], top=60)
    assert {m.side for m in neck.muscles if m.id == "digastric"} == {"left"}
    teeth = suggest(kb, [Pain("teeth", "left")], top=60)
    assert {m.side for m in teeth.muscles if m.id == "digastric"} == {"left", "right"}


@pytest.mark.parametrize("region", ["posterior_neck", "interscapular", "thoracic_back", "lumbar", "sacroiliac"])
def test_spine_regions_take_central_pain(kb, region):
    assert "midline" in kb.regions[region].sides
    result = suggest(kb, [Pain(region, "midline")], top=20)
    assert result.muscles


def test_pain_on_both_sides_of_the_low_back_counts_once_for_a_midline_point_and_a_crossing_muscle(kb):
    one = suggest(kb, [Pain("lumbar", "left")], top=200)
    both = suggest(kb, [Pain("lumbar", "left"), Pain("lumbar", "right")], top=200)
    central = suggest(kb, [Pain("lumbar", "midline")], top=200)

    def score(result, ident, side):
        return next(s.score for s in (*result.muscles, *result.acupoints) if s.id == ident and s.side == side)

    midline_point = next(p for p in one.acupoints if p.side == "midline" and p.role == "local")
    assert score(both, midline_point.id, "midline") == score(one, midline_point.id, "midline")
    assert score(central, midline_point.id, "midline") == score(one, midline_point.id, "midline")
    assert score(both, "rectus_abdominis", "left") == score(one, "rectus_abdominis", "left")


def test_ties_are_broken_by_clinical_weight_and_the_reason_says_so(kb):
    """Among equal scores, a muscle recorded as a common source of pain in the region ranks first."""
    checked = 0
    for region in kb.regions.values():
        result = suggest(kb, [Pain(region.id, "left")], top=200)
        for items in (result.muscles, result.acupoints):
            if len(items) > 1 and items[0].score == items[1].score:
                first, second = kb.target(items[0].id), kb.target(items[1].id)
                a = first.prevalence is not None and region.id in first.prevalence.regions
                b = second.prevalence is not None and region.id in second.prevalence.regions
                if a != b:
                    checked += 1
                    assert a, (region.id, items[0].id, items[1].id)
                    assert "ranks above" in items[0].reason
                    assert "commonest sources of pain" in items[0].reason or "most used points" in items[0].reason
    assert checked, "no region had a tie broken by prevalence: the data records none"


def test_ties_never_fall_back_to_the_alphabet(kb):
    """Two equally scored muscles with no clinical difference keep the knowledge base's order."""
    order = {m: i for i, m in enumerate(kb.muscles)}
    for region in kb.regions.values():
        items = suggest(kb, [Pain(region.id, "left")], top=200).muscles
        for a, b in zip(items, items[1:], strict=False):
            same = a.score == b.score and len(a.primary) == len(b.primary)
            pa, pb = (kb.muscles[x.id].prevalence for x in (a, b))
            if same and pa is None and pb is None:
                assert order[a.id] < order[b.id] or a.id == b.id, (region.id, a.id, b.id)


def test_the_reason_names_where_the_pain_was_drawn(kb):
    """Central pain is 'central'; pain a muscle explains across the midline keeps the side it was drawn."""
    central = suggest(kb, [Pain("lumbar", "midline")], top=40)
    assert all("left low back" not in m.reason and "right low back" not in m.reason for m in central.muscles)
    assert any("central low back" in m.reason for m in central.muscles)
    crossing = suggest(kb, [Pain("lumbar", "right")], top=200)
    left_rectus = next(m for m in crossing.muscles if m.id == "rectus_abdominis" and m.side == "left")
    assert "refer pain to the right low back" in left_rectus.reason


def test_a_safer_point_of_equal_score_says_why_it_ranks_first(kb):
    acu = suggest(kb, [Pain("orbit", "left")], modality="acupuncture", top=10)
    first = acu.acupoints[0]
    assert not kb.acupoints[first.id].restricted
    assert "is for trained acupuncturists only" in first.reason and first.reason.count(". ") == 0


def test_a_midline_point_is_not_placed_on_one_side(kb):
    result = suggest(kb, [Pain("posterior_neck", "left")], top=40)
    gv14 = next(p for p in result.acupoints if p.id == "GV14")
    assert gv14.side == "midline" and "left" not in gv14.reason.lower()
