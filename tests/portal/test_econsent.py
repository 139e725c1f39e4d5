"""Online consent: the clinician's risks in plain words (grade 7), agreed by typed name, kept
append-only with source, time, version and address; confirmed by the clinician at the visit."""

from __future__ import annotations

import pytest
from django.test import Client

from needlechart.charting import services as charting
from needlechart.charting.models import Consent
from needlechart.clinical import readability, risks
from needlechart.common import opaque
from needlechart.knowledge import load
from needlechart.portal import econsent
from needlechart.portal.models import EConsent, EConsentConfirmation

from .intake_helpers import neck_episode

pytestmark = pytest.mark.django_db


def test_one_list_of_risks_for_both_consents():
    assert charting.RISK_LABELS is risks.RISK_LABELS
    assert charting.risks_for("dry_needling", True) == [
        "soreness",
        "bruising",
        "bleeding",
        "infection",
        "fainting",
        "pneumothorax",
    ]
    sources = load().sources
    assert all(s.id in sources for r in risks.RISKS.values() for s in r.sources)


@pytest.mark.parametrize("modality", risks.MODALITIES)
@pytest.mark.parametrize("thorax", [False, True])
def test_the_patient_text_reads_at_grade_7_or_lower(modality, thorax):
    text = econsent.text_for(modality, thorax)
    body = " ".join((text.about, *text.lines))
    assert readability.grade_level(body) <= 7, body
    assert ("collapsed lung" in body) is thorax


def test_thorax_wording_when_a_likely_target_is_over_the_lung(active, physio):
    patient = active.patient
    assert not econsent.likely_thorax(patient)
    assert "collapsed lung" not in econsent.texts_for(patient)[0].text
    neck_episode(patient, physio)  # neck pain's targets include the upper trapezius, over the lung apex
    assert econsent.likely_thorax(patient)
    assert econsent.texts_for(patient)[0].risks[-1] == "pneumothorax"


def page(client):
    return client.get("/portal/consent/")


def test_agree_by_typed_name_forgiving_case_and_spaces(patient_client, active):
    response = page(patient_client)
    assert response.status_code == 200 and b"Dry needling" in response.content
    text = econsent.texts_for(active.patient)[0]
    bad = patient_client.post(
        "/portal/consent/", {"modality": text.modality, "version": text.version, "typed_name": "Ada Byron"}
    )
    assert bad.status_code == 400 and b"Type your full name as the clinic has it: Ada Lovelace" in bad.content
    assert b'value="Ada Byron"' in bad.content  # what was typed is kept
    ok = patient_client.post(
        "/portal/consent/",
        {"modality": text.modality, "version": text.version, "typed_name": "  ada   LOVELACE "},
        REMOTE_ADDR="203.0.113.9",
    )
    assert ok.status_code == 302
    patient_client.post(
        "/portal/consent/", {"modality": text.modality, "version": text.version, "typed_name": "Ada Lovelace"}
    )
    item = EConsent.objects.get(patient=active.patient)  # a second click is kept once
    assert item.agreed and item.source == "portal" and item.client_address == "203.0.113.9"
    assert item.text_version == text.version and item.text == text.text and item.risks == list(text.risks)


@pytest.mark.postgres
def test_stale_text_is_refused_and_withdrawal_is_a_new_row(patient_client, active):
    text = econsent.texts_for(active.patient)[0]
    stale = patient_client.post(
        "/portal/consent/", {"modality": text.modality, "version": "0" * 64, "typed_name": "Ada Lovelace"}
    )
    assert stale.status_code == 400 and b"changed while the page was open" in stale.content
    patient_client.post(
        "/portal/consent/", {"modality": text.modality, "version": text.version, "typed_name": "Ada Lovelace"}
    )
    patient_client.post("/portal/consent/", {"modality": text.modality, "action": "withdraw"})
    rows = list(EConsent.objects.filter(patient=active.patient))
    assert [r.withdrawal for r in rows] == [True, False]
    with pytest.raises(Exception, match="append-only"):
        rows[1].save()


