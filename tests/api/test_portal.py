"""The portal through the API: a patient's access (read, invite, turn off) and the clinic's alerts."""

from __future__ import annotations

import pytest
from django.core import mail

from needlechart.common import opaque
from needlechart.portal import alerts, services
from needlechart.portal.models import AlertKind, PortalAccount
from tests.portal.conftest import deliver

pytestmark = pytest.mark.django_db


def pid(patient) -> str:
    return opaque.of(patient)


@pytest.fixture
def emailed(world):
    patient = world["patient"]
    patient.email = "ada@example.com"
    patient.save()
    return patient


def test_invite_then_read_then_turn_off(as_physio, emailed, django_capture_on_commit_callbacks):
    assert as_physio.get(f"/patients/{pid(emailed)}/portal").json() == {
        "status": "none",
        "email": None,
        "invited_at": None,
        "activated_at": None,
        "disabled_at": None,
    }
    with django_capture_on_commit_callbacks(execute=True):
        invited = as_physio.post(f"/patients/{pid(emailed)}/portal/invitation")
    assert invited.status_code == 201 and invited.json()["status"] == "invited"
    deliver()
    assert mail.outbox[-1].to == ["ada@example.com"]
    off = as_physio.post(f"/patients/{pid(emailed)}/portal/turn-off")
    assert off.status_code == 200 and off.json()["status"] == "disabled"


def test_front_desk_invites_too(as_desk, emailed):
    assert as_desk.post(f"/patients/{pid(emailed)}/portal/invitation").status_code == 201


def test_no_email_address_is_a_422_saying_what_to_fix(as_physio, world):
    response = as_physio.post(f"/patients/{pid(world['patient'])}/portal/invitation")
    assert response.status_code == 422
    assert "no email address" in response.json()["detail"][0]["msg"]
    assert not PortalAccount.objects.exists()


def test_turning_off_an_account_that_does_not_exist_is_a_422(as_physio, world):
    response = as_physio.post(f"/patients/{pid(world['patient'])}/portal/turn-off")
    assert response.status_code == 422 and "no portal account" in response.json()["detail"][0]["msg"]


def test_another_clinics_patient_is_a_404(as_other, emailed):
    assert as_other.get(f"/patients/{pid(emailed)}/portal").status_code == 404
    assert as_other.post(f"/patients/{pid(emailed)}/portal/invitation").status_code == 404


@pytest.fixture
def alert(world, emailed):
    account = services.invite_patient(actor=world["physio"], patient=emailed).account
    return alerts.raise_alert(
        account=account,
        kind=AlertKind.URGENT_CHECK_IN,
        summary="Short of breath",
        source=emailed,
        detail={"lines": ["Shortness of breath: yes"]},
    )


def test_the_clinic_lists_and_acknowledges_alerts(as_physio, as_desk, as_other, alert):
    listed = as_physio.get("/portal-alerts").json()
    assert [a["summary"] for a in listed] == ["Short of breath"] and listed[0]["lines"] == ["Shortness of breath: yes"]
    assert listed[0]["id"].startswith("al_") and listed[0]["patient_id"].startswith("pt_")
    assert as_desk.get("/portal-alerts").json()[0]["lines"] == []  # front desk: call back, no clinical detail
    assert as_other.get("/portal-alerts").json() == []
    path = f"/portal-alerts/{listed[0]['id']}/acknowledge"
    assert as_desk.post(path, {"action_taken": "Phoned"}).status_code == 403
    assert as_other.post(path, {"action_taken": "Phoned"}).status_code == 404
    assert as_physio.post(path, {"action_taken": ""}).status_code == 422
    done = as_physio.post(path, {"action_taken": "Phoned; sent to the emergency department"})
    assert done.status_code == 200 and done.json()["acknowledged_at"] is not None
    assert as_physio.get("/portal-alerts").json() == []


def test_a_malformed_alert_id_is_a_422(as_physio):
    assert as_physio.post("/portal-alerts/pt_123/acknowledge", {"action_taken": "x"}).status_code == 422
