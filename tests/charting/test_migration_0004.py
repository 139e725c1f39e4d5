"""Migration charting/0004 turns a consent withdrawn in place (0001-0003: `withdrawn_at`) into a
withdrawal row of its own, dated when it was withdrawn, so the consent history reads as it happened
and the latest answer is still the patient's current one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from needlechart.charting import services
from needlechart.charting.models import Consent
from needlechart.patients.models import Patient

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("charting", "0003_lock_moves_into_signed_notes")
AFTER = ("charting", "0004_plans_void_snapshot")
RISKS = ["soreness", "bruising", "bleeding", "infection", "fainting"]
GIVEN = timezone.now() - timedelta(days=30)
WITHDRAWN = GIVEN + timedelta(days=10)
GIVEN_AGAIN = GIVEN + timedelta(days=20)


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def old_history():
    """Consent history written before 0004, then migrated: `history(given_again=...)` stores a consent
    given and withdrawn in place and, optionally, consent given again later; it returns the patient.
    The schema is back at the latest migration afterwards whatever happens."""

    def history(given_again: bool = False) -> Patient:
        old = _migrate(BEFORE)
        clinic = old.get_model("accounts", "Clinic").objects.create(slug="old", name="Old Clinic")
        user = old.get_model("accounts", "User").objects.create(username="old", clinic=clinic, password="x")
        patient = old.get_model("patients", "Patient").objects.create(
            clinic=clinic, first_name="Ada", last_name="Lovelace", date_of_birth=date(1980, 1, 2)
        )
        OldConsent = old.get_model("charting", "Consent")
        rows = [(GIVEN, WITHDRAWN)] + ([(GIVEN_AGAIN, None)] if given_again else [])
        for recorded_at, withdrawn_at in rows:
            consent = OldConsent.objects.create(
                patient=patient,
                modality="dry_needling",
                risks_explained=RISKS,
                agreed=True,
                recorded_by=user,
                withdrawn_at=withdrawn_at,
            )
            # recorded_at was auto_now_add before 0004: dated afterwards.
            OldConsent.objects.filter(pk=consent.pk).update(recorded_at=recorded_at)
        _migrate(AFTER)
        return Patient.objects.get(pk=patient.pk)

    try:
        yield history
    finally:
        # Every app back to its latest migration: going back to charting 0003 also unapplied the
        # migrations that depend on 0004 (outcomes, common), and later tests need their tables.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_consent_withdrawn_in_place_is_no_longer_current(old_history):
    patient = old_history()
    withdrawal, consent = Consent.objects.filter(patient=patient)
    assert consent.agreed and consent.recorded_at == GIVEN
    assert not withdrawal.agreed and withdrawal.risks_explained == []
    assert services.current_consent(patient, "dry_needling") is None


def test_a_consent_withdrawn_in_place_becomes_a_withdrawal_row(old_history):
    withdrawal = Consent.objects.filter(patient=old_history()).first()
    assert withdrawal.withdrawal is True


def test_the_withdrawal_row_is_dated_when_the_consent_was_withdrawn(old_history):
    withdrawal = Consent.objects.filter(patient=old_history(), agreed=False).get()
    assert withdrawal.recorded_at == WITHDRAWN


def test_consent_given_again_after_a_withdrawal_stays_current(old_history):
    patient = old_history(given_again=True)
    current = services.current_consent(patient, "dry_needling")
    assert current is not None and current.recorded_at == GIVEN_AGAIN
