"""The demo clinic's portal patient: a signed needling visit with exercises, a few days of logs and
diary, his check-in answered; he signs in with the login the seed prints."""

from __future__ import annotations

import pytest
from django.test import Client

from needlechart.demo import portal as demo_portal
from needlechart.demo.seed import logins, seed
from needlechart.portal.models import CheckIn, DiaryEntry, ExerciseLog, PortalAccount

pytestmark = pytest.mark.django_db


def test_the_demo_patient_has_a_between_visits_story_and_a_printed_login(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clinic = seed()
    account = PortalAccount.objects.get(clinic=clinic)
    assert account.email == demo_portal.email() and account.patient.first_name == "Omar"
    check_in = CheckIn.objects.get(patient=account.patient)
    assert check_in.answered_at is not None and check_in.urgent == [] and check_in.soreness == 3
    assert ExerciseLog.objects.filter(patient=account.patient).count() == 6
    assert DiaryEntry.objects.filter(patient=account.patient).count() == 7
    assert demo_portal.email() in logins() and demo_portal.PASSWORD in logins()
    seed()  # idempotent
    assert ExerciseLog.objects.filter(patient=account.patient).count() == 6
    c = Client()
    signed_in = c.post("/portal/sign-in/", {"email": demo_portal.email(), "password": demo_portal.PASSWORD})
    assert signed_in.status_code == 302
    page = c.get("/portal/exercises/").content.decode()
    assert "This week" in page and "Today: " in page
