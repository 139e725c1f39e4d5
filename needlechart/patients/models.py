"""Patients and episodes of care.

Demographics and contact details are what front desk may see and edit; medications, coded history
and episodes are clinical content. Coded history uses the knowledge base's screening findings, so
the core can screen a patient straight from the record.
"""

from __future__ import annotations

from django.db import models


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not stated"


class Patient(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=40, blank=True)
    phone_digits = models.CharField(max_length=40, blank=True, editable=False)  # for search: "0412 345" finds it
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    # Clinical content: hidden from front desk.
    medications = models.TextField(blank=True)
    history_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["clinic", "last_name", "first_name"]),
            models.Index(fields=["clinic", "date_of_birth"]),
            models.Index(fields=["clinic", "phone_digits"]),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    def save(self, *args, **kwargs):
        self.phone_digits = "".join(ch for ch in self.phone if ch.isdigit())
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day) -> int:
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years


class PatientFinding(models.Model):
    """A coded screening finding in the patient's history (knowledge-base finding ID)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=60)
    region = models.CharField(max_length=40, blank=True)
    side = models.CharField(max_length=10, blank=True)
    note = models.CharField(max_length=300, blank=True)
    noted_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["noted_on", "id"]


class EpisodeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    DISCHARGED = "discharged", "Discharged"


class Episode(models.Model):
    """An episode of care for one condition, from the knowledge base."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    condition = models.CharField(max_length=60)
    onset_on = models.DateField(null=True, blank=True)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    goals = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=EpisodeStatus.choices, default=EpisodeStatus.ACTIVE)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
