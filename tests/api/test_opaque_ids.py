"""No address, page or API answer shows a row's sequential id.

Before: /patients/5012/ and {"id": 5012}: a clinic that saw its new patient get 5012 after 4311 the day
before learned every other clinic's volume. Now every id that leaves the server is an opaque token
(needlechart/common/opaque.py), and a number where a token is due finds nothing.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from needlechart.charting import services
from needlechart.common import opaque
from needlechart.common.opaque import of as oid
from needlechart.patients.models import Patient

from .conftest import Api

pytestmark = pytest.mark.django_db

SEQUENTIAL_IN_PATH = re.compile(
    r"/(?:patients|visits|insertions|planned|palpations|adverse-events|exercises)/\d+(?:/|\b)"
)


def _row_ids(value: object, found: list) -> list:
    """Every number under a key naming an id, anywhere in a JSON answer."""
    if isinstance(value, dict):
        for key, item in value.items():
            if (key == "id" or key.endswith("_id")) and isinstance(item, int) and not isinstance(item, bool):
                found.append((key, item))
            _row_ids(item, found)
    elif isinstance(value, list):
        for item in value:
            _row_ids(item, found)
    return found


@given(st.sampled_from(sorted(opaque.KINDS)), st.integers(min_value=1, max_value=opaque.MAX_ID))
def test_every_row_id_has_one_token_and_back(kind, row_id):
    token = opaque.encode(kind, row_id)
    assert re.fullmatch(opaque.pattern(kind), token)
    assert opaque.decode(kind, token) == row_id
    assert str(row_id) not in token.split("_", 1)[1] or len(str(row_id)) < 4
    other = "visit" if kind != "visit" else "patient"
    assert opaque.decode(other, token) is None  # a token is of one kind only


@given(st.sampled_from(sorted(opaque.KINDS)), st.text(max_size=40))
def test_any_string_decodes_to_a_row_id_or_nothing_and_never_fails(kind, text):
    row_id = opaque.decode(kind, text)
    assert row_id is None or 0 < row_id <= opaque.MAX_ID


def test_consecutive_rows_get_unrelated_tokens():
    tokens = [opaque.encode("patient", n) for n in range(1000, 1010)]
    assert len(set(tokens)) == 10
    assert sorted(tokens) != tokens  # no order to read volumes from
    assert len({t[3:6] for t in tokens}) > 5


def test_pages_show_no_sequential_ids(world, signed_visit):
    physio, patient = world["physio"], world["patient"]
    follow_up = services.start_visit(physio, patient, copy_from=signed_visit)
    services.rescreen_unchanged(physio, follow_up)
    services.add_palpation(physio, follow_up, {"muscle": "upper_trapezius", "side": "left"})
    client = Client()
    client.force_login(physio)
    pages = [
        "/patients/",
        f"/patients/{oid(patient)}/",
        f"/patients/{oid(patient)}/visits/{oid(signed_visit)}/",
        f"/patients/{oid(patient)}/visits/{oid(follow_up)}/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not SEQUENTIAL_IN_PATH.search(html), (url, SEQUENTIAL_IN_PATH.search(html).group())
        hidden_ids = re.findall(r'name="(?:id|planned|editing|copy_from)" value="(\d+)"', html)
        assert hidden_ids == [], url
        assert f"/patients/{oid(patient)}/" in html or url == "/patients/"
    admin = Client()
    admin.force_login(world["admin"])
    trail = admin.get(f"/patients/{oid(patient)}/audit/").content.decode()
    assert f"charting.visit {oid(signed_visit)}" in trail
    assert f"charting.visit {signed_visit.pk}<" not in trail


def test_api_answers_show_no_sequential_ids(world, signed_visit, as_physio):
    patient = world["patient"]
    follow_up = as_physio.post(f"/patients/{oid(patient)}/visits", {"copy_from": oid(signed_visit)}).json()
    answers = [
        as_physio.get("/patients").json(),
        as_physio.get(f"/patients/{oid(patient)}").json(),
        as_physio.get(f"/patients/{oid(patient)}/visits").json(),
        as_physio.get(f"/visits/{oid(signed_visit)}").json(),
        follow_up,
        as_physio.post("/suggestions", {"condition": "neck_pain", "patient_id": oid(patient)}).json(),
    ]
    assert _row_ids(answers, []) == []
    assert follow_up["copied_from_id"] == oid(signed_visit)
    assert follow_up["patient_id"] == oid(patient)
    assert re.fullmatch(opaque.pattern("planned"), follow_up["planned"][0]["id"])


def test_a_number_where_a_token_is_due_finds_nothing(world, signed_visit, as_physio):
    patient, client = world["patient"], Client()
    client.force_login(world["physio"])
    assert client.get(f"/patients/{patient.pk}/").status_code == 404
    assert client.get(f"/patients/{oid(patient)}/visits/{signed_visit.pk}/").status_code == 404
    # a visit's token where a patient's is due, on the pages and the API
    assert client.get(f"/patients/{oid(signed_visit)}/").status_code == 404
    refused = as_physio.get(f"/patients/{oid(signed_visit)}")
    assert refused.status_code == 422 and "Not a patient id" in json.dumps(refused.json())
    assert as_physio.get(f"/patients/{patient.pk}").status_code == 422
    assert as_physio.post(f"/patients/{oid(patient)}/visits", {"copy_from": signed_visit.pk}).status_code == 422
    # a well-formed token that names no row is a 404, like any unknown id
    assert as_physio.get(f"/patients/{opaque.encode('patient', 10**12)}").status_code == 404


def test_another_clinics_token_is_a_404(world, their_visit):
    their_patient = Patient.objects.get(pk=their_visit.patient_id)
    assert Api(world["physio"]).get(f"/patients/{oid(their_patient)}").status_code == 404
    assert Api(world["physio"]).get(f"/visits/{oid(their_visit)}").status_code == 404
