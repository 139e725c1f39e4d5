"""The public education pages. Thin: look the page up in the knowledge base, number its sources, render.

No sign-in: these pages are for patients and the public. The index links to the public self-check
only when that app is installed (its URL name `selfcheck:start` resolves).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from needlechart.knowledge import load

from .references import numbered

HELP_SLUG = "when-to-get-help"  # the page the disclaimer on every page points to


def _pages() -> dict:
    education = load().education
    return education.pages if education is not None else {}


def _self_check_url() -> str | None:
    try:
        return reverse("selfcheck:start")
    except NoReverseMatch:
        return None


def index(request: HttpRequest) -> HttpResponse:
    pages = _pages()
    return render(
        request,
        "learn/index.html",
        {"pages": list(pages.values()), "self_check_url": _self_check_url(), "help_page": pages.get(HELP_SLUG)},
    )


def page(request: HttpRequest, slug: str) -> HttpResponse:
    pages = _pages()
    if slug not in pages:
        raise Http404("No education page has that address.")
    current = pages[slug]
    sections, references = numbered(load(), current)
    return render(
        request,
        "learn/page.html",
        {
            "page": current,
            "sections": sections,
            "references": references,
            "see_also": [pages[s] for s in current.see_also],
            "help_page": pages.get(HELP_SLUG),
        },
    )
