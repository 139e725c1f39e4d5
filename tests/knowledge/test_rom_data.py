"""rom.yaml: the norms load into kb.rom, and the loader refuses bad data at load time, naming file,
entry and field (unknown keys, IDs, units, sides, scales, limits, sources)."""

from __future__ import annotations

from pathlib import Path

import pytest

from needlechart.knowledge.rom import SIDES, UNITS, RomNorms
from tests.knowledge.editing import copy_data, edit_yaml, load_problems


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return copy_data(tmp_path)


def edit(data_dir: Path, change) -> None:
    edit_yaml(data_dir, "rom.yaml", change)


problems = load_problems


def movement(data: list, joint: str, ident: str) -> dict:
    j = next(e for e in data if e["id"] == joint)
    return next(m for m in j["movements"] if m["id"] == ident)


def has(found: list[str], *parts: str) -> bool:
    return any(all(part in p for part in parts) for p in found)


# ---------------------------------------------------------------- the real file

EXPECTED = {
    "cervical_spine": {"flexion", "extension", "lateral_flexion", "rotation"},
    "thoracolumbar_spine": {"flexion", "extension", "lateral_flexion", "rotation"},
    "shoulder": {"flexion", "extension", "abduction", "internal_rotation", "external_rotation"},
    "elbow": {"flexion", "extension"},
    "forearm": {"pronation", "supination"},
    "wrist": {"flexion", "extension", "radial_deviation", "ulnar_deviation"},
    "hip": {"flexion", "extension", "abduction", "adduction", "internal_rotation", "external_rotation"},
    "knee": {"flexion", "extension"},
    "ankle": {"dorsiflexion", "plantarflexion"},
    "temporomandibular": {"mouth_opening"},
}


def test_load_exposes_the_rom_norms(kb):
    assert isinstance(kb.rom, RomNorms)
    assert {j: set(joint.movements) for j, joint in kb.rom.joints.items()} == EXPECTED
    flexion = kb.rom.joints["shoulder"].movements["flexion"]
    assert (flexion.normal, flexion.unit, flexion.side, flexion.scale, flexion.max) == (
        180,
        "degrees",
        "bilateral",
        "range",
        270,
    )
    assert flexion.verified and flexion.sources[0].id == "norkin_white_2016"
    mouth = kb.rom.joints["temporomandibular"].movements["mouth_opening"]
    assert (mouth.normal, mouth.unit, mouth.side) == (48.8, "mm", "midline")


def test_every_norm_is_valid_and_sourced(kb):
    for joint in kb.rom.joints.values():
        assert joint.method and joint.sources
        for m in joint.movements.values():
            assert m.unit in UNITS and m.side in SIDES and m.sources
            assert all(ref.id in kb.sources for ref in m.sources)
            assert m.max > m.normal
            assert (m.normal == 0) == (m.scale == "lag")
            assert m.verified or m.note
            assert m.mdc is None  # the clinical reference: "MDC values not gathered"


def test_midline_and_bilateral_movements(kb):
    joints = kb.rom.joints
    assert joints["cervical_spine"].movements["flexion"].side == "midline"
    assert joints["cervical_spine"].movements["extension"].side == "midline"
    assert joints["cervical_spine"].movements["rotation"].side == "bilateral"
    assert joints["thoracolumbar_spine"].movements["lateral_flexion"].side == "bilateral"
    assert all(
        m.side == "bilateral" for j in ("shoulder", "hip", "knee", "ankle") for m in joints[j].movements.values()
    )


def test_unverified_norms_are_listed(kb):
    assert set(kb.rom.unverified) == {
        *(("cervical_spine", m) for m in EXPECTED["cervical_spine"]),
        *(("thoracolumbar_spine", m) for m in EXPECTED["thoracolumbar_spine"]),
        ("hip", "extension"),
        ("hip", "adduction"),
    }


# ---------------------------------------------------------------- refusing bad data


def test_unknown_key_on_a_movement(data_dir):
    edit(data_dir, lambda d: movement(d, "shoulder", "flexion").update(normall=180))
    assert has(problems(data_dir), "rom.yaml: entry 'shoulder.flexion': field 'normall'", "not a known field")


def test_unknown_key_on_a_joint(data_dir):
    edit(data_dir, lambda d: d[0].update(synonyms=["neck"]))
    assert has(problems(data_dir), "rom.yaml: entry 'cervical_spine': field 'synonyms'", "not a known field")


