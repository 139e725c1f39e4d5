"""Outbound email: one row per message a clinic sends, kept so the clinic sees what went out and
what failed (a failure is a row marked failed with its reason, never silence)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    """What a message is for. The portal adds its kinds here (a new choice needs no migration of
    the data: the column is a plain string; `makemigrations` records the new choice)."""

    INVITATION = "invitation", "Invitation"
    REMINDER = "reminder", "Questionnaire reminder"
    CHECK_IN = "check_in", "Check-in"
    SIGN_IN = "sign_in", "Sign-in link"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"  # claimed by one worker (see tasks.deliver)
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


REDACTED = "[Removed once sent: this message carried a single-use link.]"


class OutboundEmail(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    text = models.TextField()
    html = models.TextField(blank=True, default="")
    # It carries a secret (a sign-in or invitation link): its text is never shown on the pages and is
    # replaced by REDACTED once it has gone out.
    sensitive = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")
    # Not before this moment (None: at once). After a failed attempt: when the next one is due.
    send_after = models.DateTimeField(null=True, blank=True)
    # The caller's key for "this message at most once" (e.g. "reminder:ep_…:2026-12-01"): a second
    # send_email with the same key in the same clinic returns the first row instead of a second message.
    key = models.CharField(max_length=120, blank=True, default="")
    # The queue's id of the delivery job last enqueued (django_tasks_db), to see whether one is pending.
    task_id = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "-created_at"], name="outbound_clinic_newest"),
            models.Index(fields=["status", "send_after"], name="outbound_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], condition=~Q(key=""), name="outbound_one_per_key"),
            models.CheckConstraint(
                # An OR of equalities, not IN: PostgreSQL prints IN's array differently after a
                # pg_dump/pg_restore round trip, and the backup test compares the schema exactly.
                condition=Q(status="queued") | Q(status="sending") | Q(status="sent") | Q(status="failed"),
                name="outbound_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to}: {self.subject} ({self.status})"

    @property
    def public_id(self) -> str:
        from needlechart.common import opaque

        return opaque.of(self)
