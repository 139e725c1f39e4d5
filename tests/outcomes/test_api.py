"""The outcomes API: plans of care, measurements, progress and what is due, with opaque ids, 404 for
another clinic (recorded), 403 for front desk and a VIEW audit row for every read."""

from __future__ import annotations

import pytest

from needlechart.audit.models import Action, AuditEvent
from needlechart.common.opaque import of as oid
from needlechart.outcomes.models import Measurement, PlanRevision

pytestmark = pytest.mark.django_db

NDI = {"instrument": "ndi", "answers": [2] * 10, "taken_on": "2026-01-05"}


def test_plan_is_revised_never_overwritten(as_physio, episode):
    path = f"/episodes/{oid(episode)}/plan"
    empty = as_physio.get(path).json()
    assert empty["current"] is None and empty["revisions"] == [] and empty["default"]["sessions"] == 6
    first = as_physio.post(path, {"components": ["exercise"], "payer": "medicare"})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["id"].startswith("pc_") and body["number"] == 1 and body["sessions_planned"] == 6
    assert "not covered" in body["warnings"][0]["message"]
    refused = as_physio.post(path, {"sessions_planned": 8})
    assert refused.status_code == 422 and "reason" in refused.json()["detail"][0]["msg"]
    goal = {"kind": "psfs", "activity": "Reversing the car", "target": 8, "by_date": "2026-03-01"}
    second = as_physio.post(path, {"sessions_planned": 8, "reason": "Slow progress", "goals": [goal]})
    assert second.status_code == 201 and second.json()["goals"][0]["activity"] == "Reversing the car"
    read = as_physio.get(path).json()
    assert read["current"]["number"] == 2 and [r["number"] for r in read["revisions"]] == [2, 1]
    assert PlanRevision.objects.count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"sessions_planned": "6"},  # strict types
        {"frequency_per_week": 0},
        {"components": ["massage"]},
        {"goals": [{"kind": "instrument", "instrument": "ndx", "target_score": 10, "by_date": "2026-03-01"}]},
        {"goals": [{"kind": "psfs", "activity": "Run", "target": 8, "by_date": 20260301}]},
        {"icd10": ["neck pain"]},
        {"unknown": 1},
    ],
)
def test_bad_plans_are_a_422(as_physio, episode, body):
    response = as_physio.post(f"/episodes/{oid(episode)}/plan", body)
    assert response.status_code == 422, response.content
    assert not PlanRevision.objects.exists()


def test_measurements_are_scored_stored_and_listed(as_physio, episode, ready_visit):
    path = f"/episodes/{oid(episode)}/measurements"
    scored = as_physio.post(path, {**NDI, "visit_id": oid(ready_visit)})
    assert scored.status_code == 201, scored.content
    body = scored.json()
    assert body["id"].startswith("om_") and body["visit_id"] == oid(ready_visit)
    assert (body["score"], body["percent"], body["scorable"], body["score_unit"]) == (20, 40, True, "points")
    unscorable = as_physio.post(path, {**NDI, "answers": [1] * 7 + [None] * 3})
    assert unscorable.status_code == 201 and unscorable.json()["scorable"] is False
    assert "3 of 10 items unanswered" in unscorable.json()["reason"]
    listed = as_physio.get(path).json()
    assert [m["scorable"] for m in listed] == [True, False]


def test_a_value_outside_the_range_is_a_422_naming_the_item(as_physio, episode):
    response = as_physio.post(f"/episodes/{oid(episode)}/measurements", {**NDI, "answers": [6] + [1] * 9})
    assert response.status_code == 422
    assert "item 1 is 6, out of range (valid: whole numbers 0 to 5)" in response.json()["detail"][0]["msg"]
    assert not Measurement.objects.exists()


def test_a_visit_of_another_episode_is_a_422(as_physio, world, episode, ready_visit):
    other = world["patient"].episodes.create(
        condition="low_back_pain", started_on=episode.started_on, created_by=world["physio"]
    )
    response = as_physio.post(f"/episodes/{oid(other)}/measurements", {**NDI, "visit_id": oid(ready_visit)})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "visit_id"


def test_progress_and_due_are_the_cores(as_physio, episode, signed_visit):
    as_physio.post(f"/episodes/{oid(episode)}/measurements", NDI)
    progress = as_physio.get(f"/episodes/{oid(episode)}/progress")
    assert progress.status_code == 200, progress.content
    body = progress.json()
    assert body["status"] == "not_yet" and body["sessions_done"] == 1 and body["episode_id"] == oid(episode)
    assert body["instruments"][0]["instrument"] == "ndi" and body["instruments"][0]["mcid"] == 10
    due = as_physio.get(f"/episodes/{oid(episode)}/due", {"on": signed_visit.visit_date.isoformat()})
    assert due.status_code == 200, due.content
    assert {d["instrument"] for d in due.json()["due"]} >= {"nprs", "ppt", "psfs"}
    assert as_physio.get(f"/episodes/{oid(episode)}/due", {"on": "5"}).status_code == 422


