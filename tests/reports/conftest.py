"""A neck-pain course worth reporting on: a clinic with its contact details, a certified physio, five weekly
signed dry-needling visits (needles, palpation, an adverse event, home exercises), a plan of care with goals,
and NDI, NPRS (with best and worst), PSFS and GROC measurements. Plus a clinic admin, front desk and another
clinic's clinician for the permission tests.

`NEEDLECHART_REPORTS_OUT=/some/folder` makes the report tests keep every PDF they download there (to render
and look at them: `pdftoppm -png -r 60`)."""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from needlechart.accounts.models import Role
from needlechart.charting import services as charting
from needlechart.charting.models import Visit
from needlechart.outcomes import services as outcomes
from needlechart.outcomes.models import Discharge, ReviewAction
from needlechart.patients.models import Episode, EpisodeStatus
from tests import factories as f

WEEKS = 5
ALL_RISKS = ["soreness", "bruising", "bleeding", "infection", "fainting", "pneumothorax"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def start() -> date:
    return timezone.localdate() - timedelta(weeks=WEEKS)


@pytest.fixture
def world(db):
    return build_world()


def build_world() -> dict:
    """The clinic with its contact details, its staff, another clinic's clinician and the patient."""
    clinic = f.clinic("riverside")
    clinic.name = "Riverside Physio & Acupuncture"
    clinic.address = "12 Riverside Walk\nLondon SE1 9ZZ"
    clinic.phone = "020 7946 0321"
    clinic.email = "reception@riverside-clinic.example.org"
    clinic.save()
    other = f.clinic("hilltop")
    physio = f.user(
        clinic,
        "physio",
        first_name="Maya",
        last_name="Okafor",
        dry_needling_certified_on=date(2022, 3, 1),
        dry_needling_certification="Level 2 dry needling course",
    )
    return {
        "clinic": clinic,
        "physio": physio,
        "admin": f.user(clinic, "admin", Role.CLINIC_ADMIN),
        "desk": f.user(clinic, "desk", Role.FRONT_DESK),
        "other": f.user(other, "other", dry_needling_certified_on=date(2022, 3, 1)),
        "patient": f.patient(clinic, "Ada", "Lovelace", date_of_birth=date(1980, 1, 2)),
    }


def _visit(physio, patient, episode, day: date, week: int, previous: Visit | None) -> Visit:
    visit = charting.start_visit(physio, patient, episode=episode, modality="dry_needling")
    Visit.objects.filter(pk=visit.pk).update(visit_date=day)
    visit = Visit.objects.get(pk=visit.pk)
    at = timezone.make_aware(datetime.combine(day, time(9, 0)))
    if previous is None:
        screening = charting.screen_patient(physio, patient, [], ["dry_needling"], performed_at=at)
        visit = charting.attach_screening(physio, visit, screening)
    else:
        charting.rescreen_unchanged(physio, visit, performed_at=at)
    charting.add_insertion(physio, visit, {"target": "upper_trapezius", "side": "left", "lung_technique": "pincer"})
    charting.add_insertion(
        physio, visit, {"target": "levator_scapulae", "side": "left", "depth_mm": 15, "lung_technique": "pincer"}
    )
    if week == 0:
        charting.add_palpation(
            physio,
            visit,
            {
                "muscle": "upper_trapezius",
                "side": "left",
                "taut_band": True,
                "tender_spot": True,
                "twitch_response": True,
            },
        )
    if week == 1:
        charting.add_adverse_event(
            physio, visit, {"code": "bruising", "severity": "mild", "action_taken": "Pressure applied for a minute"}
        )
    if week == WEEKS - 1:
        charting.assign_exercise(physio, visit, "chin_tuck")
        charting.assign_exercise(physio, visit, "upper_trapezius_stretch")
    before = 7 - week
    visit = charting.update_draft(
        physio,
        Visit.objects.get(pk=visit.pk),
        {
            "pain_drawing": [
                {"region": "posterior_neck", "side": "left", "intensity": before},
                {"region": "shoulder_top", "side": "left", "intensity": max(1, before - 2)},
            ],
            "nprs_before": before,
            "nprs_after": max(1, before - 2),
            "needles_in": 2,
            "needles_out": 2,
            "subjective": f"Week {week + 1}: neck pain {before}/10 on arrival, worse at the desk.",
            "assessment": "Active trigger points in the left upper trapezius.",
            "plan": "Weekly dry needling with home exercises.",
        },
        visit.version,
    )
    return charting.sign_visit(physio, Visit.objects.get(pk=visit.pk))


@pytest.fixture
def course(world, start):
    return build_course(world, start)


def build_course(world: dict, start: date) -> dict:
    """The episode, its five signed visits and its outcome measurements (also the PDF benchmark's data)."""
    physio, patient = world["physio"], world["patient"]
    episode = Episode.objects.create(
        patient=patient, condition="neck_pain", started_on=start, created_by=physio, goals="Work a full day at the desk"
    )
    charting.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    outcomes.revise_plan(
        physio,
        episode,
        sessions_planned=8,
        frequency_per_week=1,
        components=["exercise"],
        goals=[
            {"kind": "instrument", "instrument": "ndi", "target_score": 10, "by_date": start + timedelta(weeks=8)},
            {"kind": "psfs", "activity": "reversing the car", "target": 8, "by_date": start + timedelta(weeks=8)},
        ],
    )
    visits, previous = [], None
    for week in range(WEEKS):
        previous = _visit(physio, patient, episode, start + timedelta(weeks=week), week, previous)
        visits.append(previous)
    last = start + timedelta(weeks=WEEKS - 1)

    def measure(instrument, answers, day, **extra):
        return outcomes.record_measurement(
            physio, episode, instrument=instrument, answers=answers, taken_on=day, **extra
        )

    measure("ndi", [3] * 10, start)  # 30 of 50
    measure("ndi", [2] * 10, start + timedelta(weeks=2))  # 20
    measure("ndi", [1] * 10, last)  # 10: 20 better, the MCID is 10
    measure("nprs", [7], start, best=4, worst=8)
    measure("nprs", [5], start + timedelta(weeks=2), best=3, worst=7)
    measure("nprs", [3], last, best=1, worst=5)
    measure("psfs", [3, 4, 5], start, activities=["reversing the car", "reading", "sleeping through"])
    measure("psfs", [7, 8, 8], last, activities=["reversing the car", "reading", "sleeping through"])
    measure("groc", [5], last)
    return {"episode": episode, "visits": visits, **world}


def discharge(course, reason: str = "goals_met") -> Discharge:
    """Discharge the course as a discharge service would: the core's rows of the day kept, the episode
    marked discharged first (a trigger locks it once the discharge exists)."""
    episode, physio = course["episode"], course["physio"]
    progress = outcomes.progress_for_episode(physio, episode)
    keys = (
        "instrument",
        "facet",
        "name",
        "unit",
        "baseline",
        "baseline_date",
        "latest",
        "latest_date",
        "change",
        "improvement",
        "mcid",
        "met",
        "reading",
    )
    rows = [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(row).items() if k in keys}
        for row in progress.instruments
    ]
    Episode.objects.filter(pk=episode.pk).update(status=EpisodeStatus.DISCHARGED, ended_on=timezone.localdate())
    episode.refresh_from_db()
    return Discharge.objects.create(
        episode=episode,
        reason=reason,
        discharged_on=timezone.localdate(),
        note="Goals met; continues the home programme and returns if the pain comes back.",
        status=progress.status,
        final_outcomes=rows,
        home_programme=[
            {"exercise": "chin_tuck", "name": "Chin tuck", "dosage": "10 slow repetitions, 3 times a day"},
            {"exercise": "upper_trapezius_stretch", "name": "Upper trapezius stretch", "dosage": ""},
        ],
        discharged_by=physio,
    )


def refer(course) -> ReviewAction:
    return ReviewAction.objects.create(
        episode=course["episode"],
        kind="referral",
        status="not_responding",
        referred_to="Dr Priya Shah, general practitioner",
        urgency="soon",
        reason="Arm tingling that came on this week, beside the neck pain: please assess for a nerve root cause.",
        acted_by=course["physio"],
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def keep(name: str, pdf: bytes) -> None:
    """Save a downloaded PDF when NEEDLECHART_REPORTS_OUT names a folder (to look at the reports)."""
    folder = os.environ.get("NEEDLECHART_REPORTS_OUT")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(pdf)
