"""The one pain-location rule: region (ID, name or synonym), side for that region, 0-10 intensity.

Plain pytest, no database: the knowledge base is loaded directly."""

from __future__ import annotations

import pytest

from needlechart.clinical import suggestion
from needlechart.clinical.locations import (
    Pain,
    PainInputError,
    drawing_pains,
    parse_intensity,
    parse_pain,
    parse_pain_drawing,
    parse_pain_text,
)
from needlechart.knowledge import load


@pytest.fixture(scope="module")
def kb():
    return load()


def error(call, *args, **kwargs) -> PainInputError:
    with pytest.raises(PainInputError) as caught:
        call(*args, **kwargs)
    return caught.value


# ------------------------------------------------------------------------------ parse_pain


def test_a_valid_location_is_a_pain(kb):
    assert parse_pain(kb, "temple", "left") == Pain("temple", "left")
    assert parse_pain(kb, "lumbar", "right", 6) == Pain("lumbar", "right", 6)


def test_pain_is_the_same_class_suggestion_exports():
    assert suggestion.Pain is Pain


def test_region_names_and_synonyms_resolve_to_the_id(kb):
    assert parse_pain(kb, "Low back", "left").region == "lumbar"
    assert parse_pain(kb, "TMJ", "right").region == "jaw"
    assert parse_pain(kb, "back of the hand", "right").region == "hand_dorsal"


def test_without_resolving_only_exact_ids_are_regions(kb):
    assert parse_pain(kb, "lumbar", "left", resolve_names=False).region == "lumbar"
    exc = error(parse_pain, kb, "Low back", "left", resolve_names=False)
    assert str(exc).startswith("unknown region 'Low back'; closest: ") and "lumbar" in exc.choices


def test_unknown_region_names_the_closest(kb):
    exc = error(parse_pain, kb, "templ", "left")
    assert str(exc).startswith("unknown region 'templ'; closest: temple")
    assert exc.field == "region" and exc.choices[0] == "temple"


@pytest.mark.parametrize("region", ["", "   ", 5, None])
def test_a_missing_or_non_text_region_is_refused(kb, region):
    exc = error(parse_pain, kb, region, "left")
    assert exc.field == "region" and "e.g. temple" in str(exc)


def test_side_is_trimmed_and_lower_cased(kb):
    assert parse_pain(kb, "temple", "  LEFT ").side == "left"


def test_bad_side_lists_the_allowed_sides(kb):
    exc = error(parse_pain, kb, "temple", "up")
    assert str(exc) == "side 'up' is not valid for temple; use left or right"
    assert exc.field == "side" and exc.choices == ("left", "right")


def test_bad_side_names_the_closest_when_there_is_one(kb):
    assert str(error(parse_pain, kb, "temple", "lfet")).endswith("use left or right (closest: left)")


def test_midline_is_a_side_of_midline_regions_only(kb):
    assert parse_pain(kb, "lumbar", "midline") == Pain("lumbar", "midline")
    assert parse_pain(kb, "sternum", "Midline").side == "midline"
    exc = error(parse_pain, kb, "temple", "midline")
    assert str(exc) == "side 'midline' is not valid for temple; use left or right"
    assert str(error(parse_pain, kb, "lumbar", "both")) == (
        "side 'both' is not valid for lumbar; use left, right or midline"
    )


@pytest.mark.parametrize("side", ["", "  ", None, 1])
def test_a_missing_or_non_text_side_is_refused(kb, side):
    exc = error(parse_pain, kb, "temple", side)
    assert exc.field == "side" and "left or right" in str(exc)


# ------------------------------------------------------------------------------ intensity


@pytest.mark.parametrize("value, number", [(None, None), (0, 0), (10, 10), ("6", 6), (" 7 ", 7), ("010", 10), (4.0, 4)])
def test_intensity_is_a_whole_number_from_0_to_10(kb, value, number):
    assert parse_intensity(value) == number
    assert parse_pain(kb, "temple", "left", value).intensity == number


@pytest.mark.parametrize("value", [-1, 11, "11", "99999999999999999999", 10.0 + 1])
def test_intensity_out_of_range_is_refused(kb, value):
    exc = error(parse_pain, kb, "temple", "left", value)
    assert "is out of range: use a whole number from 0 to 10" in str(exc) and exc.field == "intensity"


@pytest.mark.parametrize("value", [True, False])
def test_intensity_is_never_a_bool(value):
    assert str(error(parse_intensity, value)).endswith("must be a whole number from 0 to 10, not true or false")


@pytest.mark.parametrize("value", ["six", "", "6.5", "-3", "²", 6.5, float("nan"), [6], {"value": 6}])
def test_intensity_that_is_not_a_whole_number_is_refused(value):
    exc = error(parse_intensity, value)
    assert "must be a whole number from 0 to 10" in str(exc) and exc.field == "intensity"