def test_reads_are_audited(as_physio, episode):
    for part in ("plan", "measurements", "progress", "due"):
        assert as_physio.get(f"/episodes/{oid(episode)}/{part}").status_code == 200
    views = AuditEvent.objects.filter(action=Action.VIEW, object_type="patients.episode", object_id=str(episode.pk))
    assert views.count() == 4


def test_another_clinic_gets_404_and_the_attempt_is_recorded(as_other, world, episode):
    for part in ("plan", "measurements", "progress", "due"):
        assert as_other.get(f"/episodes/{oid(episode)}/{part}").status_code == 404
    assert as_other.post(f"/episodes/{oid(episode)}/measurements", NDI).status_code == 404
    denied = AuditEvent.objects.filter(action=Action.DENIED, actor=world["other"], object_type="patients.episode")
    assert denied.exists()
    assert not Measurement.objects.exists()


def test_front_desk_gets_403(as_desk, episode):
    for part in ("plan", "measurements", "progress", "due"):
        assert as_desk.get(f"/episodes/{oid(episode)}/{part}").status_code == 403
    assert as_desk.post(f"/episodes/{oid(episode)}/plan", {}).status_code == 403
    assert as_desk.post(f"/episodes/{oid(episode)}/measurements", NDI).status_code == 403


def _not_responding(as_physio, episode):
    path = f"/episodes/{oid(episode)}/measurements"
    assert as_physio.post(path, {"instrument": "ndi", "answers": [3] * 10, "taken_on": "2026-01-05"}).status_code == 201
    later = {"instrument": "ndi", "answers": [3] * 9 + [2], "taken_on": "2026-02-16"}
    assert as_physio.post(path, later).status_code == 201


def test_a_flagged_course_is_listed_and_acted_on(as_physio, as_desk, as_other, episode):
    _not_responding(as_physio, episode)
    listed = as_physio.get("/reviews/flagged")
    assert listed.status_code == 200
    [row] = listed.json()
    assert (
        row["episode_id"] == oid(episode) and row["status"] == "not_responding" and row["patient_id"].startswith("pt_")
    )
    assert as_desk.get("/reviews/flagged").status_code == 403
    assert as_other.get("/reviews/flagged").json() == []
    path = f"/episodes/{oid(episode)}/review-actions"
    bad = as_physio.post(path, {"kind": "referral", "reason": "No change"})
    assert bad.status_code == 422 and "Name whom" in bad.content.decode()
    assert (
        as_physio.post(path, {"kind": "referral", "reason": "x", "referred_to": "GP", "urgency": "later"}).status_code
        == 422
    )
    ok = as_physio.post(path, {"kind": "referral", "reason": "No change", "referred_to": "GP", "urgency": "soon"})
    assert ok.status_code == 201, ok.content
    assert ok.json()["id"].startswith("ra_") and ok.json()["status"] == "not_responding"
    assert as_physio.get("/reviews/flagged").json() == []
    assert as_other.post(path, {"kind": "reason", "reason": "x"}).status_code == 404


def test_discharge_through_the_api(as_physio, as_desk, episode):
    path = f"/episodes/{oid(episode)}/discharge"
    assert as_physio.get(path).status_code == 404
    assert as_desk.post(path, {"reason": "plateau"}).status_code == 403
    assert as_physio.post(path, {"reason": "bored"}).status_code == 422
    bad_exercise = as_physio.post(path, {"reason": "plateau", "home_programme": [{"exercise": "juggling"}]})
    assert bad_exercise.status_code == 422 and "juggling" in bad_exercise.content.decode()
    done = as_physio.post(path, {"reason": "plateau", "home_programme": [{"exercise": "chin_tuck"}]})
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["id"].startswith("dc_") and body["home_programme"][0]["name"]
    assert as_physio.get(path).json()["reason"] == "plateau"
    again = as_physio.post(path, {"reason": "plateau"})
    assert again.status_code == 422 and "discharged already" in again.content.decode()
    m = as_physio.post(f"/episodes/{oid(episode)}/measurements", {"instrument": "nprs", "answers": [3]})
    assert m.status_code == 422


def test_a_stale_plan_revision_is_a_422(as_physio, episode):
    path = f"/episodes/{oid(episode)}/plan"
    assert as_physio.post(path, {"based_on": 0}).status_code == 201
    stale = as_physio.post(path, {"based_on": 0, "reason": "again", "sessions_planned": 9})
    assert stale.status_code == 422 and "revised meanwhile" in stale.content.decode()
    assert as_physio.post(path, {"based_on": 1, "reason": "again", "sessions_planned": 9}).status_code == 201
