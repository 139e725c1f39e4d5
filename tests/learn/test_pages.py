"""The public education pages at /learn/: every page renders for an anonymous visitor, with its sources
numbered at the foot, its review date and the disclaimer; the index lists every page; an unknown
address is a 404; the self-check link appears only once `selfcheck:start` exists."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from needlechart.knowledge import load

PAGES = list(load().education.pages.values())


@pytest.fixture
def anonymous(client):
    return client


def test_the_index_lists_every_page_for_an_anonymous_visitor(anonymous):
    response = anonymous.get("/learn/")
    assert response.status_code == 200
    html = response.content.decode()
    for page in PAGES:
        assert f'href="/learn/{page.slug}/"' in html, page.slug
        assert page.title.replace("'", "&#x27;") in html
    assert "explains; it does not diagnose" in html
    assert 'href="/learn/when-to-get-help/"' in html


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_every_page_renders_for_an_anonymous_visitor_with_its_sources(anonymous, page):
    kb = load()
    response = anonymous.get(reverse("learn:page", args=[page.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>" in html and page.title.replace("'", "&#x27;") in html
    # Every source the page cites is listed once, numbered in the order first cited.
    refs = re.findall(r'<li id="ref-(\d+)">', html)
    assert refs == [str(n) for n in range(1, len(page.source_ids()) + 1)]
    for ident in page.source_ids():
        citation = kb.sources[ident].citation
        assert citation.replace("'", "&#x27;").replace("&", "&amp;")[:40] in html, ident
    # Every paragraph and bullet carries a reference mark that points at a listed source.
    marks = {int(n) for n in re.findall(r'href="#ref-(\d+)"', html)}
    assert marks == set(range(1, len(refs) + 1))
    assert html.count('<sup class="refs">') == len(page.cited())
    assert f'datetime="{page.reviewed.isoformat()}"' in html and "Last reviewed" in html
    assert "This page explains; it does not diagnose." in html
    if page.slug != "when-to-get-help":
        assert 'See <a href="/learn/when-to-get-help/">when to get help</a>' in html
    for other in page.see_also:
        assert f'href="/learn/{other}/"' in html


def test_an_unknown_page_is_404(anonymous):
    assert anonymous.get("/learn/no-such-page/").status_code == 404


def test_the_nav_offers_learn_to_everyone(anonymous):
    html = anonymous.get("/").content.decode()
    assert 'href="/learn/"' in html


def test_no_inline_script_or_style(anonymous):
    for url in ["/learn/", *(f"/learn/{p.slug}/" for p in PAGES)]:
        html = anonymous.get(url).content.decode()
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url


def test_the_self_check_link_is_absent_while_there_is_no_self_check(anonymous, settings):
    settings.ROOT_URLCONF = "tests.learn.no_selfcheck_urls"
    html = anonymous.get("/learn/").content.decode()
    assert "Check whether needling could suit you" not in html


def test_the_index_links_to_the_real_self_check(anonymous):
    html = anonymous.get("/learn/").content.decode()
    assert '<a class="button" href="/self-check/">Check whether needling could suit you</a>' in html


def test_the_self_check_link_appears_once_its_url_exists(anonymous, settings):
    settings.ROOT_URLCONF = "tests.learn.selfcheck_urls"
    html = anonymous.get("/learn/").content.decode()
    assert '<a class="button" href="/self-check/">Check whether needling could suit you</a>' in html


@pytest.mark.django_db
def test_a_signed_in_clinician_reads_the_same_pages_and_keeps_the_staff_nav(client):
    from tests import factories

    client.force_login(factories.user(factories.clinic(), "reader"))
    html = client.get("/learn/risks/").content.decode()
    assert 'href="/learn/"' in html and 'href="/patients/"' in html
    assert "Risks, and who should not have needling" in html
