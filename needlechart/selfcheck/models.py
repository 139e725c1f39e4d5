"""A self-check sent to a clinic: the public's answers, the core's answer to them and how to reach the
person. A row exists only because the person consented to send it; nothing is stored before that.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from needlechart.clinical import triage
from needlechart.common.opaque import ALPHABET

PUBLIC_ID_PREFIX = "sr_"
PUBLIC_ID_LENGTH = 13  # 65 random bits in Crockford's base 32, the shape of the other opaque ids


def new_public_id() -> str:
    """A random reference (`sr_7k2m9q4x1c0vz`): what the URL and the person see, never the row id."""
    return PUBLIC_ID_PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


PUBLIC_ID_PATTERN = f"{PUBLIC_ID_PREFIX}[{ALPHABET}]{{{PUBLIC_ID_LENGTH}}}"


class Outcome(models.TextChoices):
    EMERGENCY = triage.EMERGENCY, triage.OUTCOME_TITLES[triage.EMERGENCY]
    SEE_DOCTOR = triage.SEE_DOCTOR, triage.OUTCOME_TITLES[triage.SEE_DOCTOR]
    SUITABLE = triage.SUITABLE, triage.OUTCOME_TITLES[triage.SUITABLE]
    NOT_SUITABLE = triage.NOT_SUITABLE, triage.OUTCOME_TITLES[triage.NOT_SUITABLE]


class Status(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    CLOSED = "closed", "Closed"


STATUS_RANK = {Status.NEW: 0, Status.CONTACTED: 1, Status.CLOSED: 2}


class SelfCheckRequest(models.Model):
    public_id = models.CharField(max_length=20, unique=True, default=new_public_id, editable=False)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    # The form's one-time key: a second press of "Send" (or a reload of the answer) finds this row
    # instead of writing another.
    submission_key = models.UUIDField()
    answers = models.JSONField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    outcome_rank = models.PositiveSmallIntegerField()  # 0 = most urgent (triage.outcome_rank)
    urgency = models.CharField(max_length=20, blank=True)
    reasons = models.JSONField(default=list)  # what decided the outcome, then the precautions
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    consent_version = models.CharField(max_length=20)
    consented_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The navigation's count of new requests, and the clinic's list.
            models.Index(fields=["clinic", "status"], name="selfcheck_clinic_status"),
            models.Index(fields=["clinic", "-created_at"], name="selfcheck_clinic_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "submission_key"], name="selfcheck_one_row_per_submission"),
            models.CheckConstraint(condition=~models.Q(email="", phone=""), name="selfcheck_has_contact"),
        ]

    @property
    def urgent(self) -> bool:
        return self.outcome in (Outcome.EMERGENCY, Outcome.SEE_DOCTOR)

    def __str__(self) -> str:
        return f"{self.public_id} ({self.get_outcome_display()})"
