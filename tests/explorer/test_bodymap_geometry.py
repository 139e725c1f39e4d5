"""The body map geometry: one shape per region and side, on the region's own view, in the right place.

Plain geometry checks, no Django: every shape is an M/L/Z polygon whose vertices are read back from
its path data.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import pytest
import yaml

from needlechart.explorer.bodymap_geometry import (
    OUTLINE,
    SHAPES,
    VIEWBOX,
    VIEWS,
    edge_distance,
    inside,
    polygon,
)

REGIONS_YAML = Path(__file__).resolve().parents[2] / "needlechart" / "knowledge" / "data" / "regions.yaml"
MIN_SIZE = 12.0  # every shape spans at least this much in x and in y
MIN_CLEARANCE = 4.5  # a circle of this radius round the label point fits inside the shape


@pytest.fixture(scope="module")
def regions() -> dict[str, dict]:
    with REGIONS_YAML.open(encoding="utf-8") as fh:
        return {r["id"]: r for r in yaml.safe_load(fh)}


@pytest.fixture(scope="module")
def polys() -> dict[tuple[str, str], list[tuple[float, float]]]:
    return {key: polygon(shape.d) for key, shape in SHAPES.items()}


def _bbox(poly):
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    return min(xs), min(ys), max(xs), max(ys)


def test_every_region_has_its_shapes_on_its_own_view(regions):
    for rid, region in regions.items():
        sides = ("left", "right", "midline") if region["midline"] else ("left", "right")
        for side in sides:
            assert (rid, side) in SHAPES, (rid, side)
            assert SHAPES[(rid, side)].view == region["view"], (rid, side)


def test_no_extra_shapes(regions):
    expected = {
        (rid, side)
        for rid, region in regions.items()
        for side in (("left", "right", "midline") if region["midline"] else ("left", "right"))
    }
    assert set(SHAPES) == expected


def test_views_and_viewboxes():
    assert VIEWS == ("front", "back")
    for view in VIEWS:
        x, y, w, h = (float(v) for v in VIEWBOX[view].split())
        assert (x, y) == (0, 0) and 250 <= w <= 350 and 550 <= h <= 700
        assert OUTLINE[view].startswith("M") and OUTLINE[view].endswith("Z")
        for shape in SHAPES.values():
            if shape.view == view:
                x0, y0, x1, y1 = _bbox(polygon(shape.d))
                assert x0 >= 0 and x1 <= w and y0 >= 0 and y1 <= h


def test_paths_are_closed_polygons(polys):
    for key, shape in SHAPES.items():
        assert shape.d.startswith("M") and shape.d.endswith("Z"), key
        assert set(shape.d) <= set("MLZ0123456789.,- "), key
        assert len(polys[key]) >= 3, key


def test_every_label_lies_inside_its_shape(polys):
    for key, shape in SHAPES.items():
        assert inside(shape.label, polys[key]), key


def test_shapes_are_big_enough_to_click(polys):
    for key, shape in SHAPES.items():
        x0, y0, x1, y1 = _bbox(polys[key])
        assert x1 - x0 >= MIN_SIZE and y1 - y0 >= MIN_SIZE, (key, x1 - x0, y1 - y0)
        assert edge_distance(shape.label, polys[key]) >= MIN_CLEARANCE, (key, edge_distance(shape.label, polys[key]))


def test_the_centre_of_each_bounding_box_lands_on_its_shape(polys):
    """Browser automation clicks an element at the centre of its bounding box."""
    for key, poly in polys.items():
        x0, y0, x1, y1 = _bbox(poly)
        centre = ((x0 + x1) / 2, (y0 + y1) / 2)
        assert inside(centre, poly) and edge_distance(centre, poly) >= 1, key


def test_no_label_falls_inside_another_shape(polys):
    for key, shape in SHAPES.items():
        for other, poly in polys.items():
            if other != key and SHAPES[other].view == shape.view:
                assert not inside(shape.label, poly), (key, other)


def _crossings(poly, y):
    """The x values where the horizontal line at y crosses the polygon's edges, sorted."""
    return sorted(
        x0 + (x1 - x0) * (y - y0) / (y1 - y0)
        for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True)
        if (y0 > y) != (y1 > y)
    )


def test_shapes_tile_the_silhouette_without_overlaps(polys):
    """Scan each view on a fine grid: inside the outline exactly one shape, outside it none."""
    step = 1.25
    for view in VIEWS:
        outline = polygon(OUTLINE[view])
        mine = {key: poly for key, poly in polys.items() if SHAPES[key].view == view}
        problems = []
        y = 0.37
        while y < 640:
            rows = {key: xs for key, poly in mine.items() if (xs := _crossings(poly, y))}
            body_xs = _crossings(outline, y)
            x = 0.29
            while x < 300:
                hits = [key for key, xs in rows.items() if bisect.bisect(xs, x) % 2]
                body = bisect.bisect(body_xs, x) % 2 == 1
                if len(hits) != (1 if body else 0):
                    near = [outline] + [mine[key] for key in (hits or mine)]
                    if min(edge_distance((x, y), poly) for poly in near) > 0.3:
                        problems.append((view, round(x, 2), round(y, 2), hits, body))
                x += step
            y += step
        assert not problems, problems[:10]


