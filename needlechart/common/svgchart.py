"""Server-side SVG charts: one markup for pages, PDFs and htmx swaps, no JavaScript.

Small on purpose: a score-over-time line chart is all the clinical pages need. A chart is a pure
function of its data, so each distinct one is drawn once per process and then reused (a bounded
cache keyed by the data itself): reopening a patient whose scores have not changed draws nothing.
"""

from __future__ import annotations

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


def line_chart(
    series: Sequence[Series],
    *,
    y_max: float = 10,
    y_label: str = "NPRS",
    width: int = 640,
    height: int = 220,
    title: str = "",
) -> SafeString:
    """Lines over dates; y from 0 to `y_max`. Points carry <title> tooltips; gaps are skipped."""
    data = tuple((s.name, s.css_class, tuple(s.points)) for s in series)
    return _drawn(data, y_max, y_label, width, height, title)


@lru_cache(maxsize=256)
def _drawn(
    data: tuple[tuple[str, str, tuple[tuple[date, float | None], ...]], ...],
    y_max: float,
    y_label: str,
    width: int,
    height: int,
    title: str,
) -> SafeString:
    series = [Series(name, css_class, points) for name, css_class, points in data]
    days = sorted({d for s in series for d, v in s.points if v is not None})
    if not days:
        return mark_safe('<p class="muted">No scores recorded yet.</p>')
    left, right, top, bottom = 36, 28, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)

    def x(d: date) -> float:
        return left + (plot_w * (d - first).days / span if len(days) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or y_label)}">',
        f"<title>{escape(title or y_label)}</title>",
    ]
    for tick in range(0, int(y_max) + 1, 2):
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
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
