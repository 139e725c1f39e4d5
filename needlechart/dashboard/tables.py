"""Each dashboard table as plain rows (header first): what the CSV files carry, with the filters in
their first columns so a file read on its own still says what it counts."""

from __future__ import annotations

from dataclasses import dataclass

from needlechart.clinical.benchmarks import Interval
from needlechart.knowledge.benchmarks import Effect
from needlechart.knowledge.sourceref import SourceRef

from .selectors import Dashboard

FILTER_COLUMNS = ["date_from", "date_to", "condition", "clinician"]


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]


def _n(value: float | None, digits: int = 2) -> str:
    if value is None:
        return ""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ci(ci: Interval | None, digits: int = 2) -> list[str]:
    return [_n(ci.low, digits), _n(ci.high, digits)] if ci is not None else ["", ""]


def _pct(ci: Interval | None) -> list[str]:
    return _ci(ci.scaled(100) if ci else None, 1)


def _value(e: Effect) -> str:
    if e.value is not None:
        return _n(e.value)
    return f"{_n(e.range.low)} to {_n(e.range.high)}" if e.range else ""


def _source(ref: SourceRef) -> str:
    return f"{ref.id} ({ref.locator})" if ref.locator else ref.id


def tables(d: Dashboard) -> dict[str, Table]:
    out: dict[str, Table] = {}
    out["overview"] = Table(
        "Episodes and signed visits",
        ["group", "label", "episodes", "signed_visits", "visits_in_episodes", "visits_per_episode"],
        [
            [
                r.group,
                r.label,
                str(r.episodes),
                str(r.signed_visits),
                str(r.visits_in_episodes),
                _n(r.visits_per_episode),
            ]
            for r in d.overview
        ],
    )
    out["responders"] = Table(
        "Responders per instrument (MCID met within 12 weeks)",
        ["instrument", "responders", "assessed", "rate_percent", "ci95_low_percent", "ci95_high_percent"],
        [
            [r.instrument, str(r.responders), str(r.assessed), _n(100 * r.rate if r.rate is not None else None, 1)]
            + _pct(r.ci)
            for r in d.responders
        ],
    )
    change_rows = []
    for r in d.changes:
        est = r.estimate
        base = [r.instrument, r.unit, str(r.weeks), str(est.n if est else 0), _n(est.mean if est else None)]
        base += _ci(est.ci if est else None)
        if not r.benchmarks:
            change_rows.append(base + ["", "", "", "", "", ""])
        for b in r.benchmarks:
            change_rows.append(
                base + [b.effect.id, b.effect.study, _value(b.effect)] + _ci(b.effect.ci) + [b.comparison.text]
            )
    out["change"] = Table(
        "Mean change from baseline at 4, 8 and 12 weeks, against published effects in the same points",
        [
            "instrument",
            "unit",
            "weeks",
            "episodes",
            "mean_change",
            "ci95_low",
            "ci95_high",
            "benchmark",
            "study",
            "benchmark_value",
            "benchmark_ci95_low",
            "benchmark_ci95_high",
            "comparison",
        ],
        change_rows,
    )
    out["benchmarks"] = Table(
        "Published effects listed for the filter",
        [
            "benchmark",
            "study",
            "modality",
            "conditions",
            "comparison",
            "timepoint",
            "measure",
            "instrument",
            "outcome",
            "value",
            "ci95_low",
            "ci95_high",
            "ci_note",
            "sources",
        ],
        [
            [
                e.id,
                e.study,
                e.modality,
                " ".join(e.conditions) or "any",
                e.comparison,
                e.timepoint,
                e.measure,
                e.instrument,
                e.outcome,
                _value(e),
            ]
            + _ci(e.ci)
            + [e.ci_note, "; ".join(_source(s) for s in e.sources)]
            for e in d.effects
        ],
    )
    ae_rows = []
    for r in d.adverse_events:
        base = [r.type, str(r.treatments_with), str(r.treatments), _n(r.per_1000)] + _ci(r.ci)
        if not r.benchmarks:
            ae_rows.append(base + ["", "", "", "", "", "", ""])
        for s in r.benchmarks:
            ae_rows.append(
                base + [s.study.name, _n(s.per_1000)] + _ci(s.ci) + [s.ci_basis, s.ci_note, s.comparison.text]
            )
    out["adverse_events"] = Table(
        "Adverse events per 1,000 treatments (signed visits), against Brady 2014 and Boyce 2020",
        [
            "type",
            "treatments_with_event",
            "treatments",
            "per_1000",
            "ci95_low",
            "ci95_high",
            "study",
            "study_per_1000",
            "study_ci95_low",
            "study_ci95_high",
            "study_ci_basis",
            "study_ci_note",
            "comparison",
        ],
        ae_rows,
    )
    out["referrals"] = Table(
        "Non-responders and referrals",
        ["flag", "label", "episodes", "of_episodes", "share_percent"],
        [
            [r.id, r.label, str(r.episodes), str(r.of), _n(100 * r.share if r.share is not None else None, 1)]
            for r in d.flags
        ],
    )
    c = d.completeness
    out["completeness"] = Table(
        "Outcome completeness (due measurements taken)",
        ["instrument", "due", "taken", "share_percent", "ci95_low_percent", "ci95_high_percent"],
        [
            [r.instrument, str(r.due), str(r.taken), _n(100 * r.share if r.share is not None else None, 1)] + _pct(r.ci)
            for r in c.instruments
        ]
        + [["all", str(c.due), str(c.taken), _n(100 * c.share if c.share is not None else None, 1)] + _pct(c.ci)],
    )
    return out


TABLES = ("overview", "responders", "change", "benchmarks", "adverse_events", "referrals", "completeness")