def test_intensity_message_quotes_text_and_shows_numbers():
    assert str(error(parse_intensity, "12")).startswith("intensity '12' is out of range")
    assert str(error(parse_intensity, 11)).startswith("intensity 11 is out of range")


# ------------------------------------------------------------------------------ text form


def test_text_form_with_and_without_intensity(kb):
    assert parse_pain_text(kb, "temple:left") == Pain("temple", "left")
    assert parse_pain_text(kb, "Low back:RIGHT:6") == Pain("lumbar", "right", 6)
    assert parse_pain_text(kb, "lumbar:midline:0") == Pain("lumbar", "midline", 0)


@pytest.mark.parametrize(
    "text, message",
    [
        ("temple", "no side given: write REGION:SIDE or REGION:SIDE:INTENSITY, e.g. temple:left:6"),
        ("temple:left:6:7", "too many parts (4): write REGION:SIDE or REGION:SIDE:INTENSITY"),
        (":left", "no region given"),
        ("temple:", "no side given for temple: use left or right"),
        ("temple:left:", "intensity '' must be a whole number from 0 to 10"),
        ("temple:left:12", "intensity '12' is out of range"),
        ("templ:left", "unknown region 'templ'; closest: temple"),
        ("temple:up", "side 'up' is not valid for temple; use left or right"),
    ],
)
def test_text_form_errors_say_what_is_wrong(kb, text, message):
    assert message in str(error(parse_pain_text, kb, text))


# ------------------------------------------------------------------------------ JSON drawing


def test_drawing_of_valid_items(kb):
    drawing = [{"region": "temple", "side": "left", "intensity": 5}, {"region": "Low back", "side": "midline"}]
    assert parse_pain_drawing(kb, drawing) == [Pain("temple", "left", 5), Pain("lumbar", "midline")]
    assert parse_pain_drawing(kb, []) == []


@pytest.mark.parametrize("items", [None, {"region": "temple", "side": "left"}, "temple:left", 3])
def test_drawing_that_is_not_a_list_is_refused(kb, items):
    assert str(error(parse_pain_drawing, kb, items)).startswith('a pain drawing is a list of {"region", "side"')


@pytest.mark.parametrize(
    "items, message",
    [
        ([{"region": "temple", "side": "left"}, "temple:left"], 'pain 2: each pain is {"region": ..., "side"'),
        ([{"region": "temple", "side": "left"}, None], "pain 2: each pain is"),
        ([{"region": "temple"}], "pain 1: no side given"),
        ([{"side": "left"}], "pain 1: no region given"),
        ([{"region": "temple", "side": "left", "intensty": 3}], "pain 1: unknown key(s) intensty"),
        ([{"region": "temple", "side": "left"}, {"region": "templ", "side": "left"}], "pain 2: unknown region 'templ'"),
        (
            [{"region": "temple", "side": "midline"}],
            "pain 1: side 'midline' is not valid for temple; use left or right",
        ),
        ([{"region": "temple", "side": "left", "intensity": 11}], "pain 1: intensity 11 is out of range"),
        (
            [{"region": "temple", "side": "left"}] * 2 + [{"region": "jaw", "side": "left", "intensity": True}],
            "pain 3: intensity True must be a whole number from 0 to 10, not true or false",
        ),
    ],
)
def test_drawing_errors_name_the_item_number(kb, items, message):
    assert message in str(error(parse_pain_drawing, kb, items))


def test_drawing_errors_keep_the_field_and_choices(kb):
    exc = error(parse_pain_drawing, kb, [{"region": "jaw", "side": "up"}])
    assert exc.field == "side" and exc.choices == ("left", "right")


def test_drawing_duplicates_collapse_to_the_first(kb):
    drawing = [
        {"region": "temple", "side": "left", "intensity": 7},
        {"region": "jaw", "side": "right"},
        {"region": "Temple", "side": "LEFT", "intensity": 2},
        {"region": "temple", "side": "right"},
    ]
    assert parse_pain_drawing(kb, drawing) == [Pain("temple", "left", 7), Pain("jaw", "right"), Pain("temple", "right")]


# ------------------------------------------------------------------------------ lenient reader


def test_stored_drawing_is_read_leniently(kb):
    stored = [
        {"region": "temple", "side": "left", "intensity": 4},
        "jaw:left",
        None,
        {"region": "region_since_removed", "side": "left"},
        {"region": "temple", "side": "midline"},
        {"region": "jaw", "side": "left", "intensity": 40},
        {"region": "jaw", "side": "left", "intensity": True},
        {"side": "left"},
        {"region": ["temple"], "side": "left"},
        {"region": "temple", "side": "left", "intensity": 9},
        {"region": "lumbar", "side": "midline"},
    ]
    assert drawing_pains(kb, stored) == [Pain("temple", "left", 4), Pain("lumbar", "midline")]


@pytest.mark.parametrize("stored", [None, {}, "temple:left", 3, [], [[]]])
def test_stored_drawing_that_is_not_a_list_of_pains_is_empty(kb, stored):
    assert drawing_pains(kb, stored) == []
