"""Discharge: why care ended, the final outcomes as the core reads them, the home programme; final
(the episode is locked by a trigger; a returning patient starts a new episode)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.charting import services as charting
from needlechart.charting.services import ChartingError
from needlechart.outcomes import services
from needlechart.outcomes.discharge import discharge_draft, discharge_episode
from needlechart.outcomes.models import Discharge, EpisodeReview
from needlechart.outcomes.services import OutcomeError
from needlechart.patients.models import Episode

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
START = date(2026, 1, 5)


def _measure(user, episode):
    services.record_measurement(user, episode, instrument="ndi", answers=[3] * 10, taken_on=START)
    services.record_measurement(user, episode, instrument="ndi", answers=[1] * 10, taken_on=START + timedelta(weeks=6))


def test_discharge_keeps_final_outcomes_and_locks_the_episode(world, episode, signed_visit):
    physio = world["physio"]
    _measure(physio, episode)
    d = discharge_episode(physio, episode, reason="goals_met", note="Back to full work")
    d.refresh_from_db()
    assert d.status == "responding" and d.reason == "goals_met"
    [row] = d.final_outcomes
    assert (row["instrument"], row["baseline"], row["latest"], row["met"]) == ("ndi", 30.0, 10.0, True)
    episode.refresh_from_db()
    assert episode.status == "discharged" and episode.ended_on == timezone.localdate()
    assert AuditEvent.objects.filter(object_type="outcomes.discharge").count() == 1
    assert not EpisodeReview.objects.get(episode=episode).flagged
    # The database refuses any change to the discharged episode, whoever asks.
    with pytest.raises(DatabaseError, match="discharged episode"), transaction.atomic():
        Episode.objects.filter(pk=episode.pk).update(status="active")
    # Nothing more is added to it.
    with pytest.raises(OutcomeError, match="discharged"):
        services.record_measurement(physio, episode, instrument="nprs", answers=[2])
    with pytest.raises(OutcomeError, match="discharged"):
        services.revise_plan(physio, episode, reason="again")
    with pytest.raises(OutcomeError, match="discharged already"):
        discharge_episode(physio, episode, reason="plateau")
    with pytest.raises(ChartingError, match="discharged"):
        charting.start_visit(physio, world["patient"], episode=episode)
    # A new visit without an episode named does not land in the discharged one.
    assert charting.start_visit(physio, world["patient"]).episode is None


def test_an_open_draft_blocks_a_discharge(world, episode, ready_visit):
    with pytest.raises(OutcomeError, match=r"A draft visit is still open \(\d{4}-\d\d-\d\d\): sign or discard it"):
        discharge_episode(world["physio"], episode, reason="plateau")
    assert not Discharge.objects.exists()
    episode.refresh_from_db()
    assert episode.status == "active"


def test_bad_values_are_named(world, episode):
    physio = world["physio"]
    with pytest.raises(OutcomeError, match="reason 'bored' is not valid; use one of: goals_met"):
        discharge_episode(physio, episode, reason="bored")
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(OutcomeError, match="in the future"):
        discharge_episode(physio, episode, reason="plateau", discharged_on=tomorrow)
    with pytest.raises(OutcomeError, match="before the episode started"):
        discharge_episode(physio, episode, reason="plateau", discharged_on=START - timedelta(days=1))
    with pytest.raises(OutcomeError, match="home programme item 1: 'juggling' is not an exercise"):
        discharge_episode(physio, episode, reason="plateau", home_programme=[{"exercise": "juggling"}])
    assert not Discharge.objects.exists()


def test_not_before_the_last_signed_visit(world, episode, signed_visit):
    with pytest.raises(OutcomeError, match="before the last signed visit"):
        discharge_episode(
            world["physio"], episode, reason="plateau", discharged_on=signed_visit.visit_date - timedelta(days=1)
        )


def test_the_home_programme_defaults_to_the_latest_signed_visits_exercises(world, episode, ready_visit):
    physio = world["physio"]
    charting.add_insertion(
        physio, ready_visit, {"target": "levator_scapulae", "side": "left", "lung_technique": "pincer"}
    )
    charting.assign_exercise(physio, ready_visit, "chin_tuck", "10 reps, 3 times a day")
    visit = charting.update_draft(physio, ready_visit, {"needles_in": 1, "needles_out": 1, "nprs_before": 5}, 1)
    charting.sign_visit(physio, visit)
    draft = discharge_draft(physio, episode)
    assert [(p["exercise"], p["dosage"]) for p in draft.programme] == [("chin_tuck", "10 reps, 3 times a day")]
    d = discharge_episode(physio, episode, reason="patient_choice")
    assert d.home_programme == draft.programme
    assert d.home_programme[0]["name"]


def test_front_desk_and_other_clinics_cannot_discharge(world, episode):
    for who in ("desk", "other"):
        with pytest.raises(PermissionDenied):
            discharge_episode(world[who], episode, reason="plateau")


def test_a_course_that_got_worse_is_kept_as_worse(world, episode):
    physio = world["physio"]
    services.record_measurement(physio, episode, instrument="ndi", answers=[2] * 10, taken_on=START)
    later = START + timedelta(weeks=5)
    services.record_measurement(physio, episode, instrument="ndi", answers=[4] * 10, taken_on=later)
    d = discharge_episode(physio, episode, reason="referred", note="To the GP for review")
    [row] = d.final_outcomes
    assert row["worsened"] is True and row["met"] is False and d.status == "refer"
