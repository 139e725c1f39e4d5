"""The dashboard's SVG charts, drawn from its tables by needlechart.common.svgchart."""

from __future__ import annotations

import math

from django.utils.safestring import SafeString

from needlechart.common.svgchart import IntervalRow, interval_chart

from .selectors import Dashboard


def charts(d: Dashboard) -> dict[str, SafeString]:
    responders = [
        IntervalRow(r.name, 100 * r.rate if r.rate is not None else None, *(_pct(r.ci))) for r in d.responders
    ]
    changes = [
        IntervalRow(
            f"{r.name} at {r.weeks} weeks",
            r.estimate.mean if r.estimate else None,
            r.estimate.ci.low if r.estimate and r.estimate.ci else None,
            r.estimate.ci.high if r.estimate and r.estimate.ci else None,
            tuple(
                (b.effect.study, b.effect.value, "bench")
                for b in r.benchmarks
                if b.comparison is not None and b.effect.value is not None
            ),
        )
        for r in d.changes
        if r.instrument == "nprs"
    ]
    events = [
        IntervalRow(
            r.name,
            r.per_1000,
            r.ci.low if r.ci else None,
            r.ci.high if r.ci else None,
            tuple((s.study.name, s.per_1000, s.study.id.split("_")[0]) for s in r.benchmarks),
        )
        for r in d.adverse_events
        if r.treatments_with or r.benchmarks
    ]
    top = max([r.high or 0 for r in events] + [m[1] for r in events for m in r.markers] + [1.0])
    completeness = [
        IntervalRow(r.name, 100 * r.share if r.share is not None else None, *_pct(r.ci))
        for r in d.completeness.instruments
    ]
    return {
        "responders": interval_chart(
            responders, x_min=0, x_max=100, unit="%", title="Responders per instrument, 95% CI"
        ),
        "changes": interval_chart(
            changes, x_min=-10, x_max=10, unit="", title="Mean NPRS change from baseline, 95% CI"
        ),
        "adverse_events": interval_chart(
            events, x_min=0, x_max=nice_ceiling(top), unit="", title="Adverse events per 1,000 treatments"
        ),
        "completeness": interval_chart(
            completeness, x_min=0, x_max=100, unit="%", title="Due measurements taken, 95% CI"
        ),
    }


def _pct(ci) -> tuple[float | None, float | None]:
    return (100 * ci.low, 100 * ci.high) if ci is not None else (None, None)


def nice_ceiling(value: float) -> float:
    """The axis end: the smallest 1, 2, 4 or 8 times a power of ten at or above `value`, so that the
    chart's quarter ticks are round numbers."""
    power = 10 ** math.floor(math.log10(value)) if value > 0 else 1
    return next(step * power for step in (1, 2, 4, 8, 10) if step * power >= value)
