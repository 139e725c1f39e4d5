"""The API describes itself: the OpenAPI document lists every path, and the docs page is served."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/episodes/{episode_id}/plan": {"get", "post"},
    "/api/v1/episodes/{episode_id}/measurements": {"get", "post"},
    "/api/v1/episodes/{episode_id}/progress": {"get"},
    "/api/v1/episodes/{episode_id}/due": {"get"},
    "/api/v1/episodes/{episode_id}/discharge": {"get", "post"},
    "/api/v1/episodes/{episode_id}/review-actions": {"post"},
    "/api/v1/reviews/flagged": {"get"},
    "/api/v1/episodes/{episode_id}/range-of-motion": {"get", "post"},
    "/api/v1/episodes/{episode_id}/reports/progress": {"get"},
    "/api/v1/episodes/{episode_id}/reports/discharge": {"get"},
    "/api/v1/episodes/{episode_id}/reports/referral": {"get"},
    "/api/v1/episodes/{episode_id}/reports/patient-summary": {"get"},
    "/api/v1/visits/{visit_id}/reports/note": {"get"},
    "/api/v1/patients": {"get", "post"},
    "/api/v1/patients/{patient_id}": {"get", "patch"},
    "/api/v1/patients/{patient_id}/episodes": {"get", "post"},
    "/api/v1/patients/{patient_id}/visits": {"get", "post"},
    "/api/v1/patients/{patient_id}/screenings": {"post"},
    "/api/v1/patients/{patient_id}/consents": {"post"},
    "/api/v1/patients/{patient_id}/consents/withdraw": {"post"},
    "/api/v1/visits/{visit_id}": {"get", "patch"},
    "/api/v1/visits/{visit_id}/rescreen": {"post"},
    "/api/v1/visits/{visit_id}/discard": {"post"},
    "/api/v1/visits/{visit_id}/insertions": {"post"},
    "/api/v1/visits/{visit_id}/insertions/{insertion_id}": {"patch", "delete"},
    "/api/v1/visits/{visit_id}/planned/confirm-all": {"post"},
    "/api/v1/visits/{visit_id}/planned/{planned_id}/confirm": {"post"},
    "/api/v1/visits/{visit_id}/planned/{planned_id}": {"delete"},
    "/api/v1/visits/{visit_id}/palpations": {"post"},
    "/api/v1/visits/{visit_id}/palpations/{palpation_id}": {"patch", "delete"},
    "/api/v1/visits/{visit_id}/adverse-events": {"post"},
    "/api/v1/visits/{visit_id}/adverse-events/{event_id}": {"patch", "delete"},
    "/api/v1/visits/{visit_id}/exercises": {"post"},
    "/api/v1/visits/{visit_id}/exercises/{assignment_id}": {"patch", "delete"},
    "/api/v1/visits/{visit_id}/sign-check": {"get"},
    "/api/v1/visits/{visit_id}/sign": {"post"},
    "/api/v1/visits/{visit_id}/addenda": {"post"},
    "/api/v1/suggestions": {"post"},
    "/api/v1/dashboard": {"get"},
    "/api/v1/patients/{patient_id}/portal": {"get"},
    "/api/v1/patients/{patient_id}/portal/invitation": {"post"},
    "/api/v1/patients/{patient_id}/portal/turn-off": {"post"},
    "/api/v1/portal-alerts": {"get"},
    "/api/v1/portal-alerts/{alert_id}/acknowledge": {"post"},
}


def test_openapi_document_lists_every_path():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "NeedleChart API" and document["info"]["version"] == "1"
    assert {path: set(ops) for path, ops in document["paths"].items()} == PATHS
    patch = document["paths"]["/api/v1/visits/{visit_id}"]["patch"]
    assert {"200", "409", "422"} <= set(patch["responses"])
    sides = document["components"]["schemas"]["PainIn"]["properties"]["side"]
    assert sides["enum"] == ["left", "right", "midline"]


def test_docs_page_is_served():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200 and b"NeedleChart API" in response.content


def test_docs_page_uses_only_local_assets_when_ninja_is_an_installed_app(settings):
    """The site's Content-Security-Policy allows no third-party script: with "ninja" in INSTALLED_APPS,
    ninja serves Swagger UI from its own static files instead of a CDN, with no inline script."""
    assert "ninja" in settings.INSTALLED_APPS
    html = Client().get("/api/v1/docs").content.decode()
    assert "cdn.jsdelivr.net" not in html and "/static/ninja/swagger-ui-bundle.js" in html
    assert "<script>" not in html  # only <script src=...> and the JSON settings block
