"""Front desk never sees the dashboard (page, CSV, API); another clinic's data never appear; bad
filters get a clear message (400 on the page and the CSV, 422 from the API), never a 500."""

from __future__ import annotations

import pytest

from needlechart.audit.models import AuditEvent
from needlechart.common.opaque import of as oid

from .conftest import RANGE, login

pytestmark = pytest.mark.django_db


def test_front_desk_is_refused_everywhere(clinic):
    c = login(clinic["desk"])
    assert c.get("/dashboard/", RANGE).status_code == 403
    assert c.get("/dashboard/overview.csv", RANGE).status_code == 403
    assert c.get("/api/v1/dashboard", RANGE).status_code == 403
    assert not AuditEvent.objects.filter(action="view", actor=clinic["desk"]).exists()
    assert "Dashboard" not in c.get("/patients/").content.decode()
    assert "/dashboard/" in login(clinic["physio"]).get("/patients/").content.decode()


def test_signed_out_is_sent_to_sign_in(clinic):
    from django.test import Client

    r = Client().get("/dashboard/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_other_clinic_sees_only_its_own(clinic):
    c = login(clinic["other"])
    body = c.get("/api/v1/dashboard", RANGE).json()
    assert body["overview"][0]["episodes"] == 1 and body["overview"][0]["signed_visits"] == 3
    pneumothorax = next(e for e in body["adverse_events"] if e["type"] == "suspected_pneumothorax")
    assert pneumothorax["treatments_with"] == 3
    mine = login(clinic["physio"]).get("/api/v1/dashboard", RANGE).json()
    assert next(e for e in mine["adverse_events"] if e["type"] == "suspected_pneumothorax")["treatments_with"] == 0
    # A clinician of another clinic cannot be chosen as a filter.
    r = login(clinic["physio"]).get("/dashboard/", {**RANGE, "clinician": oid(clinic["other"])})
    assert r.status_code == 400 and "No clinician" in r.content.decode()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"date_from": "2026-13-01"}, "Enter the first day as YYYY-MM-DD"),
        ({"date_to": "yesterday"}, "Enter the last day as YYYY-MM-DD"),
        ({"date_from": "2026-03-01", "date_to": "2026-01-01"}, "after it ends"),
        ({"date_from": "2000-01-01", "date_to": "2026-01-01"}, "at most five years"),
        ({"condition": "gout"}, "Unknown condition"),
        ({"clinician": "us_1q0m8v2k7c1xz"}, "No clinician"),
    ],
)
def test_bad_filters_are_explained(clinic, params, message):
    c = login(clinic["physio"])
    page = c.get("/dashboard/", params)
    assert page.status_code == 400 and message in page.content.decode()
    for key, value in params.items():
        assert f'value="{value}"' in page.content.decode() or value in page.content.decode(), key  # kept in the form
    assert c.get("/dashboard/overview.csv", params).status_code == 400
    api = c.get("/api/v1/dashboard", params)
    assert api.status_code == 422 and message in api.content.decode()
    assert not AuditEvent.objects.filter(action="view", actor=clinic["physio"]).exists()


def test_every_bad_filter_is_reported_at_once(clinic):
    r = login(clinic["physio"]).get(
        "/dashboard/", {"date_from": "2026-03-01", "date_to": "2026-01-01", "condition": "gout"}
    )
    text = r.content.decode()
    assert r.status_code == 400 and "Unknown condition" in text and "after it ends" in text
    assert 'value="2026-03-01"' in text and 'value="2026-01-01"' in text
