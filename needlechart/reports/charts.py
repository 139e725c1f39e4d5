"""Each outcome instrument's course as a chart with its MCID marked, drawn by the pages' chart function
(`needlechart.common.svgchart.line_chart`): a report and a page given the same scores show the same markup.

The series are the core's own (`core._series`: one per instrument and facet, NPRS best and worst, PPT per
site and side), so a chart always shows the points its row in the outcomes table was read from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.utils.safestring import SafeString

from needlechart.clinical import progress as core
from needlechart.common.svgchart import Guide, Series, line_chart
from needlechart.knowledge.model import KnowledgeBase


@dataclass(frozen=True)
class InstrumentChart:
    row: core.InstrumentProgress
    svg: SafeString
    guide: str  # what the shaded band or dashed line means, in words


def _guide(row: core.InstrumentProgress) -> tuple[tuple[Guide, ...], str]:
    """The MCID as the chart marks it: for a rating of change (GROC) the threshold line; otherwise the band
    from the baseline to the baseline changed by the MCID in the better direction (a score inside the band
    has not yet changed by the MCID)."""
    if row.mcid is None:
        return (), ""
    name = {"mcid": "MCID", "mdc": "MDC"}.get(row.mcid_kind, "threshold")
    if row.direction == core.RATING_OF_CHANGE:
        return (
            (Guide(row.mcid, row.mcid, f"+{row.mcid:g}"),),
            f"Dashed line: a rating of +{row.mcid:g} or more counts as improved.",
        )
    if row.baseline is None:
        return (), ""
    sign = -1 if row.direction == core.LOWER_IS_BETTER else 1
    edge = row.baseline + sign * row.mcid
    return (
        (Guide(row.baseline, edge, f"{name} {row.mcid:g}"),),
        f"Shaded band: from the baseline ({row.baseline:g}) to a change of one {name} ({row.mcid:g} {row.unit}); "
        "a score beyond the band has changed by at least the "
        + ("minimal clinically important difference." if name == "MCID" else "minimal detectable change."),
    )


def _range(kb: KnowledgeBase, row: core.InstrumentProgress, points: list[tuple[date, float]]) -> tuple[float, float]:
    score = kb.instruments[row.instrument].score
    low, high = float(score.min), float(score.max)
    if high - low > 200:  # PPT (0-2000 kPa): fit the scores and the band, not the whole scale
        values = [v for _, v in points] + [row.baseline or 0.0] + [(row.baseline or 0.0) + (row.mcid or 0.0)]
        top = max(values) * 1.2
        magnitude = 10 ** math.floor(math.log10(max(top, 1)))
        high = min(high, math.ceil(top / magnitude) * magnitude)
    return low, high


def instrument_charts(
    kb: KnowledgeBase, result: core.ProgressResult, measurements: tuple[core.Measurement, ...]
) -> list[InstrumentChart]:
    """One chart per row of the core's outcomes table that has at least two scores (a single point says
    nothing a table cell does not)."""
    series = core._series(kb, measurements)
    out = []
    for row in result.instruments:
        points = series.get((row.instrument, row.facet), [])
        if len(points) < 2:
            continue
        guides, meaning = _guide(row)
        low, high = _range(kb, row, points)
        svg = line_chart(
            [Series(row.name, "score", points)],
            y_min=low,
            y_max=high,
            y_label=row.name,
            width=360,
            height=170,
            title=f"{row.name} ({row.unit}) over the episode",
            guides=guides,
        )
        out.append(InstrumentChart(row, svg, meaning))
    return out
