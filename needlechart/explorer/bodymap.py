"""Server-side SVG body map: one clickable shape per region and side, front and back views.

The same markup serves the interactive explorer (shapes are keyboard-focusable toggle buttons) and
the static maps on muscle, acupoint, region and condition pages (shapes shaded by role).

A map is a pure function of its drawing (the selected and shaded regions, the views, the caption), so
each distinct one is drawn once per process and then served from a small cache: the explorer's home
page, a condition's map and a draft's unmarked map are the same markup for every request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from needlechart.knowledge.model import KnowledgeBase

from .bodymap_geometry import OUTLINE, SHAPES, VIEWBOX, VIEWS
from .fragments import FragmentCache

SIDE_WORD = {"left": "Left", "right": "Right", "midline": "Midline"}
MAPS = FragmentCache("body map", maxsize=128)  # one entry per distinct drawing, ~100 kB each


def location_label(kb: KnowledgeBase, region: str, side: str) -> str:
    return f"{SIDE_WORD[side]} {kb.regions[region].name.lower()}"


def render(
    kb: KnowledgeBase,
    *,
    interactive: bool = False,
    selected: Iterable[tuple[str, str]] = (),
    shading: Mapping[tuple[str, str], str] | None = None,
    views: Iterable[str] = VIEWS,
    caption: str = "",
) -> SafeString:
    """Both views as inline SVG. `shading` maps (region, side) to a CSS class such as `primary`."""
    selected = frozenset(selected)
    shading = dict(shading or {})
    views = tuple(views)
    key = (interactive, selected if interactive else frozenset(), frozenset(shading.items()), views, caption)
    return MAPS.get(kb, key, lambda: _draw(kb, interactive, selected, shading, views, caption))


def _draw(
    kb: KnowledgeBase,
    interactive: bool,
    selected: frozenset[tuple[str, str]],
    shading: dict[tuple[str, str], str],
    views: tuple[str, ...],
    caption: str,
) -> SafeString:
    figures = []
    for view in views:
        shapes = []
        for (region, side), shape in SHAPES.items():
            if shape.view != view:
                continue
            label = location_label(kb, region, side)
            classes = ["region"]
            if (region, side) in shading:
                classes.append(shading[(region, side)])
            attrs = [
                f'class="{" ".join(classes)}"',
                f'd="{shape.d}"',
                f'data-region="{region}"',
                f'data-side="{side}"',
            ]
            if interactive:
                pressed = "true" if (region, side) in selected else "false"
                attrs += [
                    'tabindex="0"',
                    'role="button"',
                    f'aria-pressed="{pressed}"',
                    f'aria-label="{label}"',
                ]
            shapes.append(f"<path {' '.join(attrs)}><title>{escape(label)}</title></path>")
        title = "Front view (patient facing you)" if view == "front" else "Back view (patient facing away)"
        left_right = ("R", "L") if view == "front" else ("L", "R")
        x0, y0, w, h = (float(v) for v in VIEWBOX[view].split())
        figures.append(
            f'<figure class="bodymap-view"><svg class="bodymap" viewBox="{VIEWBOX[view]}" '
            f'role="group" aria-label="{title}" data-view="{view}">'
            f'<path class="outline" d="{OUTLINE[view]}"/>{"".join(shapes)}'
            f'<text class="side-mark" x="{x0 + 8}" y="{y0 + 20}">{left_right[0]}</text>'
            f'<text class="side-mark" x="{x0 + w - 20}" y="{y0 + 20}">{left_right[1]}</text>'
            f"</svg><figcaption>{title}</figcaption></figure>"
        )
    cap = f'<p class="bodymap-caption">{escape(caption)}</p>' if caption else ""
    return mark_safe(f'<div class="bodymap-pair">{"".join(figures)}</div>{cap}')
