"""Small builders for clinics, staff and patients used across the Django tests."""

from __future__ import annotations

from datetime import date

from needlechart.accounts.models import Clinic, Profession, Role, User
from needlechart.patients.models import Patient

PASSWORD = "correct horse battery staple"


def clinic(slug: str = "riverside") -> Clinic:
    # Two-factor sign-in off: tests sign in with force_login; tests/accounts/test_two_factor.py turns it on.
    return Clinic.objects.get_or_create(
        slug=slug, defaults={"name": slug.title() + " Clinic", "require_two_factor": False}
    )[0]


def user(clinic_: Clinic | None, username: str, role: str = Role.CLINICIAN, **extra) -> User:
    defaults = {"profession": Profession.PHYSICAL_THERAPIST} if role == Role.CLINICIAN else {}
    u = User.objects.create_user(
        username=username, password=PASSWORD, clinic=clinic_, role=role, **{**defaults, **extra}
    )
    return u


def patient(clinic_: Clinic, first: str = "Ada", last: str = "Lovelace", **extra) -> Patient:
    values = {"date_of_birth": date(1980, 1, 2), "phone": "+44 20 7946 0001", **extra}
    return Patient.objects.create(clinic=clinic_, first_name=first, last_name=last, **values)
