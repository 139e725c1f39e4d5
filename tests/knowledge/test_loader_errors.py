"""The loader rejects bad data at load time, naming file, entry and field, and reports every problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from needlechart.knowledge.errors import KnowledgeError
from needlechart.knowledge.loader import DATA_DIR, load


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the real data files, to break one thing at a time."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(path: Path, change) -> None:
    entries = yaml.safe_load(path.read_text())
    change(entries)
    path.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True))


def problems(data_dir: Path) -> list[str]:
    load.cache_clear()
    try:
        with pytest.raises(KnowledgeError) as caught:
            load(data_dir)
    finally:
        load.cache_clear()
    return caught.value.problems


def muscle_file(data_dir: Path, muscle_id: str) -> Path:
    for path in sorted((data_dir / "muscles").glob("*.yaml")):
        if any(e["id"] == muscle_id for e in yaml.safe_load(path.read_text())):
            return path
    raise AssertionError(muscle_id)


def test_real_knowledge_base_loads(kb):
    assert kb.muscles and kb.regions and kb.acupoints


def test_unknown_region_in_referral_names_file_entry_field(data_dir):
    path = muscle_file(data_dir, "upper_trapezius")
    edit(
        path,
        lambda es: next(e for e in es if e["id"] == "upper_trapezius")["referral"]["primary"].append("templ"),
    )
    found = problems(data_dir)
    assert any(
        f"muscles/{path.name}: entry 'upper_trapezius': field 'referral': unknown region 'templ'" in p
        and "did you mean temple" in p
        for p in found
    ), found


def test_duplicate_id_is_rejected(data_dir):
    path = muscle_file(data_dir, "masseter")
    edit(path, lambda es: es.append(dict(next(e for e in es if e["id"] == "masseter"))))
    assert any("entry 'masseter'" in p and "duplicate ID" in p for p in problems(data_dir))


def test_missing_sources_is_rejected(data_dir):
    path = data_dir / "conditions.yaml"
    edit(path, lambda es: es[0].pop("sources"))
    assert any("conditions.yaml: entry" in p and "field 'sources': is required" in p for p in problems(data_dir))


def test_unknown_source_id_is_rejected(data_dir):
    path = data_dir / "findings.yaml"
    edit(path, lambda es: es[0].__setitem__("sources", ["nobody_2099"]))
    assert any("unknown source 'nobody_2099'" in p for p in problems(data_dir))


def test_malformed_values_are_rejected(data_dir):
    path = data_dir / "regions.yaml"

    def change(es):
        es[0]["view"] = "sideways"
        es[1]["midline"] = "yes"

    edit(path, change)
    found = problems(data_dir)
    assert any("field 'view': 'sideways' is not one of: front, back" in p for p in found), found
    assert any("field 'midline': must be true or false" in p for p in found), found


def test_unknown_field_is_rejected(data_dir):
    path = data_dir / "exercises.yaml"
    edit(path, lambda es: es[0].__setitem__("synonym", ["typo"]))
    assert any("field 'synonym': is not a known field" in p for p in problems(data_dir))


def test_unknown_acupoint_in_condition_is_rejected(data_dir):
    path = data_dir / "conditions.yaml"
    edit(path, lambda es: es[0]["acupoints"]["distal"].append("LI99"))
    assert any("unknown acupoint 'LI99'" in p for p in problems(data_dir))


def test_bad_finding_effect_is_rejected(data_dir):
    path = data_dir / "findings.yaml"
    edit(
        path,
        lambda es: next(e for e in es if e["id"] == "pacemaker").__setitem__("effect", {"block_modality": "laser"}),
    )
    assert any("entry 'pacemaker': field 'effect'" in p for p in problems(data_dir))


def test_every_problem_is_reported_at_once(data_dir):
    edit(data_dir / "regions.yaml", lambda es: es[0].__setitem__("view", "sideways"))
    edit(data_dir / "exercises.yaml", lambda es: es[0].__setitem__("kind", "dance"))
    found = problems(data_dir)
    assert any("regions.yaml" in p for p in found) and any("exercises.yaml" in p for p in found)


def test_invalid_yaml_names_the_file(data_dir):
    (data_dir / "conditions.yaml").write_text("- id: [unclosed\n")
    assert any(p.startswith("conditions.yaml: is not valid YAML") for p in problems(data_dir))


def test_asymmetric_adjacency_is_rejected(data_dir):
    def change(es):
        temple = next(e for e in es if e["id"] == "temple")
        temple["adjacent"] = [r for r in temple["adjacent"] if r != "forehead"]

    edit(data_dir / "regions.yaml", change)
    assert any("entry 'forehead'" in p and "'temple' does not list 'forehead'" in p for p in problems(data_dir))


def test_ambiguous_synonym_is_rejected(data_dir):
    path = muscle_file(data_dir, "masseter")
    edit(path, lambda es: next(e for e in es if e["id"] == "masseter")["synonyms"].append("temporalis"))
    assert any("'temporalis' names both" in p for p in problems(data_dir))


# --- what a finding says is what the engine does --------------------------------------------------


def finding(entries, ident):
    return next(e for e in entries if e["id"] == ident)


def test_precaution_whose_action_names_an_unenforced_group_is_rejected(data_dir):
    """Pregnancy's text tells the clinician to avoid the abdomen: without that rule the load fails."""
    edit(
        data_dir / "findings.yaml",
        lambda es: finding(es, "pregnancy").__setitem__(
            "rules", [r for r in finding(es, "pregnancy")["rules"] if r.get("caution", {}).get("group") != "abdominal"]
        ),
    )
    found = problems(data_dir)
    assert any(
        "entry 'pregnancy': field 'action'" in p and "(abdominal)" in p and "no rule acts on abdominal" in p
        for p in found
    ), found


