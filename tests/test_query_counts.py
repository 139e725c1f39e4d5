"""Main pages issue a number of queries that does not grow with the data behind them."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from needlechart.charting import services
from needlechart.common.opaque import of as oid
from tests import factories as f
from tests.charting.conftest import ALL_RISKS

pytestmark = pytest.mark.django_db


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
