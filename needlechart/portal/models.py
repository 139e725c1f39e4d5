"""Patients' own accounts for the portal, and the single-use links that open them.

A patient signs in as a `User` with the role `patient` and their clinic set (so the clinic's time
zone and audit trail apply), tied to exactly one patient record by a `PortalAccount`. Such a user is
never clinic staff (`User.is_clinic_staff`): every staff page, staff API route and staff selector
refuses them, and the boundary middleware (middleware.py) keeps them inside the portal. The portal's
views never take a patient id from the URL: the record is always the signed-in account's own.

Links are sent by email and stored only as a SHA-256 hash of their random token, so a copy of the
database signs nobody in. Each link is single-use (claimed by a conditional UPDATE, so two clicks or
two tabs cannot both use it) and expires: an invitation after a week, a sign-in link after 15 minutes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PortalAccount(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portal_account")
    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="portal_account")
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(help_text="The address the patient signs in with and receives links at.")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)  # the patient set a password or used a link
    disabled_at = models.DateTimeField(null=True, blank=True)  # the clinic turned access off
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return f"Portal account of {self.patient}"

    @property
    def status(self) -> str:
        if self.disabled_at is not None:
            return "disabled"
        return "active" if self.activated_at is not None else "invited"


class LinkPurpose(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    SIGN_IN = "sign_in", "Sign-in link"


class PortalLink(models.Model):
    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="links")
    purpose = models.CharField(max_length=12, choices=LinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)  # a newer link of the same purpose replaced it

    class Meta:
        indexes = [models.Index(fields=["account", "purpose", "-created_at"])]


class AlertKind(models.TextChoices):
    INTAKE_RED_FLAG = "intake_red_flag", "Red flag in an online intake"
    URGENT_CHECK_IN = "urgent_check_in", "Urgent answer in a check-in"


class PortalAlert(models.Model):
    """Something a patient told the portal that the clinic must act on now (a red flag in an intake,
    an urgent symptom in a check-in). Open until a clinician acknowledges it with what was done;
    open alerts head the clinic's patient list."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="portal_alerts")
    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    summary = models.CharField(max_length=300)  # what the patient reported, in the clinic's words
    # {"lines": [...]}: what was answered, one line each, shown to the clinician (codes may sit beside them)
    detail = models.JSONField(default=dict, blank=True)
    source_type = models.CharField(max_length=60, blank=True)  # the intake or check-in it came from
    source_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["clinic", "acknowledged_at", "-created_at"])]


# Between visits (exercise log, check-in, pain diary): their own module, found by Django through here.
from .between_models import Bruising, CheckIn, DiaryEntry, ExerciseLog, ExerciseStatus  # noqa: E402, F401
from .intake_models import (  # noqa: E402,F401 - the intake's models, in their own module
    EConsent,
    EConsentConfirmation,
    Intake,
    IntakeStatus,
    QuestionnaireReminder,
    QuestionnaireResponse,
)
