"""The visit page and the overview read what they show in few queries, and every change shows at
once: the reads folded into the note's (or the patient's) own query are made on every request."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from needlechart.audit.models import AuditEvent
from needlechart.charting import services
from needlechart.charting.models import Addendum
from needlechart.charting.views import ACTIONS, ActionUrls
from needlechart.outcomes.models import PlanRevision
from needlechart.patients.models import PatientFinding
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(physio):
    client = Client()
    client.force_login(physio)
    return client


def _url(visit) -> str:
    return reverse("charting:visit", args=[visit.patient_id, visit.pk])


def test_each_action_address_is_the_reversed_one(ready_visit):
    act = ActionUrls(ready_visit.patient_id, ready_visit.pk)
    for action in ACTIONS:
        expected = reverse("charting:action", args=[ready_visit.patient_id, ready_visit.pk, action])
        assert act[action.replace("-", "_")] == expected
    with pytest.raises(KeyError):
        act["no_such_action"]


def test_every_form_of_a_draft_posts_to_a_real_action(c, ready_visit, physio):
    services.add_insertion(physio, ready_visit, {"target": "masseter", "side": "left"})
    page = c.get(_url(ready_visit)).content.decode()
    targets = re.findall(r'(?:action|hx-post|hx-get|data-autosave)="([^"]*)"', page)
    assert targets and "" not in targets
    base = _url(ready_visit)
    posted = {t.split("?")[0].removeprefix(base).strip("/") for t in targets if t.startswith(base)}
    # The needle row's edit and remove links, the screening, consent, drawing, needle, palpation,
    # adverse event, exercise, note, sign and discard forms, and the autosave.
    assert {"edit", "remove", "screen", "consent", "drawing", "needle", "note", "sign", "discard", "autosave"} <= posted
    assert posted <= ACTIONS | {"target-info"}


def test_a_signed_notes_precautions_and_addenda_show_at_once(c, signed, physio, patient):
    url = _url(signed)
    first = c.get(url).content.decode()
    assert "Anticoagulant" not in first and "None." in first
    PatientFinding.objects.create(patient=patient, code="anticoagulant_therapy", noted_on=date(2025, 1, 1))
    Addendum.objects.create(visit=signed, author=physio, text="Called the patient: no soreness.")
    again = c.get(url).content.decode()
    assert "Anticoagulant" in again and "no soreness" in again


def test_a_new_screening_shows_at_once_on_the_signed_note(c, signed, physio, patient):
    url = _url(signed)
    assert "Anticoagulant" not in c.get(url).content.decode()
    services.screen_patient(physio, patient, [{"code": "anticoagulant_therapy"}], ["dry_needling"])
    assert "Anticoagulant" in c.get(url).content.decode()


def test_the_overviews_precautions_history_and_progress_show_at_once(c, signed, physio, patient, episode):
    url = reverse("patients:detail", args=[patient.pk])
    first = c.get(url).content.decode()
    assert "Anticoagulant" not in first
    PatientFinding.objects.create(patient=patient, code="anticoagulant_therapy", noted_on=date(2025, 1, 1))
    assert c.get(url).content.decode().count("Anticoagulant") >= 2  # the precautions and the history
    assert PlanRevision.objects.filter(episode=episode).count() == 0


def test_reads_are_audited_on_every_request(c, signed, patient):
    before = AuditEvent.objects.count()
    c.get(_url(signed))
    c.get(_url(signed))
    c.get(reverse("patients:detail", args=[patient.pk]))
    assert AuditEvent.objects.count() == before + 3


def test_another_clinics_note_is_still_a_404(signed):
    other = f.user(f.clinic("elsewhere"), "other", dry_needling_certified_on=date(2022, 1, 1))
    client = Client()
    client.force_login(other)
    assert client.get(_url(signed)).status_code == 404
    assert client.get(reverse("patients:detail", args=[signed.patient_id])).status_code == 404


# Ceilings, steady requests (the first of a session renews it): session, user, authenticator and
# clinic are the floor's four; then each page's own.
@pytest.mark.parametrize("page", ["signed", "draft", "overview", "list", "search"])
def test_query_ceilings(c, signed, ready_visit, patient, page, django_assert_max_num_queries):
    url = {
        "signed": _url(signed),
        "draft": _url(ready_visit),
        "overview": reverse("patients:detail", args=[patient.pk]),
        "list": reverse("patients:list"),
        "search": reverse("patients:list") + "?q=ada",
    }[page]
    c.get(url)
    # The overview's twelfth is the patient portal panel's one indexed look-up of the account.
    ceiling = {"signed": 6, "draft": 18, "overview": 12, "list": 8, "search": 7}[page]
    with django_assert_max_num_queries(ceiling):
        assert c.get(url).status_code == 200
