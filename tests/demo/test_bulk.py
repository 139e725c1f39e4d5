"""Bulk seeding for load tests: the counts asked for, signed notes locked by the database, idempotent
and deterministic. Marked `postgres`: `make test` runs these on SQLite and again on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction

from needlechart.accounts.models import Clinic
from needlechart.charting.models import Insertion, Visit
from needlechart.demo.bulk import PREFIX, bulk_patients, seed_bulk
from needlechart.demo.seed import DEMO_CLINIC_SLUG
from needlechart.patients.models import Episode

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TODAY = date(2026, 3, 2)
PATIENTS, VISITS = 20, 5


@pytest.fixture
def seeded():
    return seed_bulk(patients=PATIENTS, visits_per_patient=VISITS, seed=7, today=TODAY)


def _bulk_visits():
    return Visit.objects.filter(patient__last_name__startswith=PREFIX)


def test_counts(seeded):
    clinic = Clinic.objects.get(slug=DEMO_CLINIC_SLUG)
    assert bulk_patients(clinic).count() == PATIENTS
    assert Episode.objects.filter(patient__last_name__startswith=PREFIX).count() == PATIENTS
    visits = _bulk_visits()
    assert visits.count() == PATIENTS * VISITS == seeded.visits
    assert seeded.patients == PATIENTS and not seeded.skipped
    for patient in bulk_patients(clinic):
        assert patient.visits.count() == VISITS
        assert patient.phone_digits and patient.phone_digits in patient.phone.replace(" ", "")
    insertions = Insertion.objects.filter(visit__in=visits)
    assert insertions.count() == seeded.insertions
    assert 2 * PATIENTS * VISITS <= seeded.insertions <= 6 * PATIENTS * VISITS


def test_visits_are_weekly_and_charted(seeded):
    patient = bulk_patients(Clinic.objects.get(slug=DEMO_CLINIC_SLUG)).first()
    dates = sorted(patient.visits.values_list("visit_date", flat=True))
    assert all((b - a).days == 7 for a, b in zip(dates, dates[1:], strict=False))
    assert dates[-1] <= TODAY
    for visit in patient.visits.all():
        assert 2 <= visit.insertions.count() <= 6
        assert visit.nprs_before is not None and visit.pain_drawing
        assert visit.screening is not None and visit.screening.may_needle


def test_most_visits_are_signed_and_locked(seeded):
    visits = _bulk_visits()
    signed = visits.filter(signed_at__isnull=False)
    assert signed.count() >= 0.9 * visits.count() and signed.count() == seeded.signed
    assert not signed.filter(signed_by__isnull=True).exists()
    visit = signed.first()
    assert visit.billing["procedures"] and visit.signed_at.date() == visit.visit_date
    assert visit.needles_in == visit.needles_out == visit.insertions.count()
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(plan="rewritten")
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        Insertion.objects.bulk_create([Insertion(visit_id=visit.pk, target="masseter", side="left")])


def test_second_run_changes_nothing_and_a_bigger_one_tops_up(seeded):
    before = _bulk_visits().count(), Insertion.objects.count()
    again = seed_bulk(patients=PATIENTS, visits_per_patient=VISITS, seed=7, today=TODAY)
    assert again.skipped and again.existing == PATIENTS
    assert (_bulk_visits().count(), Insertion.objects.count()) == before
    more = seed_bulk(patients=PATIENTS + 3, visits_per_patient=VISITS, seed=7, today=TODAY)
    assert more.patients == 3 and _bulk_visits().count() == (PATIENTS + 3) * VISITS


def _snapshot():
    return list(
        _bulk_visits()
        .order_by("patient__email", "visit_date")
        .values_list("patient__email", "patient__first_name", "visit_date", "nprs_before", "signed_at", "billing")
    )


def test_deterministic_whether_seeded_at_once_or_topped_up():
    with transaction.atomic():
        seed_bulk(patients=5, visits_per_patient=3, seed=3, today=TODAY)
        at_once = _snapshot()
        transaction.set_rollback(True)
    seed_bulk(patients=2, visits_per_patient=3, seed=3, today=TODAY)
    seed_bulk(patients=5, visits_per_patient=3, seed=3, today=TODAY)
    assert _snapshot() == at_once
    assert len({row[0] for row in at_once}) == 5


def test_management_command(capsys):
    call_command("seed_bulk", "--patients", "3", "--visits-per-patient", "2")
    assert "Seeded 3 patients, 6 visits" in capsys.readouterr().out
    call_command("seed_bulk", "--patients", "3", "--visits-per-patient", "2")
    assert "already present (3 patients)" in capsys.readouterr().out


def test_every_signed_bulk_visit_meets_the_cores_sign_rule(seeded):
    """The bulk notes were signed by UPDATE for speed; the core's sign rule must find nothing missing in
    any of them, judged through the same service the Sign button uses (screened that day, NPRS before,
    counts, consent, certification, one side of the thorax)."""
    from needlechart.charting import services

    signed = _bulk_visits().filter(signed_at__isnull=False).select_related("screening", "clinician", "patient")
    assert signed.exists()
    for visit in signed:
        assert services.sign_problems(visit.clinician, visit) == (), visit.visit_date
        assert visit.screening.performed_at.date() == visit.visit_date
