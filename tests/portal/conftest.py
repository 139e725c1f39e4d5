"""Portal fixtures: a clinic, its staff, a patient invited and one who has accepted."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from needlechart.accounts.models import Role
from needlechart.portal import services
from tests import factories as f

PATIENT_PASSWORD = "a long portal password 77"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clinic():
    clinic = f.clinic()
    clinic.email = "desk@riverside.example"
    clinic.save()
    return clinic


@pytest.fixture
def physio(clinic):
    return f.user(clinic, "physio")


@pytest.fixture
def desk(clinic):
    return f.user(clinic, "desk", role=Role.FRONT_DESK)


@pytest.fixture
def patient(clinic):
    return f.patient(clinic, "Ada", "Lovelace", email="ada@example.com")


def deliver() -> int:
    """Run the delivery job for every queued message, in this process and the test's transaction (the
    worker loop itself, which reconnects, is tested in tests/notifications with a transactional
    database). Returns how many were delivered."""
    from needlechart.notifications.models import OutboundEmail, Status
    from needlechart.notifications.tasks import deliver as delivery_job

    queued = list(OutboundEmail.objects.filter(status=Status.QUEUED).values_list("pk", flat=True))
    for email_id in queued:
        delivery_job.call(email_id)
    return len(queued)


def link_in(message) -> str:
    """The path of the one portal link in an email."""
    found = re.findall(r"https?://[^/\s]+(/portal/[^\s]+)", message.body)
    assert len(found) == 1, message.body
    return found[0]


def invite(actor, patient, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_patient(actor=actor, patient=patient, request=None)
    deliver()
    return mail.outbox[-1]


@pytest.fixture
def invited(physio, patient, django_capture_on_commit_callbacks, rf):
    """The invitation email the patient received."""
    mail.outbox.clear()
    request = rf.post("/", HTTP_HOST="testserver")
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_patient(actor=physio, patient=patient, request=request)
    deliver()
    return mail.outbox[-1]


@pytest.fixture
def active(invited, patient):
    """The patient, having accepted the invitation: their portal account."""
    c = Client()
    response = c.post(link_in(invited), {"password": PATIENT_PASSWORD, "password_again": PATIENT_PASSWORD})
    assert response.status_code == 302, response.content
    patient.refresh_from_db()
    return patient.portal_account


@pytest.fixture
def patient_client(active):
    c = Client(raise_request_exception=False)
    c.force_login(active.user, backend=services.BACKEND)
    return c
