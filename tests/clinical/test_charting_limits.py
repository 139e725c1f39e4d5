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
