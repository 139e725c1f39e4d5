"""Geometry of the clickable body map: a schematic figure seen from the front and from the back.

Pure Python, no Django. Each view is its own SVG of 300 x 640 units. `SHAPES` holds one closed
polygon per (region, side); `OUTLINE` is the body silhouette drawn beneath them. Every path is an
`M x,y L x,y ... Z` polygon, so its vertices can be read back (see `polygon()`).

How the figure is built: the viewer's left half of each view is drawn once and mirrored. On the
front view (patient facing us) that half is the patient's RIGHT; on the back view (patient facing
away) it is the patient's LEFT. The body's edges are smooth y-monotonic contours (head, arm, trunk,
leg); a limb region is the band of a limb between two heights and two fractions of its width, so
neighbouring regions share their borders exactly and tile the body without gaps or overlaps. The
midline regions (vertex, forehead, occiput and sternum, and on the back the spine from the nape to
the coccyx: posterior neck, interscapular, mid back, low back, sacroiliac, coccyx) add a narrow
central strip that their left and right shapes flank.

Lateral and medial regions sit on the front view at the outer (or inner) edge of their part. The
arms hang slightly away from the trunk with the palms forward, so the thumb and the outer elbow are
on the outer side of each arm on both views.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

Point = tuple[float, float]
Polygon = list[Point]

VIEWS = ("front", "back")
WIDTH, HEIGHT = 300, 640
CX = WIDTH / 2  # the body's midline
VIEWBOX = {view: f"0 0 {WIDTH} {HEIGHT}" for view in VIEWS}


@dataclass(frozen=True)
class Shape:
    view: str
    d: str  # SVG path data: a closed M/L/Z polygon
    label: tuple[float, float]  # a point well inside the shape (for text or a marker)


# --------------------------------------------------------------------------------------------------
# Polyline helpers
# --------------------------------------------------------------------------------------------------


def _catmull_rom(a: float, b: float, c: float, d: float, t: float) -> float:
    """One coordinate of the uniform Catmull-Rom segment from b to c (a and d are its neighbours)."""
    return 0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t * t + (3 * b - a - 3 * c + d) * t * t * t)


def _smooth(points: Polygon, steps: int = 4) -> Polygon:
    """A smooth curve through the points (each one kept exactly), as a denser polyline."""
    if len(points) < 3:
        return list(points)
    ext = [points[0], *points, points[-1]]
    out: Polygon = [points[0]]
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1 : i + 3]
        for k in range(1, steps):
            t = k / steps
            out.append((_catmull_rom(p0[0], p1[0], p2[0], p3[0], t), _catmull_rom(p0[1], p1[1], p2[1], p3[1], t)))
        out.append(p2)
    return out


def _x_at(contour: Polygon, y: float) -> float:
    """x of a y-monotonic (top to bottom) contour at height y."""
    for (x0, y0), (x1, y1) in zip(contour, contour[1:], strict=False):
        if y0 <= y <= y1:
            return x0 if y1 == y0 else x0 + (x1 - x0) * (y - y0) / (y1 - y0)
    raise ValueError(f"y={y} is outside the contour ({contour[0][1]}..{contour[-1][1]})")


def _span(contour: Polygon, y0: float, y1: float) -> Polygon:
    """The contour between heights y0 and y1, both ends included, in the order y0 -> y1."""
    lo, hi = min(y0, y1), max(y0, y1)
    pts = [(_x_at(contour, lo), lo), *(p for p in contour if lo < p[1] < hi), (_x_at(contour, hi), hi)]
    return pts if y0 <= y1 else pts[::-1]


def _cross_x(contour: Polygon, x: float, upper: bool) -> tuple[int, Point]:
    """Where the head contour crosses x on its crown (upper) or chin side: (segment index, point)."""
    segments = list(enumerate(zip(contour, contour[1:], strict=False)))
    for i, ((x0, y0), (x1, y1)) in segments if upper else segments[::-1]:
        if x0 != x1 and min(x0, x1) <= x <= max(x0, x1):
            return i, (x, y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    raise ValueError(f"x={x} is not on the contour")


def _head_x_to_x(contour: Polygon, xa: float, xb: float, upper: bool) -> Polygon:
    """The head contour between two x values on its crown (upper) or chin side, from xa to xb."""
    ia, pa = _cross_x(contour, xa, upper)
    ib, pb = _cross_x(contour, xb, upper)
    middle = contour[ia + 1 : ib + 1] if ia <= ib else contour[ib + 1 : ia + 1][::-1]
    return [pa, *middle, pb]


class Limb:
    """A body part between an outer and an inner y-monotonic contour (viewer's left half)."""

    def __init__(self, outer: Polygon, inner: Polygon):
        self.outer, self.inner = outer, inner

    def at(self, y: float, f: float) -> Point:
        """The point at height y, a fraction f of the way from the outer to the inner edge."""
        xo, xi = _x_at(self.outer, y), _x_at(self.inner, y)
        return (xo + (xi - xo) * f, y)

    def line(self, f: float, y0: float, y1: float) -> Polygon:
        """The curve at fraction f from height y0 to y1, through the heights of both contours' vertices."""
        lo, hi = min(y0, y1), max(y0, y1)
        ys = sorted({lo, hi} | {p[1] for p in self.outer + self.inner if lo < p[1] < hi})
        pts = [self.at(y, f) for y in ys]
        return pts if y0 <= y1 else pts[::-1]

    def band(self, y0: float, y1: float, f0: float = 0.0, f1: float = 1.0) -> Polygon:
        """The part between heights y0 < y1 and fractions f0 < f1 of the width."""
        return self.line(f0, y0, y1) + self.line(f1, y1, y0)


def _mirror(poly: Polygon) -> Polygon:
    return [(WIDTH - x, y) for x, y in reversed(poly)]


def _clean(poly: Polygon) -> Polygon:
    """Round to 0.01 and drop repeated points."""
    out: Polygon = []
    for x, y in poly:
        p = (round(x, 2) + 0.0, round(y, 2) + 0.0)
        if not out or p != out[-1]:
            out.append(p)
    while len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _path(poly: Polygon) -> str:
    return "M" + " L".join(f"{_num(x)},{_num(y)}" for x, y in poly) + " Z"


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def polygon(d: str) -> Polygon:
    """The vertices of an M/L/Z path produced here."""
    nums = [float(n) for n in _NUMBER.findall(d)]
    return list(zip(nums[0::2], nums[1::2], strict=True))


def inside(point: Point, poly: Polygon) -> bool:
    """Even-odd point-in-polygon test."""
    x, y = point
    result = False
    for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (x1 - x0) * (y - y0) / (y1 - y0):
            result = not result
    return result


def edge_distance(point: Point, poly: Polygon) -> float:
    """Distance from a point to the nearest edge of the polygon."""
    px, py = point
    best = math.inf
    for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True):
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - x0) * dx + (py - y0) * dy) / length2))
        best = min(best, math.hypot(x0 + t * dx - px, y0 + t * dy - py))
    return best


