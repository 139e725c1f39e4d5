"""The signed-in start page: the site's base template and nothing else, for clinic staff only. It is
also the web benchmark's floor (scripts/bench_web.py), so it must stay a page without work of its own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from needlechart.accounts.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return f.clinic()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_clinic_staff_see_the_start_page_in_the_site_frame(clinic):
    client = signed_in(f.user(clinic, "frontdesk", role=Role.FRONT_DESK))
    response = client.get(reverse("common:start"))
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["common/start.html", "base.html"]
    html = response.content.decode()
    assert "<h1>Start</h1>" in html
    assert reverse("patients:list") in html and reverse("explorer:explorer") in html
    assert clinic.name in html  # the signed-in header, as on every page


def test_the_start_page_is_for_signed_in_clinic_staff_only(clinic):
    response = Client().get(reverse("common:start"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert signed_in(f.user(None, "outsider")).get(reverse("common:start")).status_code == 403


def test_the_start_page_reads_nothing_of_its_own(clinic):
    """What the start page costs is what every signed-in page costs before its own work: the same
    queries as the frame of a page that reads no patient (the patient list of an empty clinic reads
    its count too)."""
    client = signed_in(f.user(clinic, "physio"))
    client.get(reverse("common:start"))  # the first request of a session renews it
    with CaptureQueriesContext(connection) as start:
        client.get(reverse("common:start"))
    with CaptureQueriesContext(connection) as patients:
        client.get(reverse("patients:list"))
    tables = {q["sql"].split(" FROM ")[1].split()[0] for q in start.captured_queries if " FROM " in q["sql"]}
    assert not any("patient" in t or "charting" in t for t in tables), tables
    assert len(start.captured_queries) < len(patients.captured_queries)
