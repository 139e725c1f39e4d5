"""The explorer's pages answer with the right content, and bad input is named, not fatal."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client()


def test_explorer_home_draws_every_region_on_both_sides(client, kb):
    html = client.get("/").content.decode()
    for region in kb.regions.values():
        for side in region.sides:
            assert f'data-region="{region.id}" data-side="{side}"' in html, (region.id, side)
    assert html.count('role="button"') == sum(len(r.sides) for r in kb.regions.values())


def test_explorer_with_pain_shows_ranked_suggestions(client):
    html = client.get("/?pain=temple:left&pain=posterior_neck:left").content.decode()
    assert "Upper trapezius" in html and "Muscles to examine" in html
    assert 'aria-pressed="true"' in html
    assert "refer pain to the left" in html


def test_htmx_request_returns_only_the_results(client):
    response = client.get("/?pain=heel:right&condition=plantar_heel_pain", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "Soleus" in html


def test_bad_pain_values_are_named_and_good_ones_kept(client):
    html = client.get("/?pain=templ:left&pain=jaw:up&pain=jaw:left").content.decode()
    assert "&#x27;templ:left&#x27; was left out: unknown region &#x27;templ&#x27;; closest: temple" in html
    assert "&#x27;jaw:up&#x27; was left out: side &#x27;up&#x27; is not valid for jaw; use left or right" in html
    assert "Masseter" in html


def test_pain_values_are_read_by_the_core_rule_once_each_and_capped(kb):
    from needlechart.explorer.views import MAX_PAINS, _parse_pains

    pains, errors = _parse_pains(kb, ["Low back:LEFT", "lumbar:left", "temple", "temple:left:6"])
    assert [(p.region, p.side) for p in pains] == [("lumbar", "left")]
    assert errors == [
        "'temple' was left out: no side given for temple: use left or right.",
        "'temple:left:6' was left out: side 'left:6' is not valid for temple; use left or right (closest: left).",
    ]
    pains, errors = _parse_pains(kb, ["jaw:left"] * MAX_PAINS + ["temple:left"])
    assert [(p.region, p.side) for p in pains] == [("jaw", "left")] and not errors


def test_unknown_condition_is_named(client):
    html = client.get("/?pain=jaw:left&condition=migraine").content.decode()
    assert "is not a condition in the knowledge base" in html


@pytest.mark.parametrize(
    "url, text",
    [
        ("/muscles/upper_trapezius/", "Referred pain"),
        ("/muscles/upper_trapezius/?side=left", "left side"),
        ("/acupoints/LI4/", "Hegu"),
        ("/acupoints/LU3/", "Tianfu"),
        ("/regions/temple/", "Muscles referring pain here"),
        ("/conditions/low_back_pain/", "ICD-10-CM"),
        ("/muscles/", "Sternocleidomastoid"),
        ("/acupoints/", "Governor vessel"),
        ("/regions/", "Temple"),
        ("/conditions/", "Plantar"),
        ("/sources/", "Simons DG"),
        ("/search/?q=scm", "Sternocleidomastoid"),
    ],
)
def test_pages(client, url, text):
    response = client.get(url)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_muscle_page_shades_primary_and_spillover(client, kb):
    html = client.get("/muscles/upper_trapezius/").content.decode()
    muscle = kb.muscles["upper_trapezius"]
    assert 'class="region primary" d=' in html
    assert f'data-region="{muscle.primary[0]}" data-side="right"' in html
    if muscle.spillover:
        assert 'class="region spillover"' in html


def test_every_knowledge_entry_has_a_page(client, kb):
    for m in kb.muscles:
        assert client.get(f"/muscles/{m}/").status_code == 200, m
    for r in kb.regions:
        assert client.get(f"/regions/{r}/").status_code == 200, r
    for c in kb.conditions:
        assert client.get(f"/conditions/{c}/").status_code == 200, c
    for p in list(kb.acupoints)[::7]:
        assert client.get(f"/acupoints/{p}/").status_code == 200, p


@pytest.mark.parametrize("url", ["/muscles/trapezoid/", "/acupoints/LI99/", "/regions/moon/", "/conditions/flu/"])
def test_unknown_entries_are_404(client, url):
    assert client.get(url).status_code == 404


def test_search_by_synonym_and_code(client):
    assert "Fibularis longus" in client.get("/search/?q=peroneus").content.decode()
    assert "LI4" in client.get("/search/?q=hegu", HTTP_HX_REQUEST="true").content.decode()
    assert "Nothing matches" in client.get("/search/?q=zzzz").content.decode()


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