def _label(poly: Polygon) -> Point:
    """A point far from the edges: the best of the mid-points of horizontal chords, then refined."""
    ys = [p[1] for p in poly]
    top, bottom = min(ys), max(ys)
    candidates = []
    for k in range(1, 16):
        y = top + (bottom - top) * k / 16
        xs = sorted(
            x0 + (x1 - x0) * (y - y0) / (y1 - y0)
            for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True)
            if (y0 > y) != (y1 > y)
        )
        candidates += [((a + b) / 2, y) for a, b in zip(xs[0::2], xs[1::2], strict=True)]
    best = max(candidates, key=lambda p: edge_distance(p, poly))
    best_d, step = edge_distance(best, poly), (bottom - top) / 32
    for _ in range(5):
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)):
            p = (best[0] + dx * step, best[1] + dy * step)
            if inside(p, poly) and (d := edge_distance(p, poly)) > best_d:
                best, best_d = p, d
        step /= 2
    return (round(best[0], 1), round(best[1], 1))


# --------------------------------------------------------------------------------------------------
# The figure's viewer-left half (x <= 150). Heights: crown 8, chin 98.5, neck base 116, armpit 178,
# navel 262, crotch 350, knee 432-478, ankle 576-598, toes about 638. The head and the hands and feet
# are drawn a little larger than life so that their small regions stay easy to click.
# --------------------------------------------------------------------------------------------------


def _head() -> Polygon:
    """Crown to chin: an egg, widest at the temples, narrowing to the jaw."""
    pts = []
    for i in range(49):
        t = math.pi * i / 48
        s = max(0.0, (t - math.pi / 2) / (math.pi / 2))
        half_width = 36.0 * (1 - 0.2 * s * s)
        b = 44.0 if t <= math.pi / 2 else 46.5
        pts.append((CX - half_width * math.sin(t), 52.0 - b * math.cos(t)))
    return pts