def test_precaution_whose_action_names_an_unenforced_modality_is_rejected(data_dir):
    def change(es):
        diabetes = finding(es, "diabetes")
        diabetes["action"] += " Avoid electrical stimulation over numb skin."

    edit(data_dir / "findings.yaml", change)
    found = problems(data_dir)
    assert any("entry 'diabetes'" in p and "no rule acts on electrical_stimulation" in p for p in found), found


def test_precaution_whose_action_names_a_limb_without_a_quadrant_rule_is_rejected(data_dir):
    def change(es):
        finding(es, "lymph_node_removal")["rules"] = [{"caution": {"site": "part"}, "change": "Few needles."}]

    edit(data_dir / "findings.yaml", change)
    found = problems(data_dir)
    assert any("entry 'lymph_node_removal'" in p and "no rule acts on quadrant" in p for p in found), found


def test_red_flags_need_no_rules_they_stop_everything(kb):
    """A red flag's text may name the thorax: referring stops every target, so nothing is unenforced."""
    assert "thorax" in kb.findings["chest_pain_dyspnea"].action
    assert kb.findings["chest_pain_dyspnea"].effect == "refer" and kb.findings["chest_pain_dyspnea"].rules == ()


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"caution": {"group": "abdominal"}}, "field 'change': is required"),
        ({"blocked": {"group": "abdomen"}}, "unknown group 'abdomen'"),
        ({"blocked": {"group": "abdominal", "modality": "dry_needling"}}, "exactly one of: group, modality, site"),
        ({"blocked": {"site": "elbow"}}, "'elbow' is not one of"),
        ({"stop": {"group": "abdominal"}}, "each rule is {blocked: {...}} or {caution: {...}}"),
        ({"blocked": {"group": "abdominal", "within": "joint"}}, "the scope must be 'site'"),
    ],
)
def test_malformed_rules_name_the_field(data_dir, rule, message):
    edit(data_dir / "findings.yaml", lambda es: finding(es, "diabetes")["rules"].append(rule))
    found = problems(data_dir)
    assert any("entry 'diabetes'" in p and message in p for p in found), found


def test_rules_on_a_red_flag_are_rejected(data_dir):
    edit(
        data_dir / "findings.yaml",
        lambda es: finding(es, "fever").__setitem__("rules", [{"blocked": {"group": "abdominal"}}]),
    )
    assert any("entry 'fever': field 'rules'" in p and "never apply" in p for p in problems(data_dir))


def test_unknown_group_member_is_rejected(data_dir):
    edit(data_dir / "target_groups.yaml", lambda es: finding(es, "deep_lumbar")["members"].append("psoas_major"))
    assert any("entry 'deep_lumbar': field 'members': unknown target 'psoas_major'" in p for p in problems(data_dir))


# --- aftercare triggers ------------------------------------------------------------------------------


def _aftercare_problems(data_dir: Path, change) -> list[str]:
    edit(data_dir / "aftercare.yaml", change)
    return problems(data_dir)


def _item(entries, item_id):
    return next(e for e in entries if e["id"] == item_id)


def test_loader_refuses_a_structure_word_that_names_no_hazard(data_dir):
    found = _aftercare_problems(data_dir, lambda es: _item(es, "kidney_warning")["when"].update(structure="kidny"))
    assert any(
        "aftercare.yaml: entry 'kidney_warning': field 'when'" in p and "'kidny' names no organ hazard" in p
        for p in found
    ), found


def test_loader_refuses_structure_on_a_trigger_that_is_not_a_hazard(data_dir):
    found = _aftercare_problems(data_dir, lambda es: _item(es, "pregnancy_warning")["when"].update(structure="uterus"))
    assert any("entry 'pregnancy_warning': field 'when'" in p and "hazard may add structure" in p for p in found)


