"""The `needlechart` command as a user runs it: tables, JSON, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from needlechart.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_suggest_table(capsys):
    code, out, _ = run(capsys, "suggest", "--pain", "temple:left", "--pain", "posterior_neck:left", "--top", "3")
    assert code == 0
    assert "Muscles" in out and "Acupoints" in out
    assert "Upper trapezius (left)" in out


def test_suggest_accepts_names_in_any_case(capsys):
    code, out, _ = run(capsys, "suggest", "--pain", "Low Back:RIGHT", "--condition", "Low back pain", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["condition"] == "low_back_pain" and data["pains"][0] == {
        "region": "lumbar",
        "side": "right",
        "intensity": None,
    }


def test_suggest_json_is_stable(capsys):
    args = ("suggest", "--pain", "heel:left", "--condition", "plantar_heel_pain", "--json")
    first = run(capsys, *args)[1]
    assert first == run(capsys, *args)[1]
    data = json.loads(first)
    assert {"muscles", "acupoints"} <= set(data)
    assert {"id", "side", "score", "reason", "hazards", "status"} <= set(data["muscles"][0])


def test_suggest_with_screening_marks_status(capsys, tmp_path):
    screening = write(tmp_path, "s.json", {"findings": ["anticoagulant_therapy"]})
    code, out, _ = run(capsys, "suggest", "--pain", "groin:right", "--screening", screening, "--top", "40", "--json")
    psoas = next(m for m in json.loads(out)["muscles"] if m["id"] == "iliopsoas")
    assert code == 0 and psoas["status"] == "blocked"


@pytest.mark.parametrize(
    "argv, message",
    [
        (("suggest", "--pain", "templ:left"), "unknown region 'templ'; closest: temple"),
        (("suggest", "--pain", "temple"), "write REGION:SIDE"),
        (("suggest", "--pain", "temple:midline"), "side 'midline' is not valid for temple"),
        (("suggest", "--pain", "temple:left:12"), "intensity '12' is out of range: use a whole number from 0 to 10"),
        (("suggest", "--pain", "temple:left:six"), "intensity 'six' must be a whole number from 0 to 10"),
        (
            ("suggest", "--pain", "temple:up"),
            "--pain 'temple:up': side 'up' is not valid for temple; use left or right",
        ),
        (("suggest", "--pain", "temple:left", "--condition", "tension headache x"), "unknown condition"),
        (("score", "ndi", "--answers", "2,3,1,2,0,2,1,3,2,9"), "item 10"),
        (("score", "ndl", "--answers", "1"), "unknown instrument 'ndl'; closest: ndi"),
        (("score", "nprs", "--answers", "x"), "item 1 is 'x'"),
        (("kb", "show", "trapezoid"), "unknown ID or name 'trapezoid'"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err, err
    assert err.count("\n") == 1


def test_argparse_errors_are_status_2_too():
    result = subprocess.run([sys.executable, "-m", "needlechart.cli", "suggest"], capture_output=True, text=True)
    assert result.returncode == 2 and "--pain" in result.stderr


def test_screen_issue_example(capsys, tmp_path):
    path = write(
        tmp_path,
        "screen.json",
        {
            "age": 42,
            "findings": [
                "anticoagulant_therapy",
                {"code": "lymphedema", "region": "upper_arm_anterior", "side": "right"},
            ],
            "planned": [{"target": "upper_trapezius", "side": "left"}, {"target": "LI4", "side": "right"}],
            "modalities": ["dry_needling", "electrical_stimulation"],
        },
    )
    code, out, _ = run(capsys, "screen", path)
    assert code == 0
    assert "Verdict: CAUTION" in out
    assert "LI4 (right): blocked" in out and "upper_trapezius (left): ok" in out
    data = json.loads(run(capsys, "screen", path, "--json")[1])
    assert data["verdict"] == "caution"


def test_screen_red_flag(capsys, tmp_path):
    path = write(
        tmp_path,
        "rf.json",
        {"findings": ["saddle_anesthesia"], "planned": [{"target": "QL", "side": "left"}]},
    )
    code, out, _ = run(capsys, "screen", path)
    assert code == 0 and "Verdict: REFER (emergency)" in out


def test_screen_malformed_json(capsys, tmp_path):
    path = write(tmp_path, "bad.json", '{"age": 42,')
    code, _, err = run(capsys, "screen", path)
    assert code == 2 and "is not valid JSON" in err


def test_screen_missing_file(capsys):
    code, _, err = run(capsys, "screen", "/nonexistent/x.json")
    assert code == 2 and "cannot read" in err


def test_score_table_and_json(capsys):
    code, out, _ = run(capsys, "score", "NDI", "--answers", "2,3,1,2,0,2,1,3,2,-")
    assert code == 0 and "NDI" in out
    data = json.loads(run(capsys, "score", "ndi", "--answers", "2,3,1,2,0,2,1,3,2,-", "--json")[1])
    assert data["scorable"] is True


def test_score_ppt_with_unit(capsys):
    code, out, _ = run(capsys, "score", "ppt", "--answers", "3.1,3.3,3.2", "--unit", "kg/cm2", "--json")
    assert code == 0


def test_codes(capsys, tmp_path):
    path = write(
        tmp_path,
        "codes.json",
        {
            "modality": "acupuncture",
            "increments": [
                {"minutes": 15, "electrical_stimulation": False},
                {"minutes": 15, "electrical_stimulation": True, "reinserted": True},
            ],
        },
    )
    code, out, _ = run(capsys, "codes", path)
    assert code == 0 and "97810" in out and "97814" in out
    assert "Why 97814 x 1:" in out and "(CPT time rule: AAC Info Network)" in out
    assert "(re-insertion rule: Acupuncture Today)" in out
    data = json.loads(run(capsys, "codes", path, "--json")[1])
    assert [(p["code"], p["units"]) for p in data["procedures"]] == [("97810", 1), ("97814", 1)]
    add_on = data["procedures"][1]
    assert "(re-insertion rule: Acupuncture Today)" in add_on["reason"]
    assert "reinsertion_for_add_on" in add_on["rules"]
    assert data["rules"]["reinsertion_for_add_on"]["cited_as"] == "Acupuncture Today"
    assert {s["id"] for s in data["rules"]["cpt_time_rule"]["sources"]} >= {"aac_timed_acupuncture"}


def test_codes_by_the_time_rule_on_the_total(capsys, tmp_path):
    """8 + 8 + 8 minutes with new needles each time is 24 minutes: two units, not three."""
    segments = [{"minutes": 8}, {"minutes": 8, "reinserted": True}, {"minutes": 8, "reinserted": True}]
    path = write(tmp_path, "codes.json", {"modality": "acupuncture", "increments": segments})
    data = json.loads(run(capsys, "codes", path, "--json")[1])
    assert [(p["code"], p["units"]) for p in data["procedures"]] == [("97810", 1), ("97811", 1)]


def test_codes_thirty_minutes_of_retention_is_one_unit_with_a_note(capsys, tmp_path):
    path = write(tmp_path, "codes.json", {"modality": "acupuncture", "increments": [{"minutes": 30}]})
    code, out, _ = run(capsys, "codes", path)
    assert code == 0 and "97810  1" in out and "97811" not in out
    assert "looks like retention" in out


def test_codes_missing_reinserted_is_one_line_exit_2(capsys, tmp_path):
    path = write(
        tmp_path,
        "codes.json",
        {"modality": "acupuncture", "increments": [{"minutes": 15}, {"minutes": 15, "electrical_stimulation": True}]},
    )
    code, out, err = run(capsys, "codes", path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "segment 2: 'reinserted' is missing" in err


def test_codes_pain_sides_choose_the_icd10_side(capsys, tmp_path):
    session = {
        "modality": "dry_needling",
        "condition": "hip pain",
        "pain": [{"region": "lateral_hip", "side": "left"}],
        "insertions": [{"target": "gluteus medius", "side": "left"}],
    }
    data = json.loads(run(capsys, "codes", write(tmp_path, "left.json", session), "--json")[1])
    assert [d["code"] for d in data["diagnoses"]] == ["M25.552", "M70.62"]
    no_drawing = {k: v for k, v in session.items() if k != "pain"}
    code, out, _ = run(capsys, "codes", write(tmp_path, "none.json", no_drawing))
    assert code == 0 and "M25.559" in out and "M25.551" not in out and "M25.552" not in out


def test_codes_bilateral_trapezius_note(capsys, tmp_path):
    session = {
        "modality": "dry_needling",
        "insertions": [{"target": "upper trap", "side": "left"}, {"target": "upper trap", "side": "right"}],
    }
    code, out, _ = run(capsys, "codes", write(tmp_path, "dn.json", session))
    assert code == 0 and "20560" in out and "count as two muscles" in out


def test_kb_check_sources_show(capsys):
    code, out, _ = run(capsys, "kb", "check")
    assert code == 0 and out.startswith("Knowledge base OK")
    code, out, _ = run(capsys, "kb", "sources")
    assert code == 0 and "[simons_1999]" in out
    code, out, _ = run(capsys, "kb", "show", "peroneus longus")
    assert code == 0 and "fibularis_longus" in out and "sources:" in out
    code, out, _ = run(capsys, "kb", "show", "LI4", "--json")
    assert json.loads(out)["code"] == "LI4"


def test_kb_check_reports_broken_data(capsys, tmp_path, monkeypatch):
    import shutil

    from needlechart.knowledge import loader

    data = tmp_path / "data"
    shutil.copytree(loader.DATA_DIR, data)
    (data / "billing.yaml").write_text("- code: '20560'\n")
    loader.load.cache_clear()
    monkeypatch.setenv("NEEDLECHART_KNOWLEDGE_DIR", str(data))
    try:
        code = main(["kb", "check"])
    finally:
        loader.load.cache_clear()
    err = capsys.readouterr().err
    assert code == 3 and "billing.yaml: entry '20560'" in err


def test_aftercare(capsys):
    code, out, _ = run(
        capsys, "aftercare", "--modality", "dry_needling", "--target", "rhomboids:right", "--finding", "pregnancy"
    )
    assert code == 0
    assert "Treated today: right rhomboids" in out
    assert "short of breath" in out and "midwife" in out
    code, _, err = run(capsys, "aftercare", "--modality", "dry_needling", "--target", "rhomboids")
    assert code == 2 and "give the side as left or right" in err
    code, _, err = run(capsys, "aftercare", "--modality", "cupping")
    assert code == 2 and "--modality 'cupping'" in err


def test_suggest_by_modality_in_table_and_json(capsys):
    code, out, _ = run(capsys, "suggest", "--pain", "orbit:left", "--modality", "dry_needling", "--json")
    assert code == 0
    assert not {"BL1", "ST1", "EX-HN7"} & {p["id"] for p in json.loads(out)["acupoints"]}
    code, out, _ = run(capsys, "suggest", "--pain", "orbit:left", "--modality", "acupuncture", "--top", "5")
    assert code == 0 and "caution" in out and "for trained acupuncturists only" in out
    with pytest.raises(SystemExit) as exited:
        run(capsys, "suggest", "--pain", "orbit:left", "--modality", "cupping")
    assert exited.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_screen_shows_rules_with_what_to_change(capsys, tmp_path):
    path = write(
        tmp_path,
        "s.json",
        {"findings": ["pregnancy"], "planned": [{"target": "CV4"}], "modalities": ["acupuncture"], "age": 30},
    )
    code, out, _ = run(capsys, "screen", str(path))
    assert code == 0 and "CV4 (midline): caution" in out and "No deep needling over the uterus" in out
    code, out, _ = run(capsys, "screen", str(path), "--json")
    cv4 = json.loads(out)["targets"][0]
    assert cv4["status"] == "caution" and any("uterus" in r for r in cv4["reasons"])
