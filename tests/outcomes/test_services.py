"""Plans of care and outcome measurements: stored as the core scores them, append-only, read by the
core for progress and what is due, for the episode's clinic's clinicians and admins only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction

from needlechart.audit.models import Action, AuditEvent
from needlechart.charting.models import NoteLocked, Visit
from needlechart.clinical import progress as core
from needlechart.knowledge import load
from needlechart.outcomes import services
from needlechart.outcomes.models import Measurement, PlanRevision
from needlechart.outcomes.services import OutcomeError

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)  # the episode fixture's start, a Monday


def ndi(user, episode, answers, taken_on=START, **extra):
    return services.record_measurement(user, episode, instrument="ndi", answers=answers, taken_on=taken_on, **extra)


# ------------------------------------------------------------------------------ measurements


def test_a_scored_form_is_stored_with_the_cores_score(world, episode):
    m = ndi(world["physio"], episode, [2] * 10)
    m.refresh_from_db()
    assert m.scorable and m.score == 20 and m.reason == ""
    assert m.result["percent"] == 40 and m.result["unit"] == "points"
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="outcomes.measurement").count() == 1


def test_a_form_that_cannot_be_scored_is_stored_with_the_reason(world, episode):
    m = ndi(world["physio"], episode, [2, 2, 2, 2, 2, 2, 2, None, None, None])
    m.refresh_from_db()
    assert not m.scorable and m.score is None
    assert m.reason == "3 of 10 items unanswered; at most 2 may be for the NDI"
    assert m.answers[-1] is None


def test_a_value_outside_the_range_is_refused_naming_item_and_range(world, episode):
    with pytest.raises(OutcomeError, match=r"NDI: item 4 is 9, out of range \(valid: whole numbers 0 to 5\)"):
        ndi(world["physio"], episode, [1, 1, 1, 9, 1, 1, 1, 1, 1, 1])
    with pytest.raises(OutcomeError, match="takes 10 item"):
        ndi(world["physio"], episode, [1, 1])
    with pytest.raises(OutcomeError, match=r"NPRS worst \(24 h\) is 11, out of range \(valid: whole numbers 0 to 10\)"):
        services.record_measurement(
            world["physio"], episode, instrument="nprs", answers=[5], taken_on=START, best=2, worst=11
        )
    assert not Measurement.objects.exists()


def test_nprs_facets_and_ppt_trials_are_kept(world, episode):
    nprs = services.record_measurement(
        world["physio"], episode, instrument="nprs", answers=[5], taken_on=START, best=2, worst=8
    )
    assert nprs.score == 5 and nprs.extra == {"best": 2.0, "worst": 8.0}
    ppt = services.record_measurement(
        world["physio"],
        episode,
        instrument="ppt",
        answers=[3.1, 3.3, 3.2],
        unit="kg/cm2",
        site="upper_trapezius",
        side="left",
        taken_on=START,
    )
    assert ppt.score == pytest.approx(3.2 * 98.0665) and ppt.unit == "kg/cm2"
    assert ppt.extra == {"site": "upper_trapezius", "side": "left", "unit": "kg/cm2"}
    with pytest.raises(OutcomeError, match="pressure pain threshold"):
        services.record_measurement(
            world["physio"], episode, instrument="nprs", answers=[5], taken_on=START, site="upper_trapezius"
        )


def test_a_measurement_at_a_visit_is_linked_and_dated_by_it(world, episode, ready_visit):
    m = services.record_measurement(world["physio"], episode, instrument="nprs", answers=[6], visit=ready_visit)
    assert m.visit == ready_visit and m.taken_on == ready_visit.visit_date
    other = episode.patient.episodes.create(condition="low_back_pain", started_on=START, created_by=world["physio"])
    with pytest.raises(OutcomeError, match="not in this episode"):
        services.record_measurement(world["physio"], other, instrument="nprs", answers=[6], visit=ready_visit)


def test_a_measurement_is_voided_never_changed(world, episode):
    m = ndi(world["physio"], episode, [2] * 10)
    m.score = 5
    with pytest.raises(NoteLocked):
        m.save()
    with pytest.raises(NoteLocked):
        m.delete()
    services.void_measurement(world["physio"], m, reason="Entered for the wrong episode")
    assert services.measurements_of(episode) == []
    assert [x.pk for x in services.measurements_of(episode, include_void=True)] == [m.pk]
    with pytest.raises(OutcomeError, match="void already"):
        services.void_measurement(world["physio"], m, reason="Again")


# ------------------------------------------------------------------------------ plans


def test_plan_revisions_are_dated_new_rows_and_the_latest_is_current(world, episode):
    physio = world["physio"]
    first = services.revise_plan(physio, episode, components=["exercise", "education"])
    assert (first.number, first.sessions_planned, first.frequency_per_week) == (1, 6, 1.0)
    assert first.defaults == ["frequency_per_week", "sessions_planned"] and first.start == START
    assert first.icd10 == ["M54.2", "M79.12"]
    with pytest.raises(OutcomeError, match="reason"):
        services.revise_plan(physio, episode, sessions_planned=8)
    second = services.revise_plan(
        physio,
        episode,
        sessions_planned=8,
        frequency_per_week=2,
        reason="Slow progress: twice a week",
        goals=[
            {"kind": "instrument", "instrument": "ndi", "target_score": 10, "by_date": date(2026, 3, 1)},
            {"kind": "psfs", "activity": "Reversing the car", "target": 8, "by_date": date(2026, 3, 1)},
        ],
    )
    assert services.current_plan(episode) == second and second.number == 2
    assert [r.number for r in services.plan_revisions(episode)] == [2, 1]
    first.refresh_from_db()
    assert first.sessions_planned == 6 and first.reason == ""  # the earlier revision is as it was
    assert second.goals[0] == {"kind": "instrument", "instrument": "ndi", "target_score": 10.0, "by_date": "2026-03-01"}
    first.reason = "rewritten"
    with pytest.raises(NoteLocked):
        first.save()
    assert AuditEvent.objects.filter(object_type="outcomes.planrevision", action=Action.CHANGE).count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"components": ["heat"]}, "'heat' is not complementary care for neck pain"),
        ({"icd10": ["neck"]}, "not an ICD-10-CM code"),
        ({"payer": "aetna"}, "unknown payer"),
        ({"frequency_per_week": 9}, "at most 7"),
        ({"goals": [{"kind": "instrument", "instrument": "ndi", "target_score": 60, "by_date": START}]}, "0 to 50"),
        ({"goals": [{"kind": "psfs", "activity": "", "target": 8, "by_date": START}]}, "activity"),
        ({"goals": [{"kind": "psfs", "activity": "Run", "target": 8, "by_date": date(2025, 1, 1)}]}, "before"),
    ],
)
def test_a_plan_the_rules_refuse(world, episode, change, message):
    with pytest.raises(OutcomeError, match=message):
        services.revise_plan(world["physio"], episode, **change)
    assert not PlanRevision.objects.exists()


def test_medicare_limits_are_warned_by_the_core(world, episode):
    physio = world["physio"]
    neck = services.revise_plan(physio, episode, payer="medicare")
    (warning,) = services.plan_warnings(episode, neck)
    assert "covers low back pain only: a plan for neck pain is not covered" in warning.message
    back = episode.patient.episodes.create(condition="low_back_pain", started_on=START, created_by=physio)
    plan = services.revise_plan(physio, back, payer="medicare", sessions_planned=24, frequency_per_week=2)
    messages = " ".join(w.message for w in services.plan_warnings(back, plan))
    assert "at most 12 are covered in 90 days" in messages and "more than the 20 a year" in messages
    assert services.medicare_warnings(physio, back)  # read with the course's progress


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_update_and_delete_of_plans_and_measurements(world, episode):
    plan = services.revise_plan(world["physio"], episode)
    m = ndi(world["physio"], episode, [2] * 10)
    for model, row, sql in (
        (PlanRevision, plan, "UPDATE outcomes_planrevision SET sessions_planned = 99 WHERE id = %s"),
        (Measurement, m, "UPDATE outcomes_measurement SET score = 1 WHERE id = %s"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            model.objects.filter(pk=row.pk).update(reason="rewritten")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            model.objects.filter(pk=row.pk)._raw_delete(model.objects.db)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    plan.refresh_from_db()
    m.refresh_from_db()
    assert plan.sessions_planned == 6 and plan.reason == "" and m.score == 20


# ------------------------------------------------------------------------------ progress


def test_progress_from_the_rows_is_the_cores_reading(world, episode, signed_visit):
    physio = world["physio"]
    services.revise_plan(physio, episode, sessions_planned=6, frequency_per_week=1)
    ndi(physio, episode, [3] * 10)  # 30
    ndi(physio, episode, [3] * 9 + [2], taken_on=START + timedelta(weeks=4))  # 29: 1 point better
    result = services.progress_for_episode(physio, episode)
    assert result.status == core.NOT_RESPONDING  # four weeks in, below the MCID of 10 points
    expected = core.assess(
        load(),
        core.ProgressInput(
            condition="neck_pain",
            plan=core.Plan(6, 1.0, START),
            sessions_done=1,
            today=result.today,
            measurements=(
                core.Measurement(START, "ndi", 30.0),
                core.Measurement(START + timedelta(weeks=4), "ndi", 29.0),
            ),
            age=episode.patient.age_on(result.today),
        ),
    )
    assert (result.status, result.reasons) == (expected.status, expected.reasons)
    assert result.drivers and result.actions
    ndi(physio, episode, [1] * 10, taken_on=START + timedelta(weeks=6))  # 10: 20 points better
    assert services.progress_for_episode(physio, episode).status == core.RESPONDING


def test_unscorable_and_void_measurements_do_not_count(world, episode):
    physio = world["physio"]
    ndi(physio, episode, [3] * 10)
    ndi(physio, episode, [0] * 7 + [None] * 3, taken_on=START + timedelta(weeks=4))  # not scorable
    wrong = ndi(physio, episode, [0] * 10, taken_on=START + timedelta(weeks=5))
    services.void_measurement(physio, wrong, reason="Another patient's form")
    data = services.progress_input(episode)
    assert [m.score for m in data.measurements] == [30.0]
    assert services.progress_for_episode(physio, episode).status == core.NOT_YET  # no follow-up yet


def test_a_red_flag_at_the_rescreen_means_refer(world, episode):
    from needlechart.charting import services as charting

    physio = world["physio"]
    ndi(physio, episode, [3] * 10)
    ndi(physio, episode, [1] * 10, taken_on=START + timedelta(weeks=4))  # responding by the scores
    charting.screen_patient(physio, episode.patient, [{"code": "saddle_anesthesia"}], ["dry_needling"])
    result = services.progress_for_episode(physio, episode)
    assert result.status == core.REFER and result.referrals


# ------------------------------------------------------------------------------ due


def _visit(world, episode, day: date) -> Visit:
    return Visit.objects.create(patient=episode.patient, episode=episode, clinician=world["physio"], visit_date=day)


def _due(world, episode, on):
    return {(d.instrument, d.kind) for d in services.due_measurements(world["physio"], episode, on=on).due}


def test_baselines_at_the_first_visit_then_each_reassessment_point(world, episode):
    physio = world["physio"]
    services.revise_plan(physio, episode, sessions_planned=6, frequency_per_week=1)
    assert _due(world, episode, START) == set()  # no visit yet
    _visit(world, episode, START)
    assert _due(world, episode, START) == {(i, "baseline") for i in ("nprs", "ndi", "ppt", "psfs")}  # not GROC
    for instrument, answers in (("nprs", [6]), ("ndi", [3] * 10), ("ppt", [300]), ("psfs", [4, 5, 3])):
        services.record_measurement(physio, episode, instrument=instrument, answers=answers, taken_on=START)
    _visit(world, episode, START + timedelta(weeks=1))
    assert _due(world, episode, START + timedelta(weeks=1)) == set()
    third = START + timedelta(weeks=2)
    _visit(world, episode, third)  # session 3 of 6: the 50% reassessment
    result = services.due_measurements(physio, episode, on=third)
    assert {d.instrument for d in result.due} == {"nprs", "ndi", "ppt", "psfs", "groc"}
    assert {d.point for d in result.due} == {"after session 3 of 6 (50%)"} and result.due[0].since == third
    ndi(physio, episode, [2] * 10, taken_on=third)
    assert "ndi" not in {i for i, _ in _due(world, episode, third)}
    four_weeks = START + timedelta(weeks=4)
    due = services.due_measurements(physio, episode, on=four_weeks).due
    assert {d.instrument for d in due} == {"nprs", "ndi", "ppt", "psfs", "groc"}
    assert {d.point for d in due} == {"4 weeks"}
    points = core.reassessment_points(load(), core.Plan(6, 1.0, START))
    labels = [p.label for p in services.due_measurements(physio, episode, on=four_weeks).points]
    assert labels == ["baseline (first visit)", *[p.label for p in points]]


def test_goal_instruments_are_scheduled_too(world, episode):
    goal = {"kind": "instrument", "instrument": "vas", "target_score": 20, "by_date": date(2026, 3, 1)}
    plan = services.revise_plan(world["physio"], episode, goals=[goal])
    assert services.scheduled_instruments(episode, plan)[-1] == "vas"


# ------------------------------------------------------------------------------ who


def test_another_clinic_is_refused_everything(world, episode):
    other = world["other"]
    calls = [
        lambda: services.revise_plan(other, episode),
        lambda: ndi(other, episode, [1] * 10),
        lambda: services.progress_for_episode(other, episode),
        lambda: services.due_measurements(other, episode),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()


def test_front_desk_never_sees_or_writes_outcomes_and_an_admin_may(world, episode):
    desk = world["desk"]
    for call in (
        lambda: services.revise_plan(desk, episode),
        lambda: ndi(desk, episode, [1] * 10),
        lambda: services.progress_for_episode(desk, episode),
        lambda: services.due_measurements(desk, episode),
    ):
        with pytest.raises(PermissionDenied, match="clinicians and clinic admins"):
            call()
    assert services.revise_plan(world["admin"], episode).revised_by == world["admin"]
