"""Screening and target suggestions over the API: the core's answers with their reasons."""

from __future__ import annotations

import pytest

from needlechart.audit.models import AuditEvent
from needlechart.charting import services
from needlechart.charting.models import Screening
from needlechart.common.opaque import decode
from needlechart.common.opaque import of as oid

pytestmark = pytest.mark.django_db

HIP_PAIN = [
    {"region": "lumbar", "side": "right"},
    {"region": "groin", "side": "right", "intensity": 7},
    {"region": "thigh_anterior", "side": "right"},
]


def test_screening_returns_verdict_urgency_and_reasons(world, as_physio):
    response = as_physio.post(
        f"/patients/{oid(world['patient'])}/screenings",
        {
            "findings": [
                {"code": "saddle_anesthesia"},
                {"code": "lymphedema", "region": "upper_arm_anterior", "side": "right"},
            ],
            "modalities": ["dry_needling"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["verdict"] == "refer" and body["urgency"] and body["urgency_advice"]
    assert body["may_needle"] is False
    saddle = next(f for f in body["findings"] if f["id"] == "saddle_anesthesia")
    assert saddle["kind"] == "red_flag" and saddle["reason"] and saddle["sources"]
    assert body["reported"][1] == {"code": "lymphedema", "region": "upper_arm_anterior", "side": "right"}
    assert body["modalities"][0]["status"] == "blocked"
    screening = Screening.objects.get(pk=decode("screening", body["id"]))
    assert screening.verdict == "refer" and screening.performed_by == world["physio"]
    assert AuditEvent.objects.filter(action="create", object_type="charting.screening").count() == 1


def test_screening_field_errors(world, as_physio):
    response = as_physio.post(
        f"/patients/{oid(world['patient'])}/screenings",
        {
            "findings": [
                {"code": "lymphedema"},
                {"code": "lymphoedema"},
                {"code": "local_skin_infection", "region": "calf", "side": "midline"},
            ],
            "modalities": ["laser"],
        },
    )
    assert response.status_code == 422
    errors = {tuple(e["loc"][2:]): e for e in response.json()["detail"]}
    assert set(errors) == {
        ("findings", 0, "region"),
        ("findings", 0, "side"),
        ("findings", 1, "code"),
        ("findings", 2, "side"),
        ("modalities", 0),
    }
    assert errors[("findings", 1, "code")]["ctx"]["closest"][0] == "lymphedema"
    assert "not valid for calf" in errors[("findings", 2, "side")]["msg"]
    empty = as_physio.post(f"/patients/{oid(world['patient'])}/screenings", {"findings": []})
    assert [e["loc"] for e in empty.json()["detail"]] == [["body", "payload", "modalities"]]
    assert not Screening.objects.exists()


def test_suggestions_rank_with_reasons_and_hazards(world, as_physio):
    response = as_physio.post("/suggestions", {"pains": HIP_PAIN, "condition": "hip_pain", "top": 5})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["screening"] is None and body["condition"] == "hip_pain"
    assert len(body["muscles"]) == 5 and len(body["acupoints"]) == 5
    scores = [m["score"] for m in body["muscles"]]
    assert scores == sorted(scores, reverse=True)
    assert all(m["reason"] and m["status"] == "ok" for m in body["muscles"])
    psoas = next(m for m in body["muscles"] if m["id"] == "iliopsoas")
    assert {h["kind"] for h in psoas["hazards"]} >= {"nerve", "artery"}
    assert not AuditEvent.objects.exclude(action="login").exists()  # no patient: no chart was read


def test_suggestions_for_a_patient_on_anticoagulants_block_iliopsoas(world, as_physio):
    patient = world["patient"]
    services.screen_patient(world["physio"], patient, [{"code": "anticoagulant_therapy"}], ["dry_needling"])
    response = as_physio.post("/suggestions", {"pains": HIP_PAIN, "patient_id": oid(patient), "top": 50})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["screening"]["verdict"] == "caution"
    psoas = next(m for m in body["muscles"] if m["id"] == "iliopsoas" and m["side"] == "right")
    assert psoas["status"] == "blocked"
    assert any("Anticoagulant" in reason for reason in psoas["status_reasons"])
    statuses = [m["status"] for m in body["muscles"]]
    assert statuses.index("blocked") > statuses.index("ok")  # blocked targets sink below usable ones
    event = AuditEvent.objects.get(action="view")
    assert event.patient == patient and event.object_type == "charting.screening"


def test_suggestions_for_an_unscreened_patient_say_so(world, as_physio):
    response = as_physio.post("/suggestions", {"pains": HIP_PAIN, "patient_id": oid(world["patient"])})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "payload", "patient_id"] and "not been screened" in error["msg"]


def test_suggestion_field_errors(world, as_physio):
    response = as_physio.post(
        "/suggestions",
        {
            "pains": [{"region": "lumbr", "side": "left"}, {"region": "heel", "side": "midline", "intensity": 11}],
            "condition": "hip pian",
            "top": 0,
        },
    )
    assert response.status_code == 422
    errors = {tuple(e["loc"][2:]): e for e in response.json()["detail"]}
    assert set(errors) == {
        ("pains", 0, "region"),
        ("pains", 1, "side"),
        ("pains", 1, "intensity"),
        ("condition",),
        ("top",),
    }
    assert errors[("pains", 0, "region")]["ctx"]["closest"][0] == "lumbar"
    assert "hip_pain" in errors[("condition",)]["ctx"]["closest"]
    nothing = as_physio.post("/suggestions", {})
    assert nothing.status_code == 422 and "pain location or a condition" in nothing.json()["detail"][0]["msg"]


def test_pain_fields_carry_the_core_location_rule_message(world, as_physio):
    response = as_physio.post(
        "/suggestions",
        {"pains": [{"region": "temple", "side": "midline"}, {"region": "lumbar", "side": "left", "intensity": True}]},
    )
    assert response.status_code == 422
    errors = {tuple(e["loc"][2:]): e for e in response.json()["detail"]}
    side = errors[("pains", 0, "side")]
    assert side["type"] == "side_not_valid"
    assert side["msg"] == "side 'midline' is not valid for temple; use left or right"
    assert side["ctx"]["choices"] == ["left", "right"]
    intensity = errors[("pains", 1, "intensity")]
    assert intensity["type"] == "intensity_not_valid" and "not true or false" in intensity["msg"]


def test_suggestions_for_dry_needling_leave_out_points_for_trained_acupuncturists_only(world, as_physio):
    orbit = [{"region": "orbit", "side": "left"}]
    dry = as_physio.post("/suggestions", {"pains": orbit, "modality": "dry_needling", "top": 50}).json()
    acu = as_physio.post("/suggestions", {"pains": orbit, "modality": "acupuncture", "top": 50}).json()
    assert not {"BL1", "ST1", "EX-HN7"} & {p["id"] for p in dry["acupoints"]}
    bl1 = next(p for p in acu["acupoints"] if p["id"] == "BL1")
    assert bl1["status"] == "caution" and any("trained acupuncturists only" in r for r in bl1["status_reasons"])
    bad = as_physio.post("/suggestions", {"pains": orbit, "modality": "cupping"})
    assert bad.status_code == 422
