"""Clinic-scoped reads of the sent mail: every query for outbound email starts here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from needlechart.audit.services import record_denied

from .models import OutboundEmail


def mail_for(user: Any) -> QuerySet[OutboundEmail]:
    """What a user may see of the clinic's mail, newest first: clinic admins all of it, clinicians
    the mail about patients (invitations, reminders, check-ins), front desk nothing."""
    if user.clinic_id is None:
        return OutboundEmail.objects.none()
    rows = OutboundEmail.objects.filter(clinic_id=user.clinic_id).select_related("patient")
    if user.is_clinic_admin:
        return rows.order_by("-created_at", "-id")
    if user.is_clinician:
        return rows.filter(patient__isnull=False).order_by("-created_at", "-id")
    return OutboundEmail.objects.none()


def get_email(user: Any, pk: int) -> OutboundEmail:
    """One message the user may see; 404 for any other (another clinic's, or not theirs to see)."""
    try:
        return mail_for(user).select_related("clinic", "created_by").get(pk=pk)
    except (OutboundEmail.DoesNotExist, ValueError, TypeError):
        record_denied(user, "notifications.outboundemail", pk)
        raise Http404("No such message") from None
