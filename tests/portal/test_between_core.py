"""The core's between-visits rules, without a database: what makes a check-in urgent (the session's
own urgent aftercare items, nothing else), and how much of a home programme was done."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from needlechart.clinical import between as core
from needlechart.clinical.aftercare import build_aftercare


@pytest.fixture(scope="module")
def lung_care(kb):
    return build_aftercare(kb, ["dry_needling"], [("rhomboids", "left")])


def test_a_ticked_urgent_symptom_of_the_session_is_urgent(lung_care):
    assert "thorax_breathlessness" in {i.id for i in lung_care.urgent}
    reading = core.read_check_in(lung_care.urgent, ticked=["thorax_breathlessness"], soreness=3, bruising="none")
    assert reading.is_urgent
    assert [i.id for i in reading.urgent] == ["thorax_breathlessness"]


def test_soreness_alone_is_never_urgent_even_at_ten(lung_care):
    reading = core.read_check_in(lung_care.urgent, ticked=[], soreness=10, bruising="large")
    assert not reading.is_urgent and reading.soreness == 10


def test_ticks_come_back_in_the_sheets_order_once_each(lung_care):
    ids = [i.id for i in lung_care.urgent]
    reading = core.read_check_in(lung_care.urgent, ticked=list(reversed(ids)) + ids, soreness=2, bruising="small")
    assert [i.id for i in reading.urgent] == ids


def test_a_symptom_not_on_this_sessions_sheet_is_refused(kb):
    calf = build_aftercare(kb, ["dry_needling"], [("gastrocnemius", "left")])
    assert "thorax_breathlessness" not in {i.id for i in calf.urgent}
    with pytest.raises(core.CheckInInputError) as refused:
        core.read_check_in(calf.urgent, ticked=["thorax_breathlessness"], soreness=2, bruising="none")
    assert refused.value.field == "urgent"
    with pytest.raises(core.CheckInInputError):  # a routine item is no urgent symptom either
        core.read_check_in(calf.urgent, ticked=["soreness"], soreness=2, bruising="none")


@pytest.mark.parametrize("soreness", [None, -1, 11])
def test_soreness_is_required_from_0_to_10(lung_care, soreness):
    with pytest.raises(core.CheckInInputError) as refused:
        core.read_check_in(lung_care.urgent, ticked=[], soreness=soreness, bruising="none")
    assert refused.value.field == "soreness" and "0" in str(refused.value) and "10" in str(refused.value)


@pytest.mark.parametrize("bruising", ["", "huge"])
def test_bruising_is_one_of_three(lung_care, bruising):
    with pytest.raises(core.CheckInInputError) as refused:
        core.read_check_in(lung_care.urgent, ticked=[], soreness=1, bruising=bruising)
    assert refused.value.field == "bruising"


@pytest.mark.parametrize(
    ("dosage", "days"),
    [
        ("Hold 30 seconds, 3 times each side, twice a day", 7),
        ("Hold 5 seconds, 10 times, 3 to 5 times a day (a good habit at every break from the screen)", 7),
        ("Hold 20 to 30 seconds, 3 times each side, once or twice a day", 7),
        ("2 to 3 sets of 10, every other day", 3.5),
        ("3 to 4 sets of 8 to 15, 3 times a week; make it heavier when the last repetitions feel easy", 3),
        ("Reset each time the timer goes off through the working day", 7),
        ("Twice a week", 2),
        ("10 a day", 7),
        ("Most days of the week, starting at a time you can manage and building up week by week", None),
        ("As needed", None),
        ("", None),
    ],
)
def test_prescribed_days_per_week(dosage, days):
    assert core.prescribed_days_per_week(dosage) == days


def test_every_library_dosage_reads_as_a_frequency_or_says_none(kb):
    read = {e.id: core.prescribed_days_per_week(e.dosage) for e in kb.exercises.values()}
    assert all(v is None or 0 < v <= 7 for v in read.values())
    unread = sorted(k for k, v in read.items() if v is None)
    assert len(unread) <= 2, unread  # only "most days"-style dosages state no frequency


def test_adherence_counts_done_in_full_and_partly_half():
    today = date(2026, 12, 1)
    logs = {today: "done", today - timedelta(days=1): "partly", today - timedelta(days=2): "not"}
    a = core.adherence(dosage="twice a day", logs=logs, start=today - timedelta(days=30), today=today, window_days=7)
    assert (a.days, a.logged, a.credit, a.expected) == (7, 3, 1.5, 7)
    assert a.percent == 21


def test_adherence_window_starts_at_the_prescription_and_caps_at_100():
    today = date(2026, 12, 1)
    start = today - timedelta(days=1)
    logs = {today: "done", start: "done", start - timedelta(days=3): "done"}  # before the prescription
    a = core.adherence(dosage="every other day", logs=logs, start=start, today=today, window_days=28)
    assert a.days == 2 and a.logged == 2 and a.expected == pytest.approx(1.0)
    assert a.percent == 100


def test_adherence_without_a_frequency_reports_days_logged():
    today = date(2026, 12, 1)
    a = core.adherence(dosage="most days", logs={today: "done"}, start=today, today=today, window_days=7)
    assert a.percent is None and a.logged == 1 and a.days == 1
