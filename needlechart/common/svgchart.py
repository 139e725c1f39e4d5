"""Server-side SVG charts: one markup for pages, PDFs and htmx swaps, no JavaScript.

Small on purpose: a score-over-time line chart is all the clinical pages need. A chart is a pure
function of its data, so each distinct one is drawn once per process and then reused (a bounded
cache keyed by the data itself): reopening a patient whose scores have not changed draws nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    points: Sequence[tuple[date, float | None]]


@dataclass(frozen=True)
class Guide:
    """A horizontal mark behind the lines: a band from `low` to `high` (shaded), or a line where they are
    equal (dashed), labelled at the right. The outcome reports mark an instrument's MCID with one: the
    band of change smaller than the MCID around the baseline, or a rating-of-change threshold line."""

    low: float
    high: float
    label: str
    css_class: str = "mcid"


def line_chart(
    series: Sequence[Series],
    *,
    y_max: float = 10,
    y_label: str = "NPRS",
    width: int = 640,
    height: int = 220,
    title: str = "",
    y_min: float = 0,
    y_step: float | None = None,
    guides: Sequence[Guide] = (),
) -> SafeString:
    """Lines over dates; y from `y_min` (0) to `y_max`, a grid line every `y_step` (default: 2 up to a
    range of 15, else a round step giving about five lines). Points carry <title> tooltips; gaps are
    skipped. `guides` are drawn behind the lines (an MCID band or threshold)."""
    data = tuple((s.name, s.css_class, tuple(s.points)) for s in series)
    marks = tuple((g.low, g.high, g.label, g.css_class) for g in guides)
    return _drawn(data, y_max, y_label, width, height, title, y_min, y_step, marks)


def _step(span: float) -> float:
    if span <= 15:  # 0-10 ratings, and the GROC's -7 to +7
        return 2
    rough = span / 5
    magnitude = 10 ** math.floor(math.log10(rough))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)


@lru_cache(maxsize=256)
def _drawn(
    data: tuple[tuple[str, str, tuple[tuple[date, float | None], ...]], ...],
    y_max: float,
    y_label: str,
    width: int,
    height: int,
    title: str,
    y_min: float = 0,
    y_step: float | None = None,
    marks: tuple[tuple[float, float, str, str], ...] = (),
) -> SafeString:
    series = [Series(name, css_class, points) for name, css_class, points in data]
    days = sorted({d for s in series for d, v in s.points if v is not None})
    if not days:
        return mark_safe('<p class="muted">No scores recorded yet.</p>')
    left, right, top, bottom = 36, 28, 12, 28
    if marks:
        right = 64  # room for the guides' labels
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)

    def x(d: date) -> float:
        return left + (plot_w * (d - first).days / span if len(days) > 1 else plot_w / 2)

    def y(v: float) -> float:
        v = min(max(v, y_min), y_max)
        return top + plot_h * (1 - (v - y_min) / (y_max - y_min))

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or y_label)}">',
        f"<title>{escape(title or y_label)}</title>",
    ]
    step = y_step or _step(y_max - y_min)
    tick = math.ceil(y_min / step) * step
    while tick <= y_max + 1e-9:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
        tick += step
    for low, high, label, css_class in marks:
        top_y, bottom_y = y(max(low, high)), y(min(low, high))
        if bottom_y - top_y < 0.5:
            parts.append(
                f'<line class="guide-line {escape(css_class)}" x1="{left}" x2="{width - right}" '
                f'y1="{top_y:.1f}" y2="{top_y:.1f}"/>'
            )
        else:
            parts.append(
                f'<rect class="guide-band {escape(css_class)}" x="{left}" y="{top_y:.1f}" '
                f'width="{plot_w}" height="{bottom_y - top_y:.1f}"/>'
            )
        parts.append(
            f'<text class="guide-text {escape(css_class)}" x="{width - right + 4}" '
            f'y="{(top_y + bottom_y) / 2 + 4:.1f}">{escape(label)}</text>'
        )
    labelled = days if len(days) <= 8 else days[:: max(1, len(days) // 6)] + [days[-1]]
    for d in dict.fromkeys(labelled):
        parts.append(f'<text class="tick" x="{x(d):.1f}" y="{height - 8}" text-anchor="middle">{d:%d %b}</text>')
    for s in series:
        pts = [(d, v) for d, v in s.points if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x(d):.1f},{y(v):.1f}" for i, (d, v) in enumerate(pts))
            parts.append(f'<path class="line {s.css_class}" d="{path}"/>')
        for d, v in pts:
            parts.append(
                f'<circle class="dot {s.css_class}" cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5">'
                f"<title>{escape(s.name)} {d:%Y-%m-%d}: {v:g}</title></circle>"
            )
    legend_x = left
    for s in series:
        parts.append(f'<circle class="dot {s.css_class}" cx="{legend_x + 4}" cy="{top + 2}" r="4"/>')
        parts.append(f'<text class="legend-text" x="{legend_x + 12}" y="{top + 6}">{escape(s.name)}</text>')
        legend_x += 12 + 8 * len(s.name) + 16
    parts.append("</svg>")
    return mark_safe("".join(parts))


@dataclass(frozen=True)
class Band:
    """A shaded range of the y axis (e.g. where an instrument's MCID is reached), with its label."""

    low: float
    high: float
    label: str


def course_chart(
    points: Sequence[tuple[date, float]],
    *,
    y_min: float,
    y_max: float,
    unit: str,
    title: str,
    band: Band | None = None,
    markers: Sequence[tuple[date, str]] = (),
    start: date | None = None,
    width: int = 640,
    height: int = 200,
) -> SafeString:
    """One instrument's course: its scores over time on the instrument's own scale, a shaded band
    where its minimal important change is reached, and dashed lines at the reassessment points. The
    time axis runs from `start` (the plan's start: every chart of an episode shares it) to the last
    point or marker. The same markup serves the pages and the PDF reports."""
    return _course(tuple(points), y_min, y_max, unit, title, band, tuple(markers), start, width, height)


@lru_cache(maxsize=512)
def _course(
    points: tuple[tuple[date, float], ...],
    y_min: float,
    y_max: float,
    unit: str,
    title: str,
    band: Band | None,
    markers: tuple[tuple[date, str], ...],
    start: date | None,
    width: int,
    height: int,
) -> SafeString:
    if not points:
        return mark_safe('<p class="muted">No scores recorded yet.</p>')
    left, right, top, bottom = 44, 24, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    days = [d for d, _ in points] + [d for d, _ in markers] + ([start] if start else [])
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    y_span = (y_max - y_min) or 1

    def x(d: date) -> float:
        return left + plot_w * (d - first).days / span

    def y(v: float) -> float:
        return top + plot_h * (1 - (min(max(v, y_min), y_max) - y_min) / y_span)

    label = escape(title)
    parts = [
        f'<svg class="chart course" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
        f"<title>{label}</title>",
    ]
    if band is not None and band.high > band.low:
        y_top, y_bottom = y(band.high), y(band.low)
        parts.append(
            f'<rect class="band" x="{left}" y="{y_top:.1f}" width="{plot_w}" height="{y_bottom - y_top:.1f}">'
            f"<title>{escape(band.label)}</title></rect>"
        )
        label_y = y_top + 12 if y_top + 12 < y_bottom else y_top - 3
        parts.append(
            f'<text class="band-label" x="{width - right - 4}" y="{label_y:.1f}"'
            f' text-anchor="end">{escape(band.label)}</text>'
        )
    step = _step(y_span)
    tick = y_min - (y_min % step)
    while tick <= y_max + 1e-9:
        if tick >= y_min - 1e-9:
            parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>')
            parts.append(f'<text class="tick" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
        tick += step
    for d, text in markers:
        parts.append(
            f'<line class="marker" x1="{x(d):.1f}" x2="{x(d):.1f}" y1="{top}" y2="{top + plot_h}"><title>'
            f"{escape(text)} ({d:%Y-%m-%d})</title></line>"
        )
        near_end = x(d) > width - right - 30
        anchor = ' text-anchor="end"' if near_end else ""
        parts.append(
            f'<text class="marker-label" x="{x(d) + (-3 if near_end else 3):.1f}" y="{top + 9}"{anchor}>'
            f"{escape(text)}</text>"
        )
    for d, anchor in ((first, "start"), (last, "end")):
        parts.append(f'<text class="tick" x="{x(d):.1f}" y="{height - 10}" text-anchor="{anchor}">{d:%d %b %Y}</text>')
    if len(points) > 1:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(d):.1f},{y(v):.1f}" for i, (d, v) in enumerate(points))
        parts.append(f'<path class="line score" d="{path}"/>')
    for d, v in points:
        parts.append(
            f'<circle class="dot score" cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5">'
            f"<title>{d:%Y-%m-%d}: {v:g} {escape(unit)}</title></circle>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


@dataclass(frozen=True)
class IntervalRow:
    """One row of an interval chart: the clinic's estimate with its interval, and reference markers
    (a published figure: name, value, css class) drawn on the same axis."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    markers: tuple[tuple[str, float, str], ...] = ()


def interval_chart(
    rows: Sequence[IntervalRow],
    *,
    x_min: float,
    x_max: float,
    unit: str = "",
    width: int = 640,
    title: str = "",
) -> SafeString:
    """Horizontal estimates with their intervals (a dot and a whisker per row) on one axis from
    `x_min` to `x_max`, each row's markers as diamonds; values beyond the axis are clipped to it.
    Drawn once per distinct input, like `line_chart`."""
    data = tuple((r.label, r.value, r.low, r.high, tuple(r.markers)) for r in rows)
    return _intervals(data, float(x_min), float(x_max), unit, width, title)


@lru_cache(maxsize=256)
def _intervals(
    data: tuple[tuple[str, float | None, float | None, float | None, tuple[tuple[str, float, str], ...]], ...],
    x_min: float,
    x_max: float,
    unit: str,
    width: int,
    title: str,
) -> SafeString:
    if not data:
        return mark_safe('<p class="muted">Nothing to chart in this range.</p>')
    if x_max <= x_min:
        x_max = x_min + 1
    label_w, right, top, row_h = 230, 24, 10, 26
    height = top + row_h * len(data) + 30
    plot_w = width - label_w - right

    def x(v: float) -> float:
        v = min(max(v, x_min), x_max)
        return label_w + plot_w * (v - x_min) / (x_max - x_min)

    name = escape(title or unit)
    parts = [
        f'<svg class="chart intervals" viewBox="0 0 {width} {height}" role="img" aria-label="{name}">',
        f"<title>{name}</title>",
    ]
    for i in range(5):
        tick = x_min + (x_max - x_min) * i / 4
        parts.append(f'<line class="grid" x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{height - 24}"/>')
        parts.append(
            f'<text class="tick" x="{x(tick):.1f}" y="{height - 8}" text-anchor="middle">{tick:g}{escape(unit)}</text>'
        )
    if x_min < 0 < x_max:
        parts.append(f'<line class="zero" x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{top}" y2="{height - 24}"/>')
    for n, (label, value, low, high, markers) in enumerate(data):
        cy = top + row_h * n + row_h / 2
        shown = label if len(label) <= 36 else label[:35] + "…"
        parts.append(
            f'<text class="tick" x="{label_w - 8}" y="{cy + 4:.1f}" text-anchor="end">{escape(shown)}'
            f"<title>{escape(label)}</title></text>"
        )
        if low is not None and high is not None:
            parts.append(f'<line class="whisker" x1="{x(low):.1f}" x2="{x(high):.1f}" y1="{cy:.1f}" y2="{cy:.1f}"/>')
        if value is not None:
            span = f" ({low:g} to {high:g})" if low is not None and high is not None else ""
            parts.append(
                f'<circle class="dot estimate" cx="{x(value):.1f}" cy="{cy:.1f}" r="4">'
                f"<title>{escape(label)}: {value:g}{escape(unit)}{span}</title></circle>"
            )
        for marker_name, marker_value, css in markers:
            mx = x(marker_value)
            parts.append(
                f'<path class="marker {escape(css)}" d="M{mx:.1f},{cy - 6:.1f} l5,6 l-5,6 l-5,-6 z">'
                f"<title>{escape(marker_name)}: {marker_value:g}{escape(unit)}</title></path>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
