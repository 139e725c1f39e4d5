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
