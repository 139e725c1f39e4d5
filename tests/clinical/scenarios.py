"""Helpers for screening scenarios: one patient, their findings, a plan, and the status of each item."""

from __future__ import annotations

from needlechart.clinical.screening import PlannedTarget, ReportedFinding, ScreeningInput, ScreeningResult, screen


def run(kb, *findings, age=45, planned=(), modalities=("dry_needling",)) -> ScreeningResult:
    """Screen a patient: findings as codes or ReportedFinding, planned as (target, side) pairs."""
    reported = tuple(f if isinstance(f, ReportedFinding) else ReportedFinding(f) for f in findings)
    plan = tuple(PlannedTarget(t, s) for t, s in planned)
    return screen(kb, ScreeningInput(age, reported, plan, tuple(modalities)))


def status(result: ScreeningResult, item: str, side: str = "") -> str:
    found = result.status_of(item, side)
    assert found is not None, (item, side)
    return found.status


def reasons(result: ScreeningResult, item: str, side: str = "") -> str:
    found = result.status_of(item, side)
    assert found is not None, (item, side)
    return " ".join(found.reasons)


def untouched_by(result: ScreeningResult, item: str, side: str, finding: str) -> bool:
    """The finding put nothing on this item: any caution left is the plan's own (lung-field targets
    planned on both sides of the thorax, which a block on one side does not lift)."""
    found = result.status_of(item, side)
    assert found is not None, (item, side)
    return finding not in found.findings and found.status != "blocked"
