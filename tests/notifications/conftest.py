"""A clinic with a patient and its staff, and a second clinic, for the notification tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from needlechart.accounts.models import Role
from tests import factories


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    riverside = factories.clinic("riverside")
    riverside.email = "desk@riverside.example"
    riverside.save()
    hillside = factories.clinic("hillside")
    return SimpleNamespace(
        clinic=riverside,
        other_clinic=hillside,
        patient=factories.patient(riverside, email="ada@example.org"),
        other_patient=factories.patient(hillside, "Grace", "Hopper", email="grace@example.org"),
        admin=factories.user(riverside, "admin", Role.CLINIC_ADMIN),
        physio=factories.user(riverside, "physio"),
        desk=factories.user(riverside, "desk", Role.FRONT_DESK),
        other_admin=factories.user(hillside, "hilladmin", Role.CLINIC_ADMIN),
    )
