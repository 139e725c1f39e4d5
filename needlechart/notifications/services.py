"""Sending email in a clinic's name, and sending a failed one again.

`send_email` checks the message, writes its row and its audit row in one transaction, and puts the
delivery job on the queue only once that transaction commits (a rolled-back caller sends nothing).
Refusals are `EmailError`, a Django `ValidationError` keyed by the field at fault.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from needlechart.accounts.models import Clinic
from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.patients.models import Patient

from .models import Kind, OutboundEmail, Status
from .tasks import enqueue_delivery

logger = logging.getLogger("needlechart.notifications")

SUBJECT_LENGTH = OutboundEmail._meta.get_field("subject").max_length or 200
KEY_LENGTH = OutboundEmail._meta.get_field("key").max_length or 120
TO_LENGTH = 254


class EmailError(ValidationError):
    """A message that cannot be sent as given; `field` names what is wrong, the text how to fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__({field: [message]})
        self.field = field
        self.reason = message

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


def _check(*, clinic: Any, to: str, subject: str, text: str, kind: str, patient: Any, send_after: Any, key: str) -> str:
    if not isinstance(clinic, Clinic) or clinic.pk is None:
        raise EmailError("clinic", "a saved clinic is required: mail is always sent in a clinic's name.")
    address = (to or "").strip() if isinstance(to, str) else ""
    if not address:
        raise EmailError("to", "the recipient's email address is missing.")
    try:
        if len(address) > TO_LENGTH:
            raise ValidationError("too long")
        validate_email(address)
    except ValidationError:
        raise EmailError(
            "to", f"'{address[:80]}' is not an email address: write it as name@example.org, without spaces."
        ) from None
    if not isinstance(subject, str) or not subject.strip():
        raise EmailError("subject", "the subject is empty.")
    if "\n" in subject or "\r" in subject:
        raise EmailError("subject", "the subject must be one line (no line breaks).")
    if len(subject) > SUBJECT_LENGTH:
        raise EmailError("subject", f"the subject is {len(subject)} characters long; at most {SUBJECT_LENGTH}.")
    if not isinstance(text, str) or not text.strip():
        raise EmailError("text", "the message has no text: every message needs a plain-text body.")
    if kind not in Kind.values:
        raise EmailError("kind", f"unknown kind '{kind}'; use one of: {', '.join(Kind.values)}.")
    if patient is not None and (not isinstance(patient, Patient) or patient.clinic_id != clinic.pk):
        raise EmailError("patient", "the patient is not one of this clinic's patients.")
    if send_after is not None and (not isinstance(send_after, datetime) or timezone.is_naive(send_after)):
        raise EmailError("send_after", "give a time with its time zone (timezone.now() + timedelta(...)), or None.")
    if len(key) > KEY_LENGTH:
        raise EmailError("key", f"the key is {len(key)} characters long; at most {KEY_LENGTH}.")
    return address


def send_email(
    *,
    clinic: Clinic,
    to: str,
    subject: str,
    text: str,
    kind: str,
    patient: Patient | None = None,
    html: str = "",
    send_after: datetime | None = None,
    context: Any = None,
    actor: Any = None,
    key: str = "",
    sensitive: bool = False,
) -> OutboundEmail:
    """Queue one message from `clinic` to `to` and return its row (status queued).

    - `kind`: a `Kind` value (invitation, reminder, check_in, other).
    - `patient`: the clinic's patient it concerns, if any (the audit row names them).
    - `html`: an optional HTML alternative of `text`.
    - `send_after`: not before this time (aware datetime), e.g. the check-in 24 h after a visit.
    - `context`: the request it answers (its address goes into the audit row), or None for
      background work; `actor`: the member of staff who caused it, if any.
    - `key`: at most one message per key and clinic: a second call with the same key returns the
      first message's row and sends nothing (a sweep that runs twice, a double submit).
    - `sensitive`: the text carries a secret (a sign-in or invitation link): the sent-mail pages never
      show it, and it is removed from the row once the message has gone out.

    Raises `EmailError` naming the field for a message that cannot be sent as given.
    """
    key = (key or "").strip()
    address = _check(
        clinic=clinic, to=to, subject=subject, text=text, kind=kind, patient=patient, send_after=send_after, key=key
    )
    with transaction.atomic():
        if key:
            existing = OutboundEmail.objects.filter(clinic=clinic, key=key).first()
            if existing is not None:
                return existing
        try:
            with transaction.atomic():  # a savepoint: a concurrent insert of the same key is not an error
                email = OutboundEmail.objects.create(
                    clinic=clinic,
                    patient=patient,
                    kind=kind,
                    to=address,
                    subject=subject.strip(),
                    text=text,
                    html=html or "",
                    send_after=send_after,
                    key=key,
                    sensitive=bool(sensitive),
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:
            if not key:
                raise
            return OutboundEmail.objects.get(clinic=clinic, key=key)
        when = f", not before {send_after:%Y-%m-%d %H:%M} UTC" if send_after else ""
        record(
            actor,
            Action.CREATE,
            email,
            patient=patient,
            clinic=clinic,
            summary=f"Email queued: {email.get_kind_display()} to {address}{when}",
            detail={"email": email.public_id, "kind": kind},
            request=context,
        )
        _enqueue_on_commit(email)
    return email


def _enqueue_on_commit(email: OutboundEmail) -> None:
    email_id, run_after = email.pk, email.send_after
    # robust: a queue that cannot be written now does not undo the committed message; the
    # `notifications.stalled` sweep enqueues it again (see sweeps.py).
    transaction.on_commit(lambda: enqueue_delivery(email_id, run_after=run_after), robust=True)


def may_send_again(user: Any, email: OutboundEmail) -> bool:
    """Clinic admins for any of the clinic's mail; clinicians for mail about a patient."""
    if user.clinic_id is None or user.clinic_id != email.clinic_id:
        return False
    return bool(user.is_clinic_admin or (user.is_clinician and email.patient_id is not None))


def send_again(*, actor: Any, email: OutboundEmail, context: Any = None) -> OutboundEmail:
    """Queue a failed message once more (attempts start again); its audit row names who asked.

    Only a failed message: one queued, being sent or sent is refused with the reason, so a double
    click queues it once."""
    if not may_send_again(actor, email):
        raise PermissionDenied("Sending mail again is for clinic admins, and clinicians for patients' mail.")
    with transaction.atomic():
        changed = OutboundEmail.objects.filter(pk=email.pk, status=Status.FAILED).update(
            status=Status.QUEUED, attempts=0, send_after=None, claimed_at=None
        )
        email.refresh_from_db()
        if not changed:
            raise EmailError(
                "status", f"this message is {email.get_status_display().lower()}, not failed: nothing to resend."
            )
        record(
            actor,
            Action.CHANGE,
            email,
            patient=email.patient,
            clinic=email.clinic,
            summary=f"Email sent again: {email.get_kind_display()} to {email.to} (failed: {email.last_error[:120]})",
            detail={"email": email.public_id},
            request=context,
        )
        _enqueue_on_commit(email)
    return email
