"""Preview the body map geometry: write an HTML page with both views and screenshot it in Chromium.

    python3 scripts/preview_bodymap.py [--html /tmp/bodymap.html] [--png /tmp/bodymap.png] [--no-shot]

Every (region, side) shape is filled in a light colour with a thin border and its region ID (and
side initial) printed at its label point, so misplaced or overlapping shapes are easy to spot.
"""

from __future__ import annotations

import argparse
import colorsys
import shutil
import subprocess
import sys
import zlib
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from needlechart.explorer.bodymap_geometry import OUTLINE, SHAPES, VIEWBOX, VIEWS  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def colour(region: str, side: str) -> str:
    hue = (zlib.crc32(region.encode()) % 360) / 360
    lightness = 0.84 if side != "midline" else 0.74
    r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.55)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def svg(view: str, labels: bool, box: str = "") -> str:
    cls = "map big" if labels else "map"
    size = ""
    if box:  # a zoomed window on the figure: keep the aspect ratio, 600 px wide
        w, h = (float(v) for v in box.split()[2:])
        size = f' style="width:600px;height:{600 * h / w:.0f}px"'
    head = f'<svg viewBox="{box or VIEWBOX[view]}" class="{cls}"{size}>'
    parts = [f'{head}<path class="outline" d="{OUTLINE[view]}"/>']
    for (region, side), shape in SHAPES.items():
        if shape.view == view:
            title = escape(f"{side} {region}")
            parts.append(f'<path d="{shape.d}" fill="{colour(region, side)}"><title>{title}</title></path>')
    if labels:
        for (region, side), shape in SHAPES.items():
            if shape.view == view:
                x, y = shape.label
                parts.append(
                    f'<text x="{x}" y="{y}">{escape(region)}<tspan x="{x}" dy="2.6">{side[0].upper()}</tspan></text>'
                )
    marks = ("R", "L") if view == "front" else ("L", "R")
    parts.append(
        f'<text class="mark" x="8" y="20">{marks[0]}</text><text class="mark" x="280" y="20">{marks[1]}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def page(box: str = "") -> str:
    style = """
    body { margin: 0; background: #fff; font-family: 'DejaVu Sans', sans-serif; }
    .row { display: flex; gap: 10px; padding: 10px; }
    figure { margin: 0; text-align: center; font-size: 14px; color: #445; }
    svg.map { width: 330px; height: 704px; border: 1px solid #dde; background: #fff; }
    svg.big { width: 600px; height: 1280px; }
    svg path { stroke: #6d7b8a; stroke-width: .5; }
    svg path.outline { fill: #eef1f4; stroke: #5f6d7a; stroke-width: 1.4; }
    svg text { font-size: 2.6px; text-anchor: middle; fill: #223; pointer-events: none; }
    svg text.mark { font-size: 14px; font-weight: 700; fill: #5b6877; text-anchor: start; }
    """
    plain = "".join(
        f"<figure>{svg(v, labels=False)}<figcaption>{v} view (no labels)</figcaption></figure>" for v in VIEWS
    )
    labelled = "".join(
        f"<figure>{svg(v, labels=True, box=box)}<figcaption>{v} view</figcaption></figure>" for v in VIEWS
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{style}</style></head><body>"
        f"{'' if box else f'<div class=row>{plain}</div>'}<div class='row'>{labelled}</div></body></html>"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", default="/tmp/bodymap.html")
    parser.add_argument("--png", default="/tmp/bodymap.png")
    parser.add_argument("--size", default="1400,1400", help="Chromium window size, W,H")
    parser.add_argument("--box", default="", help='zoom the labelled views to a viewBox "x y w h"')
    parser.add_argument("--no-shot", action="store_true", help="write the HTML only")
    args = parser.parse_args()
    Path(args.html).write_text(page(args.box), encoding="utf-8")
    print(f"wrote {args.html}")
    if args.no_shot:
        return 0
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    cmd = [chromium, *CHROMIUM_FLAGS, f"--screenshot={args.png}", f"--window-size={args.size}"]
    subprocess.run([*cmd, f"file://{Path(args.html).resolve()}"], check=True, capture_output=True, timeout=120)
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
