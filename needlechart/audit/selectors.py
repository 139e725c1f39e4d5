"""Reading the audit trail, always within the reader's clinic."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditEvent


def trail_for_patient(user, patient) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(clinic=user.clinic, patient=patient).select_related("actor")
