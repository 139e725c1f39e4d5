"""Registering, searching and editing patients: nothing entered is lost."""

from __future__ import annotations

import pytest
from django.test import Client

from needlechart.audit.models import AuditEvent
from needlechart.common.opaque import of as oid
from needlechart.patients import selectors, services
from needlechart.patients.models import Patient
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def physio():
    return f.user(f.clinic(), "physio")


def logged_in(u):
    c = Client()
    c.force_login(u)
    return c


VALID = {
    "first_name": "Mary",
    "last_name": "Seacole",
    "date_of_birth": "1985-11-23",
    "sex": "female",
    "phone": "07700 900 123",
    "email": "mary@example.org",
}


def test_register_a_patient_and_it_is_audited(physio):
    response = logged_in(physio).post("/patients/new/", VALID)
    patient = Patient.objects.get(last_name="Seacole")
    assert response.status_code == 302 and response.url == f"/patients/{oid(patient)}/"
    assert patient.clinic == physio.clinic and patient.phone_digits == "07700900123"
    assert AuditEvent.objects.filter(action="create", patient=patient, actor=physio).exists()


def test_invalid_form_keeps_every_value_and_marks_the_field(physio):
    data = {**VALID, "date_of_birth": "2999-01-01", "email": "not-an-email"}
    html = logged_in(physio).post("/patients/new/", data).content.decode()
    assert "Please correct the 2 fields" in html
    assert "The date of birth is in the future" in html
    assert 'value="Seacole"' in html and 'value="07700 900 123"' in html and 'value="not-an-email"' in html
    assert html.count('class="field invalid"') == 2
    assert not Patient.objects.exists()


@pytest.mark.parametrize("query", ["seacole", "Mary", "mary sea", "1985-11-23", "23/11/1985", "900 123", "07700900123"])
def test_search_by_name_date_of_birth_or_phone(physio, query):
    services.create_patient(physio, {**VALID, "date_of_birth": __import__("datetime").date(1985, 11, 23)})
    f.patient(physio.clinic, "John", "Snow", phone="01234 555 666")
    found = list(selectors.search(physio, query))
    assert [p.last_name for p in found] == ["Seacole"]


def test_search_page_and_live_rows(physio):
    f.patient(physio.clinic, "Mary", "Seacole")
    c = logged_in(physio)
    assert "Seacole" in c.get("/patients/?q=sea").content.decode()
    rows = c.get("/patients/?q=zzz", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in rows and "No patient matches" in rows


@pytest.mark.postgres
def test_concurrent_edits_keep_both_texts(physio):
    other = f.user(physio.clinic, "second")
    patient = f.patient(physio.clinic)
    base = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1980-01-02",
        "sex": "unknown",
        "version": patient.version,
    }
    first = logged_in(physio).post(f"/patients/{oid(patient)}/edit/", {**base, "history_notes": "Knee surgery 2010"})
    assert first.status_code == 302
    second = logged_in(other).post(f"/patients/{oid(patient)}/edit/", {**base, "history_notes": "Asthma since child"})
    html = second.content.decode()
    assert second.status_code == 200
    assert "Someone else saved this record" in html
    assert "Knee surgery 2010" in html and "Asthma since child" in html  # theirs shown, mine kept
    patient.refresh_from_db()
    assert patient.history_notes == "Knee surgery 2010" and patient.version == 2
    # Saving again from the conflict page (which carries the new version) succeeds.
    third = logged_in(other).post(
        f"/patients/{oid(patient)}/edit/", {**base, "version": 2, "history_notes": "Knee surgery 2010; asthma"}
    )
    assert third.status_code == 302
    patient.refresh_from_db()
    assert patient.history_notes == "Knee surgery 2010; asthma" and patient.version == 3


def test_start_an_episode(physio):
    patient = f.patient(physio.clinic)
    c = logged_in(physio)
    bad = c.post(
        f"/patients/{oid(patient)}/episodes/new/",
        {"condition": "flu", "started_on": "2026-01-10", "onset_on": "2026-02-01", "goals": "Walk 5 km"},
    )
    html = bad.content.decode()
    assert "Select a valid choice" in html and "Walk 5 km" in html
    ok = c.post(
        f"/patients/{oid(patient)}/episodes/new/",
        {"condition": "neck_pain", "started_on": "2026-01-10", "onset_on": "2025-12-01", "goals": "Walk 5 km"},
    )
    assert ok.status_code == 302
    assert "Neck pain" in c.get(f"/patients/{oid(patient)}/").content.decode()


def test_coded_history_is_added_shown_as_a_precaution_and_resolved(physio):
    patient = f.patient(physio.clinic)
    c = logged_in(physio)
    url = f"/patients/{oid(patient)}/history/new/"
    bad = c.post(url, {"code": "lymphedema", "noted_on": "2024-05-01", "note": "after axillary clearance"})
    html = bad.content.decode()
    assert "give the region and side" in html and "after axillary clearance" in html
    ok = c.post(url, {"code": "lymphedema", "region": "upper_arm_anterior", "side": "right", "noted_on": "2024-05-01"})
    assert ok.status_code == 302
    page = c.get(f"/patients/{oid(patient)}/").content.decode()
    top = page.split("Current precautions")[1].split("</section>")[0]
    assert "Lymphoedema" in top and "right upper arm (front)" in top
    item = patient.findings.get()
    assert c.post(f"/patients/{oid(patient)}/history/{oid(item)}/resolve/").status_code == 302
    item.refresh_from_db()
    assert item.resolved_on is not None
    top = c.get(f"/patients/{oid(patient)}/").content.decode().split("Current precautions")[1].split("</section>")[0]
    assert "Lymphoedema" not in top
    assert AuditEvent.objects.filter(patient=patient, summary__startswith="History").count() == 2


def test_front_desk_cannot_add_history(physio):
    from needlechart.accounts.models import Role

    patient = f.patient(physio.clinic)
    desk = f.user(physio.clinic, "desk", Role.FRONT_DESK)
    assert logged_in(desk).get(f"/patients/{oid(patient)}/history/new/").status_code == 403
