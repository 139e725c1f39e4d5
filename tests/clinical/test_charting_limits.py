"""Plausibility limits of a charted needle, from the knowledge base, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from needlechart.clinical.charting import needle_problems


def test_a_plausible_needle_has_no_problem(kb):
    needle = {"gauge_mm": Decimal("0.25"), "length_mm": 40, "depth_mm": 25, "retention_minutes": 20}
    assert needle_problems(kb, needle) == {}
    assert needle_problems(kb, {}) == {}


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("depth_mm", 500, "Insertion depth 500 mm is outside"),
        ("retention_minutes", 500, "Retention time 500 min"),
        ("twitch_responses", 99, "Local twitch responses 99"),
        ("gauge_mm", Decimal("3"), "Needle gauge 3 mm"),
        ("es_frequency_hz", 5000, "Electrical stimulation frequency 5000 Hz"),
        ("es_intensity_ma", 80, "Electrical stimulation intensity 80 mA"),
    ],
)
def test_an_implausible_value_names_its_limit(kb, field, value, words):
    problems = needle_problems(kb, {field: value})
    assert set(problems) == {field} and words in problems[field]


def test_a_needle_never_goes_deeper_than_it_is_long(kb):
    problems = needle_problems(kb, {"length_mm": 30, "depth_mm": 45})
    assert "more than the needle's length (30 mm)" in problems["depth_mm"]
    assert needle_problems(kb, {"length_mm": 30, "depth_mm": 30}) == {}


def test_every_limit_cites_its_source(kb):
    assert kb.needle_limits
    for limit in kb.needle_limits.values():
        assert limit.sources and limit.min <= limit.max, limit.id


def test_a_depth_beyond_gb21s_safe_depth_is_refused_naming_it(kb):
    problems = needle_problems(kb, {"target": "GB21", "length_mm": 40, "depth_mm": 20})
    assert set(problems) == {"depth_mm"}
    assert "Insertion depth 20 mm is beyond GB21's recorded safe depth (14 mm)" in problems["depth_mm"]
    assert "pleura" in problems["depth_mm"]


def test_a_depth_within_gb21s_safe_depth_is_fine(kb):
    assert needle_problems(kb, {"target": "GB21", "length_mm": 40, "depth_mm": 10}) == {}
    assert needle_problems(kb, {"target": "GB21", "length_mm": 40, "depth_mm": Decimal("14")}) == {}


def test_a_muscle_with_a_safe_depth_is_checked_too(kb):
    problems = needle_problems(kb, {"target": "rhomboids", "length_mm": 40, "depth_mm": 25})
    assert set(problems) == {"depth_mm"} and "Rhomboids' recorded safe depth (19 mm)" in problems["depth_mm"]
    assert needle_problems(kb, {"target": "rhomboids", "length_mm": 40, "depth_mm": 15}) == {}


def test_a_target_without_a_safe_depth_keeps_only_the_plausibility_limits(kb):
    assert kb.muscles["gluteus_maximus"].max_depth_mm is None
    assert needle_problems(kb, {"target": "gluteus_maximus", "length_mm": 75, "depth_mm": 60}) == {}
    assert needle_problems(kb, {"depth_mm": 60, "length_mm": 75}) == {}  # target not known yet


def test_the_range_and_length_checks_come_first_one_problem_per_field(kb):
    beyond_length = needle_problems(kb, {"target": "GB21", "length_mm": 13, "depth_mm": 30})
    assert "more than the needle's length (13 mm)" in beyond_length["depth_mm"]
    out_of_range = needle_problems(kb, {"target": "GB21", "depth_mm": 500})
    assert "is outside 1-150 mm" in out_of_range["depth_mm"]


def test_an_implausible_depth_in_cun_is_refused(kb):
    problems = needle_problems(kb, {"target": "LI4", "depth_cun": 8})
    assert set(problems) == {"depth_cun"} and "Insertion depth 8 cun is outside 0.1-5 cun" in problems["depth_cun"]
    assert needle_problems(kb, {"target": "LI4", "depth_cun": Decimal("0.8")}) == {}
    assert kb.needle_limits["depth_cun"].min == pytest.approx(0.1)


def test_every_recorded_safe_depth_says_why_and_cites_its_source(kb):
    limited = [t for t in [*kb.muscles.values(), *kb.acupoints.values()] if t.max_depth_mm is not None]
    assert {"GB21", "GV16", "BL13", "rhomboids"} <= {t.id for t in limited}
    for target in limited:
        depth = target.max_depth_mm
        assert 0 < depth.value <= kb.needle_limits["depth"].max, target.id
        assert depth.note and depth.reason and len(depth.reason) < 160, target.id
        assert "measured" in depth.note.lower() or "derived" in depth.note.lower(), target.id
        assert depth.sources and all(ref.id in kb.sources for ref in depth.sources), target.id