HEAD = _head()
CHIN_Y = HEAD[-1][1]
EAR_TOP, EAR_BOTTOM = 45.0, 70.0
EAR_RIM = _smooth(
    [(_x_at(HEAD, EAR_TOP), EAR_TOP), (108.6, 42.6), (104.2, 45.6), (102.2, 52), (102.8, 59.5), (105, 66),
     (108.8, 71.4), (113, 73.6), (_x_at(HEAD, EAR_BOTTOM), EAR_BOTTOM)],
    3,
)[1:-1]  # fmt: skip

NECK_TOP_Y = 87.0  # the neck leaves the head contour here
NECK_SIDE = [(_x_at(HEAD, NECK_TOP_Y), NECK_TOP_Y), (126.4, 102), (125, 116)]
NECK_BASE = NECK_SIDE[-1]
# Shoulder line: the slope from the neck base to the acromion, then round the deltoid to the arm.
SHOULDER = _smooth(
    [NECK_BASE, (116, 118.8), (108, 121), (100, 123.4), (92, 126), (85, 129.2), (78.4, 132.8), (73, 138),
     (69.4, 146), (67.6, 156), (67.2, 167), (67.6, 178)],
)  # fmt: skip
ARMPIT = (100.0, 178.0)
ACROMION_Y = 129.2  # where the shoulder slope turns into the round of the deltoid

# Arm, hanging slightly away from the trunk, palm forward.
ARM = Limb(
    outer=_smooth([(67.6, 178), (65.2, 200), (62.6, 225), (60.2, 250), (57.4, 276), (54.8, 296), (51.6, 322),
                   (48.8, 346), (47.8, 360)]),
    inner=_smooth([ARMPIT, (96, 200), (92.4, 225), (89.4, 250), (85.8, 276), (81.8, 300), (76.8, 325),
                   (72.6, 346), (71.8, 360)]),
)  # fmt: skip
ARM_TOP, ELBOW_TOP, ELBOW_BOTTOM, WRIST_TOP, WRIST_BOTTOM = 178.0, 250.0, 278.0, 346.0, 360.0


def _digits(x_out: float, x_in: float, tips: tuple[float, ...], cleft: float) -> Polygon:
    """Rounded finger or toe tips along the bottom of a hand or foot, from the outer side inwards."""
    w = (x_in - x_out) / len(tips)
    r = w / 2
    pts: Polygon = []
    for i, tip in enumerate(tips):
        a = x_out + i * w
        side = tip - r
        if i == 0:
            pts.append((a, side))
        for angle in range(180, -1, -30):  # a half circle from the outer side round the tip
            rad = math.radians(angle)
            pts.append((a + r + r * math.cos(rad), side + r * math.sin(rad)))
        pts.append((a + w, cleft if i < len(tips) - 1 else side))
    return pts


# Hand below the wrist: the thumb on the outer side, four fingers below the palm.
PALM_OUTER = [(47.8, WRIST_BOTTOM), (46.8, 366.0), (46.4, 384.0), (47.0, 391.5), (47.8, 396.0)]
PALM_INNER = [(71.8, WRIST_BOTTOM), (73.0, 372.0), (73.6, 385.0), (72.8, 396.0)]
THUMB_RIM = _smooth(
    [PALM_OUTER[1], (40.8, 370.6), (35.6, 377.4), (31.6, 385.6), (29.8, 393.4), (30.8, 400.4), (34.4, 403.6),
     (38.6, 402.4), (41.8, 397.2), (44.2, 390.4), PALM_OUTER[2]],
    2,
)[1:-1]  # fmt: skip
FINGERS = _digits(PALM_OUTER[-1][0], PALM_INNER[-1][0], (420.0, 425.0, 423.0, 417.0), 412.0)
HAND = PALM_OUTER[:2] + THUMB_RIM + PALM_OUTER[2:] + FINGERS + PALM_INNER[::-1]

# The trunk's side from the armpit, continuing down the outside of the leg to the ankle; the inside
# of the leg from the crotch to the ankle.
OUTER = _smooth(
    [ARMPIT, (101.4, 195), (103, 212), (104.6, 230), (105.4, 248), (104.8, 262), (102.6, 276), (99.2, 290),
     (95.8, 305), (93.6, 320), (92.6, 338), (92.2, 355), (92.6, 375), (93.8, 400), (95.6, 425), (97.2, 440),
     (98.2, 455), (98.4, 470), (97.4, 485), (96.8, 500), (97.6, 515), (99.6, 535), (101.8, 552),
     (103.8, 566), (104, 574), (102.2, 584), (101.6, 591), (102.2, 598)],
)  # fmt: skip
CROTCH = (CX, 350.0)
INNER = _smooth(
    [CROTCH, (149, 356), (148, 370), (146.6, 395), (144.8, 420), (143.4, 440), (142.6, 455), (142.6, 470),
     (143.2, 485), (143.4, 500), (142.4, 520), (140.2, 540), (137.8, 558), (136.8, 570), (137.6, 580),
     (139, 588), (139.2, 594), (138.6, 598)],
)  # fmt: skip
LEG = Limb(OUTER, INNER)
KNEE_TOP, KNEE_BOTTOM, ANKLE_TOP, ANKLE_BOTTOM = 432.0, 478.0, 576.0, 598.0

