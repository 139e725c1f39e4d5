"""What a patient sends through the portal before the clinic has read it: the online intake, the
online consent (and the clinician's confirmation of it at the visit), and the questionnaires answered
between visits. Nothing here is part of the chart until a clinician accepts or confirms it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from needlechart.charting.models import AppendOnly


class IntakeStatus(models.TextChoices):
    DRAFT = "draft", "Being filled in"
    SUBMITTED = "submitted", "Sent, waiting for review"
    REVIEWED = "reviewed", "Reviewed"


class Intake(models.Model):
    """The patient's online intake: a server-side draft saved at every step (`answers`, one key per
    step), sent once (`submitted_at`), then reviewed part by part by a clinician (`review`)."""

    account = models.ForeignKey("portal.PortalAccount", on_delete=models.PROTECT, related_name="intakes")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="portal_intakes")
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=IntakeStatus.choices, default=IntakeStatus.DRAFT)
    answers = models.JSONField(default=dict, blank=True)  # step -> what the patient answered
    steps_saved = models.JSONField(default=list, blank=True)  # the steps saved at least once
    # The patient's record version when the contact step was shown (the clinic's update checks it).
    record_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # part -> {"decision": accepted|left, "by": user id, "at": iso, "note": ...}
    review = models.JSONField(default=dict, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One intake open at a time: a second tab or a double click finds the same draft.
            models.UniqueConstraint(
                fields=["patient"], condition=~Q(status="reviewed"), name="portal_one_open_intake_per_patient"
            )
        ]

    def __str__(self) -> str:
        return f"Online intake of {self.patient} ({self.status})"


class EConsent(AppendOnly):
    """The patient's own answer online to the risks of one modality, exactly as shown (append-only:
    a withdrawal is a new row). `text_version` is the SHA-256 of the exact text shown."""

    account = models.ForeignKey("portal.PortalAccount", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="portal_econsents")
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    modality = models.CharField(max_length=30)
    thorax = models.BooleanField(default=False)
    risks = models.JSONField(default=list)
    text = models.TextField()  # what the patient read
    text_version = models.CharField(max_length=64)
    agreed = models.BooleanField()
    withdrawal = models.BooleanField(default=False)
    typed_name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, default="portal")
    client_address = models.GenericIPAddressField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "modality", "-recorded_at"])]


class EConsentConfirmation(AppendOnly):
    """The clinician's confirmation at the visit of an online consent: the clinician's `Consent` row
    (charting), recorded through `charting.services.record_consent`, linked to what the patient agreed."""

    econsent = models.OneToOneField(EConsent, on_delete=models.PROTECT, related_name="confirmation")
    consent = models.OneToOneField("charting.Consent", on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)


class QuestionnaireResponse(models.Model):
    """A questionnaire the patient answered in the portal (between visits, or in the intake), scored
    by the core when answered. It becomes a measurement of the episode when a clinician accepts it
    (`measurement`), dated the day the patient answered."""

    account = models.ForeignKey("portal.PortalAccount", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="portal_questionnaires")
    episode = models.ForeignKey("patients.Episode", on_delete=models.PROTECT, related_name="+")
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    instrument = models.CharField(max_length=20)
    point = models.CharField(max_length=80, blank=True)  # the schedule point it answers (the core's label)
    answers = models.JSONField(default=list)
    extra = models.JSONField(default=dict, blank=True)  # NPRS best/worst; PSFS activities
    result = models.JSONField(default=dict)  # the core's score when answered
    answered_at = models.DateTimeField(default=timezone.now)
    taken_on = models.DateField()
    measurement = models.OneToOneField(
        "outcomes.Measurement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    left_at = models.DateTimeField(null=True, blank=True)  # the clinician left it out of the record

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "instrument", "taken_on"],
                condition=Q(intake__isnull=True),
                name="portal_one_questionnaire_per_day",
            )
        ]


class QuestionnaireReminder(models.Model):
    """One reminder email per questionnaire due (episode, instrument and the schedule point): the
    sweep sends it once."""

    account = models.ForeignKey("portal.PortalAccount", on_delete=models.CASCADE, related_name="+")
    episode = models.ForeignKey("patients.Episode", on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=20)
    point = models.CharField(max_length=80)
    due_since = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "instrument", "point", "due_since"], name="portal_one_reminder_per_due"
            )
        ]
