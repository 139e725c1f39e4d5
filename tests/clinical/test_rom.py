"""The ROM core: a measured range against its norm (percent of normal, the norm with its sources, a
plain reading), the change from a baseline against the MDC where one is recorded, and clear errors
naming the bad value and the valid options."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from needlechart.clinical.rom import (
    RomChange,
    RomInputError,
    RomReading,
    RomSideError,
    RomValueError,
    UnknownJointError,
    UnknownMovementError,
    reading,
    rom_change,
)
from needlechart.knowledge.loader import DATA_DIR, load

# ---------------------------------------------------------------- reading


def test_shoulder_flexion_120_of_180_is_67_percent(kb):
    r = reading(kb, "shoulder", "flexion", "left", 120)
    assert isinstance(r, RomReading)
    assert (r.joint, r.movement, r.side, r.value, r.unit, r.normal) == (
        "shoulder",
        "flexion",
        "left",
        120,
        "degrees",
        180,
    )
    assert r.percent_of_normal == pytest.approx(66.667, abs=1e-3)
    assert r.text == "120° of 180° normal (67%)"
    assert r.normal_sources[0].id == "norkin_white_2016"
    assert r.verified


@pytest.mark.parametrize(
    ("joint", "movement", "side", "value", "percent", "text"),
    [
        ("shoulder", "external_rotation", "right", 45, 50, "45° of 90° normal (50%)"),
        ("hip", "flexion", "left", 100, 80, "100° of 125° normal (80%)"),
        ("ankle", "dorsiflexion", "right", 10, 50, "10° of 20° normal (50%)"),
        ("wrist", "extension", "left", 70, 100, "70° of 70° normal (100%)"),
        ("forearm", "supination", "left", 0, 0, "0° of 80° normal (0%)"),
        ("cervical_spine", "rotation", "left", 75, 125, "75° of 60° normal (125%)"),
    ],
)
def test_explicit_readings(kb, joint, movement, side, value, percent, text):
    r = reading(kb, joint, movement, side, value)
    assert r.percent_of_normal == pytest.approx(percent)
    assert r.text == text


def test_midline_movement_takes_no_side(kb):
    r = reading(kb, "cervical_spine", "flexion", None, 30)
    assert r.side is None and r.text == "30° of 45° normal (67%)"
    assert reading(kb, "cervical_spine", "flexion", "", 30).side is None
    assert not r.verified and r.note  # the AAOS neck figures could not be checked


def test_mouth_opening_reads_in_mm(kb):
    r = reading(kb, "temporomandibular", "mouth_opening", None, 40)
    assert r.unit == "mm"
    assert r.percent_of_normal == pytest.approx(40 / 48.8 * 100)
    assert r.text == "40 mm of 48.8 mm normal (82%)"


def test_a_lag_has_no_percent_of_normal(kb):
    r = reading(kb, "knee", "extension", "left", 10)
    assert (r.scale, r.normal, r.percent_of_normal) == ("lag", 0, None)
    assert r.text == "10° short of full extension (normal 0°)"
    assert reading(kb, "elbow", "extension", "right", 0).text == "full extension (0° short; normal 0°)"


# ---------------------------------------------------------------- bad input


def test_unknown_joint_names_the_closest(kb):
    with pytest.raises(UnknownJointError, match=r"unknown joint 'sholder'; closest: shoulder"):
        reading(kb, "sholder", "flexion", "left", 90)


def test_unknown_movement_names_the_joints_movements(kb):
    with pytest.raises(UnknownMovementError, match=r"unknown movement 'abduction' of the knee; closest: .*flexion"):
        reading(kb, "knee", "abduction", "left", 10)
    with pytest.raises(UnknownMovementError, match="external_rotation"):
        reading(kb, "shoulder", "external rotation", "left", 10)


def test_bilateral_movement_needs_left_or_right(kb):
    with pytest.raises(RomSideError, match=r"side None: shoulder flexion is read on each side; give 'left' or 'right'"):
        reading(kb, "shoulder", "flexion", None, 90)
    with pytest.raises(RomSideError, match="side 'both'"):
        reading(kb, "hip", "flexion", "both", 90)


def test_midline_movement_refuses_a_side(kb):
    with pytest.raises(RomSideError, match=r"side 'left': cervical spine flexion is a midline movement"):
        reading(kb, "cervical_spine", "flexion", "left", 30)


@pytest.mark.parametrize("value", [-1, 270.5, 1000])
def test_value_out_of_range_names_the_bounds(kb, value):
    with pytest.raises(RomValueError, match=r"shoulder flexion is out of range; give 0 to 270 degrees"):
        reading(kb, "shoulder", "flexion", "left", value)


def test_explicit_max_is_used(kb):
    assert reading(kb, "cervical_spine", "extension", None, 100).percent_of_normal == pytest.approx(100 / 45 * 100)
    with pytest.raises(RomValueError, match="give 0 to 100 degrees"):
        reading(kb, "cervical_spine", "extension", None, 101)
    with pytest.raises(RomValueError, match=r"give 0 to 130 degrees \(a lag is degrees short of full extension\)"):
        reading(kb, "knee", "extension", "left", 131)


@pytest.mark.parametrize("value", [math.nan, math.inf, True, "90", None])
def test_value_must_be_a_number(kb, value):
    with pytest.raises(RomValueError, match="is not a number"):
        reading(kb, "shoulder", "flexion", "left", value)


def test_errors_are_value_errors(kb):
    for call in (
        lambda: reading(kb, "nope", "flexion", "left", 1),
        lambda: reading(kb, "knee", "nope", "left", 1),
        lambda: reading(kb, "knee", "flexion", "middle", 1),
        lambda: reading(kb, "knee", "flexion", "left", -5),
    ):
        with pytest.raises(ValueError) as caught:
            call()
        assert isinstance(caught.value, RomInputError)


# ---------------------------------------------------------------- change


def test_change_in_degrees_and_percent_of_normal(kb):
    c = rom_change(kb, "shoulder", "flexion", 90, 135)
    assert isinstance(c, RomChange)
    assert (c.baseline, c.latest, c.improvement) == (90, 135, 45)
    assert c.improvement_percent_of_normal == pytest.approx(25)
    assert c.text == "90° to 135°: 45° better (25 points of normal)"


def test_without_an_mdc_met_is_none_with_the_reason(kb):
    c = rom_change(kb, "knee", "flexion", 90, 120)
    assert c.mdc is None and c.met is None and c.mdc_sources == ()
    assert "no minimal detectable change is recorded for knee flexion" in c.reason


def test_a_worse_range_is_negative(kb):
    c = rom_change(kb, "hip", "abduction", 40, 31)
    assert c.improvement == -9
    assert c.improvement_percent_of_normal == pytest.approx(-20)
    assert c.text == "40° to 31°: 9° worse (20 points of normal)"
    assert rom_change(kb, "hip", "abduction", 40, 40).text == "40° to 40°: unchanged"


def test_a_smaller_lag_is_an_improvement(kb):
    c = rom_change(kb, "knee", "extension", 15, 5)
    assert (c.improvement, c.improvement_percent_of_normal) == (10, None)
    assert c.text == "15° to 5° short of full extension: 10° better"


def test_change_validates_both_values(kb):
    with pytest.raises(RomValueError, match=r"baseline -3 degrees for ankle plantarflexion is out of range"):
        rom_change(kb, "ankle", "plantarflexion", -3, 20)
    with pytest.raises(
        RomValueError, match=r"latest 80 degrees for ankle plantarflexion is out of range; give 0 to 75"
    ):
        rom_change(kb, "ankle", "plantarflexion", 20, 80)
    with pytest.raises(UnknownMovementError):
        rom_change(kb, "ankle", "inversion", 10, 20)


@pytest.fixture(scope="module")
def kb_with_mdc(tmp_path_factory):
    """A copy of the data where knee flexion has an MDC of 5 degrees (none is recorded for real)."""
    target = tmp_path_factory.mktemp("rom") / "data"
    shutil.copytree(DATA_DIR, target)
    path = Path(target) / "rom.yaml"
    data = yaml.safe_load(path.read_text())
    knee = next(j for j in data if j["id"] == "knee")
    next(m for m in knee["movements"] if m["id"] == "flexion")["mdc"] = {"value": 5, "sources": ["soucie_2011"]}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    load.cache_clear()
    try:
        yield load(target)
    finally:
        load.cache_clear()


def test_change_against_an_mdc(kb_with_mdc):
    met = rom_change(kb_with_mdc, "knee", "flexion", 100, 105)
    assert (met.mdc, met.met) == (5, True)
    assert met.mdc_sources[0].id == "soucie_2011"
    assert met.reason == "the improvement of 5° reaches the minimal detectable change of 5°"
    short = rom_change(kb_with_mdc, "knee", "flexion", 100, 104)
    assert short.met is False and "does not reach" in short.reason
    worse = rom_change(kb_with_mdc, "knee", "flexion", 100, 90)
    assert worse.met is False


# ---------------------------------------------------------------- properties

MOVEMENTS = [
    ("shoulder", "flexion", "left"),
    ("cervical_spine", "rotation", "right"),
    ("hip", "adduction", "left"),
    ("temporomandibular", "mouth_opening", None),
    ("wrist", "radial_deviation", "right"),
]


@settings(max_examples=200, deadline=None)
@given(which=st.sampled_from(MOVEMENTS), a=st.floats(0, 1), b=st.floats(0, 1))
def test_percent_of_normal_is_monotonic_in_degrees(kb, which, a, b):
    joint, movement, side = which
    top = kb.rom.joints[joint].movements[movement].max
    low, high = sorted((a * top, b * top))
    r_low, r_high = reading(kb, joint, movement, side, low), reading(kb, joint, movement, side, high)
    assert r_low.percent_of_normal <= r_high.percent_of_normal
    if high - low > 1e-6:
        assert r_low.percent_of_normal < r_high.percent_of_normal


@settings(max_examples=200, deadline=None)
@given(which=st.sampled_from(MOVEMENTS), a=st.floats(0, 1), b=st.floats(0, 1))
def test_change_agrees_with_the_two_readings(kb, which, a, b):
    joint, movement, side = which
    top = kb.rom.joints[joint].movements[movement].max
    c = rom_change(kb, joint, movement, a * top, b * top)
    first, last = reading(kb, joint, movement, side, a * top), reading(kb, joint, movement, side, b * top)
    assert c.improvement_percent_of_normal == pytest.approx(last.percent_of_normal - first.percent_of_normal, abs=1e-9)
