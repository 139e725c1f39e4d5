"""A plan's goal read by the core: by the instrument's own direction, a PSFS activity by its own
latest rating, overdue once its date passes unreached."""

from __future__ import annotations

from datetime import date

from needlechart.clinical import progress as core
from needlechart.knowledge import load

KB = load()
START, TODAY = date(2026, 1, 5), date(2026, 3, 1)


def rows(instrument, *scores):
    data = [core.Measurement(date(2026, 1, 5 + 7 * n), instrument, s) for n, s in enumerate(scores)]
    return core.instrument_progress(KB, data, "neck_pain")


def test_a_score_to_reach_follows_the_instruments_direction():
    goal = {"kind": "instrument", "instrument": "ndi", "target_score": 10, "by_date": "2026-04-01"}
    assert core.goal_status(KB, goal, instruments=rows("ndi", 24, 9), today=TODAY).reached is True
    not_yet = core.goal_status(KB, goal, instruments=rows("ndi", 24, 14), today=TODAY)
    assert not_yet.reached is False and not not_yet.overdue and not_yet.latest == 14
    lefs = {"kind": "instrument", "instrument": "lefs", "target_score": 60, "by_date": "2026-02-01"}
    late = core.goal_status(KB, lefs, instruments=rows("lefs", 40, 55), today=TODAY)
    assert late.reached is False and late.overdue
    assert core.goal_status(KB, lefs, instruments=rows("lefs", 40, 61), today=TODAY).reached is True
    unmeasured = core.goal_status(KB, goal, instruments=(), today=TODAY)
    assert unmeasured.reached is None and unmeasured.latest is None


def test_a_psfs_goal_reads_its_own_activity_in_the_latest_psfs_naming_it():
    goal = {"kind": "psfs", "activity": "Reversing the car", "target": 8, "by_date": "2026-04-01"}
    psfs = [
        (date(2026, 1, 5), ["Reversing the car", "Lifting"], [3.0, 4.0]),
        (date(2026, 2, 2), ["Lifting", "Reversing the car"], [6.0, 8.0]),
        (date(2026, 2, 16), ["Lifting", "Sleeping"], [7.0, 5.0]),  # does not name it
    ]
    status = core.goal_status(KB, goal, instruments=(), psfs=psfs, today=TODAY)
    assert status.reached is True and status.latest == 8 and status.latest_date == date(2026, 2, 2)
    assert core.goal_status(KB, goal, instruments=(), psfs=psfs[:1], today=TODAY).reached is False
