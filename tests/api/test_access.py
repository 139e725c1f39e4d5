"""Who may call what: sign-in and CSRF, clinic isolation on every object endpoint, and front desk."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from needlechart.audit.models import AuditEvent
from needlechart.charting.models import Insertion, Screening, Visit
from needlechart.common.opaque import decode
from needlechart.common.opaque import of as oid
from needlechart.patients.models import Episode, Patient
from tests import factories as f

from .conftest import Api

pytestmark = pytest.mark.django_db

# Every endpoint that names an object of clinic A: (method, path, body). {p} patient, {v} visit.
OBJECT_ENDPOINTS = [
    ("get", "/patients/{p}", None),
    ("patch", "/patients/{p}", {"version": 1, "first_name": "Mallory"}),
    ("get", "/patients/{p}/episodes", None),
    ("post", "/patients/{p}/episodes", {"condition": "neck_pain"}),
    ("get", "/patients/{p}/visits", None),
    ("post", "/patients/{p}/visits", {}),
    ("post", "/patients/{p}/screenings", {"modalities": ["dry_needling"]}),
    ("get", "/visits/{v}", None),
    ("patch", "/visits/{v}", {"version": 1, "plan": "rewritten"}),
    ("post", "/visits/{v}/insertions", {"target": "splenius_capitis", "side": "left"}),
    ("post", "/visits/{v}/sign", {}),
    ("post", "/visits/{v}/addenda", {"text": "Mallory was here"}),
    ("post", "/suggestions", {"pains": [{"region": "lumbar", "side": "left"}], "patient_id": "{p}"}),
]
CLINICAL_ENDPOINTS = [e for e in OBJECT_ENDPOINTS if e[1] not in ("/patients/{p}",)]


def call(api: Api, method: str, path: str, body, world, visit):
    p, v = oid(world["patient"]), oid(visit)
    path = path.format(p=p, v=v)
    if method == "get":
        return api.get(path)
    if body is not None:
        body = json.loads(json.dumps(body).replace('"{p}"', json.dumps(p)))
    return getattr(api, method)(path, body)


def snapshot() -> dict:
    return {
        "patients": list(Patient.objects.values().order_by("id")),
        "visits": list(Visit.objects.values().order_by("id")),
        "episodes": Episode.objects.count(),
        "screenings": Screening.objects.count(),
        "insertions": Insertion.objects.count(),
    }


@pytest.mark.parametrize(("method", "path", "body"), OBJECT_ENDPOINTS)
def test_another_clinic_gets_404_and_changes_nothing(world, ready_visit, as_other, method, path, body):
    before, events = snapshot(), AuditEvent.objects.count()
    response = call(as_other, method, path, body, world, ready_visit)
    assert response.status_code == 404, response.content
    assert snapshot() == before
    # Nothing was read; the refused attempt alone is recorded.
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)[events:]) == ["denied"]


@pytest.mark.parametrize(("method", "path", "body"), CLINICAL_ENDPOINTS)
def test_front_desk_gets_403_on_clinical_endpoints(world, ready_visit, as_desk, method, path, body):
    before = snapshot()
    response = call(as_desk, method, path, body, world, ready_visit)
    assert response.status_code == 403, response.content
    assert response.json()["detail"]
    assert snapshot() == before


def test_front_desk_is_404_not_403_on_another_clinics_visit(world, their_visit, as_desk):
    assert as_desk.get(f"/visits/{oid(their_visit)}").status_code == 404


def test_search_lists_own_clinic_only(world, as_physio, as_other):
    names = [p["last_name"] for p in as_physio.get("/patients").json()["items"]]
    assert names == ["Lovelace"]
    assert [p["last_name"] for p in as_other.get("/patients").json()["items"]] == ["Hopper"]


def test_front_desk_never_sees_clinical_fields(world, as_desk):
    p = world["patient"]
    for response in (
        as_desk.get(f"/patients/{oid(p)}"),
        as_desk.patch(f"/patients/{oid(p)}", {"version": 1, "phone": "0207 946 0002"}),
        as_desk.post("/patients", {"first_name": "Alan", "last_name": "Turing", "date_of_birth": "1990-06-23"}),
    ):
        assert response.status_code in (200, 201), response.content
        body = response.json()
        assert "medications" not in body and "history_notes" not in body
        assert "Warfarin" not in response.content.decode()
    assert "Warfarin" not in as_desk.get("/patients").content.decode()


def test_front_desk_cannot_write_clinical_fields(world, as_desk):
    p = world["patient"]
    response = as_desk.patch(f"/patients/{oid(p)}", {"version": 1, "medications": "nothing", "phone": "0207"})
    assert response.status_code == 200
    p.refresh_from_db()
    assert p.medications == "Warfarin 5 mg" and p.phone == "0207"
    created = as_desk.post(
        "/patients", {"first_name": "Alan", "last_name": "Turing", "date_of_birth": "1990-06-23", "medications": "x"}
    )
    assert Patient.objects.get(pk=decode("patient", created.json()["id"])).medications == ""


def test_clinicians_and_admins_see_clinical_fields(world, as_physio):
    p = world["patient"]
    assert as_physio.get(f"/patients/{oid(p)}").json()["medications"] == "Warfarin 5 mg"
    assert Api(world["admin"]).get(f"/patients/{oid(p)}").json()["history_notes"] == "Right mastectomy 2019"


def test_clinic_admin_reads_visits_but_cannot_chart(world, ready_visit):
    admin = Api(world["admin"])
    assert admin.get(f"/visits/{oid(ready_visit)}").status_code == 200
    assert admin.post(f"/patients/{oid(world['patient'])}/visits", {}).status_code == 403
    assert admin.patch(f"/visits/{oid(ready_visit)}", {"version": 1, "plan": "x"}).status_code == 403


def test_only_the_author_charts_a_visit(world, ready_visit):
    colleague = Api(f.user(world["a"], "colleague"))
    response = colleague.post(f"/visits/{oid(ready_visit)}/insertions", {"target": "splenius_capitis", "side": "left"})
    assert response.status_code == 403
    assert "treating clinician" in response.json()["detail"]


def test_anonymous_gets_401(world):
    anonymous = Api(None)
    assert anonymous.get("/patients").status_code == 401
    assert anonymous.get(f"/patients/{oid(world['patient'])}").status_code == 401
    assert anonymous.post("/suggestions", {"pains": [{"region": "lumbar", "side": "left"}]}).status_code == 401


def test_user_without_a_clinic_gets_403(world):
    assert Api(f.user(None, "drifter")).get("/patients").status_code == 403


def test_unsafe_methods_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["physio"])
    body = json.dumps({"first_name": "Alan", "last_name": "Turing", "date_of_birth": "1990-06-23"})
    refused = client.post("/api/v1/patients", body, content_type="application/json")
    assert refused.status_code == 403 and not Patient.objects.filter(last_name="Turing").exists()
    token = "a" * 32
    client.cookies["csrftoken"] = token
    accepted = client.post("/api/v1/patients", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201
    assert client.get("/api/v1/patients").status_code == 200  # safe methods need no token
