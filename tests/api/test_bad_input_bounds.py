"""Bad input is a 4xx naming the field, never a 500: an offset past the database's integer range, a
version or id that is not a number, an over-long or unknown modality, on the API and the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from needlechart.charting.models import Visit
from needlechart.common.opaque import of as oid
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def physio():
    return f.user(f.clinic(), "physio")


@pytest.fixture
def client_for(physio):
    c = Client()
    c.force_login(physio)
    return c


def test_an_offset_past_the_integer_range_is_a_422_not_a_500(client_for):
    for offset in (2**63, 2**64 + 5, 10**30):
        r = client_for.get(f"/api/v1/patients?offset={offset}")
        assert r.status_code == 422, (offset, r.status_code)
    assert client_for.get("/api/v1/patients?offset=0").status_code == 200


def test_pages_refuse_non_numeric_or_huge_ids_and_versions(client_for, physio):
    patient = f.patient(physio.clinic)
    base = f"/patients/{oid(patient)}/visits"
    for copy_from in ("abc", "1e3", "²", str(2**70)):
        r = client_for.post(f"{base}/new/", {"copy_from": copy_from})
        assert r.status_code == 302 and not Visit.objects.exists(), copy_from
    client_for.post(f"{base}/new/")
    visit = Visit.objects.get()
    for version in ("abc", "", str(2**70)):
        r = client_for.post(f"{base}/{oid(visit)}/drawing/", {"version": version, "pain": "temple:left"})
        assert r.status_code in (200, 400), (version, r.status_code)
        r = client_for.post(f"{base}/{oid(visit)}/autosave/", {"version": version, "plan": "x"})
        assert r.status_code == 200 and not r.json()["ok"], version


def test_an_over_long_or_unknown_modality_is_refused_with_a_message(client_for, physio):
    patient = f.patient(physio.clinic)
    r = client_for.post(f"/patients/{oid(patient)}/visits/new/", {"modality": "x" * 500}, follow=True)
    assert r.status_code == 200 and "A visit is dry needling or acupuncture" in r.content.decode()
    assert not Visit.objects.exists()
    api = client_for.post(
        f"/api/v1/patients/{oid(patient)}/visits", {"modality": "y" * 200}, content_type="application/json"
    )
    assert api.status_code == 422
