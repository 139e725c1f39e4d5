"""Main pages issue a number of queries that does not grow with the data behind them."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from needlechart.charting import services
from needlechart.common.opaque import of as oid
from needlechart.explorer import fragments
from tests import factories as f
from tests.charting.conftest import ALL_RISKS

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def queries(client: Client, url: str) -> int:
    client.get(url)  # the first request of a session renews it (one write a minute): measure a steady page
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def signed_visit(physio, patient, needles: int):
    visit = services.start_visit(physio, patient)
    services.attach_screening(physio, visit, services.screen_patient(physio, patient, [], ["dry_needling"]))
    for n in range(needles):
        services.add_insertion(
            physio, visit, {"target": ["masseter", "temporalis", "gluteus_medius"][n % 3], "side": "left"}
        )
    visit = services.update_draft(
        physio, visit, {"needles_in": needles, "needles_out": needles, "nprs_before": 5, "nprs_after": 3}, visit.version
    )
    return services.sign_visit(physio, visit)


@pytest.fixture
def setting():
    clinic = f.clinic()
    physio = f.user(clinic, "physio", dry_needling_certified_on=date(2022, 1, 1))
    patient = f.patient(clinic)
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    client = Client()
    client.force_login(physio)
    return clinic, physio, patient, client


def test_patient_page_queries_do_not_grow_with_visits(setting):
    clinic, physio, patient, client = setting
    signed_visit(physio, patient, 2)
    few = queries(client, f"/patients/{oid(patient)}/")
    for _ in range(6):
        signed_visit(physio, patient, 3)
    assert queries(client, f"/patients/{oid(patient)}/") == few


def test_visit_page_queries_do_not_grow_with_needles(setting):
    clinic, physio, patient, client = setting
    small = signed_visit(physio, patient, 1)
    big = signed_visit(physio, patient, 9)
    assert queries(client, f"/patients/{oid(patient)}/visits/{oid(big)}/") == queries(
        client, f"/patients/{oid(patient)}/visits/{oid(small)}/"
    )


def test_patient_list_queries_do_not_grow_with_patients(setting):
    clinic, physio, patient, client = setting
    few = queries(client, "/patients/")
    for n in range(30):
        f.patient(clinic, f"P{n}", f"Person{n}")
    assert queries(client, "/patients/") == few


def draft_visit(physio, patient, needles: int):
    visit = services.start_visit(physio, patient)
    services.attach_screening(physio, visit, services.screen_patient(physio, patient, [], ["dry_needling"]))
    for n in range(needles):
        services.add_insertion(
            physio, visit, {"target": ["masseter", "temporalis", "gluteus_medius"][n % 3], "side": "left"}
        )
    return visit


def test_draft_page_queries_do_not_grow_with_needles(setting):
    clinic, physio, patient, client = setting
    visit = draft_visit(physio, patient, 1)
    url = reverse("charting:visit", args=[patient.pk, visit.pk])
    few = queries(client, url)
    for n in range(6):
        services.add_insertion(physio, visit, {"target": ["masseter", "temporalis"][n % 2], "side": "left"})
    assert queries(client, url) == few


def test_patient_page_queries_do_not_grow_with_adverse_events(setting):
    clinic, physio, patient, client = setting
    signed_visit(physio, patient, 1)
    url = reverse("patients:detail", args=[patient.pk])
    first = draft_visit(physio, patient, 1)
    services.add_adverse_event(physio, first, {"code": "soreness_after", "severity": "mild", "action_taken": "Ice."})
    few = queries(client, url)
    for _ in range(3):
        visit = draft_visit(physio, patient, 1)
        services.add_adverse_event(
            physio, visit, {"code": "soreness_after", "severity": "mild", "action_taken": "Heat."}
        )
    assert queries(client, url) == few


def test_a_search_reads_the_patients_once(setting):
    """The whole list counts its patients and reads a page (two cheap index scans); a search reads the
    matching page with its total in the same query, so the table is scanned once, not twice."""
    clinic, physio, patient, client = setting
    for n in range(30):
        f.patient(clinic, f"P{n}", f"Person{n}")
    assert queries(client, "/patients/?q=pers") == queries(client, "/patients/") - 1
    assert queries(client, "/patients/?q=nobody") == queries(client, "/patients/") - 1
    assert queries(client, "/patients/?q=pers&page=2") == queries(client, "/patients/") - 1


def test_a_signed_note_is_read_in_full_once_then_shown_from_its_drawn_record(setting):
    """A signed note cannot change (the database refuses it), so its record is drawn once: the next
    view does not read its parts again (the note's query says which parts have rows: here only its
    needles, the others are not read at all; this note has no episode, so no first visit of one is
    read either), and shows the same page."""
    clinic, physio, patient, client = setting
    visit = signed_visit(physio, patient, 3)
    url = reverse("charting:visit", args=[patient.pk, visit.pk])
    fragments.clear_all()
    client.get(reverse("common:start"))  # the first request of a session renews it
    with CaptureQueriesContext(connection) as first:
        drawn = client.get(url)
    with CaptureQueriesContext(connection) as again:
        shown = client.get(url)
    assert len(again.captured_queries) == len(first.captured_queries) - 1
    assert [q for q in first.captured_queries if q["sql"].startswith('SELECT "charting_insertion"')]
    assert not [q for q in again.captured_queries if q["sql"].startswith('SELECT "charting_insertion"')]
    assert CSRF.sub("", shown.content.decode()) == CSRF.sub("", drawn.content.decode())
    assert "Signed note" in shown.content.decode() and "masseter" in shown.content.decode().lower()
