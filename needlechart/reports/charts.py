"""Each outcome instrument's course in a report: the very chart the patient overview shows
(`needlechart.outcomes.charts.instrument_charts`: the scores, the band where the core calls the course a
responder, the reassessment points), with a caption saying what the band means.

The series are the core's own (`core.series`: one per instrument and facet, NPRS best and worst, PPT per
site and side), so a chart always shows the points its row in the outcomes table was read from.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import SafeString

from needlechart.clinical import progress as core
from needlechart.knowledge.model import KnowledgeBase
from needlechart.outcomes.charts import instrument_charts as course_charts


@dataclass(frozen=True)
class InstrumentChart:
    row: core.InstrumentProgress
    svg: SafeString
    guide: str  # what the shaded band means, in words


def _guide(row: core.InstrumentProgress) -> str:
    if row.mcid is None:
        return "No minimal important change is recorded for this measure: read the change on its own."
    name = {"mcid": "MCID", "mdc": "minimal detectable change"}.get(row.mcid_kind, "threshold")
    if row.direction == core.RATING_OF_CHANGE:
        return f"Shaded: a rating of +{row.mcid:g} or more, which counts as improved. Dashed lines: reassessments."
    rule = f"{row.mcid:g} {row.unit}" + (f" or {row.relative_percent:g}% of baseline" if row.relative_percent else "")
    return (
        f"Shaded: scores improved on the baseline by at least the {name} ({rule}), which count as a response. "
        "Dashed lines: the plan's reassessment points."
    )


def instrument_charts(
    kb: KnowledgeBase, result: core.ProgressResult, measurements: tuple[core.Measurement, ...]
) -> list[InstrumentChart]:
    """One chart per row of the core's outcomes table that has at least two scores (a single point says
    nothing a table cell does not)."""
    series = core.series(kb, measurements)
    return [
        InstrumentChart(row, svg, _guide(row))
        for row, svg in course_charts(result, series)
        if len(series.get((row.instrument, row.facet), ())) >= 2
    ]
