"""Alerts from the portal to the clinic: raised by the intake and the check-ins, acknowledged by a
clinician with what was done. An open alert heads the clinic's patient list and the patient's page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from needlechart.accounts.models import User
from needlechart.audit.models import Action
from needlechart.audit.services import record, record_denied
from needlechart.common.compiled import CompiledQuery

from .models import PortalAccount, PortalAlert

MAX_ACTION = 500


def raise_alert(
    *,
    account: PortalAccount,
    kind: str,
    summary: str,
    source: models.Model | None = None,
    detail: dict | None = None,
    request: Any = None,
) -> PortalAlert:
    """Open an alert for the patient's clinic (inside the caller's transaction, with its audit row).
    One open alert per source: answering the same check-in twice does not alert twice."""
    with transaction.atomic():
        source_type = source._meta.label_lower if source is not None else ""
        source_id = str(source.pk) if source is not None else ""
        if source is not None:
            existing = PortalAlert.objects.filter(
                patient=account.patient, kind=kind, source_type=source_type, source_id=source_id, acknowledged_at=None
            ).first()
            if existing is not None:
                return existing
        alert = PortalAlert.objects.create(
            clinic=account.clinic,
            patient=account.patient,
            kind=kind,
            summary=summary[:300],
            detail=detail or {},
            source_type=source_type,
            source_id=source_id,
        )
        record(
            account.user,
            Action.CREATE,
            alert,
            patient=account.patient,
            summary=f"Alert to the clinic: {summary}"[:300],
            request=request,
        )
    return alert


def acknowledge(*, actor: User, alert: PortalAlert, action_taken: str, request: Any = None) -> PortalAlert:
    """A clinician (or clinic admin) closes the alert, saying what was done."""
    if not actor.is_clinic_staff or actor.clinic_id != alert.clinic_id:
        raise PermissionDenied
    if not actor.sees_clinical_content:
        raise PermissionDenied("A clinician acknowledges portal alerts.")
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise ValidationError({"action_taken": "Say what was done (for example: phoned the patient, sent to A&E)."})
    if len(action_taken) > MAX_ACTION:
        raise ValidationError({"action_taken": f"Keep it to {MAX_ACTION} characters (this is {len(action_taken)})."})
    with transaction.atomic():
        updated = PortalAlert.objects.filter(pk=alert.pk, acknowledged_at=None).update(
            acknowledged_by=actor, acknowledged_at=timezone.now(), action_taken=action_taken
        )
        alert.refresh_from_db()
        if updated:
            record(
                actor,
                Action.CHANGE,
                alert,
                patient=alert.patient,
                summary=f"Acknowledged a portal alert: {action_taken}"[:300],
                request=request,
            )
    return alert


def alert_of(*, user: User, alert_id: int, patient: Any = None, request: Any = None) -> PortalAlert:
    """One alert of the user's clinic (and of `patient`, when given); a 404 for any other, and the
    attempt on the audit trail. The page and the API look alerts up here."""
    found = PortalAlert.objects.select_related("patient", "acknowledged_by").filter(
        pk=alert_id, clinic_id=user.clinic_id
    )
    if patient is not None:
        found = found.filter(patient=patient)
    alert = found.first() if user.is_clinic_staff else None
    if alert is None:
        record_denied(user, "portal.portalalert", alert_id, request=request)
        raise Http404("No such alert")
    return alert


def open_alerts(*, user: User, patient: Any = None) -> list[PortalAlert]:
    """The clinic's open alerts, newest first (one indexed query); staff of the clinic only."""
    if not user.is_clinic_staff:
        return []
    if patient is not None:
        return PATIENT_OPEN.all(user.clinic_id, patient.pk)
    return CLINIC_OPEN.all(user.clinic_id)


# The open alerts heading the patient list (every visit to it) and a patient's page, compiled once.
def _open(clinic_id: int):
    return PortalAlert.objects.filter(clinic_id=clinic_id, acknowledged_at=None).select_related("patient")


CLINIC_OPEN = CompiledQuery(lambda clinic_id: _open(clinic_id)[:50])
PATIENT_OPEN = CompiledQuery(lambda clinic_id, patient_id: _open(clinic_id).filter(patient_id=patient_id)[:50])
