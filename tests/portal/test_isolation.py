"""A patient's portal session reaches their own portal pages and the public pages, nothing else:
no staff page, no API route, no other patient's record. Every URL of the project is tried."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import resolve

from needlechart.portal import services
from needlechart.portal.access import patient_may_open
from tests import factories as f
from tests.urlsamples import every_url

from .conftest import PATIENT_PASSWORD

pytestmark = pytest.mark.django_db


def patient_namespace(path: str) -> bool:
    resolve(path)  # every sample is a real address of the project
    return patient_may_open(path)


@pytest.fixture
def other_patient(clinic, physio, django_capture_on_commit_callbacks):
    """Another patient of the same clinic, with a portal account of their own."""
    other = f.patient(clinic, "Grace", "Hopper", email="grace@example.com", phone="+1 555 0100")
    services.invite_patient(actor=physio, patient=other)
    return other


def test_every_staff_page_and_api_route_is_refused_to_a_patient(patient_client, other_patient):
    urls = every_url()
    staff_urls = sorted(path for path in urls if not patient_namespace(path))
    assert len(staff_urls) > 60
    names = {urls[p] for p in staff_urls}
    assert {"patients:list", "patients:detail", "charting:visit", "admin:index", "dashboard:page"} <= names
    assert {
        "selfcheck:requests",
        "selfcheck:request",
        "notifications:list",
    } <= names  # staff pages under public prefixes
    assert any(p.startswith("/api/v1/") for p in staff_urls)
    for path in staff_urls:
        for method in ("get", "post", "patch", "delete"):
            response = getattr(patient_client, method)(path)
            assert response.status_code == 403, (method, path, response.status_code)
            assert b"Hopper" not in response.content and b"Lovelace" not in response.content, (method, path)
            if path.startswith("/api/"):
                assert response.json()["code"] == "patient_account"


def test_the_portal_pages_show_only_the_patients_own_record(patient_client, other_patient):
    portal = sorted(p for p, name in every_url().items() if name.startswith("portal:") and "<" not in p)
    assert "/portal/" in portal and "/portal/details/" in portal
    for path in portal:
        response = patient_client.get(path)
        assert response.status_code < 500, path
        assert b"Hopper" not in response.content and b"grace@example.com" not in response.content, path
    assert b"Lovelace" in patient_client.get("/portal/details/").content


def test_no_portal_address_names_a_patient_or_any_record(patient_client):
    """The portal's pages take no ids: nothing in a URL could point at another patient."""
    for path, name in every_url().items():
        if name.startswith("portal:"):
            for converter in resolve(path).route.split("<")[1:]:
                assert converter.startswith("str:token"), (path, converter)


def test_staff_cannot_use_the_portal_pages(physio):
    c = Client(raise_request_exception=False)
    c.force_login(physio)
    for path in ("/portal/", "/portal/details/", "/portal/password/"):
        assert c.get(path).status_code == 403, path


def test_a_patient_signed_in_by_password_gets_the_same_boundary(active):
    c = Client(raise_request_exception=False)
    assert c.post("/portal/sign-in/", {"email": "ada@example.com", "password": PATIENT_PASSWORD}).status_code == 302
    assert c.get("/patients/").status_code == 403
    assert c.get("/api/v1/patients").status_code == 403
    assert c.get("/learn/").status_code == 200


def test_the_admin_never_lists_or_edits_a_patients_account(active, clinic, client):
    admin = f.user(clinic, "boss", role="clinic_admin")
    client.force_login(admin)
    listing = client.get("/admin/accounts/user/")
    assert listing.status_code == 200 and active.user.username.encode() not in listing.content
    assert (
        client.get(f"/admin/accounts/user/{active.user.pk}/change/").status_code == 302
    )  # not found: back to the list
    form = client.get("/admin/accounts/user/add/")
    assert b'value="patient"' not in form.content


def test_public_pages_show_a_patient_no_staff_links(patient_client):
    page = patient_client.get("/learn/").content.decode()
    assert 'href="/patients/"' not in page and "Self-checks" not in page and 'href="/accounts/security/"' not in page
    assert 'href="/portal/"' in page
