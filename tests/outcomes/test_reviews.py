"""A course not responding or to be referred is flagged until the clinician acts on it (a plan
revision, a referral, a reason recorded); new evidence raises it again. The flag is the core's rule
(`progress.flag_open`); the services keep the reading per episode for the clinic's list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from needlechart.audit.models import AuditEvent
from needlechart.clinical import progress as core
from needlechart.knowledge import load
from needlechart.outcomes import reviews, services
from needlechart.outcomes.models import EpisodeReview, ReviewAction
from needlechart.outcomes.services import OutcomeError

START = date(2026, 1, 5)
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


# ------------------------------------------------------------------ the core's rule


@pytest.mark.parametrize("status", [core.RESPONDING, core.NOT_YET])
def test_a_course_responding_or_too_early_is_never_flagged(status):
    assert not core.flag_open(status, evidence=[T0], acted=[])


@pytest.mark.parametrize("status", core.FLAGGED)
def test_a_flag_stands_until_acted_on_after_the_latest_evidence(status):
    assert core.flag_open(status, evidence=[T0], acted=[])
    assert core.flag_open(status, evidence=[T0], acted=[T0 - timedelta(days=1)])
    assert not core.flag_open(status, evidence=[T0], acted=[T0 + timedelta(minutes=1)])
    # New evidence after the action raises it again.
    assert core.flag_open(status, evidence=[T0, T0 + timedelta(days=7)], acted=[T0 + timedelta(minutes=1)])


# ------------------------------------------------------------------ the services


def ndi(user, episode, score_items, taken_on):
    return services.record_measurement(user, episode, instrument="ndi", answers=score_items, taken_on=taken_on)


@pytest.fixture
def non_responder(world, episode):
    """NDI 24 at the start and 22 five weeks on: judged (four weeks passed), below the MCID of 10."""
    physio = world["physio"]
    ndi(physio, episode, [3, 3, 3, 3, 2, 2, 2, 2, 2, 2], START)
    ndi(physio, episode, [3, 3, 2, 2, 2, 2, 2, 2, 2, 2], START + timedelta(weeks=5))
    return episode


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_non_responder_is_flagged_and_a_recorded_reason_clears_it(world, non_responder):
    review = EpisodeReview.objects.get(episode=non_responder)
    assert review.status == core.NOT_RESPONDING and review.flagged
    assert [r.episode for r in reviews.flagged_reviews(world["physio"])] == [non_responder]

    action = reviews.record_review_action(
        world["physio"], non_responder, kind="reason", reason="Started loading programme a week ago; review in 2 weeks"
    )
    assert action.status == core.NOT_RESPONDING
    assert not EpisodeReview.objects.get(episode=non_responder).flagged
    assert reviews.flagged_reviews(world["physio"]) == []
    assert AuditEvent.objects.filter(object_type="outcomes.reviewaction").count() == 1

    # A new measurement still below the MCID: the course is looked at again.
    ndi(world["physio"], non_responder, [3, 3, 2, 2, 2, 2, 2, 2, 2, 1], START + timedelta(weeks=6))
    assert EpisodeReview.objects.get(episode=non_responder).flagged


@pytest.mark.django_db
def test_a_plan_revision_is_acting_on_the_flag(world, non_responder):
    services.revise_plan(world["physio"], non_responder, sessions_planned=8, components=[])
    assert not EpisodeReview.objects.get(episode=non_responder).flagged


@pytest.mark.django_db
def test_a_referral_names_its_recipient_and_urgency(world, non_responder):
    physio = world["physio"]
    with pytest.raises(OutcomeError, match="Name whom"):
        reviews.record_review_action(physio, non_responder, kind="referral", reason="Persistent pain", urgency="soon")
    with pytest.raises(OutcomeError, match="urgency 'whenever' is not valid"):
        reviews.record_review_action(
            physio, non_responder, kind="referral", reason="x", referred_to="GP", urgency="whenever"
        )
    with pytest.raises(OutcomeError, match="Say why"):
        reviews.record_review_action(
            physio, non_responder, kind="referral", reason=" ", referred_to="GP", urgency="soon"
        )
    with pytest.raises(OutcomeError, match="kind 'maybe'"):
        reviews.record_review_action(physio, non_responder, kind="maybe", reason="x")
    assert not ReviewAction.objects.exists()
    reviews.record_review_action(
        physio, non_responder, kind="referral", reason="No change at 5 weeks", referred_to="GP", urgency="soon"
    )
    assert not EpisodeReview.objects.get(episode=non_responder).flagged


@pytest.mark.django_db
def test_nothing_to_act_on_for_a_responder(world, episode):
    physio = world["physio"]
    ndi(physio, episode, [3, 3, 3, 3, 2, 2, 2, 2, 2, 2], START)
    ndi(physio, episode, [1, 1, 1, 1, 1, 1, 1, 1, 0, 0], START + timedelta(weeks=3))  # 24 -> 8
    assert EpisodeReview.objects.get(episode=episode).status == core.RESPONDING
    with pytest.raises(OutcomeError, match="Nothing to act on: this course is responding"):
        reviews.record_review_action(physio, episode, kind="reason", reason="x")


@pytest.mark.django_db
def test_a_course_becomes_judgeable_by_the_date_alone_and_the_list_reads_it_again(world, episode):
    physio = world["physio"]
    ndi(physio, episode, [3, 3, 3, 3, 2, 2, 2, 2, 2, 2], START)
    ndi(physio, episode, [3, 3, 3, 3, 2, 2, 2, 2, 2, 1], START + timedelta(weeks=1))
    # Read as of week 2: too early, to be read again at the judgement point's date.
    review = reviews.refresh_review(episode, today=START + timedelta(weeks=2))
    assert review.status == core.NOT_YET and not review.flagged
    assert review.recheck_on == START + timedelta(weeks=4)
    # The list on a later day reads it again: now not responding and flagged.
    rows = reviews.flagged_reviews(physio, today=START + timedelta(weeks=4))
    assert [r.episode for r in rows] == [episode]
    assert EpisodeReview.objects.get(episode=episode).recheck_on is None


@pytest.mark.django_db
def test_the_moment_a_course_became_judgeable_is_evidence(world, episode):
    """A plan revised before the judgement point does not hide a flag raised when the date comes: the
    judgement point's date counts as evidence (and acting before it is not acting on the flag)."""
    physio = world["physio"]
    ndi(physio, episode, [3, 3, 3, 3, 2, 2, 2, 2, 2, 2], START)
    ndi(physio, episode, [3, 3, 3, 3, 2, 2, 2, 2, 2, 1], START + timedelta(weeks=1))
    today = START + timedelta(weeks=5)
    result = core.assess(load(), services.progress_input(episode, today=today))
    assert result.status == core.NOT_RESPONDING
    judged = datetime.combine(START + timedelta(weeks=4), time.min, tzinfo=ZoneInfo("UTC"))
    times = reviews.evidence_times(episode, result)
    assert judged in times
    early_plan = judged - timedelta(days=10)
    assert core.flag_open(result.status, evidence=times, acted=[early_plan]) is True
    assert (
        core.flag_open(result.status, evidence=[*times[:-1], judged], acted=[max(times) + timedelta(seconds=1)])
        is False
    )


@pytest.mark.django_db
def test_front_desk_sees_no_flags(world, non_responder):
    assert reviews.flagged_reviews(world["desk"]) == []
    assert reviews.flagged_reviews(world["other"]) == []


@pytest.mark.django_db
def test_the_same_action_sent_twice_is_kept_once(world, non_responder):
    physio = world["physio"]
    first = reviews.record_review_action(physio, non_responder, kind="reason", reason="Loading programme started")
    again = reviews.record_review_action(physio, non_responder, kind="reason", reason="Loading programme started")
    assert again.pk == first.pk and ReviewAction.objects.count() == 1
    reviews.record_review_action(physio, non_responder, kind="reason", reason="Reviewed with the patient")
    assert ReviewAction.objects.count() == 2
