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
# clinic are the floor's four; then each page's own. The draft's: the note (with its patient, the
# parts that have rows, the latest screening and the episode's first signed visit folded in), the
# audit row, its one needle, the episode's measurements, plan and visit dates, and the consents.
@pytest.mark.parametrize("page", ["signed", "draft", "overview", "list", "search"])
def test_query_ceilings(c, signed, physio, patient, page, django_assert_max_num_queries):
    draft = services.start_visit(physio, patient, episode=signed.episode)
    services.attach_screening(physio, draft, services.screen_patient(physio, patient, [], ["dry_needling"]))
    services.add_insertion(physio, draft, {"target": "levator_scapulae", "side": "left", "lung_technique": "pincer"})
    url = {
        "signed": _url(signed),
        "draft": _url(draft),
        "overview": reverse("patients:detail", args=[patient.pk]),
        "list": reverse("patients:list"),
        "search": reverse("patients:list") + "?q=ada",
    }[page]
    c.get(url)
    ceiling = {"signed": 6, "draft": 11, "overview": 10, "list": 8, "search": 7}[page]
    with django_assert_max_num_queries(ceiling):
        assert c.get(url).status_code == 200


def test_a_draft_shows_what_changed_elsewhere_at_once(c, signed, physio, patient):
    """What the draft's query folds in (the parts that have rows, the latest screening, the first
    signed visit) is read on every request: a change made in another tab shows on the next load."""
    draft = services.start_visit(physio, patient, episode=signed.episode)
    page = c.get(_url(draft))
    assert page.context["insertions"] == [] and page.context["last_screening"].pk == signed.screening_id
    # Another tab: the patient screened again at this visit, and a needle logged.
    newer = services.screen_patient(physio, patient, [], ["dry_needling"])
    services.attach_screening(physio, draft, newer)
    services.add_insertion(physio, draft, {"target": "levator_scapulae", "side": "left", "lung_technique": "pincer"})
    page = c.get(_url(draft))
    assert [i.target for i, _ in page.context["insertions"]] == ["levator_scapulae"]
    assert page.context["last_screening"].pk == newer.pk == page.context["screening"].pk
    # A screening at no visit of this note (a later one elsewhere) is the latest, not the note's own.
    latest = services.screen_patient(physio, patient, [], ["dry_needling"])
    assert c.get(_url(draft)).context["last_screening"].pk == latest.pk
    # The needle removed: the part is empty again.
    (needle,) = draft.insertions.all()
    services.remove_part(physio, draft, "insertion", needle.pk)
    assert c.get(_url(draft)).context["insertions"] == []


def test_the_drafts_soap_course_reads_the_episodes_first_signed_visit(c, signed, physio, patient):
    """The SOAP preview's course of pain starts from the episode's first signed visit (folded into the
    note's query): none before any visit of the episode is signed, the first one's score after."""
    draft = services.start_visit(physio, patient, episode=signed.episode)
    draft = services.update_draft(physio, draft, {"nprs_before": 3}, draft.version)
    soap = c.get(_url(draft)).context["soap"]
    assert any(
        f"Since the first visit ({signed.visit_date:%Y-%m-%d}) pain went from 6/10 to 3/10" in s
        for s in soap.assessment
    )
    other = f.patient(signed.patient.clinic, "Bob", "Babbage")
    lone = services.start_visit(physio, other)
    lone = services.update_draft(physio, lone, {"nprs_before": 3}, lone.version)
    assert not any("Since the first visit" in s for s in c.get(_url(lone)).context["soap"].assessment)


def test_the_overview_reads_adverse_events_only_when_there_are_some(c, signed, physio, patient):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("patients:detail", args=[patient.pk])
    c.get(url)
    with CaptureQueriesContext(connection) as none:
        page = c.get(url)
    assert page.context["adverse_events"] == []
    assert not [q for q in none.captured_queries if q["sql"].startswith('SELECT "charting_adverseevent"')]
    draft = services.start_visit(physio, patient, episode=signed.episode)
    services.add_adverse_event(physio, draft, {"code": "soreness_after", "severity": "mild", "action_taken": "Heat."})
    assert [e.code for e in c.get(url).context["adverse_events"]] == ["soreness_after"]  # at once