def test_loader_checks_each_trigger_of_a_list(data_dir):
    found = _aftercare_problems(data_dir, lambda es: _item(es, "vessel_swelling")["when"].append({"hazard": "vien"}))
    assert any("entry 'vessel_swelling'" in p and "unknown hazard kind 'vien'" in p for p in found), found


@pytest.mark.parametrize(
    "words, named",
    [
        ("Do not needle the lower back.", "lumbosacral"),
        ("No electro-acupuncture.", "electrical_stimulation"),
        ("Never needle near the eye.", "around_the_eye"),
        ("No deep needling.", "depth"),
        ("Avoid the affected arm.", "quadrant"),
        ("Keep off the rib cage.", "lung_field"),
    ],
)
def test_synonyms_of_a_group_modality_depth_or_limb_are_caught_too(data_dir, words, named):
    """What the text tells the clinician to avoid, in any of its usual words, must be a rule."""
    edit(data_dir / "findings.yaml", lambda es: finding(es, "latex_allergy").__setitem__("action", words))
    found = problems(data_dir)
    assert any("entry 'latex_allergy'" in p and f"no rule acts on {named}" in p for p in found), found


def _set_max_depth(data_dir: Path, code: str, max_depth) -> None:
    edit(
        data_dir / "acupoints.yaml",
        lambda es: next(e for e in es if e["code"] == code).__setitem__("max_depth_mm", max_depth),
    )


def test_a_recorded_safe_depth_is_read_with_its_note_and_sources(kb):
    depth = kb.acupoints["GB21"].max_depth_mm
    assert depth.value == 14 and "pleura" in depth.note
    assert [ref.id for ref in depth.sources] == ["chen_2018_gb21"]
    assert kb.muscles["rhomboids"].max_depth_mm.value == 19


@pytest.mark.parametrize(
    "value, message",
    [
        (0, "must be more than 0 mm, not 0"),
        (-3, "must be more than 0 mm, not -3"),
        ("deep", "must be a number of millimetres, not 'deep'"),
        (True, "must be a number of millimetres, not True"),
        (None, "is required: the depth in millimetres"),
    ],
)
def test_a_bad_safe_depth_value_is_rejected(data_dir, value, message):
    _set_max_depth(data_dir, "GB21", {"value": value, "note": "Why.", "sources": ["chen_2018_gb21"]})
    found = problems(data_dir)
    assert any("acupoints.yaml: entry 'GB21' field 'max_depth_mm': field 'value': " + message in p for p in found), (
        found
    )


def test_a_safe_depth_without_a_note_is_rejected(data_dir):
    _set_max_depth(data_dir, "GB21", {"value": 14, "sources": ["chen_2018_gb21"]})
    found = problems(data_dir)
    assert any("entry 'GB21' field 'max_depth_mm': field 'note': is required" in p for p in found), found


def test_a_safe_depth_with_an_unknown_or_missing_source_is_rejected(data_dir):
    _set_max_depth(data_dir, "GB21", {"value": 14, "note": "Why.", "sources": ["chen_2099"]})
    found = problems(data_dir)
    assert any("acupoints.yaml: entry 'GB21': field 'max_depth_mm': unknown source 'chen_2099'" in p for p in found), (
        found
    )
    _set_max_depth(data_dir, "GB21", {"value": 14, "note": "Why."})
    assert any("field 'max_depth_mm': field 'sources': is required" in p for p in problems(data_dir))


def test_a_safe_depth_that_is_not_a_mapping_or_has_a_stray_key_is_rejected(data_dir):
    path = muscle_file(data_dir, "rhomboids")
    edit(path, lambda es: next(e for e in es if e["id"] == "rhomboids").__setitem__("max_depth_mm", 19))
    found = problems(data_dir)
    assert any("entry 'rhomboids': field 'max_depth_mm': must be a mapping, not 19" in p for p in found), found
    edit(
        path,
        lambda es: next(e for e in es if e["id"] == "rhomboids").__setitem__(
            "max_depth_mm", {"value": 19, "unit": "cm", "note": "Why.", "sources": ["valera_calero_rhomboid_pleura"]}
        ),
    )
    assert any("field 'max_depth_mm': field 'unit': is not a known field" in p for p in problems(data_dir))


def test_a_needle_limit_may_have_a_decimal_min_but_not_a_word(data_dir):
    edit(
        data_dir / "needle_limits.yaml",
        lambda es: next(e for e in es if e["id"] == "depth_cun").__setitem__("min", "a little"),
    )
    assert any("entry 'depth_cun': field 'min': must be a number" in p for p in problems(data_dir))
