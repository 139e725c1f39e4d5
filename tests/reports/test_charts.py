"""The chart options the reports use: an MCID band or threshold line, a y range other than 0-10."""

from __future__ import annotations

import re
from datetime import date

from needlechart.common.svgchart import Guide, Series, line_chart

DAYS = [date(2026, 1, 5), date(2026, 2, 2)]


def test_a_band_is_drawn_behind_the_line_between_its_scores():
    svg = line_chart(
        [Series("NDI", "score", list(zip(DAYS, [30.0, 10.0], strict=True)))],
        y_max=50,
        height=220,
        guides=[Guide(30, 20, "MCID 10")],
    )
    band = re.search(r'<rect class="guide-band mcid" x="36" y="([\d.]+)" width="\d+" height="([\d.]+)"/>', svg)
    assert band, svg
    plot_h = 220 - 12 - 28
    assert float(band.group(1)) == round(12 + plot_h * (1 - 30 / 50), 1)
    assert float(band.group(2)) == round(plot_h * 10 / 50, 1)
    assert svg.index("guide-band") < svg.index('class="line score"')  # behind the line
    assert ">MCID 10</text>" in svg
    ticks = re.findall(r'<text class="tick" x="30" y="[\d.]+" text-anchor="end">(\d+)</text>', svg)
    assert ticks == ["0", "10", "20", "30", "40", "50"]


def test_a_threshold_is_a_dashed_line_and_the_range_may_go_below_zero():
    svg = line_chart(
        [Series("GROC", "score", list(zip(DAYS, [-2.0, 5.0], strict=True)))],
        y_min=-7,
        y_max=7,
        guides=[Guide(3, 3, "+3")],
    )
    assert 'class="guide-line mcid"' in svg and "guide-band" not in svg
    assert re.findall(r'text-anchor="end">(-?\d+)</text>', svg) == ["-6", "-4", "-2", "0", "2", "4", "6"]


def test_without_guides_the_chart_is_as_before():
    svg = line_chart([Series("Before", "before", list(zip(DAYS, [6, 4], strict=True)))])
    assert "guide" not in svg
    assert re.findall(r'text-anchor="end">(\d+)</text>', svg) == ["0", "2", "4", "6", "8", "10"]
    assert 'x2="612"' in svg  # the grid spans the plot as before (640 less the right margin of 28)