# Foot on the front view: the dorsum, then the toes (the big toe on the inner side).
FOOT_FRONT_OUTER = _smooth([OUTER[-1], (100.8, 606), (99.6, 612), (99, 617)], 2)
FOOT_FRONT_INNER = _smooth([INNER[-1], (140.8, 606), (142.4, 612), (143.4, 617)], 2)
TOE_LINE, BIG_TOE_X = 617.0, 130.6
LESSER_TOES = _digits(99.0, BIG_TOE_X, (631.0, 633.5, 635.0, 636.0), 628.0)
BIG_TOE = _smooth([(BIG_TOE_X, 628.0), (131.6, 633.6), (134, 636.9), (137.4, 638.3), (140.8, 637.2),
                   (142.9, 633.6), (143.4, 627)], 2) + [(143.4, TOE_LINE)]  # fmt: skip

# Foot on the back view: the sole seen from below, the heel at the top.
FOOT_BACK_OUTER = _smooth([OUTER[-1], (101.6, 607), (101.2, 616), (100.2, 625), (100.6, 631)], 2)
FOOT_BACK_INNER = _smooth([INNER[-1], (139.4, 607), (140.6, 616), (142.4, 625), (142.8, 631)], 2)
SOLE_TIP = _smooth([(100.6, 631), (102.6, 635.4), (106.8, 638), (113.4, 638.8), (121.6, 638.8), (130, 638.8),
                    (136.8, 638), (141, 635.4), (142.8, 631)], 2)[1:-1]  # fmt: skip
HEEL_SOLE_Y = 616.0

# --------------------------------------------------------------------------------------------------
# Front view
# --------------------------------------------------------------------------------------------------
STRIP = 6.0  # half width of the midline strips
TEMPLE_X, BROW_Y, NOSE_Y, CHEEK_Y = 128.0, 40.0, 50.0, 58.0  # forehead | temple; brow; nose; cheek
TEETH_X, TEETH_Y = 136.0, 66.0
JAW_ANGLE_Y = 74.0
JAW_LINE = [(_x_at(HEAD, JAW_ANGLE_Y), JAW_ANGLE_Y), (TEETH_X, 80.0), (CX, 83.0)]
NECK_SPLIT_X = 138.0  # lateral | anterior neck
NECK_LOW = [NECK_BASE, (132.0, 118.6), (NECK_SPLIT_X, 120.4), (CX - STRIP, 121.4), (CX, 122.0)]
DELTOPECTORAL_Y = 123.4  # the chest | anterior shoulder border leaves the shoulder line here, above the armpit
DELTOID_SPLIT_X = 84.0  # anterior | lateral shoulder
STERNUM_X, STERNUM_BOTTOM, XIPHOID_Y = 132.0, 206.0, 214.0
LAT_CHEST = [(113.0, ARMPIT[1]), (115.6, 200.0), (117.4, 218.0), (119.0, 238.0)]  # its inner edge
NAVEL_Y, HIP_TOP_Y, HIP_BOTTOM_Y, HIP_X = 262.0, 284.0, 338.0, 112.0
INGUINAL = [(HIP_X, 301.0), (CX, 326.0)]
GROIN_CREASE_TOP = (HIP_X, 322.0)  # the groin crease runs from here to the crotch
THIGH_COLUMNS = (1 / 3, 2 / 3)  # outer | front | inner thirds
THIGH_JOIN_Y = 356.0  # from here down the thigh's columns follow the leg's width
UPPER_ARM_INNER = 0.6  # front of the upper arm | its inner side, as a fraction of the arm's width


def _on_crease(x: float) -> Point:
    (x0, y0), (x1, y1) = GROIN_CREASE_TOP, CROTCH
    return (x, y0 + (y1 - y0) * (x - x0) / (x1 - x0))


