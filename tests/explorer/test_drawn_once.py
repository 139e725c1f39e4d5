"""Markup drawn once per distinct input and reused: the body map per drawing, the NPRS chart per series
of scores, and the fragment stores behind them. A reused drawing is the very markup a fresh one would
be; a different drawing is different markup."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import override_settings

from needlechart.common import svgchart
from needlechart.common.svgchart import Series, line_chart
from needlechart.explorer import bodymap, fragments
from needlechart.explorer.fragments import FragmentCache


@pytest.fixture(autouse=True)
def _empty_stores():
    fragments.clear_all()
    svgchart._drawn.cache_clear()
    yield
    fragments.clear_all()
    svgchart._drawn.cache_clear()


def test_a_body_map_is_drawn_once_per_drawing_and_reused_as_drawn(kb):
    drawing = {("temple", "left"), ("posterior_neck", "left")}
    first = bodymap.render(kb, interactive=True, selected=drawing)
    misses = bodymap.MAPS.misses
    again = bodymap.render(kb, interactive=True, selected=list(reversed(sorted(drawing))))
    assert again == first and bodymap.MAPS.misses == misses and bodymap.MAPS.hits >= 1
    assert first == bodymap._draw(kb, True, frozenset(drawing), {}, bodymap.VIEWS, "")  # as drawn afresh
    assert first.count('aria-pressed="true"') == 2


def test_different_drawings_are_different_maps(kb):
    blank = bodymap.render(kb, interactive=True)
    temple = bodymap.render(kb, interactive=True, selected={("temple", "left")})
    other_side = bodymap.render(kb, interactive=True, selected={("temple", "right")})
    static = bodymap.render(kb)
    shaded = bodymap.render(kb, shading={("temple", "left"): "primary"})
    captioned = bodymap.render(kb, shading={("temple", "left"): "primary"}, caption="Where it is felt")
    front = bodymap.render(kb, views=("front",))
    maps = [blank, temple, other_side, static, shaded, captioned, front]
    assert len(set(maps)) == len(maps)
    assert 'aria-pressed="true"' not in blank and temple.count('aria-pressed="true"') == 1
    assert 'class="region primary"' in shaded and "Where it is felt" in captioned
    assert 'data-view="back"' not in front


def test_the_selection_only_matters_to_an_interactive_map(kb):
    assert bodymap.render(kb, selected={("temple", "left")}) == bodymap.render(kb)


def series(scores):
    days = [date(2026, 1, 5 + 7 * i) for i in range(len(scores))]
    return [Series("Before treatment", "before", list(zip(days, scores, strict=True)))]


def test_a_chart_is_drawn_once_per_series_of_scores():
    title = "Pain for Ada Lovelace"
    first = line_chart(series([7, 6, 5]), title=title)
    again = line_chart(series([7, 6, 5]), title=title)
    assert again is first  # the same markup, reused
    assert svgchart._drawn.cache_info().hits == 1
    data = tuple((s.name, s.css_class, tuple(s.points)) for s in series([7, 6, 5]))
    assert svgchart._drawn.__wrapped__(data, 10, "NPRS", 640, 220, title) == first  # as drawn afresh
    assert first.count("<circle") == 3 + 1  # three scores and the legend's dot


def test_different_scores_or_titles_are_different_charts():
    charts = [
        line_chart(series([7, 6, 5]), title="Pain for Ada Lovelace"),
        line_chart(series([7, 6, 4]), title="Pain for Ada Lovelace"),
        line_chart(series([7, 6, 5, 3]), title="Pain for Ada Lovelace"),
        line_chart(series([7, 6, 5]), title="Pain for Grace Hopper"),
        line_chart(series([7, None, 5]), title="Pain for Ada Lovelace"),
    ]
    assert len(set(charts)) == len(charts)
    assert line_chart([], title="x") == line_chart(series([None]), title="x")  # nothing to draw, either way


def test_a_fragment_store_is_bounded_and_least_recently_used_goes_first():
    store = FragmentCache("test", maxsize=2)
    kb = object()
    drawn = []

    def draw(key):
        drawn.append(key)
        return f"<p>{key}</p>"

    for key in ("a", "b", "a", "c", "a", "b"):
        assert store.get(kb, key, lambda k=key: draw(k)) == f"<p>{key}</p>"
    assert drawn == ["a", "b", "c", "b"]  # "b" went when "c" came (least recently used), "a" stayed
    assert len(store) == 2


def test_a_fragment_store_forgets_everything_for_another_knowledge_base_or_a_changed_setting():
    store = FragmentCache("test")
    one, other = object(), object()
    store.get(one, "k", lambda: "first")
    assert store.get(one, "k", lambda: "second") == "first"
    assert store.get(other, "k", lambda: "third") == "third"
    with override_settings(STATIC_URL="/elsewhere/"):
        assert len(store) == 0
        assert store.get(other, "k", lambda: "fourth") == "fourth"
