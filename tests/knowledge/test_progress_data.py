"""progress.yaml: the rules load, every cross-reference is checked at load time (naming file, entry
and field), and the minimal important changes they read agree with the clinical reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from needlechart.cli import main
from needlechart.knowledge.instruments import Instrument
from needlechart.knowledge.loader import load
from needlechart.knowledge.progress import URGENCIES
from tests.knowledge.editing import copy_data, edit_yaml, load_problems


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return copy_data(tmp_path)


def edit(data_dir: Path, change) -> None:
    edit_yaml(data_dir, "progress.yaml", change)


problems = load_problems


def entry(data: dict, section: str, ident: str, key: str = "id") -> dict:
    return next(e for e in data[section] if e[key] == ident)


def has(found: list[str], *parts: str) -> bool:
    return any(all(part in p for part in parts) for p in found)


# ---------------------------------------------------------------- the real file


def test_load_exposes_the_progress_rules(kb):
    rules = kb.progress
    assert rules is not None
    assert (rules.judgement.percent_of_planned, rules.judgement.weeks) == (50, 4)
    assert (rules.reassessment.percent_of_planned, rules.reassessment.weeks) == ((50, 100), (4, 8, 12))
    assert set(rules.symptom_flags) == {"worsening", "spreading", "unexplained"}
    assert rules.failure_to_improve.finding in kb.findings
    assert set(rules.default_plans) == set(kb.conditions)


def test_every_rule_cites_known_sources(kb):
    rules = kb.progress
    cited = [
        rules.judgement,
        rules.reassessment,
        rules.response,
        rules.worsening,
        rules.failure_to_improve,
        rules.stop_needling,
        *rules.symptom_flags.values(),
        *rules.drivers.values(),
        *rules.actions.values(),
        *rules.payer_rules.values(),
        *rules.default_plans.values(),
    ]
    for record in cited:
        assert record.sources, record
        assert all(ref.id in kb.sources for ref in record.sources), record


def test_actions_say_whom_to_refer_to_and_how_urgently(kb):
    actions = kb.progress.actions
    kinds = {a.kind for a in actions.values()}
    assert kinds == {"change_plan", "stop_needling", "refer"}
    for action in actions.values():
        if action.kind == "refer":
            assert action.refer_to and action.urgency in URGENCIES, action.id
        else:
            assert not action.refer_to and not action.urgency, action.id
    general = set(kb.progress.general_actions)
    assert {"add_progressive_strengthening", "movement_retraining", "stress_strategies"} <= general


def test_medicare_rule_as_published(kb):
    rule = kb.progress.payer_rules["medicare_chronic_low_back_pain"]
    assert (rule.initial_visits, rule.initial_days, rule.extra_visits, rule.annual_max) == (12, 90, 8, 20)
    assert rule.conditions == ("low_back_pain",) and rule.sources[0].id == "cms_ncd_30_3_3"


def test_signs_are_unique_and_point_to_one_driver(kb):
    signs = [s.id for d in kb.progress.drivers.values() for s in d.signs]
    assert len(signs) == len(set(signs)) and set(kb.progress.signs) == set(signs)


# ---------------------------------------------------------------- the MCIDs the rules read


def test_mcids_agree_with_the_clinical_reference_addendum(kb):
    expect = {
        # id: (kind, value, relative %, a source that gives it)
        "nprs": ("mcid", 2, 30, "farrar_2001"),
        "vas": ("mcid", 15, 30, "ostelo_2008"),
        "ndi": ("mcid", 10, None, "young_2009"),  # 7.5 lies inside the MDC of 10.2: use 10
        "odi": ("mcid", 10, 30, "ostelo_2008"),
        "quickdash": ("mcid", 15.9, None, "franchignoni_2014"),  # general upper limb, not 14 (hand)
        "lefs": ("mcid", 9, None, "binkley_1999"),
        "psfs": ("mdc", 2, None, "stratford_1995_psfs"),
        "ppt": ("mdc", 47, None, "walton_2011"),  # no MCID published
        "groc": ("threshold", 3, None, "jaeschke_1989"),
    }
    for ident, (kind, value, relative, source) in expect.items():
        instrument = kb.instruments[ident]
        assert isinstance(instrument, Instrument)
        mcid = instrument.mcid
        assert mcid is not None and (mcid.kind, mcid.value, mcid.relative_percent) == (kind, value, relative), ident
        assert source in {ref.id for ref in mcid.sources}, ident


# ---------------------------------------------------------------- bad data is refused at load time


def test_unknown_finding_of_a_driver(data_dir):
    edit(data_dir, lambda d: entry(d, "drivers", "nerve_related")["findings"].append("diabetic_fot"))
    assert has(
        problems(data_dir),
        "progress.yaml: entry 'drivers.nerve_related': field 'findings': unknown finding 'diabetic_fot'",
        "did you mean diabetic_foot",
    )


def test_unknown_condition_of_a_payer_rule_and_of_a_default_plan(data_dir):
    def change(d):
        entry(d, "payer_rules", "medicare_chronic_low_back_pain")["conditions"] = ["low_bak_pain"]
        entry(d, "default_plans", "neck_pain", "condition")["condition"] = "neck_pian"

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(
        found,
        "entry 'payer_rules.medicare_chronic_low_back_pain': field 'conditions': unknown condition 'low_bak_pain'",
    )
    assert has(found, "entry 'default_plans.neck_pian': field 'condition': unknown condition 'neck_pian'")
    assert has(found, "field 'default_plans': no default plan for condition 'neck_pain'")


def test_unknown_source(data_dir):
    edit(data_dir, lambda d: d["judgement"]["sources"].append("nobody_2099"))
    assert has(problems(data_dir), "progress.yaml: entry 'judgement': field 'sources': unknown source 'nobody_2099'")


def test_unknown_instrument(data_dir):
    edit(data_dir, lambda d: d["response"].__setitem__("supporting_only", ["ppx"]))
    assert has(problems(data_dir), "entry 'response': field 'supporting_only': unknown instrument 'ppx'", "ppt")


def test_unknown_action_of_a_driver_and_of_the_general_list(data_dir):
    def change(d):
        entry(d, "drivers", "systemic_illness")["actions"] = ["refer_physican_systemic"]
        d["general_actions"].append("add_strenght")

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(
        found,
        "entry 'drivers.systemic_illness': field 'actions': unknown action 'refer_physican_systemic'",
        "did you mean refer_physician_systemic",
    )
    assert has(found, "field 'general_actions': unknown action 'add_strenght'")


def test_failure_to_improve_names_a_finding(data_dir):
    edit(data_dir, lambda d: d["failure_to_improve"].__setitem__("finding", "failure_to_improv"))
    assert has(problems(data_dir), "entry 'failure_to_improve': field 'finding': unknown finding 'failure_to_improv'")


def test_stop_needling_must_name_a_stop_action(data_dir):
    edit(data_dir, lambda d: d["stop_needling"].__setitem__("action", "revise_plan"))
    assert has(problems(data_dir), "field 'stop_needling': 'revise_plan' is a change_plan action, not stop_needling")


def test_a_refer_action_needs_whom_and_how_urgently(data_dir):
    def change(d):
        action = entry(d, "actions", "refer_pain_service")
        action.pop("refer_to")
        action["urgency"] = "whenever"
        entry(d, "actions", "revise_plan")["urgency"] = "soon"

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(found, "entry 'actions.refer_pain_service': field 'refer_to': is required")
    assert has(found, "entry 'actions.refer_pain_service': field 'urgency': 'whenever' is not one of")
    assert has(found, "entry 'actions.revise_plan': field 'refer_to': only a refer action")


def test_a_sign_points_to_one_driver(data_dir):
    edit(
        data_dir,
        lambda d: entry(d, "drivers", "joint_dysfunction")["signs"].append(
            {"id": "widespread_pain", "name": "Widespread pain"}
        ),
    )
    assert has(problems(data_dir), "sign 'widespread_pain' is also a sign of")


def test_numbers_out_of_range_and_unknown_keys(data_dir):
    def change(d):
        d["judgement"]["percent_of_planned"] = 150
        d["reassessment"]["weeks"] = [8, 4]
        entry(d, "default_plans", "knee_pain", "condition")["frequency_per_week"] = 0
        entry(d, "drivers", "mechanical_load")["check"] = ["typo for checks"]
        d["extras"] = {}

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(found, "entry 'judgement': field 'percent_of_planned': must be a whole number from 1 to 100, not 150")
    assert has(found, "entry 'reassessment': field 'weeks': must be in ascending order")
    assert has(found, "entry 'default_plans.knee_pain': field 'frequency_per_week': must be above 0")
    assert has(found, "entry 'drivers.mechanical_load': field 'check': is not a known field")
    assert has(found, "progress.yaml: field 'extras': is not a known section")


def test_a_missing_or_broken_file(data_dir):
    (data_dir / "progress.yaml").unlink()
    assert "progress.yaml: file is missing" in problems(data_dir)
    (data_dir / "progress.yaml").write_text("- a list\n- not sections\n")
    assert has(problems(data_dir), "progress.yaml: must be a mapping of sections")


def test_kb_check_reports_a_broken_progress_file(capsys, data_dir, monkeypatch):
    edit(data_dir, lambda d: entry(d, "drivers", "nerve_related")["findings"].append("diabetic_fot"))
    load.cache_clear()
    monkeypatch.setenv("NEEDLECHART_KNOWLEDGE_DIR", str(data_dir))
    try:
        code = main(["kb", "check"])
    finally:
        load.cache_clear()
    err = capsys.readouterr().err
    assert code == 3 and "progress.yaml: entry 'drivers.nerve_related': field 'findings'" in err
