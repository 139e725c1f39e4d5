"""Clinic isolation and roles, through every patient URL."""

from __future__ import annotations

import pytest
from django.test import Client

from needlechart.accounts.models import Role
from needlechart.audit.models import AuditEvent
from needlechart.common.opaque import of as oid
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a, b = f.clinic("riverside"), f.clinic("hilltop")
    return {
        "a": a,
        "b": b,
        "physio": f.user(a, "physio"),
        "desk": f.user(a, "desk", Role.FRONT_DESK),
        "admin": f.user(a, "admin", Role.CLINIC_ADMIN),
        "other": f.user(b, "other"),
        "patient": f.patient(a, medications="Warfarin 5 mg", history_notes="Right mastectomy 2019"),
        "theirs": f.patient(b, "Grace", "Hopper"),
    }


def client_for(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


URLS = ["/patients/{pk}/", "/patients/{pk}/edit/", "/patients/{pk}/episodes/new/", "/patients/{pk}/audit/"]


@pytest.mark.parametrize("url", URLS)
def test_other_clinic_gets_404_on_every_patient_url(world, url):
    response = client_for(world["other"]).get(url.format(pk=oid(world["patient"])))
    assert response.status_code == 404


def test_other_clinic_cannot_post_either(world):
    c = client_for(world["other"])
    pk = oid(world["patient"])
    assert c.post(f"/patients/{pk}/edit/", {"first_name": "X"}).status_code == 404
    assert c.post(f"/patients/{pk}/episodes/new/", {"condition": "neck_pain"}).status_code == 404


def test_list_shows_own_clinic_only(world):
    html = client_for(world["physio"]).get("/patients/").content.decode()
    assert "Lovelace" in html and "Hopper" not in html


def test_anonymous_is_sent_to_sign_in(world):
    response = Client().get("/patients/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_front_desk_sees_contact_details_not_clinical_content(world):
    c = client_for(world["desk"])
    html = c.get(f"/patients/{oid(world['patient'])}/").content.decode()
    assert "+44 20 7946 0001" in html
    assert "Warfarin" not in html and "mastectomy" not in html and "Episodes of care" not in html
    form = c.get(f"/patients/{oid(world['patient'])}/edit/").content.decode()
    assert 'name="medications"' not in form
    assert c.get(f"/patients/{oid(world['patient'])}/episodes/new/").status_code == 403
    assert c.get(f"/patients/{oid(world['patient'])}/audit/").status_code == 403


def test_front_desk_cannot_write_clinical_fields_by_posting_them(world):
    p = world["patient"]
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1980-01-02",
        "sex": "unknown",
        "phone": "0207",
        "medications": "nothing",
        "version": p.version,
    }
    client_for(world["desk"]).post(f"/patients/{oid(p)}/edit/", data)
    p.refresh_from_db()
    assert p.medications == "Warfarin 5 mg" and p.phone == "0207"


def test_clinician_sees_clinical_content(world):
    html = client_for(world["physio"]).get(f"/patients/{oid(world['patient'])}/").content.decode()
    assert "Warfarin" in html and "Episodes of care" in html and "Current precautions" in html


def test_only_clinic_admin_sees_the_audit_trail(world):
    pk = oid(world["patient"])
    client_for(world["physio"]).get(f"/patients/{pk}/")
    assert client_for(world["physio"]).get(f"/patients/{pk}/audit/").status_code == 403
    html = client_for(world["admin"]).get(f"/patients/{pk}/audit/").content.decode()
    assert "physio" in html and "Opened the chart" in html


def test_opening_a_chart_is_audited_with_who_and_where(world):
    client_for(world["physio"]).get(f"/patients/{oid(world['patient'])}/", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.filter(action="view").latest("id")
    assert event.actor == world["physio"] and event.patient == world["patient"]
    assert event.ip_address == "10.1.2.3" and event.clinic == world["a"]