def test_the_clinician_confirms_at_the_visit(patient_client, active, physio):
    patient = active.patient
    episode = neck_episode(patient, physio)
    visit = charting.start_visit(physio, patient, episode=episode)
    text = econsent.texts_for(patient)[0]
    patient_client.post(
        "/portal/consent/", {"modality": text.modality, "version": text.version, "typed_name": "Ada Lovelace"}
    )
    staff = Client()
    staff.force_login(physio)
    visit_url = f"/patients/{opaque.of(patient)}/visits/{opaque.of(visit)}/"
    shown = staff.get(visit_url).content
    assert (
        b"Agreed online on" in shown and text.version[:12].encode() in shown and b"Confirm the online consent" in shown
    )
    confirm = f"/patients/{opaque.of(patient)}/portal/visits/{opaque.of(visit)}/confirm-consent/"
    assert staff.post(confirm).status_code == 302
    assert staff.post(confirm).status_code == 302  # twice: one consent
    consent = Consent.objects.get(patient=patient)
    assert consent.agreed and consent.recorded_by == physio and consent.risks_explained == list(text.risks)
    assert EConsentConfirmation.objects.get().consent == consent
    assert charting.current_consent(patient, "dry_needling") == consent


def test_a_changed_text_is_explained_again_not_confirmed(patient_client, active, physio):
    patient = active.patient
    text = econsent.texts_for(patient)[0]
    patient_client.post(
        "/portal/consent/", {"modality": text.modality, "version": text.version, "typed_name": "Ada Lovelace"}
    )
    visit = charting.start_visit(physio, patient, episode=neck_episode(patient, physio))  # now the thorax applies
    assert econsent.for_visit(visit).changed
    with pytest.raises(Exception, match="explain the risks again"):
        econsent.confirm(actor=physio, visit=visit)
    assert not Consent.objects.filter(patient=patient).exists()


def test_front_desk_cannot_confirm(patient_client, active, physio, desk):
    patient = active.patient
    visit = charting.start_visit(physio, patient, episode=neck_episode(patient, physio))
    text = econsent.texts_for(patient)[0]
    patient_client.post(
        "/portal/consent/", {"modality": text.modality, "version": text.version, "typed_name": "Ada Lovelace"}
    )
    staff = Client()
    staff.force_login(desk)
    assert (
        staff.post(f"/patients/{opaque.of(patient)}/portal/visits/{opaque.of(visit)}/confirm-consent/").status_code
        == 403
    )


def test_a_withdrawal_online_is_shown_at_the_visit(patient_client, active, physio):
    patient = active.patient
    visit = charting.start_visit(physio, patient)
    text = econsent.texts_for(patient)[0]
    patient_client.post(
        "/portal/consent/", {"modality": text.modality, "version": text.version, "typed_name": "Ada Lovelace"}
    )
    patient_client.post("/portal/consent/", {"modality": text.modality, "action": "withdraw"})
    staff = Client()
    staff.force_login(physio)
    shown = staff.get(f"/patients/{opaque.of(patient)}/visits/{opaque.of(visit)}/").content
    assert b"withdrew their online consent" in shown and b"Confirm the online consent" not in shown


@pytest.mark.postgres
def test_the_database_refuses_to_change_an_online_consent(patient_client, active):
    from django.db import DatabaseError, connection, transaction

    text = econsent.texts_for(active.patient)[0]
    patient_client.post(
        "/portal/consent/", {"modality": text.modality, "version": text.version, "typed_name": "Ada Lovelace"}
    )
    item = EConsent.objects.get()
    for sql in (
        "UPDATE portal_econsent SET typed_name = 'someone else' WHERE id = %s",
        "DELETE FROM portal_econsent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [item.pk])
    item.refresh_from_db()
    assert item.typed_name == "Ada Lovelace"


def test_a_treatment_not_planned_is_refused_with_a_message(patient_client, active):
    response = patient_client.post(
        "/portal/consent/", {"modality": "acupuncture", "version": "x", "typed_name": "Ada Lovelace"}
    )
    assert response.status_code == 400 and b"not one the clinic plans for you" in response.content
    assert not EConsent.objects.exists()
