"""Clinics and their users.

A clinic is the unit of isolation: every clinical object belongs to exactly one clinic, and a user
sees only their own clinic's objects. Roles decide what a user may see inside the clinic.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


def _valid_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"'{value}' is not a time zone: use an IANA name such as Europe/London.")


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    # The clinic's own dates (a visit's date, "screened today") are in its time zone, not the server's.
    # db_default as well: rows written without it (older code, raw SQL) still get a valid zone.
    time_zone = models.CharField(max_length=64, default="UTC", db_default="UTC", validators=[_valid_time_zone])
    # On for every clinic created from now on; clinics that existed before the setting were left off by
    # the migration (their staff have no authenticators yet). See accounts/two_factor.py for the rules.
    require_two_factor = models.BooleanField(
        default=True,
        db_default=True,
        help_text="Every member of staff signs in with a code from an authenticator app as well as the password.",
    )
    # Contact details, printed at the head of every report the clinic sends (needlechart.reports).
    address = models.TextField(blank=True, default="", db_default="")
    phone = models.CharField(max_length=40, blank=True, default="", db_default="")
    email = models.EmailField(blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    FRONT_DESK = "front_desk", "Front desk"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    # A patient signed in to the portal (needlechart/portal): never staff, whatever else is set.
    PATIENT = "patient", "Patient"


class Profession(models.TextChoices):
    PHYSICAL_THERAPIST = "physical_therapist", "Physical therapist"
    ACUPUNCTURIST = "acupuncturist", "Acupuncturist"
    PHYSICIAN = "physician", "Physician"


class User(AbstractUser):
    """A person who signs in. Staff users belong to one clinic and hold one role there."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLINICIAN)
    profession = models.CharField(max_length=30, choices=Profession.choices, blank=True)
    dry_needling_certification = models.CharField(
        max_length=200, blank=True, help_text="Certifying course or body, as on the certificate."
    )
    dry_needling_certified_on = models.DateField(null=True, blank=True)

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinic_staff(self) -> bool:
        """A member of a clinic's staff: belongs to a clinic and is not a patient signed in to the portal."""
        return self.clinic_id is not None and self.role != Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == Role.CLINIC_ADMIN

    @property
    def sees_clinical_content(self) -> bool:
        """Front desk handles demographics and contact details only, never clinical content."""
        return self.role in (Role.CLINICIAN, Role.CLINIC_ADMIN)

    @property
    def records_clinical_content(self) -> bool:
        """Only clinicians create clinical records (screenings, consents, episodes): a clinic admin
        reads them, to run the clinic, but never writes a patient's clinical facts."""
        return self.role == Role.CLINICIAN

    @property
    def may_needle(self) -> bool:
        return self.is_clinician and bool(self.profession)

    @property
    def certified_for_dry_needling(self) -> bool:
        return self.dry_needling_certified_on is not None

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
