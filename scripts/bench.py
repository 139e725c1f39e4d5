"""Benchmarks for the clinical core: latency per call of suggestion and screening; and the time per PDF
progress report.

    python scripts/bench.py --output bench-results.json

Targets (2-core machine): suggestion, screening and the sign check under 2 ms per call at p95. The results file
records each case's p50, p95 and mean in milliseconds, the target and whether it was met; the
exit status is 0 either way (benchmarks report, tests assert behaviour).

The PDF progress report (`--reports N`, 0 to leave it out) is timed end to end as a download does it
(`reports.services.episode_report`: the outcomes read, the core's assessment, the charts, the template
and WeasyPrint) on the report tests' course (tests/reports/conftest.py: five signed visits, nine
measurements) in an in-memory SQLite database; the first report, which imports WeasyPrint, is reported
apart. No target: it is recorded so that a slower report shows.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from needlechart.clinical import charting as rules
from needlechart.clinical.screening import PlannedTarget, ReportedFinding, ScreeningInput, screen
from needlechart.clinical.suggestion import Pain, suggest
from needlechart.knowledge import load

TARGET_MS = 2.0


def measure(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    for _ in range(20):  # warm caches
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return {
        "p50_ms": round(samples[len(samples) // 2], 4),
        "p95_ms": round(samples[int(len(samples) * 0.95)], 4),
        "mean_ms": round(statistics.fmean(samples), 4),
        "calls": repeat,
    }


def cases(kb):
    headache = [Pain("temple", "left"), Pain("posterior_neck", "left"), Pain("occiput", "left")]
    widespread = [
        Pain(r, s)
        for r in ("lumbar", "buttock", "thigh_posterior", "calf", "sacroiliac", "lateral_hip")
        for s in ("left", "right")
    ]
    anticoag = ScreeningInput(68, (ReportedFinding("anticoagulant_therapy"),), (), ("dry_needling",))
    plan = tuple(
        PlannedTarget(t, s)
        for t, s in (
            ("upper_trapezius", "left"),
            ("levator_scapulae", "left"),
            ("LI4", "right"),
            ("iliopsoas", "right"),
            ("GB21", "left"),
            ("gluteus_medius", "right"),
            ("rhomboids", "right"),
            ("SP6", "left"),
        )
    )
    complex_screen = ScreeningInput(
        34,
        (
            ReportedFinding("pregnancy"),
            ReportedFinding("anticoagulant_therapy"),
            ReportedFinding("pacemaker"),
            ReportedFinding("lymphedema", "upper_arm_anterior", "right"),
            ReportedFinding("cancer_history"),
        ),
        plan,
        ("acupuncture", "electrical_stimulation"),
    )
    red_flag = ScreeningInput(55, (ReportedFinding("cancer_history"), ReportedFinding("night_pain")), plan, ())
    # Sign readiness is answered after every autosave: an acupuncture note with eight points.
    points = ("LI4", "LI11", "GB20", "GB21", "SI3", "TE5", "LI10", "SI14")
    note = rules.NoteForSigning(
        gate=rules.Gate(
            modality="acupuncture",
            screening=ScreeningInput(61, (ReportedFinding("anticoagulant_therapy"),)),
            verdict="caution",
            consents={"acupuncture": rules.ConsentOnFile("acupuncture", ("pneumothorax",))},
            clinician=rules.Clinician("acupuncturist"),
        ),
        screened_on=None,
        visit_date=__import__("datetime").date(2026, 12, 1),
        needles=tuple(
            rules.Needle(p, "left", lung_technique="superficial", numbers={"depth_mm": 10, "length_mm": 25})
            for p in points
        ),
        nprs_before=5,
        needles_in=8,
        needles_out=8,
        face_to_face_minutes=20,
    )
    return {
        "sign check: acupuncture note, 8 points": lambda: rules.sign_problems(kb, note),
        "suggest: 3-region headache": lambda: suggest(kb, headache),
        "suggest: 3 regions + condition": lambda: suggest(kb, headache, "tension_type_headache"),
        "suggest: 12 regions + condition + screening": lambda: suggest(kb, widespread, "low_back_pain", anticoag),
        "screen: 5 findings, 8 targets, 2 modalities": lambda: screen(kb, complex_screen),
        "screen: red-flag combination": lambda: screen(kb, red_flag),
    }


def pdf_reports(repeat: int) -> dict[str, object]:
    """Seconds per PDF progress report, with Django on the test settings and a throwaway database."""
    import os
    import sys
    from datetime import timedelta

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package: the course's data
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from needlechart.reports import services
    from tests.reports.conftest import WEEKS, build_course, build_world

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    course = build_course(build_world(), timezone.localdate() - timedelta(weeks=WEEKS))
    user, episode = course["physio"], course["episode"]

    def one() -> tuple[float, int]:
        start = time.perf_counter()
        report = services.episode_report(user, episode, "progress")
        return time.perf_counter() - start, len(report.pdf)

    first, size = one()
    samples = sorted(one()[0] for _ in range(repeat))
    html_samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        services.episode_html(user, episode, "progress")
        html_samples.append(time.perf_counter() - start)
    return {
        "first_report_s": round(first, 3),
        "p50_s": round(samples[len(samples) // 2], 3),
        "p95_s": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 3),
        "mean_s": round(statistics.fmean(samples), 3),
        "data_and_html_mean_s": round(statistics.fmean(html_samples), 3),
        "pdf_bytes": size,
        "reports": repeat,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="bench-results.json")
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--reports", type=int, default=10, help="PDF progress reports to time (0: none)")
    args = parser.parse_args()
    started = time.perf_counter()
    kb = load()
    load_s = time.perf_counter() - started
    results = {}
    for name, fn in cases(kb).items():
        r = measure(fn, args.repeat)
        r["target_ms"] = TARGET_MS
        r["met"] = r["p95_ms"] < TARGET_MS
        results[name] = r
        print(f"{name:48s} p50 {r['p50_ms']:.3f} ms  p95 {r['p95_ms']:.3f} ms  {'OK' if r['met'] else 'OVER TARGET'}")
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "knowledge_base_load_s": round(load_s, 3),
        "core": results,
    }
    if args.reports:
        pdf = pdf_reports(args.reports)
        report["pdf_progress_report"] = pdf
        print(
            f"{'PDF progress report (time per report)':48s} p50 {pdf['p50_s']:.3f} s  p95 {pdf['p95_s']:.3f} s  "
            f"(data and HTML {pdf['data_and_html_mean_s']:.3f} s; first {pdf['first_report_s']:.3f} s with the "
            f"WeasyPrint import; {pdf['pdf_bytes'] / 1024:.0f} KB)"
        )
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(f"knowledge base load {load_s:.3f} s; results written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
