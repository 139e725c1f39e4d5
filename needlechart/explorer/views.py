"""The explorer's pages. Thin: parse the request, ask the knowledge base and the clinical core, render."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from needlechart.clinical.locations import Pain, PainInputError, parse_pain
from needlechart.clinical.suggestion import suggest
from needlechart.knowledge import load
from needlechart.knowledge.lookup import search as search_names

from . import bodymap, selectors
from .fragments import FragmentCache

MAX_PAINS = 40
# The explorer's answer is a pure function of the drawing and the condition: each distinct one is
# ranked and rendered once per process (the home page and a shared link are the same for everyone).
RESULTS = FragmentCache("explorer results", maxsize=256)
CONTENT = FragmentCache("explorer page", maxsize=64)


def _kb():
    return load()


def _parse_pains(kb, values: list[str]) -> tuple[list[Pain], list[str]]:
    """Pain locations from `?pain=temple:left`; bad ones are reported and left out, good ones kept once."""
    pains: dict[tuple[str, str], Pain] = {}
    errors = []
    for value in values[:MAX_PAINS]:
        region, _, side = value.partition(":")
        try:
            pain = parse_pain(kb, region, side)
        except PainInputError as exc:
            errors.append(f"'{value}' was left out: {exc}.")
            continue
        pains.setdefault((pain.region, pain.side), pain)
    return list(pains.values()), errors


def explorer(request: HttpRequest) -> HttpResponse:
    kb = _kb()
    pains, errors = _parse_pains(kb, request.GET.getlist("pain"))
    condition = request.GET.get("condition", "")
    if condition and condition not in kb.conditions:
        errors.append(f"'{condition}' is not a condition in the knowledge base; it was ignored.")
        condition = ""
    key = (tuple(pains), condition, tuple(errors))
    results = RESULTS.get(kb, key, lambda: render_to_string("explorer/_results.html", _results_context(kb, *key)))
    if request.htmx:
        return HttpResponse(results)
    content = CONTENT.get(kb, key, lambda: _content(kb, key, results))
    return render(request, "explorer/explorer.html", {"content": content})


def _results_context(kb, pains: tuple[Pain, ...], condition: str, errors: tuple[str, ...]) -> dict:
    return {
        "kb": kb,
        "pains": [(p, bodymap.location_label(kb, p.region, p.side)) for p in pains],
        "condition": condition,
        "result": suggest(kb, pains, condition, top=12) if pains or condition else None,
        "errors": errors,
    }


def _content(kb, key: tuple, results: str) -> str:
    pains, condition, _ = key
    context = {
        "pains": [(p, bodymap.location_label(kb, p.region, p.side)) for p in pains],
        "condition": condition,
        "conditions": sorted(kb.conditions.values(), key=lambda c: c.name),
        "bodymap": bodymap.render(kb, interactive=True, selected={(p.region, p.side) for p in pains}),
        "regions": selectors.regions_by_part(kb),
        "results": results,
    }
    return render_to_string("explorer/_explorer.html", context)


def search(request: HttpRequest) -> HttpResponse:
    kb = _kb()
    query = request.GET.get("q", "").strip()[:80]
    hits = []
    for category, ident in search_names(kb, query, limit=25) if query else []:
        if category == "muscle":
            hits.append((category, ident, kb.muscles[ident].name))
        elif category == "acupoint":
            hits.append((category, ident, kb.acupoints[ident].label))
        elif category == "region":
            hits.append((category, ident, kb.regions[ident].name))
        else:
            hits.append((category, ident, kb.conditions[ident].name))
    template = "explorer/_search_results.html" if request.htmx else "explorer/search.html"
    return render(request, template, {"query": query, "hits": hits})


def _side(request: HttpRequest) -> str:
    side = request.GET.get("side", "right")
    return side if side in ("left", "right") else "right"


def muscle_detail(request: HttpRequest, muscle_id: str) -> HttpResponse:
    kb = _kb()
    muscle = kb.muscles.get(muscle_id)
    if muscle is None:
        raise Http404(f"No muscle '{muscle_id}'")
    side = _side(request)
    shading = {(r, side): "spillover" for r in muscle.spillover}
    shading.update({(r, side): "primary" for r in muscle.primary})
    for r in muscle.regions:
        shading.setdefault((r, side), "site")
    return render(
        request,
        "explorer/muscle.html",
        {
            "kb": kb,
            "muscle": muscle,
            "side": side,
            "other_side": "left" if side == "right" else "right",
            "bodymap": bodymap.render(kb, shading=shading),
            "conditions": selectors.conditions_of_muscle(kb, muscle),
            "exercises": selectors.exercises_for_muscle(kb, muscle.id),
            "citations": selectors.citations(
                kb, muscle.sources + (muscle.prevalence.sources if muscle.prevalence else ())
            ),
        },
    )


def acupoint_detail(request: HttpRequest, code: str) -> HttpResponse:
    kb = _kb()
    point = kb.acupoints.get(code) or kb.acupoints.get(code.upper())
    if point is None:
        raise Http404(f"No acupoint '{code}'")
    shading: dict[tuple[str, str], str] = {}
    sides = ("midline", "left", "right") if point.midline else ("left", "right")
    for r in point.distal_for:
        for s in kb.regions[r].sides:
            shading[(r, s)] = "spillover"
    if point.region:
        for s in sides:
            if s in kb.regions[point.region].sides:
                shading[(point.region, s)] = "primary"
    return render(
        request,
        "explorer/acupoint.html",
        {
            "kb": kb,
            "point": point,
            "meridian_name": selectors.MERIDIAN_NAMES[point.meridian],
            "bodymap": bodymap.render(kb, shading=shading) if shading else None,
            "conditions": selectors.conditions_of_point(kb, point.code),
            "citations": selectors.citations(
                kb,
                point.sources
                + (point.restricted.sources if point.restricted else ())
                + (point.prevalence.sources if point.prevalence else ()),
            ),
        },
    )


def region_detail(request: HttpRequest, region_id: str) -> HttpResponse:
    kb = _kb()
    region = kb.regions.get(region_id)
    if region is None:
        raise Http404(f"No region '{region_id}'")
    primary, spillover = selectors.muscles_referring_to(kb, region.id)
    shading = {(region.id, s): "primary" for s in region.sides}
    return render(
        request,
        "explorer/region.html",
        {
            "kb": kb,
            "region": region,
            "bodymap": bodymap.render(kb, shading=shading),
            "primary": primary,
            "spillover": spillover,
            "muscles_here": selectors.muscles_in(kb, region.id),
            "points_here": selectors.points_in(kb, region.id),
            "distal_points": selectors.distal_points_for(kb, region.id),
            "conditions": selectors.conditions_of_region(kb, region.id),
            "adjacent": [kb.regions[r] for r in region.adjacent],
            "citations": selectors.citations(kb, region.sources),
        },
    )


def condition_detail(request: HttpRequest, condition_id: str) -> HttpResponse:
    kb = _kb()
    condition = kb.conditions.get(condition_id)
    if condition is None:
        raise Http404(f"No condition '{condition_id}'")
    shading = {(r, s): "primary" for r in condition.regions for s in kb.regions[r].sides}
    return render(
        request,
        "explorer/condition.html",
        {
            "kb": kb,
            "condition": condition,
            "bodymap": bodymap.render(kb, shading=shading),
            "muscles": [kb.muscles[m] for m in condition.muscles],
            "local_points": [kb.acupoints[p] for p in condition.local_acupoints],
            "distal_points": [kb.acupoints[p] for p in condition.distal_acupoints],
            "instruments": [kb.instruments[i] for i in condition.instruments],
            "exercises": [kb.exercises[e] for e in condition.exercises],
            "citations": selectors.citations(kb, condition.sources),
        },
    )


def muscle_list(request: HttpRequest) -> HttpResponse:
    kb = _kb()
    return render(request, "explorer/muscle_list.html", {"muscles": sorted(kb.muscles.values(), key=lambda m: m.name)})


def acupoint_list(request: HttpRequest) -> HttpResponse:
    kb = _kb()
    return render(request, "explorer/acupoint_list.html", {"meridians": selectors.points_by_meridian(kb)})


def region_list(request: HttpRequest) -> HttpResponse:
    kb = _kb()
    return render(request, "explorer/region_list.html", {"groups": selectors.regions_by_part(kb)})


def condition_list(request: HttpRequest) -> HttpResponse:
    kb = _kb()
    conditions = sorted(kb.conditions.values(), key=lambda c: c.name)
    return render(request, "explorer/condition_list.html", {"conditions": conditions})


def source_list(request: HttpRequest) -> HttpResponse:
    kb = _kb()
    counts = selectors.cited_by(kb)
    sources = sorted(kb.sources.values(), key=lambda s: s.citation.lower())
    return render(request, "explorer/sources.html", {"sources": [(s, counts.get(s.id, 0)) for s in sources]})