def test_ids_must_be_snake_case(data_dir):
    def change(d):
        movement(d, "shoulder", "flexion")["id"] = "Forward-Flexion"
        d[1]["id"] = "Lumbar spine"

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(found, "entry 'shoulder.Forward-Flexion': field 'id'", "snake_case")
    assert has(found, "entry 'Lumbar spine': field 'id'", "snake_case")


def test_duplicate_joint_and_movement_ids(data_dir):
    def change(d):
        d.append(dict(d[0]))
        shoulder = next(e for e in d if e["id"] == "shoulder")
        shoulder["movements"].append(dict(shoulder["movements"][0]))

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(found, "entry 'cervical_spine': field 'id'", "duplicate ID")
    assert has(found, "entry 'shoulder': field 'movements'", "'flexion' is listed more than once")


@pytest.mark.parametrize("bad", [0, -10, "lots", True])
def test_normal_must_be_a_number_above_zero(data_dir, bad):
    edit(data_dir, lambda d: movement(d, "hip", "flexion").update(normal=bad))
    assert has(problems(data_dir), "entry 'hip.flexion': field 'normal'")


def test_unit_must_be_degrees_or_mm(data_dir):
    edit(data_dir, lambda d: movement(d, "knee", "flexion").update(unit="radians"))
    assert has(problems(data_dir), "entry 'knee.flexion': field 'unit'", "'radians' is not one of: degrees, mm")


def test_side_rule_must_be_bilateral_or_midline(data_dir):
    def change(d):
        movement(d, "ankle", "dorsiflexion")["side"] = "both"
        del movement(d, "ankle", "plantarflexion")["side"]

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(found, "entry 'ankle.dorsiflexion': field 'side'", "'both' is not one of: bilateral, midline")
    assert has(found, "entry 'ankle.plantarflexion': field 'side'", "is required")


def test_unknown_source_is_refused_with_a_suggestion(data_dir):
    edit(data_dir, lambda d: movement(d, "wrist", "flexion").update(sources=["norkin_white_2061"]))
    assert has(
        problems(data_dir),
        "entry 'wrist.flexion': field 'sources'",
        "unknown source 'norkin_white_2061'",
        "norkin_white_2016",
    )


def test_mdc_source_is_checked(data_dir):
    edit(data_dir, lambda d: movement(d, "knee", "flexion").update(mdc={"value": 5, "sources": ["nobody_2099"]}))
    assert has(problems(data_dir), "entry 'knee.flexion' field 'mdc'", "unknown source 'nobody_2099'")


def test_mdc_must_be_above_zero(data_dir):
    edit(data_dir, lambda d: movement(d, "knee", "flexion").update(mdc={"value": 0, "sources": ["soucie_2011"]}))
    assert has(problems(data_dir), "entry 'knee.flexion': field 'mdc'", "above 0")


def test_a_lag_needs_normal_zero_and_a_max(data_dir):
    def change(d):
        del movement(d, "elbow", "extension")["max"]
        movement(d, "knee", "extension")["normal"] = 5

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(found, "entry 'elbow.extension': field 'max'", "required for a lag")
    assert has(found, "entry 'knee.extension': field 'normal'", "a lag's normal is 0")


def test_max_must_exceed_normal(data_dir):
    edit(data_dir, lambda d: movement(d, "shoulder", "flexion").update(max=170))
    assert has(problems(data_dir), "entry 'shoulder.flexion': field 'max'", "above the normal value 180")


def test_unverified_needs_a_note(data_dir):
    def change(d):
        m = movement(d, "forearm", "pronation")
        m["verified"] = False
        m.pop("note", None)

    edit(data_dir, change)
    assert has(problems(data_dir), "entry 'forearm.pronation': field 'note'", "is required")


def test_not_a_list_and_missing_file(data_dir):
    (data_dir / "rom.yaml").write_text("shoulder: {flexion: 180}\n")
    assert has(problems(data_dir), "rom.yaml: must be a list of joints")
    (data_dir / "rom.yaml").unlink()
    assert has(problems(data_dir), "rom.yaml: file is missing")


def test_every_problem_is_reported_at_once(data_dir):
    def change(d):
        movement(d, "hip", "flexion")["unit"] = "grad"
        movement(d, "hip", "abduction")["side"] = "sideways"

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(found, "hip.flexion") and has(found, "hip.abduction")
