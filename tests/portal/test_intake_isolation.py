"""The intake, consent and questionnaire pages show only the signed-in patient's own: another
patient of the same clinic, with an intake, an online consent and an answer of their own, never
appears, and no portal address takes an id."""

from __future__ import annotations

import pytest
from django.test import Client

from needlechart.portal import econsent, services
from needlechart.portal import intake as flow
from needlechart.portal.models import Intake
from tests import factories as f
from tests.urlsamples import every_url

from .intake_helpers import CONTACT, neck_episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_account(clinic, physio):
    other = f.patient(clinic, "Grace", "Hopper", email="grace@example.com")
    account = services.invite_patient(actor=physio, patient=other).account
    flow.save_step(account=account, step="contact", data={**CONTACT, "address": "Hopper House", "email": ""})
    flow.save_step(account=account, step="medicines", data={"medicines": "Hopper pills"})
    text = econsent.texts_for(other)[0]
    econsent.agree(account=account, modality=text.modality, typed_name="Grace Hopper", version=text.version)
    neck_episode(other, physio)
    return account


def test_the_patients_pages_never_show_another_patients_answers(patient_client, active, other_account):
    paths = [p for p, name in every_url().items() if name.startswith("portal:") and "<" not in p]
    assert "/portal/intake/contact/" in paths and "/portal/consent/" in paths
    for path in paths:
        response = patient_client.get(path, follow=True)
        assert response.status_code < 500, path
        body = response.content
        assert b"Hopper" not in body and b"Grace" not in body, path
    assert Intake.objects.filter(patient=other_account.patient).count() == 1
    assert Intake.objects.filter(patient=active.patient).count() == 1  # the patient's own draft, started on opening


def test_staff_intake_pages_are_refused_to_patients(patient_client, other_account, physio):
    other = other_account.patient
    from needlechart.common import opaque

    assert patient_client.post(f"/patients/{opaque.of(other)}/portal/questionnaires/").status_code == 403
    staff = Client()
    staff.force_login(physio)
    assert staff.get("/portal/intake/").status_code == 403  # staff are told the portal is for patients
