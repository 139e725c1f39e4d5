"""The outcomes pages: plan of care and its revisions, a measurement entered from the visit, acting on
a flagged course, discharge. Each refusal keeps what was typed (no 405, no 500, nothing lost)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client

from needlechart.audit.models import Action, AuditEvent
from needlechart.common.opaque import of as oid
from needlechart.outcomes import services
from needlechart.outcomes.models import Discharge, EpisodeReview, Measurement, PlanRevision, ReviewAction

pytestmark = pytest.mark.django_db
START = date(2026, 1, 5)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(episode, page):
    return f"/patients/{oid(episode.patient)}/episodes/{oid(episode)}/{page}/"


PLAN = {
    "icd10": "M54.2",
    "frequency_per_week": "1",
    "sessions_planned": "6",
    "start": "2026-01-05",
    "components": ["exercise"],
    "payer": "",
    "prior_visits_this_year": "0",
    "goal_1_kind": "instrument",
    "goal_1_instrument": "ndi",
    "goal_1_target": "10",
    "goal_1_by": "2026-03-30",
}


def test_plan_is_recorded_then_revised_with_a_reason(world, episode):
    c = client_for(world["physio"])
    page = c.get(url(episode, "plan"))
    assert page.status_code == 200 and b"No plan recorded yet" in page.content
    assert c.post(url(episode, "plan"), PLAN).status_code == 302
    first = PlanRevision.objects.get(episode=episode)
    assert first.goals == [{"kind": "instrument", "instrument": "ndi", "target_score": 10.0, "by_date": "2026-03-30"}]
    # A revision without its reason is refused, and the form keeps what was typed.
    again = c.post(url(episode, "plan"), {**PLAN, "sessions_planned": "9"})
    assert again.status_code == 400
    assert b"Give the reason for revising the plan" in again.content
    assert b'value="9"' in again.content
    assert PlanRevision.objects.filter(episode=episode).count() == 1
    assert c.post(url(episode, "plan"), {**PLAN, "sessions_planned": "9", "reason": "Slow start"}).status_code == 302
    assert [r.sessions_planned for r in PlanRevision.objects.filter(episode=episode).order_by("number")] == [6, 9]
    history = c.get(url(episode, "plan")).content.decode()
    assert "Revision 2" in history and "Slow start" in history and "Revision 1" in history


def test_plan_form_errors_name_the_field(world, episode):
    c = client_for(world["physio"])
    bad = c.post(url(episode, "plan"), {**PLAN, "icd10": "neck", "goal_1_target": "99"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "&#x27;NECK&#x27; is not an ICD-10-CM code" in text or "'NECK' is not an ICD-10-CM code" in text
    assert not PlanRevision.objects.exists()
    missing = c.post(url(episode, "plan"), {**PLAN, "goal_1_by": ""})
    assert missing.status_code == 400 and b"Goal 1: give the date to reach it by." in missing.content


def test_a_measurement_at_the_visit_is_linked_to_it(world, episode, ready_visit):
    c = client_for(world["physio"])
    base = url(episode, "measurements/new")
    form = c.get(base, {"instrument": "ndi", "visit": oid(ready_visit)})
    assert form.status_code == 200 and b"Item 10" in form.content
    items = {f"item_{n}": "2" for n in range(1, 11)}
    done = c.post(
        base, {"instrument": "ndi", "visit": oid(ready_visit), "taken_on": str(ready_visit.visit_date), **items}
    )
    assert done.status_code == 302 and done["Location"].endswith(f"/visits/{oid(ready_visit)}/")
    m = Measurement.objects.get()
    assert m.visit == ready_visit and m.score == 20
    # An unscorable form is kept with the reason; an out-of-range NPRS is refused naming it.
    bad = c.post(base, {"instrument": "nprs", "taken_on": "2026-01-05", "current": "11"})
    assert bad.status_code == 400 and Measurement.objects.count() == 1
    assert c.get(base, {"instrument": "nope"}).status_code == 400
    assert c.get(base, {"instrument": "ndi", "visit": "vi_notatoken"}).status_code == 404


def test_front_desk_and_other_clinics_get_no_outcome_pages(world, episode):
    for page in ("plan", "review", "discharge", "measurements/new"):
        assert client_for(world["desk"]).get(url(episode, page), {"instrument": "nprs"}).status_code == 403
        assert client_for(world["other"]).get(url(episode, page), {"instrument": "nprs"}).status_code == 404


def _non_responder(world, episode):
    physio = world["physio"]
    services.record_measurement(physio, episode, instrument="ndi", answers=[3] * 10, taken_on=START)
    services.record_measurement(
        physio, episode, instrument="ndi", answers=[3] * 9 + [2], taken_on=START + timedelta(weeks=5)
    )


def test_a_flagged_course_is_at_the_top_of_the_list_until_acted_on(world, episode):
    _non_responder(world, episode)
    c = client_for(world["physio"])
    listing = c.get("/patients/").content.decode()
    assert "To act on" in listing and url(episode, "review") in listing
    overview = c.get(f"/patients/{oid(episode.patient)}/").content.decode()
    assert url(episode, "review") in overview
    review = c.get(url(episode, "review"))
    assert review.status_code == 200 and b"Underlying drivers to examine" in review.content
    refused = c.post(url(episode, "review"), {"kind": "referral", "reason": "No change", "urgency": "soon"})
    assert refused.status_code == 400 and b"Name whom" in refused.content and b"No change" in refused.content
    ok = c.post(
        url(episode, "review"), {"kind": "referral", "reason": "No change", "urgency": "soon", "referred_to": "GP"}
    )
    assert ok.status_code == 302
    assert ReviewAction.objects.get().referred_to == "GP"
    assert not EpisodeReview.objects.get(episode=episode).flagged
    assert "To act on" not in c.get("/patients/").content.decode()
    assert "To act on" not in client_for(world["desk"]).get("/patients/").content.decode()


def test_discharge_from_the_page(world, episode, ready_visit):
    c = client_for(world["physio"])
    blocked = c.post(
        url(episode, "discharge"), {"reason": "goals_met", "discharged_on": str(date.today()), "note": "ok"}
    )
    assert blocked.status_code == 400 and b"A draft visit is still open" in blocked.content and b"ok" in blocked.content
    from needlechart.charting import services as charting

    charting.discard_visit(world["physio"], ready_visit, "charted in error")
    done = c.post(url(episode, "discharge"), {"reason": "goals_met", "discharged_on": str(date.today()), "note": "ok"})
    assert done.status_code == 302
    assert Discharge.objects.get().reason == "goals_met"
    shown = c.get(url(episode, "discharge")).content.decode()
    assert "Start a new episode of care" in shown and "?condition=neck_pain" in shown
    # The plan page of a discharged episode offers no form; a POST is refused with the reason.
    refused = c.post(url(episode, "plan"), {**PLAN, "reason": "x"})
    assert refused.status_code == 400 and b"discharged" in refused.content
    assert AuditEvent.objects.filter(action=Action.VIEW, summary="Opened the discharge").exists()


def test_a_plan_revised_in_another_tab_is_never_revised_unseen(world, episode):
    tab_a, tab_b = client_for(world["physio"]), client_for(world["admin"])
    assert tab_a.post(url(episode, "plan"), {**PLAN, "based_on": "0"}).status_code == 302
    # Tab B opened the page before the plan existed, and saves over it.
    stale = tab_b.post(url(episode, "plan"), {**PLAN, "sessions_planned": "12", "based_on": "0", "reason": "x"})
    assert stale.status_code == 400 and b"The plan was revised meanwhile (now revision 1" in stale.content
    assert b'value="12"' in stale.content and b'name="based_on" value="1"' in stale.content
    assert PlanRevision.objects.filter(episode=episode).count() == 1
    # Saving again from the refreshed form is deliberate: it goes through.
    again = tab_b.post(url(episode, "plan"), {**PLAN, "sessions_planned": "12", "based_on": "1", "reason": "x"})
    assert again.status_code == 302 and PlanRevision.objects.filter(episode=episode).count() == 2
    # A double click on the first save is the same case: the second post is refused, nothing doubled.
    assert tab_a.post(url(episode, "plan"), {**PLAN, "based_on": "1", "reason": "y"}).status_code == 400


def test_a_form_sent_twice_is_kept_once(world, episode):
    c = client_for(world["physio"])
    base = url(episode, "measurements/new")
    form = {"instrument": "nprs", "taken_on": "2026-01-05", "current": "6", "best": "3", "worst": "8"}
    assert c.post(base, form).status_code == 302
    assert c.post(base, form).status_code == 302
    assert Measurement.objects.count() == 1
    # A different value the same day is a second measurement.
    assert c.post(base, {**form, "current": "5"}).status_code == 302
    assert Measurement.objects.count() == 2
    created = AuditEvent.objects.filter(action=Action.CREATE, object_type="outcomes.measurement").count()
    assert created == 2


def test_no_measurement_form_for_a_discharged_episode(world, episode):
    from needlechart.outcomes.discharge import discharge_episode

    discharge_episode(world["physio"], episode, reason="plateau")
    c = client_for(world["physio"])
    base = url(episode, "measurements/new")
    for response in (c.get(base, {"instrument": "ndi"}), c.post(base, {"instrument": "nprs", "current": "3"})):
        assert response.status_code == 302 and response["Location"].endswith("/discharge/")
    assert not Measurement.objects.exists()
