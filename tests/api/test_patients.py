"""Patients and episodes over the API: search and paging, registration, audited reads, optimistic
versioning, and field errors."""

from __future__ import annotations

from datetime import date

import pytest

from needlechart.audit.models import AuditEvent
from needlechart.common.opaque import decode
from needlechart.common.opaque import of as oid
from needlechart.patients import services
from needlechart.patients.models import Episode, Patient
from tests import factories as f

pytestmark = pytest.mark.django_db


def locs(response) -> list[list]:
    assert response.status_code == 422, response.content
    return [e["loc"] for e in response.json()["detail"]]


def test_search_by_name_birth_date_and_phone(world, as_physio):
    f.patient(world["a"], "Charles", "Babbage", date_of_birth=date(1971, 12, 26), phone="0161 555 0199")
    assert [p["last_name"] for p in as_physio.get("/patients", {"q": "char"}).json()["items"]] == ["Babbage"]
    assert [p["last_name"] for p in as_physio.get("/patients", {"q": "26/12/1971"}).json()["items"]] == ["Babbage"]
    assert [p["last_name"] for p in as_physio.get("/patients", {"q": "5550199"}).json()["items"]] == ["Babbage"]


def test_search_pages_with_limit_and_offset(world, as_physio):
    for i in range(4):
        f.patient(world["a"], f"Pat{i}", f"Zed{i}")
    page = as_physio.get("/patients", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 5 and len(page["items"]) == 2
    assert [p["last_name"] for p in page["items"]] == ["Zed0", "Zed1"]  # Lovelace first, then the Zeds
    assert "medications" not in page["items"][0]
    assert locs(as_physio.get("/patients", {"limit": 101})) == [["query", "limit"]]
    assert locs(as_physio.get("/patients", {"offset": -1})) == [["query", "offset"]]


def test_register_a_patient_is_audited(world, as_physio):
    response = as_physio.post(
        "/patients",
        {"first_name": " Alan ", "last_name": "Turing", "date_of_birth": "1912-06-23", "medications": "None"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["first_name"] == "Alan" and body["medications"] == "None" and body["version"] == 1
    patient = Patient.objects.get(pk=decode("patient", body["id"]))
    assert patient.clinic == world["a"]
    event = AuditEvent.objects.get(action="create", patient=patient)
    assert event.actor == world["physio"] and event.summary == "Registered Alan Turing"


def test_reading_a_patient_is_audited_with_who_and_where(world, as_physio):
    response = as_physio.get(f"/patients/{oid(world['patient'])}", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="view").latest("id")
    assert event.actor == world["physio"] and event.patient == world["patient"] and event.clinic == world["a"]
    assert event.summary == "Opened the chart" and event.ip_address == "10.1.2.3"


def test_patch_changes_only_the_fields_sent_and_is_audited(world, as_physio):
    p = world["patient"]
    response = as_physio.patch(f"/patients/{oid(p)}", {"version": 1, "phone": "0207 946 0002", "medications": ""})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2 and body["phone"] == "0207 946 0002" and body["medications"] == ""
    assert body["first_name"] == "Ada" and body["history_notes"] == "Right mastectomy 2019"
    event = AuditEvent.objects.filter(action="change", patient=p).latest("id")
    assert event.detail == {"fields": ["phone", "medications"], "version": 2}


def test_patch_with_a_stale_version_is_409_with_the_current_record(world, as_physio):
    p = world["patient"]
    services.update_patient(world["admin"], p, {"phone": "0113 496 0000"}, 1)  # someone else saves first
    response = as_physio.patch(f"/patients/{oid(p)}", {"version": 1, "phone": "0207"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "version_conflict" and "changed by someone else" in body["detail"]
    assert body["current"]["version"] == 2 and body["current"]["phone"] == "0113 496 0000"
    assert body["current"]["medications"] == "Warfarin 5 mg"
    p.refresh_from_db()
    assert p.phone == "0113 496 0000" and p.version == 2


def test_front_desk_conflict_body_has_no_clinical_fields(world, as_desk):
    p = world["patient"]
    services.update_patient(world["admin"], p, {"phone": "0113 496 0000"}, 1)
    current = as_desk.patch(f"/patients/{oid(p)}", {"version": 1, "phone": "0207"}).json()["current"]
    assert "medications" not in current and current["version"] == 2


def test_patient_field_errors(world, as_physio):
    response = as_physio.post(
        "/patients",
        {"first_name": "", "date_of_birth": "2999-01-01", "sex": "x", "email": "nope", "nickname": "Ada"},
    )
    assert locs(response) == [
        ["body", "payload", "first_name"],
        ["body", "payload", "last_name"],
        ["body", "payload", "date_of_birth"],
        ["body", "payload", "sex"],
        ["body", "payload", "email"],
        ["body", "payload", "nickname"],
    ]
    messages = {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}
    assert "future" in messages["date_of_birth"] and "extra" in messages["nickname"].lower()


def test_patch_needs_a_version_and_refuses_null(world, as_physio):
    p = world["patient"]
    assert locs(as_physio.patch(f"/patients/{oid(p)}", {"phone": "0207"})) == [["body", "payload", "version"]]
    response = as_physio.patch(f"/patients/{oid(p)}", {"version": 1, "last_name": None})
    assert locs(response) == [["body", "payload", "last_name"]]
    assert "null" in response.json()["detail"][0]["msg"]
    p.refresh_from_db()
    assert p.last_name == "Lovelace" and p.version == 1


def test_start_and_list_episodes(world, as_physio):
    p = world["patient"]
    response = as_physio.post(
        f"/patients/{oid(p)}/episodes", {"condition": "neck_pain", "started_on": "2026-02-01", "goals": "Turn the head"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["condition_name"] == "Neck pain" and response.json()["status"] == "active"
    assert AuditEvent.objects.filter(action="create", object_type="patients.episode").count() == 1
    listed = as_physio.get(f"/patients/{oid(p)}/episodes")
    assert [e["condition"] for e in listed.json()] == ["neck_pain"]
    assert AuditEvent.objects.filter(action="view", patient=p, summary="Listed episodes of care").exists()


def test_episode_condition_must_be_a_knowledge_base_id(world, as_physio):
    p = world["patient"]
    response = as_physio.post(f"/patients/{oid(p)}/episodes", {"condition": "neck pian"})
    assert locs(response) == [["body", "payload", "condition"]]
    error = response.json()["detail"][0]
    assert error["type"] == "unknown_id" and error["ctx"]["closest"][0] == "neck_pain"
    assert "neck_pain" in error["msg"]
    assert not Episode.objects.exists()


def test_episode_onset_cannot_follow_its_start(world, as_physio):
    response = as_physio.post(
        f"/patients/{oid(world['patient'])}/episodes",
        {"condition": "neck_pain", "started_on": "2026-02-01", "onset_on": "2026-03-01"},
    )
    assert locs(response) == [["body", "payload", "onset_on"]]
