"""A small clinic built by hand for the dashboard tests (the numbers each test expects are worked out
in test_numbers.py), and another clinic whose data must never appear."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client

from needlechart.accounts.models import Role
from needlechart.charting.models import AdverseEvent, Visit
from needlechart.outcomes.models import EpisodeReview, Measurement, PlanRevision, ReviewAction
from needlechart.patients.models import Episode
from tests import factories as f

RANGE = {"date_from": "2026-01-01", "date_to": "2026-03-31"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def visit(episode, clinician, day: date, events=()):
    """A signed visit on `day` with its adverse events ((code, severity), added before signing: a
    signed note takes no new rows)."""
    v = Visit.objects.create(patient=episode.patient, episode=episode, clinician=clinician, visit_date=day)
    for code, severity in events:
        AdverseEvent.objects.create(visit=v, code=code, severity=severity, action_taken="Pressure applied")
    Visit.objects.filter(pk=v.pk).update(signed_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
    return v


def measure(episode, by, instrument: str, day: date, score: float):
    return Measurement.objects.create(
        episode=episode,
        instrument=instrument,
        taken_on=day,
        answers=[score],
        score=score,
        scorable=True,
        recorded_by=by,
    )


def episode_with_plan(patient, by, condition: str, start: date, sessions: int = 4):
    e = Episode.objects.create(patient=patient, condition=condition, started_on=start, created_by=by)
    PlanRevision.objects.create(
        episode=e, number=1, revised_by=by, frequency_per_week=1, sessions_planned=sessions, start=start
    )
    return e


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def clinic(db):
    a, b = f.clinic("riverside"), f.clinic("hilltop")
    physio = f.user(a, "physio", first_name="Pat", last_name="Physio")
    second = f.user(a, "second", first_name="Sam", last_name="Second")
    admin = f.user(a, "admin", Role.CLINIC_ADMIN)
    desk = f.user(a, "desk", Role.FRONT_DESK)
    other = f.user(b, "other")

    e1 = episode_with_plan(f.patient(a, "Ada", "One"), physio, "neck_pain", date(2026, 1, 5))
    visit(e1, physio, date(2026, 1, 5), [("bruising", "mild")])
    visit(e1, physio, date(2026, 1, 12), [("bruising", "mild"), ("bleeding", "mild")])
    visit(e1, physio, date(2026, 1, 19), [("soreness_after", "significant")])
    visit(e1, physio, date(2026, 1, 26))
    visit(e1, physio, date(2026, 2, 2))
    visit(e1, physio, date(2026, 4, 10))  # after the range
    measure(e1, physio, "nprs", date(2026, 1, 5), 7)
    measure(e1, physio, "nprs", date(2026, 2, 2), 4)
    measure(e1, physio, "ndi", date(2026, 1, 5), 20)
    measure(e1, physio, "ndi", date(2026, 2, 2), 16)

    e2 = episode_with_plan(f.patient(a, "Bea", "Two"), second, "low_back_pain", date(2026, 1, 10))
    visit(e2, second, date(2026, 1, 10))
    visit(e2, second, date(2026, 1, 17))
    measure(e2, second, "nprs", date(2026, 1, 10), 6)
    measure(e2, second, "nprs", date(2026, 2, 8), 5)
    EpisodeReview.objects.update_or_create(
        episode=e2, defaults={"clinic": a, "status": "not_responding", "computed_on": date(2026, 2, 8)}
    )
    ReviewAction.objects.create(
        episode=e2,
        kind="referral",
        status="not_responding",
        referred_to="GP",
        urgency="routine",
        reason="No change after four weeks",
        acted_by=second,
        acted_at=datetime(2026, 2, 10, 9, tzinfo=UTC),
    )

    # Another clinic, same months: many events, none of which may appear.
    e3 = episode_with_plan(f.patient(b, "Cy", "Three"), other, "neck_pain", date(2026, 1, 6))
    for day in (6, 13, 20):
        visit(e3, other, date(2026, 1, day), [("suspected_pneumothorax", "serious")])
    measure(e3, other, "nprs", date(2026, 1, 6), 9)
    measure(e3, other, "nprs", date(2026, 2, 3), 1)
    return {
        "a": a,
        "b": b,
        "physio": physio,
        "second": second,
        "admin": admin,
        "desk": desk,
        "other": other,
        "e1": e1,
        "e2": e2,
        "e3": e3,
    }
