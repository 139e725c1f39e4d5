"""Visits over the API: the whole charting flow, the rules' refusals as 409 and 422, and a signed note
that no PATCH can change."""

from __future__ import annotations

import pytest

from needlechart.audit.models import AuditEvent
from needlechart.charting import services
from needlechart.charting.models import Insertion, Screening, Visit
from needlechart.common.opaque import decode, encode
from needlechart.common.opaque import of as oid
from needlechart.patients.models import Patient

from .conftest import ALL_RISKS, Api

pytestmark = pytest.mark.django_db


def test_full_flow_from_registration_to_addendum(world, as_physio):
    physio = world["physio"]
    # Register, open an episode, screen at intake.
    patient_id = as_physio.post(
        "/patients", {"first_name": "Alan", "last_name": "Turing", "date_of_birth": "1960-06-23"}
    ).json()["id"]
    episode = as_physio.post(f"/patients/{patient_id}/episodes", {"condition": "neck_pain"})
    assert episode.status_code == 201
    intake = as_physio.post(f"/patients/{patient_id}/screenings", {"modalities": ["dry_needling"]})
    assert intake.status_code == 201 and intake.json()["verdict"] == "clear"
    # Consent is recorded on the page; here through the service.
    services.record_consent(
        physio, Patient.objects.get(pk=decode("patient", patient_id)), "dry_needling", ALL_RISKS, True
    )

    visit = as_physio.post(f"/patients/{patient_id}/visits", {}).json()
    assert visit["status"] == "draft" and visit["episode_id"] == episode.json()["id"]
    v = visit["id"]
    needle = {"target": "splenius_capitis", "side": "left", "depth_mm": 20, "gauge_mm": 0.25, "twitch_responses": 2}
    unscreened = as_physio.post(f"/visits/{v}/insertions", needle)
    assert unscreened.status_code == 422 and "Screen the patient" in unscreened.json()["detail"][0]["msg"]

    # The per-visit re-screen, attached to the visit.
    rescreen = as_physio.post(f"/patients/{patient_id}/screenings", {"modalities": ["dry_needling"], "visit_id": v})
    assert rescreen.status_code == 201
    first = as_physio.post(f"/visits/{v}/insertions", needle)
    assert first.status_code == 201, first.content
    assert first.json()["gauge_mm"] == 0.25 and first.json()["target_name"] == "Splenius capitis"
    second = as_physio.post(
        f"/visits/{v}/insertions", {"target": "levator_scapulae", "side": "right", "lung_technique": "pincer"}
    )
    assert second.status_code == 201, second.content

    unreconciled = as_physio.post(f"/visits/{v}/sign")
    assert unreconciled.status_code == 422
    refusals = [e["msg"] for e in unreconciled.json()["detail"]]
    assert len(refusals) == 2 and "pain score before treatment" in refusals[0] and "not reconciled" in refusals[1]
    saved = as_physio.patch(
        f"/visits/{v}",
        {
            "version": 1,
            "needles_in": 2,
            "needles_out": 2,
            "nprs_before": 6,
            "plan": "Weekly",
            "pain_drawing": [{"region": "posterior_neck", "side": "left", "intensity": 6}],
        },
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == 2 and saved.json()["counts_reconciled"]

    signed = as_physio.post(f"/visits/{v}/sign")
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed" and signed.json()["billing"]["procedures"]
    addendum = as_physio.post(f"/visits/{v}/addenda", {"text": "Phoned next day: sore, no bruising."})
    assert addendum.status_code == 201 and addendum.json()["author_name"] == "physio"

    note = as_physio.get(f"/visits/{v}").json()
    assert [i["target"] for i in note["insertions"]] == ["splenius_capitis", "levator_scapulae"]
    assert [a["text"] for a in note["addenda"]] == ["Phoned next day: sore, no bruising."]
    assert note["pain_drawing"] == [{"region": "posterior_neck", "side": "left", "intensity": 6}]
    assert note["adverse_events"] == [] and note["signed_by_id"] == oid(physio)

    trail = list(
        AuditEvent.objects.filter(patient_id=decode("patient", patient_id))
        .order_by("id")
        .values_list("action", "object_type")
    )
    assert trail == [
        ("create", "patients.patient"),
        ("create", "patients.episode"),
        ("create", "charting.screening"),
        ("create", "charting.consent"),
        ("create", "charting.visit"),
        ("create", "charting.screening"),
        ("create", "charting.insertion"),
        ("create", "charting.insertion"),
        ("change", "charting.visit"),
        ("view", "charting.visit"),  # the PATCH answer is the whole note: a read
        ("sign", "charting.visit"),
        ("addendum", "charting.addendum"),
        ("view", "charting.visit"),
    ]


@pytest.mark.postgres
def test_patch_of_a_signed_note_is_409_locked_and_changes_nothing(world, signed_visit, as_physio):
    before = Visit.objects.filter(pk=signed_visit.pk).values().get()
    changes = AuditEvent.objects.filter(action="change").count()
    for version in (signed_visit.version, 1):  # current or stale, the answer is the lock
        response = as_physio.patch(f"/visits/{oid(signed_visit)}", {"version": version, "plan": "rewritten"})
        assert response.status_code == 409
        assert response.json() == {
            "detail": "This note is signed and locked; add a dated addendum instead.",
            "code": "locked",
        }
    assert Visit.objects.filter(pk=signed_visit.pk).values().get() == before
    assert AuditEvent.objects.filter(action="change").count() == changes


def test_a_signed_note_takes_no_needles_and_no_second_signature(world, signed_visit, as_physio):
    needle = as_physio.post(f"/visits/{oid(signed_visit)}/insertions", {"target": "splenius_capitis", "side": "left"})
    assert needle.status_code == 409 and needle.json()["code"] == "locked"
    assert as_physio.post(f"/visits/{oid(signed_visit)}/sign").status_code == 409
    assert signed_visit.insertions.count() == 1


def test_rescreening_a_signed_visit_keeps_no_screening(world, signed_visit, as_physio):
    screenings = Screening.objects.count()
    response = as_physio.post(
        f"/patients/{oid(world['patient'])}/screenings", {"modalities": ["dry_needling"], "visit_id": oid(signed_visit)}
    )
    assert response.status_code == 409
    assert Screening.objects.count() == screenings


def test_draft_saved_elsewhere_is_409_with_the_saved_draft(world, ready_visit, as_physio):
    services.update_draft(world["physio"], ready_visit, {"plan": "From the other tab"}, 1)
    response = as_physio.patch(f"/visits/{oid(ready_visit)}", {"version": 1, "plan": "From this tab"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "version_conflict" and body["current"]["plan"] == "From the other tab"
    assert body["current"]["version"] == 2
    assert Visit.objects.get(pk=ready_visit.pk).plan == "From the other tab"


def test_draft_field_errors(world, ready_visit, as_physio):
    response = as_physio.patch(
        f"/visits/{oid(ready_visit)}",
        {
            "version": 1,
            "nprs_before": 11,
            "modality": "cupping",
            "plan": None,
            "pain_drawing": [{"region": "lumbr", "side": "left"}],
        },
    )
    assert response.status_code == 422
    assert [e["loc"][2:] for e in response.json()["detail"]] == [
        ["modality"],
        ["pain_drawing", 0, "region"],
        ["nprs_before"],
        ["plan"],
    ]
    assert Visit.objects.get(pk=ready_visit.pk).version == 1


def test_blocked_target_needs_an_override_reason_which_is_audited(world, ready_visit, as_physio):
    physio, patient = world["physio"], world["patient"]
    screening = services.screen_patient(physio, patient, [{"code": "anticoagulant_therapy"}], ["dry_needling"])
    services.attach_screening(physio, ready_visit, screening)
    needle = {"target": "iliopsoas", "side": "left"}
    blocked = as_physio.post(f"/visits/{oid(ready_visit)}/insertions", needle)
    assert blocked.status_code == 422
    error = blocked.json()["detail"][0]
    assert error["type"] == "charting_rule" and error["msg"].startswith("Blocked by screening")
    assert not Insertion.objects.exists()
    reason = "Ultrasound-guided, INR 2.1 this morning"
    allowed = as_physio.post(f"/visits/{oid(ready_visit)}/insertions", {**needle, "override_reason": reason})
    assert allowed.status_code == 201 and allowed.json()["override_reason"] == reason
    override = AuditEvent.objects.get(action="override")
    assert override.detail["override_reason"] == reason and override.patient == patient


def test_insertion_field_errors_name_the_field(world, ready_visit, as_physio):
    url = f"/visits/{oid(ready_visit)}/insertions"
    unknown = as_physio.post(url, {"target": "upper trap", "side": "left"})
    assert unknown.status_code == 422
    error = unknown.json()["detail"][0]
    assert error["loc"] == ["body", "payload", "target"] and error["ctx"]["closest"][0] == "upper_trapezius"
    midline = as_physio.post(url, {"target": "GV14", "side": "left"})
    assert [e["loc"][-1] for e in midline.json()["detail"]] == ["side"]
    bad = as_physio.post(
        url,
        {"target": "splenius_capitis", "side": "up", "es_minutes": 10, "time_in": "10:05", "time_out": "10:00"},
    )
    assert [e["loc"][-1] for e in bad.json()["detail"]] == ["side", "es_frequency_hz", "time_out"]
    assert not Insertion.objects.exists()


def test_copy_forward_from_a_previous_visit(world, signed_visit, as_physio):
    response = as_physio.post(f"/patients/{oid(world['patient'])}/visits", {"copy_from": oid(signed_visit)})
    assert response.status_code == 201
    visit = response.json()
    assert visit["copied_from_id"] == oid(signed_visit) and visit["plan"] == "Weekly"
    # The needles come forward as planned targets: nothing counts as placed until confirmed today.
    assert visit["insertions"] == []
    assert [(p["target"], p["side"], p["lung_technique"]) for p in visit["planned"]] == [
        ("levator_scapulae", "left", "pincer")
    ]
    assert visit["planned"][0]["planned_from_id"] == oid(signed_visit)


def test_copy_from_and_episode_must_be_this_patients(world, signed_visit, their_visit, as_physio):
    url = f"/patients/{oid(world['patient'])}/visits"
    response = as_physio.post(url, {"copy_from": oid(their_visit), "episode_id": encode("episode", 999999)})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "copy_from"]
    response = as_physio.post(url, {"episode_id": encode("episode", 999999)})
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "episode_id"]
    assert Visit.objects.filter(patient=world["patient"]).count() == 1


def test_addenda_only_after_signing_and_only_by_the_author(world, ready_visit, signed_visit, as_physio):
    draft = services.start_visit(world["physio"], world["patient"])
    early = as_physio.post(f"/visits/{oid(draft)}/addenda", {"text": "Too early"})
    assert early.status_code == 422 and "still a draft" in early.json()["detail"][0]["msg"]
    assert as_physio.post(f"/visits/{oid(signed_visit)}/addenda", {"text": "   "}).status_code == 422
    admin = Api(world["admin"]).post(f"/visits/{oid(signed_visit)}/addenda", {"text": "Not mine"})
    assert admin.status_code == 403
    assert signed_visit.addenda.count() == 0


def test_reading_visits_is_audited(world, ready_visit, as_physio):
    listed = as_physio.get(f"/patients/{oid(world['patient'])}/visits")
    assert [v["id"] for v in listed.json()] == [oid(ready_visit)]
    assert as_physio.get(f"/visits/{oid(ready_visit)}").status_code == 200
    views = AuditEvent.objects.filter(action="view", patient=world["patient"], actor=world["physio"])
    assert list(views.order_by("id").values_list("summary", flat=True)) == [
        "Listed visits",
        f"Opened the visit of {ready_visit.visit_date}",
    ]


def test_the_modality_cannot_switch_after_a_needle_through_the_api(world, ready_visit, as_physio):
    """Switching a dry-needling note to acupuncture after a needle would sign needles no gate checked."""
    needle = as_physio.post(f"/visits/{oid(ready_visit)}/insertions", {"target": "gluteus_medius", "side": "left"})
    assert needle.status_code == 201, needle.content
    response = as_physio.patch(f"/visits/{oid(ready_visit)}", {"version": 1, "modality": "acupuncture"})
    assert response.status_code == 422, response.content
    assert "modality cannot change" in response.json()["detail"][0]["msg"]
    ready_visit.refresh_from_db()
    assert ready_visit.modality == "dry_needling"