def test_left_and_right_are_on_the_correct_sides():
    """Front view: the patient's right is on the viewer's left. Back view: the patient's left is."""
    for (region, side), shape in SHAPES.items():
        if side == "midline":
            continue
        other = SHAPES[(region, "left" if side == "right" else "right")]
        x, ox = shape.label[0], other.label[0]
        if shape.view == "front":
            assert (x < ox) == (side == "right"), (region, side)
        else:
            assert (x < ox) == (side == "left"), (region, side)
        # every side shape keeps to its own half of the body
        xs = [p[0] for p in polygon(shape.d)]
        if (shape.view == "front") == (side == "right"):
            assert max(xs) <= 150.01, (region, side)
        else:
            assert min(xs) >= 149.99, (region, side)


def test_midline_strips_straddle_the_midline(polys):
    for (region, side), poly in polys.items():
        if side == "midline":
            x0, _, x1, _ = _bbox(poly)
            assert x0 < 150 < x1 and abs((x0 + x1) / 2 - 150) < 0.01, region
            assert x1 - x0 <= 16, region


def test_left_and_right_shapes_mirror_each_other(polys):
    for (region, side), poly in polys.items():
        if side == "left":
            right = polys[(region, "right")]
            mirrored = sorted((300 - x, y) for x, y in poly)
            assert len(mirrored) == len(right), region
            for (x, y), (rx, ry) in zip(mirrored, sorted(right), strict=True):
                assert abs(x - rx) <= 0.011 and y == ry, region


def test_lateral_regions_sit_at_the_outer_edge_and_medial_ones_inside():
    def outer_x(region):  # distance of the shape's label from the midline, patient's right side
        return abs(SHAPES[(region, "right")].label[0] - 150)

    for lateral, medial in [
        ("temple", "forehead"),
        ("ear", "cheek"),
        ("lateral_neck", "anterior_neck"),
        ("lateral_shoulder", "anterior_shoulder"),
        ("lateral_chest", "chest"),
        ("chest", "sternum"),
        ("lateral_hip", "groin"),
        ("thigh_lateral", "thigh_anterior"),
        ("thigh_anterior", "thigh_medial"),
        ("knee_lateral", "knee_anterior"),
        ("knee_anterior", "knee_medial"),
        ("leg_lateral", "shin"),
        ("ankle_lateral", "ankle_anterior"),
        ("ankle_anterior", "ankle_medial"),
        ("toes", "big_toe"),
        ("elbow_lateral", "elbow_medial"),
        ("upper_arm_anterior", "upper_arm_medial"),
        ("thumb", "palm"),
        ("scapula", "interscapular"),
        ("posterior_shoulder", "scapula"),
    ]:
        assert outer_x(lateral) > outer_x(medial), (lateral, medial)


def test_regions_run_from_head_to_foot():
    def y(region):
        return SHAPES[(region, "right")].label[1]

    for chain in [
        ["forehead", "orbit", "cheek", "jaw", "anterior_neck", "sternum", "upper_abdomen", "lower_abdomen", "groin"],
        ["vertex", "occiput", "posterior_neck", "interscapular", "thoracic_back", "lumbar", "sacroiliac", "coccyx"],
        ["lateral_shoulder", "upper_arm_anterior", "elbow_lateral", "forearm_volar", "wrist_volar", "palm", "fingers"],
        ["anterior_shoulder", "upper_arm_medial", "elbow_medial"],
        ["posterior_shoulder", "upper_arm_posterior", "elbow_posterior", "forearm_dorsal", "wrist_dorsal"],
        ["thigh_anterior", "knee_anterior", "shin", "ankle_anterior", "foot_dorsal", "toes"],
        ["buttock", "thigh_posterior", "knee_posterior", "calf", "achilles", "heel", "sole"],
    ]:
        ys = [y(r) for r in chain]
        assert ys == sorted(ys), list(zip(chain, ys, strict=True))


SPINE = ["occiput", "posterior_neck", "interscapular", "thoracic_back", "lumbar", "sacroiliac", "coccyx"]


def test_the_spine_is_one_midline_column_from_nape_to_coccyx(polys):
    """Central back pain can be drawn anywhere along the spine: the back view's midline strips follow
    one another without a gap, each flanked by its region's left and right shapes."""
    for region in SPINE:
        assert SHAPES[(region, "midline")].view == "back", region
    for upper, lower in zip(SPINE, SPINE[1:], strict=False):
        _, _, _, bottom = _bbox(polys[(upper, "midline")])
        _, top, _, _ = _bbox(polys[(lower, "midline")])
        assert top < bottom + 0.01, (upper, lower, top, bottom)  # touching (the neck's edge peaks on the midline)
        assert SHAPES[(upper, "midline")].label[1] < SHAPES[(lower, "midline")].label[1], (upper, lower)
    for region in SPINE[1:-1]:
        strip = polys[(region, "midline")]
        x0, _, x1, _ = _bbox(strip)
        for side in ("left", "right"):
            xs = [p[0] for p in polys[(region, side)]]
            assert max(xs) <= x0 + 0.01 or min(xs) >= x1 - 0.01, (region, side)


def test_the_inner_arm_runs_along_the_inner_edge_of_the_upper_arm(polys):
    """Front view, patient's right (viewer's left half): the inner arm lies between the front of the
    upper arm and the trunk, from the armpit to the elbow."""
    front, inner = polys[("upper_arm_anterior", "right")], polys[("upper_arm_medial", "right")]
    assert SHAPES[("upper_arm_medial", "right")].view == "front"
    assert max(x for x, _ in front) < max(x for x, _ in inner)
    assert _bbox(inner)[1] == _bbox(front)[1] and _bbox(inner)[3] == _bbox(front)[3]
    elbow = polys[("elbow_medial", "right")]
    assert abs(_bbox(elbow)[1] - _bbox(inner)[3]) < 0.01
