"""The online intake: drafts saved at each step, the red flag screened by the core and alerted at
once, sent once (double submit, two tabs), and the clinician's review accepting it into the record."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.charting import services as charting
from needlechart.outcomes.models import Measurement
from needlechart.patients.models import PatientFinding
from needlechart.portal import intake as flow
from needlechart.portal import intake_review
from needlechart.portal.models import AlertKind, Intake, IntakeStatus, PortalAlert
from tests import factories as f

from .intake_helpers import CONTACT, all_no, neck_episode

pytestmark = pytest.mark.django_db


def post(client, step, data):
    return client.post(f"/portal/intake/{step.replace('_', '-')}/", {"go": "next", **data})


def fill(client, *, red_flags=None, questionnaires=True):
    assert post(client, "contact", CONTACT).status_code == 302
    assert post(client, "medicines", {"medicines": "Ibuprofen 200 mg when needed"}).status_code == 302
    assert (
        post(
            client,
            "history",
            all_no("history", anticoagulant_therapy="yes", lymphedema="yes", lymphedema_where="right arm"),
        ).status_code
        == 302
    )
    response = post(client, "red_flags", red_flags or all_no("red_flags"))
    assert (
        post(client, "drawing", {"pain": ["posterior_neck:midline"], "note": "Stiff in the mornings"}).status_code
        == 302
    )
    if questionnaires:
        data = {
            "nprs-item_1": "6",
            "nprs-worst": "8",
            "psfs-activity_1": "Driving",
            "psfs-item_1": "3",
            "psfs-activity_2": "Reading",
            "psfs-item_2": "5",
            "psfs-activity_3": "Sleeping",
            "psfs-item_3": "4",
        }
        assert post(client, "questionnaires", data).status_code == 302
    return response


def test_the_first_page_starts_a_draft_and_goes_to_the_first_step(patient_client, active):
    response = patient_client.get("/portal/intake/")
    assert response.status_code == 302 and response.url == "/portal/intake/contact/"
    assert Intake.objects.get(patient=active.patient).status == IntakeStatus.DRAFT
    page = patient_client.get("/portal/intake/contact/")
    assert b"+44 20 7946 0001" in page.content  # the record's phone, to check
    assert AuditEvent.objects.filter(actor=active.user, summary__contains="online intake").exists()


def test_bad_input_is_kept_with_a_clear_error(patient_client, active):
    response = post(patient_client, "contact", {**CONTACT, "phone": "12", "email": "not-an-email"})
    assert response.status_code == 400
    assert b"at least 6 digits" in response.content and b"not an email address" in response.content
    assert b'value="not-an-email"' in response.content and b"Charles Babbage" in response.content
    intake = Intake.objects.get(patient=active.patient)
    assert intake.answers["contact"]["emergency_contact_name"] == "Charles Babbage"  # saved, not lost
    assert "contact" not in intake.steps_saved


def test_a_history_question_left_unanswered_is_named(patient_client):
    data = all_no("history")
    data.pop("pregnancy")
    response = post(patient_client, "history", data)
    assert response.status_code == 400
    assert b'id="f-pregnancy"' in response.content and b"Choose yes, no or not sure." in response.content


def test_back_keeps_the_answers(patient_client):
    post(patient_client, "contact", CONTACT)
    response = patient_client.post("/portal/intake/medicines/", {"go": "back", "medicines": "Aspirin"})
    assert response.status_code == 302 and response.url == "/portal/intake/contact/"
    assert b"Aspirin" in patient_client.get("/portal/intake/medicines/").content
    assert b"Charles Babbage" in patient_client.get("/portal/intake/contact/").content


def test_a_red_flag_alerts_the_clinic_the_moment_the_step_is_saved(patient_client, active):
    response = post(patient_client, "red_flags", all_no("red_flags", saddle_anesthesia="yes"))
    assert response.status_code == 200
    assert b"Get emergency help now" in response.content and b'href="tel:' in response.content
    assert b"bicycle saddle" in response.content  # why, in the patient's words
    alert = PortalAlert.objects.get(patient=active.patient)
    assert alert.kind == AlertKind.INTAKE_RED_FLAG and alert.acknowledged_at is None
    assert "Saddle anaesthesia" in alert.summary and "emergency" in alert.summary
    # Saving the step again does not alert twice.
    post(patient_client, "red_flags", all_no("red_flags", saddle_anesthesia="yes"))
    assert PortalAlert.objects.filter(patient=active.patient).count() == 1
    assert Intake.objects.get(patient=active.patient).status == IntakeStatus.DRAFT  # not sent: alerted anyway


def test_a_combination_is_the_cores_not_a_copy(patient_client, active):
    """A past cancer alone, at 46, is a precaution (no alert); at 50 or over it is a red flag."""
    post(patient_client, "red_flags", all_no("red_flags", cancer_history="yes"))
    assert not PortalAlert.objects.filter(patient=active.patient).exists()
    patient = active.patient
    patient.date_of_birth = patient.date_of_birth.replace(year=timezone.localdate().year - 60)
    patient.save()
    response = post(patient_client, "red_flags", all_no("red_flags", cancer_history="yes"))
    assert b"See your doctor in the next few days" in response.content
    assert PortalAlert.objects.filter(patient=active.patient).count() == 1


@pytest.mark.postgres
def test_sent_once_whatever_the_clicks_and_tabs(patient_client, active, physio):
    neck_episode(active.patient, physio)
    fill(patient_client)
    first = patient_client.post("/portal/intake/send/")
    assert first.status_code == 302
    other_tab = Client()
    other_tab.force_login(active.user, backend="needlechart.portal.backends.PortalBackend")
    assert other_tab.post("/portal/intake/send/").status_code == 302
    assert Intake.objects.filter(patient=active.patient).count() == 1
    intake = Intake.objects.get(patient=active.patient)
    assert intake.status == IntakeStatus.SUBMITTED
    assert AuditEvent.objects.filter(summary="Sent the online intake to the clinic").count() == 1
    # A sent intake no longer changes.
    post(other_tab, "medicines", {"medicines": "Changed later"})
    intake.refresh_from_db()
    assert intake.answers["medicines"]["text"] == "Ibuprofen 200 mg when needed"
    assert b"Your intake is with the clinic" in patient_client.get("/portal/intake/", follow=True).content


def test_an_unfinished_intake_is_not_sent(patient_client, active):
    post(patient_client, "contact", CONTACT)
    response = patient_client.post("/portal/intake/send/")
    assert response.status_code == 400 and b"not finished yet" in response.content
    assert Intake.objects.get(patient=active.patient).status == IntakeStatus.DRAFT


def test_nothing_enters_the_chart_before_review_then_each_part_is_accepted(patient_client, active, physio, desk):
    patient = active.patient
    episode = neck_episode(patient, physio)
    fill(patient_client)
    patient_client.post("/portal/intake/send/")
    intake = Intake.objects.get(patient=patient)
    patient.refresh_from_db()
    assert patient.phone == "+44 20 7946 0001" and not patient.medications
    assert not PatientFinding.objects.filter(patient=patient).exists()
    assert not Measurement.objects.filter(episode=episode).exists()

    staff = Client()
    staff.force_login(desk)
    detail = staff.get(f"/patients/{f_token(patient)}/").content
    assert b"Online intake" in detail and b"+44 20 7946 0999" in detail and b"Review the intake" not in detail
    assert staff.get(f"/patients/{f_token(patient)}/portal/intake/{token(intake)}/").status_code == 403

    staff.force_login(physio)
    page = staff.get(f"/patients/{f_token(patient)}/portal/intake/{token(intake)}/")
    assert page.status_code == 200 and b"Anticoagulant" in page.content
    visit = charting.start_visit(physio, patient, episode=episode)
    response = staff.post(
        f"/patients/{f_token(patient)}/portal/intake/{token(intake)}/",
        {"action": "accept_all", "version": patient.version},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+44 20 7946 0999" and patient.emergency_contact_name == "Charles Babbage"
    assert "Ibuprofen 200 mg" in patient.medications
    assert PatientFinding.objects.filter(patient=patient, code="anticoagulant_therapy").exists()
    visit.refresh_from_db()
    assert visit.pain_drawing == [{"region": "posterior_neck", "side": "midline", "intensity": None}]
    nprs = Measurement.objects.get(episode=episode, instrument="nprs")
    assert nprs.score == 6 and nprs.extra["source"] == "portal" and nprs.extra["worst"] == 8
    assert Measurement.objects.get(episode=episode, instrument="psfs").extra["activities"] == [
        "Driving",
        "Reading",
        "Sleeping",
    ]
    # The site-scoped finding waits for its region and side.
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.SUBMITTED
    key = "finding:lymphedema"
    bad = staff.post(
        f"/patients/{f_token(patient)}/portal/intake/{token(intake)}/", {"part": key, "decision": "accepted"}
    )
    assert bad.status_code == 400 and b"choose the body region and side" in bad.content
    ok = staff.post(
        f"/patients/{f_token(patient)}/portal/intake/{token(intake)}/",
        {"part": key, "decision": "accepted", "region": "upper_arm_anterior", "side": "right"},
    )
    assert ok.status_code == 302
    assert PatientFinding.objects.get(patient=patient, code="lymphedema").side == "right"
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.REVIEWED and intake.reviewed_by == physio
    # Accepting again changes nothing.
    intake_review.accept_all(actor=physio, intake=intake, version=patient.version)
    assert Measurement.objects.filter(episode=episode, instrument="nprs").count() == 1


def test_a_contact_change_meanwhile_is_refused_not_overwritten(patient_client, active, physio):
    patient = active.patient
    fill(patient_client, questionnaires=False)
    patient_client.post("/portal/intake/send/")
    intake = Intake.objects.get(patient=patient)
    version = patient.version
    from needlechart.patients.services import update_patient

    update_patient(physio, patient, {"address": "Changed by the desk"}, version)
    with pytest.raises(Exception, match="changed since this page was opened"):
        intake_review.decide(actor=physio, intake=intake, key="contact", decision="accepted", version=version)
    patient.refresh_from_db()
    assert patient.address == "Changed by the desk"


def test_another_patients_intake_is_a_404(patient_client, active, physio, clinic):
    other = f.patient(clinic, "Grace", "Hopper")
    fill(patient_client, questionnaires=False)
    patient_client.post("/portal/intake/send/")
    intake = Intake.objects.get(patient=active.patient)
    staff = Client()
    staff.force_login(physio)
    assert staff.get(f"/patients/{f_token(other)}/portal/intake/{token(intake)}/").status_code == 404


def f_token(obj):
    from needlechart.common import opaque

    return opaque.of(obj)


token = f_token


def test_the_steps_ask_the_knowledge_bases_questions():
    from needlechart.knowledge import load

    kb = load()
    asked = {f.id for f in flow.history_questions(kb)} | {f.id for f in flow.red_flag_questions(kb)}
    assert "minor" not in asked and "infant" not in asked  # from the age
    assert {"saddle_anesthesia", "anticoagulant_therapy", "lymphedema"} <= asked
    assert all(kb.findings[c].question for c in asked)


def test_the_home_page_repeats_what_to_do_until_the_clinic_acts(patient_client, active, physio):
    from needlechart.portal import alerts

    post(patient_client, "red_flags", all_no("red_flags", dvt_signs="yes"))
    home = patient_client.get("/portal/").content
    assert b"See a doctor today" in home
    alerts.acknowledge(actor=physio, alert=PortalAlert.objects.get(), action_taken="Phoned: seen by GP today")
    assert b"See a doctor today" not in patient_client.get("/portal/").content


def test_an_intake_with_nothing_to_add_is_closed_by_accept_all(patient_client, active, physio):
    post(patient_client, "contact", {k: getattr(active.patient, k) or "" for k in CONTACT})
    post(patient_client, "medicines", {"none": "1"})
    post(patient_client, "history", all_no("history"))
    post(patient_client, "red_flags", all_no("red_flags"))
    post(patient_client, "drawing", {})
    patient_client.post("/portal/intake/send/")
    intake = Intake.objects.get(patient=active.patient)
    assert intake_review.parts(intake) == []
    intake_review.accept_all(actor=physio, intake=intake, version=active.patient.version)
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.REVIEWED


def test_a_reviewed_intake_is_not_reopened_by_an_old_link(patient_client, active, physio):
    fill(patient_client, questionnaires=False)
    patient_client.post("/portal/intake/send/")
    intake = Intake.objects.get(patient=active.patient)
    intake_review.accept_all(actor=physio, intake=intake, version=active.patient.version)
    intake_review.decide(actor=physio, intake=intake, key="finding:lymphedema", decision="left")
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.REVIEWED
    response = patient_client.get("/portal/intake/medicines/")
    assert response.status_code == 302 and response.url == "/portal/intake/"
    assert Intake.objects.filter(patient=active.patient).count() == 1
    assert b"Your clinician has read it." in patient_client.get("/portal/intake/").content


def test_the_drawing_is_offered_to_the_next_draft_visit(patient_client, active, physio):
    patient = active.patient
    episode = neck_episode(patient, physio)
    fill(patient_client)
    patient_client.post("/portal/intake/send/")
    intake = Intake.objects.get(patient=patient)
    intake_review.decide(actor=physio, intake=intake, key="drawing", decision="accepted")  # no visit yet
    visit = charting.start_visit(physio, patient, episode=episode)
    staff = Client()
    staff.force_login(physio)
    url = f"/patients/{f_token(patient)}/visits/{f_token(visit)}/"
    assert b"Add them to this drawing" in staff.get(url).content
    apply = f"/patients/{f_token(patient)}/portal/visits/{f_token(visit)}/intake-drawing/"
    assert staff.post(apply).status_code == 302
    staff.post(apply)  # twice: once
    visit.refresh_from_db()
    assert visit.pain_drawing == [{"region": "posterior_neck", "side": "midline", "intensity": None}]
    assert b"Add them to this drawing" not in staff.get(url).content


def test_the_deployments_emergency_number_is_the_one_to_call(patient_client, settings):
    settings.NEEDLECHART_EMERGENCY_NUMBER = "000"
    response = post(patient_client, "red_flags", all_no("red_flags", chest_pain_dyspnea="yes"))
    assert b'href="tel:000"' in response.content and b"tel:911" not in response.content