def _front() -> tuple[dict[str, Polygon], dict[str, Polygon]]:
    s: dict[str, Polygon] = {}
    mid = CX - STRIP
    # Head: forehead and temple above the brow, orbit, cheek (with the side of the nose), teeth, jaw.
    s["forehead"] = _head_x_to_x(HEAD, TEMPLE_X, mid, upper=True) + [(mid, BROW_Y), (TEMPLE_X, BROW_Y)]
    i, top = _cross_x(HEAD, TEMPLE_X, upper=True)
    s["temple"] = [top, *(p for p in HEAD[i + 1 :] if p[1] < CHEEK_Y), (_x_at(HEAD, CHEEK_Y), CHEEK_Y)]
    s["temple"].append((TEMPLE_X, CHEEK_Y))
    s["orbit"] = [
        (TEMPLE_X, BROW_Y),
        (mid, BROW_Y),
        (mid, NOSE_Y),
        (CX, NOSE_Y),
        (CX, CHEEK_Y),
        (TEMPLE_X, CHEEK_Y),
    ]
    s["cheek"] = _span(HEAD, CHEEK_Y, JAW_ANGLE_Y) + [
        JAW_LINE[1],
        (TEETH_X, TEETH_Y),
        (CX, TEETH_Y),
        (CX, CHEEK_Y),
    ]
    s["teeth"] = [(TEETH_X, TEETH_Y), (CX, TEETH_Y), JAW_LINE[2], JAW_LINE[1]]
    s["jaw"] = _span(HEAD, JAW_ANGLE_Y, CHIN_Y) + [JAW_LINE[2], JAW_LINE[1]]
    s["ear"] = [(_x_at(HEAD, EAR_TOP), EAR_TOP), *EAR_RIM, *_span(HEAD, EAR_BOTTOM, EAR_TOP)]
    # Neck.
    split = _cross_x(HEAD, NECK_SPLIT_X, upper=False)[1]
    s["lateral_neck"] = (
        _head_x_to_x(HEAD, NECK_SIDE[0][0], NECK_SPLIT_X, upper=False) + NECK_LOW[2::-1] + NECK_SIDE[1:0:-1]
    )
    s["anterior_neck"] = [
        split,
        *(p for p in HEAD if p[0] > NECK_SPLIT_X and p[1] > NECK_TOP_Y),
        *NECK_LOW[:1:-1],
    ]
    # Shoulder cap: the front and the outer side of the deltoid.
    s["lateral_shoulder"] = _span(SHOULDER, ACROMION_Y, ARM_TOP) + [(DELTOID_SPLIT_X, ARM_TOP)]
    s["anterior_shoulder"] = _span(SHOULDER, DELTOPECTORAL_Y, ACROMION_Y) + [(DELTOID_SPLIT_X, ARM_TOP), ARMPIT]
    # Chest, sternum (parasternal shapes flank the midline strip), side of the chest.
    chest_low = LAT_CHEST[2]
    s["chest"] = (
        _span(SHOULDER, DELTOPECTORAL_Y, NECK_BASE[1])
        + [NECK_LOW[1], (STERNUM_X, STERNUM_BOTTOM)]
        + LAT_CHEST[2::-1]
        + [ARMPIT]
    )
    s["sternum"] = NECK_LOW[1:4] + [(mid, STERNUM_BOTTOM), (STERNUM_X, STERNUM_BOTTOM)]
    s["lateral_chest"] = _span(OUTER, ARMPIT[1], LAT_CHEST[3][1]) + LAT_CHEST[::-1]
    # Abdomen, outer hip and groin.
    s["upper_abdomen"] = (
        [chest_low, (STERNUM_X, STERNUM_BOTTOM), (mid, STERNUM_BOTTOM), (CX, XIPHOID_Y), (CX, NAVEL_Y)]
        + _span(OUTER, NAVEL_Y, LAT_CHEST[3][1])
        + [LAT_CHEST[3]]
    )
    s["lower_abdomen"] = [(CX, NAVEL_Y), INGUINAL[1], INGUINAL[0], (HIP_X, HIP_TOP_Y)] + _span(
        OUTER, HIP_TOP_Y, NAVEL_Y
    )
    s["lateral_hip"] = _span(OUTER, HIP_TOP_Y, HIP_BOTTOM_Y) + [
        (HIP_X, HIP_BOTTOM_Y),
        GROIN_CREASE_TOP,
        INGUINAL[0],
        (HIP_X, HIP_TOP_Y),
    ]
    crease_split = _on_crease(LEG.at(THIGH_JOIN_Y, THIGH_COLUMNS[1])[0])
    s["groin"] = [INGUINAL[0], INGUINAL[1], CROTCH, crease_split, GROIN_CREASE_TOP]
    # Thigh in three columns: outer, front, inner.
    outer_col, inner_col = THIGH_COLUMNS
    s["thigh_lateral"] = (
        _span(OUTER, HIP_BOTTOM_Y, KNEE_TOP) + LEG.line(outer_col, KNEE_TOP, THIGH_JOIN_Y) + [(HIP_X, HIP_BOTTOM_Y)]
    )
    s["thigh_anterior"] = (
        [GROIN_CREASE_TOP, (HIP_X, HIP_BOTTOM_Y)]
        + LEG.line(outer_col, THIGH_JOIN_Y, KNEE_TOP)
        + LEG.line(inner_col, KNEE_TOP, THIGH_JOIN_Y)
        + [crease_split]
    )
    s["thigh_medial"] = (
        [crease_split, CROTCH] + _span(INNER, CROTCH[1], KNEE_TOP)[1:] + LEG.line(inner_col, KNEE_TOP, THIGH_JOIN_Y)
    )
    # Knee, lower leg and ankle, each in columns from the outer side inwards.
    s["knee_lateral"] = LEG.band(KNEE_TOP, KNEE_BOTTOM, 0, 0.3)
    s["knee_anterior"] = LEG.band(KNEE_TOP, KNEE_BOTTOM, 0.3, 0.7)
    s["knee_medial"] = LEG.band(KNEE_TOP, KNEE_BOTTOM, 0.7, 1)
    s["leg_lateral"] = LEG.band(KNEE_BOTTOM, ANKLE_TOP, 0, 0.36)
    s["shin"] = LEG.band(KNEE_BOTTOM, ANKLE_TOP, 0.36, 1)
    s["ankle_lateral"] = LEG.band(ANKLE_TOP, ANKLE_BOTTOM, 0, 1 / 3)
    s["ankle_anterior"] = LEG.band(ANKLE_TOP, ANKLE_BOTTOM, 1 / 3, 2 / 3)
    s["ankle_medial"] = LEG.band(ANKLE_TOP, ANKLE_BOTTOM, 2 / 3, 1)
    # Foot.
    s["foot_dorsal"] = FOOT_FRONT_OUTER + [(BIG_TOE_X, TOE_LINE)] + FOOT_FRONT_INNER[::-1]
    s["toes"] = [FOOT_FRONT_OUTER[-1], *LESSER_TOES, (BIG_TOE_X, TOE_LINE)]
    s["big_toe"] = [(BIG_TOE_X, TOE_LINE), *BIG_TOE]
    # Arm: front and inner side of the upper arm, the elbow's outer and inner halves, forearm, wrist,
    # hand. The inner side is the strip along the arm's inner edge, from the armpit to the elbow.
    s["upper_arm_anterior"] = ARM.band(ARM_TOP, ELBOW_TOP, 0, UPPER_ARM_INNER)
    s["upper_arm_medial"] = ARM.band(ARM_TOP, ELBOW_TOP, UPPER_ARM_INNER, 1)
    s["elbow_lateral"] = ARM.band(ELBOW_TOP, ELBOW_BOTTOM, 0, 0.5)
    s["elbow_medial"] = ARM.band(ELBOW_TOP, ELBOW_BOTTOM, 0.5, 1)
    s["forearm_volar"] = ARM.band(ELBOW_BOTTOM, WRIST_TOP)
    s["wrist_volar"] = ARM.band(WRIST_TOP, WRIST_BOTTOM)
    s["thumb"] = [PALM_OUTER[1], *THUMB_RIM, PALM_OUTER[2]]
    s["palm"] = PALM_OUTER + PALM_INNER[::-1]
    s["fingers"] = [PALM_OUTER[-1], *FINGERS, PALM_INNER[-1]]

    crown = _head_x_to_x(HEAD, mid, CX, upper=True)
    midline = {
        "forehead": crown + _mirror(crown)[1:] + [(CX + STRIP, NOSE_Y), (mid, NOSE_Y)],
        "sternum": NECK_LOW[3:]
        + [
            (CX + STRIP, NECK_LOW[3][1]),
            (CX + STRIP, STERNUM_BOTTOM),
            (CX, XIPHOID_Y),
            (mid, STERNUM_BOTTOM),
        ],  # fmt: skip
    }
    return s, midline


