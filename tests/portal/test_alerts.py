"""Portal alerts: raised from the patient's side, shown at the head of the clinic's list, closed by a
clinician with what was done."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from needlechart.audit.models import Action, AuditEvent
from needlechart.portal import alerts
from needlechart.portal.models import AlertKind, PortalAlert
from tests import factories as f

pytestmark = pytest.mark.django_db


def signed_in(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def alert(active):
    return alerts.raise_alert(
        account=active,
        kind=AlertKind.URGENT_CHECK_IN,
        summary="Short of breath since the session",
        source=active.patient,
        detail={"lines": ["Shortness of breath: yes"]},
    )


def test_an_open_alert_heads_the_patient_list_for_every_member_of_staff(alert, physio, desk):
    for user in (physio, desk):
        page = signed_in(user).get(reverse("patients:list"))
        assert b"Urgent from the patient portal (1)" in page.content
        assert b"Short of breath since the session" in page.content


def test_the_same_source_alerts_once_while_open(alert, active):
    again = alerts.raise_alert(account=active, kind=AlertKind.URGENT_CHECK_IN, summary="again", source=active.patient)
    assert again.pk == alert.pk and PortalAlert.objects.count() == 1


@pytest.mark.postgres
def test_a_clinician_acknowledges_with_what_was_done(alert, physio, patient):
    c = signed_in(physio)
    url = reverse("portal_staff:alert", args=[patient.pk, alert.pk])
    page = c.get(url)
    assert page.status_code == 200 and b"Shortness of breath: yes" in page.content
    empty = c.post(url, {"action_taken": "  "})
    assert empty.status_code == 400 and b"Say what was done" in empty.content
    done = c.post(url, {"action_taken": "Phoned her; sent to the emergency department."})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == physio and alert.acknowledged_at is not None
    assert b"Urgent from the patient portal" not in c.get(reverse("patients:list")).content
    assert AuditEvent.objects.filter(action=Action.CHANGE, patient=patient, summary__startswith="Acknowledged").exists()


def test_front_desk_sees_the_alert_but_a_clinician_acknowledges_it(alert, desk, patient):
    assert (
        signed_in(desk)
        .post(reverse("portal_staff:alert", args=[patient.pk, alert.pk]), {"action_taken": "x"})
        .status_code
        == 403
    )
    assert PortalAlert.objects.get().acknowledged_at is None


def test_another_clinic_sees_no_alert_and_cannot_open_it(alert, patient):
    stranger = f.user(f.clinic("elsewhere"), "stranger")
    c = signed_in(stranger)
    assert b"Urgent from the patient portal" not in c.get(reverse("patients:list")).content
    assert c.get(reverse("portal_staff:alert", args=[patient.pk, alert.pk])).status_code == 404
