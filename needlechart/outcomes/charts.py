"""Each instrument's course as an SVG chart (`common.svgchart.course_chart`), for the overview and
the PDF reports alike: the scores on the instrument's scale, the band where the core calls it a
responder (`clinical.instruments.responder_range` against the baseline), and the plan's
reassessment points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.utils.safestring import SafeString

from needlechart.clinical import instruments as scoring
from needlechart.clinical import progress as core
from needlechart.common.svgchart import Band, course_chart
from needlechart.knowledge import load


def _marker(point: core.ReassessmentPoint) -> str:
    return f"{point.weeks} wk" if point.kind == "weeks" else f"S{point.session}"


def instrument_charts(
    result: core.ProgressResult, series: Mapping[tuple[str, str], Sequence[tuple[date, float]]]
) -> list[tuple[core.InstrumentProgress, SafeString]]:
    """One chart per instrument row of the core's reading, in its order."""
    kb = load()
    markers = [(p.date, _marker(p)) for p in result.reassessment]
    out = []
    for row in result.instruments:
        instrument = kb.instruments[row.instrument]
        points = list(series.get((row.instrument, row.facet), ()))
        low, high = instrument.score.min, instrument.score.max
        if row.instrument == "ppt" and points:  # kPa up to 2,000: scale to the patient's own values
            low, high = 0.0, max(v for _, v in points) * 1.4
        band = None
        reference = (
            row.baseline if row.baseline is not None else (0.0 if row.direction == core.RATING_OF_CHANGE else None)
        )
        if reference is not None:
            reach = scoring.responder_range(instrument, reference)
            if reach is not None:
                band = Band(max(reach[0], low), min(reach[1], high), "MCID reached")
        title = f"{row.name}: {row.reading}" if row.reading else row.name
        chart = course_chart(
            points,
            y_min=low,
            y_max=high,
            unit=row.unit,
            title=title,
            band=band,
            markers=markers,
            start=result.plan.start,
        )
        out.append((row, chart))
    return out


__all__ = ["instrument_charts"]
