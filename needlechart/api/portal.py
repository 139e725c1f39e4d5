"""The patient portal, as the clinic manages it: a patient's portal access (invite, turn off) and the
alerts patients raise. The same services as the patient page's portal panel and the alert page."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from needlechart.accounts.permissions import require_clinical
from needlechart.patients import selectors
from needlechart.portal import alerts, services
from needlechart.portal.models import PortalAccount, PortalAlert

from .access import audit_read, staff
from .schemas import NO_NUL, PatientId, _opaque_id, responses

router = Router(tags=["portal"])
AlertId = _opaque_id("portal_alert", "a portal alert")


class PortalAccessOut(Schema):
    """Whether the patient can use the portal: `none` (never invited), `invited` (link sent, not yet
    used), `active`, or `disabled` (turned off by the clinic)."""

    status: Literal["none", "invited", "active", "disabled"]
    email: str | None = None
    invited_at: datetime | None = None
    activated_at: datetime | None = None
    disabled_at: datetime | None = None


class PortalAlertOut(Schema):
    id: AlertId
    patient_id: PatientId
    kind: Literal["intake_red_flag", "urgent_check_in"]
    summary: str
    lines: list[str]
    created_at: datetime
    acknowledged_at: datetime | None
    action_taken: str


class AcknowledgeIn(Schema):
    action_taken: str = Field(..., min_length=1, max_length=500, pattern=NO_NUL)


def _access(account: PortalAccount | None) -> PortalAccessOut:
    if account is None:
        return PortalAccessOut(status="none")
    return PortalAccessOut(
        status=account.status,  # type: ignore[arg-type]
        email=account.email,
        invited_at=account.invited_at,
        activated_at=account.activated_at,
        disabled_at=account.disabled_at,
    )


def _alert(alert: PortalAlert, *, clinical: bool = True) -> PortalAlertOut:
    """Every member of staff sees that a patient needs a call back; what they answered, line by line,
    is clinical content (clinicians and clinic admins)."""
    return PortalAlertOut(
        id=alert.pk,
        patient_id=alert.patient_id,
        kind=alert.kind,  # type: ignore[arg-type]
        summary=alert.summary,
        lines=[str(line) for line in (alert.detail or {}).get("lines", [])] if clinical else [],
        created_at=alert.created_at,
        acknowledged_at=alert.acknowledged_at,
        action_taken=alert.action_taken,
    )


def _refused(message: str) -> Status:
    return Status(422, {"detail": [{"type": "portal", "loc": ["path", "patient_id"], "msg": message}]})


@router.get("/patients/{patient_id}/portal", response=responses({200: PortalAccessOut}))
def read_portal_access(request: HttpRequest, patient_id: PatientId):
    user = staff(request)
    patient = selectors.get_patient(user, patient_id)
    return _access(PortalAccount.objects.filter(patient=patient).first())


@router.post("/patients/{patient_id}/portal/invitation", response=responses({201: PortalAccessOut}, body=True))
def invite_to_portal(request: HttpRequest, patient_id: PatientId):
    """Email the patient a portal invitation at the address on their record (a new one replaces any
    earlier link; a turned-off account is turned on again). 422 when the record has no usable address."""
    user = staff(request)
    patient = selectors.get_patient(user, patient_id)
    try:
        invitation = services.invite_patient(actor=user, patient=patient, request=request)
    except services.PortalError as exc:
        return _refused(str(exc))
    return Status(201, _access(invitation.account))


@router.post("/patients/{patient_id}/portal/turn-off", response=responses({200: PortalAccessOut}, body=True))
def turn_off_portal(request: HttpRequest, patient_id: PatientId):
    user = staff(request)
    patient = selectors.get_patient(user, patient_id)
    try:
        account = services.disable_access(actor=user, patient=patient, request=request)
    except services.PortalError as exc:
        return _refused(str(exc))
    return _access(account)


@router.get("/portal-alerts", response=responses({200: list[PortalAlertOut]}, lookup=False))
def list_portal_alerts(request: HttpRequest):
    """The clinic's open alerts from the patient portal, newest first (at most 50)."""
    user = staff(request)
    found = alerts.open_alerts(user=user)
    for alert in found:
        audit_read(request, alert, alert.patient, "Listed an open portal alert")
    return [_alert(a, clinical=user.sees_clinical_content) for a in found]


@router.post("/portal-alerts/{alert_id}/acknowledge", response=responses({200: PortalAlertOut}, body=True))
def acknowledge_portal_alert(request: HttpRequest, alert_id: AlertId, payload: AcknowledgeIn):
    """A clinician closes the alert with what was done (front desk: 403)."""
    user = staff(request)
    alert = alerts.alert_of(user=user, alert_id=alert_id, request=request)
    require_clinical(user)
    try:
        alert = alerts.acknowledge(actor=user, alert=alert, action_taken=payload.action_taken, request=request)
    except ValidationError as exc:
        messages = [m for ms in exc.message_dict.values() for m in ms]
        return Status(
            422, {"detail": [{"type": "portal", "loc": ["body", "action_taken"], "msg": m} for m in messages]}
        )
    return _alert(alert)
