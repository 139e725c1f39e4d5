"""Writing self-check requests: the one place a self-check is stored (with consent) or changes status.

Each service works in one transaction with its audit row. The outcome stored is the core's answer to
the stored answers, worked out again here: whatever the browser says about its own result is never
believed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from needlechart.accounts.models import Clinic
from needlechart.audit.models import Action, AuditEvent
from needlechart.audit.services import client_address, record
from needlechart.clinical import triage
from needlechart.knowledge.model import KnowledgeBase

from . import selectors
from .models import SelfCheckRequest, Status

# What the person agrees to. A new wording gets a new version; each request keeps the version agreed.
CONSENT_VERSION = "2026-12-01"
CONSENT_TEXT = (
    "When you press Send, the clinic you chose keeps your answers, your name and how to contact you. "
    "Staff at that clinic use them to contact you about an assessment. Nobody else sees them. "
    "If you do not press Send, nothing you entered is kept."
)
DEFAULT_PER_HOUR = 5  # sends from one address in an hour; settings.SELFCHECK_SUBMISSIONS_PER_HOUR
OBJECT_TYPE = SelfCheckRequest._meta.label_lower


class Throttled(Exception):
    """Too many requests from one address; `minutes` until the next one is accepted."""

    def __init__(self, minutes: int) -> None:
        super().__init__(f"Too many self-checks were sent from this connection. Try again in {minutes} minutes.")
        self.minutes = minutes


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str


def per_hour() -> int:
    return int(getattr(settings, "SELFCHECK_SUBMISSIONS_PER_HOUR", DEFAULT_PER_HOUR))


def _check_throttle(request: Any) -> None:
    """Counted from the audit trail (one row per request, with the client's address as the audit
    records it), so every server process sees the same count and nothing else is stored."""
    since = timezone.now() - timedelta(hours=1)
    sent = AuditEvent.objects.filter(
        at__gte=since, action=Action.CREATE, object_type=OBJECT_TYPE, ip_address=client_address(request)
    ).values_list("at", flat=True)
    times = sorted(sent)
    if len(times) >= per_hour():
        oldest_counted = times[len(times) - per_hour()]
        minutes = max(1, int((oldest_counted + timedelta(hours=1) - timezone.now()).total_seconds() // 60) + 1)
        raise Throttled(minutes)


def _reasons(result: triage.Triage) -> list[dict[str, str]]:
    rows = []
    for role, reasons in (("decides", result.reasons), ("precaution", result.precautions)):
        for r in reasons:
            rows.append({"role": role, "finding": r.finding, "name": r.name, "kind": r.kind, "where": r.where})
    return rows


def submit_request(
    *,
    kb: KnowledgeBase,
    clinic: Clinic,
    answers: triage.Answers,
    stored_answers: dict[str, Any],
    contact: Contact,
    submission_key: uuid.UUID,
    consent_version: str,
    request: Any = None,
) -> tuple[SelfCheckRequest, bool]:
    """Store a consented self-check for the clinic, with its audit row. Returns the request and whether
    it is new: the same submission key again (a double press, a reload) returns the first one."""
    if consent_version != CONSENT_VERSION:
        raise PermissionDenied("The consent wording has changed: read it again and tick the box.")
    if not contact.email and not contact.phone:
        raise ValueError("an email address or a phone number is needed")
    existing = SelfCheckRequest.objects.filter(clinic=clinic, submission_key=submission_key).first()
    if existing is not None:
        return existing, False
    _check_throttle(request)
    result = triage.triage(kb, answers)  # the core decides, again, from the answers stored
    now = timezone.now()
    try:
        with transaction.atomic():
            row = SelfCheckRequest.objects.create(
                clinic=clinic,
                submission_key=submission_key,
                answers=stored_answers,
                outcome=result.outcome,
                outcome_rank=triage.outcome_rank(result.outcome),
                urgency=result.urgency,
                reasons=_reasons(result),
                name=contact.name,
                email=contact.email,
                phone=contact.phone,
                consent_version=consent_version,
                consented_at=now,
            )
            selectors.forget_new_count(clinic.pk)
            record(
                None,
                Action.CREATE,
                row,
                clinic=clinic,
                summary=f"Self-check {row.public_id} sent ({row.get_outcome_display()})",
                detail={"outcome": row.outcome, "consent_version": consent_version},
                request=request,
            )
    except IntegrityError:
        # The same submission sent twice at once: the other one won; answer with it.
        return SelfCheckRequest.objects.get(clinic=clinic, submission_key=submission_key), False
    return row, True


TRANSITIONS = {
    Status.NEW: (Status.CONTACTED, Status.CLOSED),
    Status.CONTACTED: (Status.CLOSED, Status.NEW),
    Status.CLOSED: (Status.NEW,),
}


def may_change_status(user: Any) -> bool:
    """Clinicians and clinic admins follow requests up; front desk sees who to call, not the answers."""
    return bool(user.sees_clinical_content)


def set_status(*, actor: Any, item: SelfCheckRequest, status: str, request: Any = None) -> SelfCheckRequest:
    """Mark a request contacted, closed or new again, with its audit row. Refuses another clinic's
    request, a role that may not, and a change that is not allowed from the stored status."""
    if actor.clinic_id != item.clinic_id:
        raise PermissionDenied("This request belongs to another clinic.")
    if not may_change_status(actor):
        raise PermissionDenied("Only clinicians and clinic admins change a self-check's status.")
    if status not in Status.values:
        raise ValueError(f"unknown status '{status}': use {', '.join(Status.values)}")
    with transaction.atomic():
        stored = SelfCheckRequest.objects.select_for_update().get(pk=item.pk, clinic_id=actor.clinic_id)
        if stored.status == status:
            return stored
        if status not in TRANSITIONS[Status(stored.status)]:
            raise ValueError(f"a {stored.get_status_display().lower()} request cannot become {status}")
        before = stored.status
        stored.status = status
        stored.status_changed_at = timezone.now()
        stored.status_changed_by = actor
        stored.save(update_fields=["status", "status_changed_at", "status_changed_by"])
        selectors.forget_new_count(stored.clinic_id)
        record(
            actor,
            Action.CHANGE,
            stored,
            summary=f"Self-check {stored.public_id}: {before} to {status}",
            detail={"status": [before, status]},
            request=request,
        )
    return stored


def open_request(*, actor: Any, item: SelfCheckRequest, request: Any = None) -> None:
    """Record that a member of staff opened a request's answers (health information)."""
    record(actor, Action.VIEW, item, summary=f"Opened self-check {item.public_id}", request=request)
