"""Questionnaires due between visits: on the home page from the core's due rule, answered there
(scored by the core, kept once), accepted by a clinician as a patient-reported measurement; licensed
instruments only from the clinic's file; a reminder email once per questionnaire due."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.common import opaque
from needlechart.notifications.models import Kind, OutboundEmail
from needlechart.outcomes.models import Measurement
from needlechart.portal import questionnaires
from needlechart.portal.models import QuestionnaireResponse

from .conftest import deliver
from .intake_helpers import neck_episode

pytestmark = pytest.mark.django_db
LICENSED = Path(__file__).parent / "fixtures" / "licensed"


@pytest.fixture
def seen(active, physio):
    """A patient seen once (the first visit today): the baseline is due."""
    episode = neck_episode(active.patient, physio)
    charting.start_visit(physio, active.patient, episode=episode)
    return episode


def test_licensed_text_only_from_the_clinics_file(settings, tmp_path):
    settings.NEEDLECHART_LICENSED_TEXT_DIR = ""
    assert set(questionnaires.forms()) == {"nprs", "psfs", "groc"}
    settings.NEEDLECHART_LICENSED_TEXT_DIR = str(LICENSED)
    ndi = questionnaires.forms()["ndi"]
    assert ndi.licensed and ndi.items[0].text == "Placeholder item 1" and len(ndi.items) == 10
    bad = tmp_path / "odi.yaml"
    bad.write_text("instrument: odi\ntitle: x\nitems:\n  - text: only one item\n    options: [{value: 0, label: a}]\n")
    settings.NEEDLECHART_LICENSED_TEXT_DIR = str(tmp_path)
    assert "odi" not in questionnaires.forms()  # refused: never half a questionnaire


def test_the_home_page_lists_what_is_due_and_only_the_portals_forms(patient_client, seen, settings):
    settings.NEEDLECHART_LICENSED_TEXT_DIR = ""
    home = patient_client.get("/portal/").content
    assert b"Questionnaires to fill in" in home and b"?instrument=nprs" in home and b"?instrument=psfs" in home
    assert b"instrument=ndi" not in home and b"instrument=ppt" not in home
    settings.NEEDLECHART_LICENSED_TEXT_DIR = str(LICENSED)
    assert b"?instrument=ndi" in patient_client.get("/portal/").content
    assert b"Placeholder item 3" in patient_client.get("/portal/questionnaire/?instrument=ndi").content


def test_answer_once_then_a_clinician_accepts_it(patient_client, seen, physio):
    url = "/portal/questionnaire/?instrument=nprs"
    bad = patient_client.post(url, {"instrument": "nprs", "item_1": "11", "worst": "9"})
    assert bad.status_code == 400 and b"Choose one of the answers shown." in bad.content
    assert b'value="9" checked' in bad.content  # kept
    assert patient_client.post(url, {"instrument": "nprs", "item_1": "4"}).status_code == 302
    assert patient_client.post(url, {"instrument": "nprs", "item_1": "4"}).status_code == 302  # a second tab
    response = QuestionnaireResponse.objects.get(patient=seen.patient)
    assert response.result["value"] == 4 and response.measurement is None
    assert not Measurement.objects.filter(episode=seen).exists()  # not in the chart before review
    assert b"instrument=nprs" not in patient_client.get("/portal/").content  # no longer due
    staff = Client()
    staff.force_login(physio)
    patient = seen.patient
    assert b"Questionnaires answered in the portal" in staff.get(f"/patients/{opaque.of(patient)}/").content
    staff.post(
        f"/patients/{opaque.of(patient)}/portal/questionnaires/",
        {"response": opaque.of(response), "decision": "accepted"},
    )
    m = Measurement.objects.get(episode=seen, instrument="nprs")
    assert m.score == 4 and m.extra["source"] == "portal" and m.taken_on == response.taken_on


def test_another_patients_answer_is_a_404(seen, physio, clinic, patient_client):
    from tests import factories as f

    patient_client.post("/portal/questionnaire/?instrument=nprs", {"instrument": "nprs", "item_1": "4"})
    response = QuestionnaireResponse.objects.get()
    other = f.patient(clinic, "Grace", "Hopper")
    staff = Client(raise_request_exception=False)
    staff.force_login(physio)
    reply = staff.post(
        f"/patients/{opaque.of(other)}/portal/questionnaires/",
        {"response": opaque.of(response), "decision": "accepted"},
    )
    assert reply.status_code == 404 and not Measurement.objects.exists()


def test_a_questionnaire_not_due_is_a_404(patient_client, active):
    assert patient_client.get("/portal/questionnaire/?instrument=nprs").status_code == 404
    assert patient_client.get("/portal/questionnaire/?instrument=ppt").status_code == 404


@pytest.mark.postgres
def test_reminders_are_sent_once_per_questionnaire_due(seen, active, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert questionnaires.due_questionnaire_reminders(now) == 1
    assert deliver() == 1
    message = mail.outbox[-1]
    assert message.to == ["ada@example.com"] and message.from_email.startswith("Riverside Clinic")
    assert "Your pain" in message.body and "Questionnaires to fill in" in message.body
    with django_capture_on_commit_callbacks(execute=True):
        assert questionnaires.due_questionnaire_reminders(now) == 0
        assert questionnaires.due_questionnaire_reminders(now + timedelta(hours=1)) == 0
    assert deliver() == 0 and len(mail.outbox) == 1
    assert OutboundEmail.objects.filter(kind=Kind.REMINDER, patient=active.patient).count() == 1


def test_a_questionnaire_answered_in_the_intake_is_not_asked_again_before_review(patient_client, active, physio):
    from needlechart.portal import intake as flow

    episode = neck_episode(active.patient, physio)
    assert {d.form.id for d in questionnaires.due_for_intake(active)} == {"nprs", "psfs"}
    data = {
        "nprs-item_1": "5",
        "psfs-activity_1": "A",
        "psfs-item_1": "1",
        "psfs-activity_2": "B",
        "psfs-item_2": "2",
        "psfs-activity_3": "C",
        "psfs-item_3": "3",
    }
    flow.save_step(account=active, step="questionnaires", data=data)
    for step, values in (("contact", {}), ("medicines", {"none": "1"}), ("drawing", {})):
        flow.save_step(account=active, step=step, data=values)
    from .intake_helpers import all_no

    flow.save_step(account=active, step="history", data=all_no("history"))
    flow.save_step(account=active, step="red_flags", data=all_no("red_flags"))
    flow.submit(account=active)
    charting.start_visit(physio, active.patient, episode=episode)
    assert questionnaires.due_between_visits(active) == []