# --------------------------------------------------------------------------------------------------
# Back view
# --------------------------------------------------------------------------------------------------
VERTEX_Y = 50.0  # vertex | occiput
BACK_NECK_LOW = [NECK_BASE, (134.0, 120.0), (CX, 124.0)]
SHOULDER_TOP_LOW = [(78.4, 132.8), (100.0, 136.0), (128.0, 133.0)]  # lower edge of the shoulder top
SCAPULA_X, SCAPULA_BOTTOM, LUMBAR_TOP, PELVIS_Y = 128.0, 212.0, 256.0, 292.0
SACRUM = [(116.0, PELVIS_Y), (123.0, 303.0), (132.0, 314.0)]  # outer edge of the sacroiliac shape
COCCYX_TOP, COCCYX_BOTTOM, CLEFT_Y = 314.0, 340.0, 346.0
COCCYX_SIDE = [(132.0, COCCYX_TOP), (CX - STRIP, COCCYX_TOP), (CX - STRIP, COCCYX_BOTTOM), (135.6, 334.0)]
GLUTEAL_FOLD = [
    (_x_at(OUTER, 350), 350.0),
    (104, 356.6),
    (116, 360.6),
    (130, 362.6),
    (_x_at(INNER, 362), 362.0),
]


def _back_neck_low_at(x: float) -> float:
    """Height of the lower edge of the back of the neck at x (between BACK_NECK_LOW[1] and [2])."""
    (x0, y0), (x1, y1) = BACK_NECK_LOW[1], BACK_NECK_LOW[2]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _back() -> tuple[dict[str, Polygon], dict[str, Polygon]]:
    s: dict[str, Polygon] = {}
    mid = CX - STRIP
    # The spine: a midline strip from the nape to the coccyx, cut at the heights of the regions it
    # runs through; each region's left and right shapes stop at the strip's edge.
    nape = _cross_x(HEAD, mid, upper=False)[1]
    neck_low = (mid, _back_neck_low_at(mid))
    i, top = _cross_x(HEAD, mid, upper=True)
    s["vertex"] = [
        top,
        *(p for p in HEAD[i + 1 :] if p[1] < VERTEX_Y),
        (_x_at(HEAD, VERTEX_Y), VERTEX_Y),
        (mid, VERTEX_Y),
    ]
    s["occiput"] = _span(HEAD, VERTEX_Y, nape[1]) + [(mid, VERTEX_Y)]
    s["posterior_neck"] = [
        *(p for p in HEAD if p[1] > NECK_TOP_Y and p[0] < mid),
        nape,
        neck_low,
        BACK_NECK_LOW[1],
        *NECK_SIDE[::-1],
    ]
    s["shoulder_top"] = (
        _span(SHOULDER, NECK_BASE[1], SHOULDER_TOP_LOW[0][1]) + SHOULDER_TOP_LOW[1:] + [BACK_NECK_LOW[1]]
    )
    s["posterior_shoulder"] = _span(SHOULDER, SHOULDER_TOP_LOW[0][1], ARM_TOP) + [ARMPIT, SHOULDER_TOP_LOW[1]]
    s["interscapular"] = [
        BACK_NECK_LOW[1],
        neck_low,
        (mid, SCAPULA_BOTTOM),
        (SCAPULA_X, SCAPULA_BOTTOM),
        SHOULDER_TOP_LOW[2],
    ]
    s["scapula"] = SHOULDER_TOP_LOW[1:] + [(SCAPULA_X, SCAPULA_BOTTOM)] + _span(OUTER, SCAPULA_BOTTOM, ARMPIT[1])
    s["thoracic_back"] = [(mid, SCAPULA_BOTTOM), (mid, LUMBAR_TOP)] + _span(OUTER, LUMBAR_TOP, SCAPULA_BOTTOM)
    s["lumbar"] = [(mid, LUMBAR_TOP), (mid, PELVIS_Y), SACRUM[0]] + _span(OUTER, PELVIS_Y, LUMBAR_TOP)
    s["sacroiliac"] = [SACRUM[0], (mid, PELVIS_Y), (mid, COCCYX_TOP), SACRUM[2], SACRUM[1]]
    s["coccyx"] = COCCYX_SIDE
    s["buttock"] = (
        _span(OUTER, PELVIS_Y, GLUTEAL_FOLD[0][1])
        + GLUTEAL_FOLD[1:]
        + _span(INNER, GLUTEAL_FOLD[-1][1], CROTCH[1])[1:]
        + [(CX, CLEFT_Y), (mid, COCCYX_BOTTOM), COCCYX_SIDE[3], SACRUM[2], SACRUM[1], SACRUM[0]]
    )
    s["thigh_posterior"] = (
        _span(OUTER, GLUTEAL_FOLD[0][1], KNEE_TOP) + _span(INNER, KNEE_TOP, GLUTEAL_FOLD[-1][1]) + GLUTEAL_FOLD[-2:0:-1]
    )
    s["knee_posterior"] = LEG.band(KNEE_TOP, KNEE_BOTTOM)
    s["calf"] = LEG.band(KNEE_BOTTOM, ANKLE_TOP)
    s["achilles"] = LEG.band(ANKLE_TOP, ANKLE_BOTTOM)
    s["heel"] = _span(FOOT_BACK_OUTER, ANKLE_BOTTOM, HEEL_SOLE_Y) + _span(FOOT_BACK_INNER, HEEL_SOLE_Y, ANKLE_BOTTOM)
    s["sole"] = _span(FOOT_BACK_OUTER, HEEL_SOLE_Y, 631) + SOLE_TIP + _span(FOOT_BACK_INNER, 631, HEEL_SOLE_Y)
    s["upper_arm_posterior"] = ARM.band(ARM_TOP, ELBOW_TOP)
    s["elbow_posterior"] = ARM.band(ELBOW_TOP, ELBOW_BOTTOM)
    s["forearm_dorsal"] = ARM.band(ELBOW_BOTTOM, WRIST_TOP)
    s["wrist_dorsal"] = ARM.band(WRIST_TOP, WRIST_BOTTOM)
    s["hand_dorsal"] = list(HAND)

    crown = _head_x_to_x(HEAD, mid, CX, upper=True)
    chin = _head_x_to_x(HEAD, CX, mid, upper=False)

    def strip(y0: float, y1: float) -> Polygon:
        return [(mid, y0), (CX + STRIP, y0), (CX + STRIP, y1), (mid, y1)]

    neck_peak = BACK_NECK_LOW[2]  # the lower edge of the neck peaks on the midline
    mirrored_low = (CX + STRIP, neck_low[1])
    midline = {
        "vertex": crown + _mirror(crown)[1:] + [(CX + STRIP, VERTEX_Y), (mid, VERTEX_Y)],
        "occiput": [(mid, VERTEX_Y), (CX + STRIP, VERTEX_Y)] + _mirror(chin) + chin[1:],
        "posterior_neck": chin[::-1] + _mirror(chin[::-1])[1:] + [mirrored_low, neck_peak, neck_low],
        "interscapular": [neck_low, neck_peak, mirrored_low, (CX + STRIP, SCAPULA_BOTTOM), (mid, SCAPULA_BOTTOM)],
        "thoracic_back": strip(SCAPULA_BOTTOM, LUMBAR_TOP),
        "lumbar": strip(LUMBAR_TOP, PELVIS_Y),
        "sacroiliac": strip(PELVIS_Y, COCCYX_TOP),
        "coccyx": [
            (mid, COCCYX_TOP),
            (CX + STRIP, COCCYX_TOP),
            (CX + STRIP, COCCYX_BOTTOM),
            (CX, CLEFT_Y),
            (mid, COCCYX_BOTTOM),
        ],  # fmt: skip
    }
    return s, midline


