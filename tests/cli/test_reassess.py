"""`needlechart reassess FILE.json [--json]`: a table for people, stable JSON, and bad input as one line
with exit status 2 (never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from needlechart.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "reassess"
ISSUE_EXAMPLE = {
    "condition": "neck_pain",
    "plan": {"sessions_planned": 6, "frequency_per_week": 1, "start": "2026-09-01"},
    "sessions_done": 4,
    "measurements": [
        {"date": "2026-09-01", "instrument": "ndi", "score": 24},
        {"date": "2026-09-29", "instrument": "ndi", "score": 20},
        {"date": "2026-09-01", "instrument": "nprs", "score": 7},
        {"date": "2026-09-29", "instrument": "nprs", "score": 4},
    ],
    "findings": [],
}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, data, name="in.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


@pytest.mark.parametrize(
    "name, status, table",
    [
        ("responder.json", "responding", "Status: RESPONDING"),
        ("too-early.json", "not_yet", "Status: NOT YET"),
        ("non-responder.json", "not_responding", "Status: NOT RESPONDING"),
        ("red-flag.json", "refer", "Status: REFER (soon)"),
    ],
)
def test_examples(capsys, name, status, table):
    code, out, err = run(capsys, "reassess", str(EXAMPLES / name))
    assert code == 0 and not err and table in out
    assert "Outcome measures" in out and "Reassessment points" in out and "Sources:" in out
    code, out, _ = run(capsys, "reassess", str(EXAMPLES / name), "--json")
    assert code == 0 and json.loads(out)["status"] == status


def test_issue_example_table(capsys, tmp_path):
    code, out, _ = run(capsys, "reassess", write(tmp_path, ISSUE_EXAMPLE))
    assert code == 0
    assert out.splitlines()[0] == (
        "Neck pain: 4 of 6 sessions done, 1 a week from 2026-09-01 (last planned 2026-10-06)"
    )
    assert "Today 2026-09-29, day 28 of the plan" in out
    assert "Status: RESPONDING" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith(("NDI ", "NPRS "))}
    assert "24 (2026-09-01)" in lines["NDI"] and "20 (2026-09-29)" in lines["NDI"] and "10 pt" in lines["NDI"]
    assert lines["NDI"].rstrip().endswith("no") and lines["NPRS"].rstrip().endswith("yes")
    assert "after session 3 of 6 (50%)   2026-09-15  reached" in out
    assert "12 weeks" in out and "2026-11-24" in out


def test_json_is_stable_and_complete(capsys, tmp_path):
    path = write(tmp_path, ISSUE_EXAMPLE)
    first = run(capsys, "reassess", path, "--json")[1]
    assert first == run(capsys, "reassess", path, "--json")[1]
    data = json.loads(first)
    assert {"status", "reasons", "instruments", "judgement", "reassessment", "payer_warnings", "sources"} <= set(data)
    ndi = next(r for r in data["instruments"] if r["instrument"] == "ndi")
    assert ndi["baseline"] == 24 and ndi["latest"] == 20 and ndi["change"] == -4 and ndi["improvement"] == 4
    assert ndi["mcid"] == 10 and ndi["met"] is False and ndi["direction"] == "lower_is_better"
    assert ndi["baseline_date"] == "2026-09-01" and {"id": "young_2009", "locator": ""} in ndi["mcid_sources"]
    assert [p["date"] for p in data["reassessment"]] == [
        "2026-09-15",
        "2026-09-29",
        "2026-10-06",
        "2026-10-27",
        "2026-11-24",
    ]
    assert data["today"] == "2026-09-29" and data["plan"]["start"] == "2026-09-01"


def test_non_responder_table_lists_drivers_checks_and_actions(capsys):
    code, out, _ = run(capsys, "reassess", str(EXAMPLES / "non-responder.json"))
    assert code == 0
    assert "Underlying drivers to examine\n1. Central sensitisation  [signs:" in out
    for driver in ("Mechanical load and ergonomics", "Joint dysfunction", "Nerve-related pain", "Systemic illness"):
        assert driver in out
    assert "Check: Exclude nerve-related (neuropathic) pain first." in out
    assert "- [change plan] Add progressive strengthening" in out
    assert "- [stop needling] Stop needling" in out
    assert "- [refer, routine] Refer to a pain service" in out and "To: a multidisciplinary pain service" in out


def test_red_flag_table_says_whom_and_how_urgently(capsys):
    code, out, _ = run(capsys, "reassess", str(EXAMPLES / "red-flag.json"))
    assert code == 0 and "\nRefer\n- [soon] red flag at the re-screen: Constant night pain" in out
    assert "- [soon] red flag at the re-screen: History of cancer" in out
    assert "To: Refer to the patient's physician for assessment within days" in out


def test_too_early_table_says_when_and_warns_the_payer(capsys):
    code, out, _ = run(capsys, "reassess", str(EXAMPLES / "too-early.json"))
    assert code == 0
    assert "When: progress can be judged after session 7 of 14" in out and "2026-09-29 (4 weeks" in out
    assert "Payer (medicare)" in out and "13 sessions in the first 90 days" in out


def test_default_plan_and_standard_input(tmp_path):
    data = {**ISSUE_EXAMPLE, "plan": {"start": "2026-09-01"}}
    result = subprocess.run(
        [sys.executable, "-m", "needlechart.cli", "reassess", "-"],
        input=json.dumps(data),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "(default for neck pain: sessions_planned, frequency_per_week)" in result.stdout


@pytest.mark.parametrize(
    "change, message",
    [
        ({"condition": "neck pian"}, "unknown condition 'neck pian'; closest: neck_pain"),
        ({"plan": {"start": "2026-13-01"}}, "plan: start '2026-13-01' is not a date: write YYYY-MM-DD"),
        (
            {"plan": {"start": "2026-09-01", "frequncy_per_week": 1}},
            "unknown key 'frequncy_per_week'; closest: frequency",
        ),
        ({"plan": {"start": "2026-09-01", "payer": "medicar"}}, "unknown payer 'medicar'; closest: medicare"),
        ({"sessions_done": "four"}, "sessions_done 'four': give a whole number of 0 or more"),
        (
            {"measurements": [{"date": "2026-09-01", "instrument": "ndx", "score": 24}]},
            "measurement 1: unknown instrument 'ndx'; closest: ndi",
        ),
        (
            {"measurements": [{"date": "2026-09-01", "instrument": "ndi", "score": 60}]},
            "measurement 1 (ndi, 2026-09-01): score 60 is out of range: the NDI runs from 0 to 50 points",
        ),
        (
            {"measurements": [{"date": "2026-09-01", "instrument": "nprs", "score": 5.5}]},
            "the NPRS is rated in whole numbers",
        ),
        (
            {"measurements": [{"date": "2026-09-01", "instrument": "ppt", "score": 3, "unit": "kgs"}]},
            "unknown pressure unit 'kgs'",
        ),
        (
            {"findings": ["sadle anesthesia"]},
            "findings: unknown finding 'sadle anesthesia'; closest: saddle_anesthesia",
        ),
        ({"symptoms": ["worse"]}, "symptoms: unknown symptom 'worse'; closest: worsening"),
        ({"signs": ["widespread"]}, "signs: unknown sign 'widespread'; closest: widespread_pain"),
        ({"measurments": []}, "unknown key 'measurments'; closest: measurements"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, change, message):
    code, out, err = run(capsys, "reassess", write(tmp_path, {**ISSUE_EXAMPLE, **change}))
    assert code == 2 and not out
    assert message in err, err
    assert err.startswith("needlechart: error: ") and err.count("\n") == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"condition": "neck_pain",', "is not valid JSON"),
        ("[1, 2]", "the input must be a JSON object"),
        ('{"condition": "neck_pain"}', "'plan' is missing"),
    ],
)
def test_malformed_input_is_one_line_without_traceback(tmp_path, content, message):
    path = write(tmp_path, content)
    result = subprocess.run([sys.executable, "-m", "needlechart.cli", "reassess", path], capture_output=True, text=True)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_missing_file(capsys):
    code, _, err = run(capsys, "reassess", "/nonexistent/episode.json")
    assert code == 2 and "cannot read /nonexistent/episode.json" in err