# --------------------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------------------


def _outline_half(view: str) -> Polygon:
    """The silhouette's viewer-left half: crown, down the outside, round hand and foot, up the inside."""
    if view == "front":
        head = _span(HEAD, HEAD[0][1], EAR_TOP) + EAR_RIM + _span(HEAD, EAR_BOTTOM, NECK_TOP_Y)
        foot = FOOT_FRONT_OUTER[1:] + LESSER_TOES + BIG_TOE + FOOT_FRONT_INNER[-2::-1]
    else:
        head = _span(HEAD, HEAD[0][1], NECK_TOP_Y)
        foot = FOOT_BACK_OUTER[1:] + SOLE_TIP + FOOT_BACK_INNER[::-1]
    return head + NECK_SIDE[1:] + SHOULDER[1:] + ARM.outer[1:] + HAND + ARM.inner[::-1] + OUTER[1:] + foot + INNER[::-1]


def _build() -> tuple[dict[str, str], dict[tuple[str, str], Shape]]:
    outline: dict[str, str] = {}
    shapes: dict[tuple[str, str], Shape] = {}
    for view, (half, midline) in (("front", _front()), ("back", _back())):
        # The viewer's left is the patient's right on the front view and the patient's left on the back.
        near, far = ("right", "left") if view == "front" else ("left", "right")
        for region, poly in half.items():
            for side, p in ((near, poly), (far, _mirror(poly))):
                p = _clean(p)
                shapes[(region, side)] = Shape(view, _path(p), _label(p))
        for region, poly in midline.items():
            p = _clean(poly)
            shapes[(region, "midline")] = Shape(view, _path(p), _label(p))
        left = _outline_half(view)
        outline[view] = _path(_clean(left + _mirror(left)))
    return outline, shapes


OUTLINE, SHAPES = _build()
