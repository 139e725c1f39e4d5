"""A closed note (signed or discarded) stays whole, and what it rests on stays as it was.

- No UPDATE, by raw SQL or the ORM, moves a part (needle, planned target, palpation finding, adverse
  event, exercise) into a signed or a discarded note; nothing is inserted into a discarded note; a
  discarded visit and its parts can be neither changed nor deleted.
- Screenings and consents are append-only; a withdrawal is a new row.
- A later screening, a new or withdrawn consent, or a changed episode condition changes nothing in a
  signed note: its signed record, its billing and its SOAP note.
- The modality is fixed once a needle or a planned target exists, and signing runs the gate again.

Marked `postgres`: `make test` runs these on SQLite and again on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from needlechart.audit.models import Action, AuditEvent
from needlechart.charting import services, soap
from needlechart.charting.models import (
    AdverseEvent,
    Consent,
    ExerciseAssignment,
    Insertion,
    NoteLocked,
    Palpation,
    PlannedNeedle,
    Screening,
    Visit,
)
from needlechart.charting.services import ChartingError, SignRefused
from needlechart.common.opaque import of as oid
from needlechart.knowledge import load
from needlechart.patients.models import Episode
from tests.charting.conftest import ALL_RISKS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PARTS = {
    "charting_insertion": Insertion,
    "charting_plannedneedle": PlannedNeedle,
    "charting_palpation": Palpation,
    "charting_adverseevent": AdverseEvent,
    "charting_exerciseassignment": ExerciseAssignment,
}
CLOSED = ["signed", "discarded"]
NO_DN_CONSENT = "No current consent to dry needling: record the patient's consent."
NO_ES_CONSENT = "No current consent to electrical stimulation: record the patient's consent."
NO_DN_CERTIFICATE = "Your profile has no dry-needling certification date; a clinic admin can add it."
SCREEN_TODAY = (
    "Screen the patient at this visit: record a screening today, or confirm with the patient that "
    "nothing has changed since the last one."
)


def _add_parts(physio, visit) -> None:
    """A needle, a palpation finding, an adverse event and an exercise, through the services."""
    services.add_insertion(physio, visit, {"target": "gluteus_medius", "side": "left"})
    services.add_palpation(
        physio, visit, {"muscle": "gluteus_medius", "side": "left", "taut_band": True, "tender_spot": True}
    )
    services.add_adverse_event(physio, visit, {"code": "bruising", "severity": "mild", "action_taken": "Pressure"})
    services.assign_exercise(physio, visit, "upper_trapezius_stretch")


@pytest.fixture
def draft_with_parts(physio, patient, signed):
    """A follow-up of the signed visit, still a draft: its needle carried forward as a planned target,
    and one row of every other part. These are the rows an UPDATE of visit_id might try to move."""
    draft = services.start_visit(physio, patient, copy_from=signed)
    services.rescreen_unchanged(physio, draft)
    _add_parts(physio, draft)
    assert draft.plannedneedles.count() == 1
    return draft


@pytest.fixture
def discarded(physio, patient, signed):
    """A follow-up started with every part in it, then discarded."""
    draft = services.start_visit(physio, patient, copy_from=signed)
    services.rescreen_unchanged(physio, draft)
    _add_parts(physio, draft)
    visit = services.discard_visit(physio, draft, "Started twice by mistake")
    assert visit.is_discarded and not visit.is_signed
    return visit


@pytest.fixture
def closed(request, signed, discarded):
    return {"signed": signed, "discarded": discarded}[request.param]


def _row_of(table: str, visit: Visit) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE visit_id = %s ORDER BY id", [visit.pk])
        return cursor.fetchone()[0]


def _visit_of(table: str, row_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT visit_id FROM {table} WHERE id = %s", [row_id])
        return cursor.fetchone()[0]


def _count(table: str, visit: Visit) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE visit_id = %s", [visit.pk])
        return cursor.fetchone()[0]


def _copy_row_into(table: str, row_id: int, visit: Visit) -> None:
    """Raw INSERT of a copy of a row, with its visit_id set to `visit`."""
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table) if c.name != "id"]
        select = ", ".join("%s" if c == "visit_id" else c for c in columns)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {table} WHERE id = %s",
            [visit.pk, row_id],
        )


# ------------------------------------------------------------------------------------ no moves


@pytest.mark.parametrize("closed", CLOSED, indirect=True)
@pytest.mark.parametrize("table", list(PARTS))
def test_no_raw_update_moves_a_part_into_a_closed_note(draft_with_parts, closed, table):
    row_id = _row_of(table, draft_with_parts)
    before = _count(table, closed)
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET visit_id = %s WHERE id = %s", [closed.pk, row_id])
    assert _visit_of(table, row_id) == draft_with_parts.pk
    assert _count(table, closed) == before


@pytest.mark.parametrize("closed", CLOSED, indirect=True)
@pytest.mark.parametrize("table", list(PARTS))
def test_no_orm_update_moves_a_part_into_a_closed_note(draft_with_parts, closed, table):
    model = PARTS[table]
    part = model.objects.filter(visit=draft_with_parts).first()
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        model.objects.filter(pk=part.pk).update(visit_id=closed.pk)
    part.visit_id = closed.pk
    with pytest.raises(NoteLocked):
        part.save()
    assert model.objects.get(pk=part.pk).visit_id == draft_with_parts.pk


@pytest.mark.parametrize("closed", CLOSED, indirect=True)
@pytest.mark.parametrize("table", list(PARTS))
def test_no_insert_into_a_closed_note(draft_with_parts, closed, table):
    row_id = _row_of(table, draft_with_parts)
    before = _count(table, closed)
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        _copy_row_into(table, row_id, closed)
    assert _count(table, closed) == before
    # The same copy into a draft goes in: the refusal is the closed note's, not the statement's.
    _copy_row_into(table, row_id, draft_with_parts)
    assert _count(table, draft_with_parts) == 2


@pytest.mark.parametrize("table", list(PARTS))
def test_the_orm_adds_nothing_to_a_discarded_note(discarded, table):
    model = PARTS[table]
    part = model.objects.filter(visit=discarded).first()
    part.pk = None
    part._state.adding = True
    with pytest.raises(NoteLocked):
        part.save()
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        model.objects.bulk_create([part])
    assert model.objects.filter(visit=discarded).count() == 1


@pytest.mark.parametrize("table", list(PARTS))
def test_a_discarded_notes_parts_can_neither_change_nor_go(discarded, table):
    row_id = _row_of(table, discarded)
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET visit_id = visit_id WHERE id = %s", [row_id])
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row_id])
    part = PARTS[table].objects.get(pk=row_id)
    with pytest.raises(NoteLocked):
        part.save()
    with pytest.raises(NoteLocked):
        part.delete()
    assert _count(table, discarded) == 1


def test_a_discarded_visit_row_cannot_be_updated_or_deleted(discarded):
    statements = [
        ("UPDATE charting_visit SET plan = 'rewritten' WHERE id = %s", "plan"),
        ("UPDATE charting_visit SET discarded_at = NULL WHERE id = %s", "un-discard"),
        ("UPDATE charting_visit SET signed_at = discarded_at WHERE id = %s", "sign"),
        ("DELETE FROM charting_visit WHERE id = %s", "delete"),
    ]
    before = Visit.objects.filter(pk=discarded.pk).values().get()
    for sql, what in statements:
        with pytest.raises(DatabaseError, match="locked"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [discarded.pk])
        assert Visit.objects.filter(pk=discarded.pk).values().get() == before, what
    discarded.plan = "rewritten"
    with pytest.raises(NoteLocked):
        discarded.save()
    with pytest.raises(NoteLocked):
        discarded.delete()


def test_the_services_refuse_a_discarded_note(discarded, physio):
    with pytest.raises(NoteLocked, match="discarded"):
        services.update_draft(physio, discarded, {"plan": "x"}, discarded.version)
    with pytest.raises(NoteLocked, match="discarded"):
        services.add_insertion(physio, discarded, {"target": "masseter", "side": "left"})
    with pytest.raises(NoteLocked, match="discarded"):
        services.sign_visit(physio, discarded)
    with pytest.raises(ChartingError, match="starts from a signed visit"):
        services.start_visit(physio, discarded.patient, copy_from=discarded)
    assert services.sign_problems(physio, discarded) == (
        "This draft was discarded: it is kept as void and is never signed.",
    )


# ------------------------------------------------------------------------------------ append-only


@pytest.fixture
def screening(signed):
    return Screening.objects.get(pk=signed.screening_id)


@pytest.fixture
def consent(signed, patient):
    return services.current_consent(patient, "dry_needling")


@pytest.mark.parametrize(
    "table, sql",
    [
        ("charting_screening", "UPDATE charting_screening SET verdict = 'clear', findings = '[]' WHERE id = %s"),
        ("charting_screening", "DELETE FROM charting_screening WHERE id = %s"),
        ("charting_consent", "UPDATE charting_consent SET agreed = FALSE WHERE id = %s"),
        ("charting_consent", "DELETE FROM charting_consent WHERE id = %s"),
    ],
)
def test_raw_sql_cannot_change_or_delete_a_screening_or_consent(screening, consent, table, sql):
    row = screening if table == "charting_screening" else consent
    before = type(row).objects.filter(pk=row.pk).values().get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [row.pk])
    assert type(row).objects.filter(pk=row.pk).values().get() == before


def test_the_orm_cannot_change_or_delete_a_screening(screening):
    screening.verdict = "clear"
    with pytest.raises(NoteLocked, match="append-only"):
        screening.save()
    with pytest.raises(NoteLocked, match="append-only"):
        screening.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Screening.objects.filter(pk=screening.pk).update(verdict="refer")
    # A screening no visit rests on is refused by the database as well.
    loose = services.screen_patient(screening.performed_by, screening.patient, [], ["dry_needling"])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Screening.objects.filter(pk=loose.pk).delete()
    assert Screening.objects.filter(pk__in=[screening.pk, loose.pk]).count() == 2


def test_the_orm_cannot_change_or_delete_a_consent(consent):
    consent.agreed = False
    with pytest.raises(NoteLocked, match="append-only"):
        consent.save()
    with pytest.raises(NoteLocked, match="append-only"):
        consent.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(agreed=False)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).delete()
    assert Consent.objects.get(pk=consent.pk).agreed is True


def test_a_withdrawal_is_a_new_row_and_ends_the_consent(physio, patient, consent):
    withdrawal = services.withdraw_consent(physio, patient, "dry_needling")
    assert withdrawal.pk != consent.pk
    assert (withdrawal.withdrawal, withdrawal.agreed, withdrawal.modality) == (True, False, "dry_needling")
    assert Consent.objects.get(pk=consent.pk).agreed is True  # the consent given is untouched
    assert list(patient.consents.filter(modality="dry_needling")) == [withdrawal, consent]
    assert services.current_consent(patient, "dry_needling") is None
    assert services.current_consents(patient)["dry_needling"] is None
    event = AuditEvent.objects.filter(action=Action.CREATE, object_id=str(withdrawal.pk)).get()
    assert event.summary == "Consent to dry needling withdrawn"
    with pytest.raises(ChartingError, match="no current consent to dry needling to withdraw"):
        services.withdraw_consent(physio, patient, "dry_needling")
    # Consent given again is a third row, and current.
    again = services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    assert services.current_consent(patient, "dry_needling") == again


# ------------------------------------------------------------------------------------ the signed record


def _as_signed(visit: Visit) -> tuple:
    visit = Visit.objects.get(pk=visit.pk)
    return visit.signed_record, visit.billing, soap.compose(load(), visit).sections()


def _later_screening(physio, patient, episode):
    services.screen_patient(
        physio, patient, [{"code": "pacemaker"}, {"code": "anticoagulant_therapy"}], ["dry_needling"]
    )


def _new_consent(physio, patient, episode):
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS[:5], True)


def _withdrawal(physio, patient, episode):
    services.withdraw_consent(physio, patient, "dry_needling")


def _episode_condition(physio, patient, episode):
    Episode.objects.filter(pk=episode.pk).update(condition="low_back_pain")


@pytest.mark.parametrize(
    "change", [_later_screening, _new_consent, _withdrawal, _episode_condition], ids=lambda f: f.__name__[1:]
)
def test_nothing_after_signing_changes_the_signed_note(signed, physio, patient, episode, change):
    before = _as_signed(signed)
    record = before[0]
    assert record["screening"]["id"] == signed.screening_id and record["screening"]["verdict"] == "clear"
    assert list(record["consents"]) == ["dry_needling"]
    assert record["consents"]["dry_needling"]["id"] == services.current_consent(patient, "dry_needling").pk
    assert "pneumothorax" in record["consents"]["dry_needling"]["risks_explained"]
    assert record["episode"] == {"id": episode.pk, "condition": "neck_pain", "started_on": "2026-10-01"}
    assert "M54.2" in [d["code"] for d in before[1]["diagnoses"]]
    assert dict(before[2])["Objective"][0] == "Screening: clear."

    change(physio, patient, episode)

    assert _as_signed(signed) == before


def test_the_signed_page_shows_the_soap_note_as_signed_after_the_condition_changes(signed, physio, episode):
    Episode.objects.filter(pk=episode.pk).update(condition="low_back_pain")
    c = Client()
    c.force_login(physio)
    response = c.get(f"/patients/{oid(signed.patient)}/visits/{oid(signed)}/")
    assert response.status_code == 200
    assert response.context["soap"] == soap.compose(load(), Visit.objects.get(pk=signed.pk))


def test_a_signed_notes_course_does_not_follow_an_earlier_draft(physio, patient, episode):
    earlier = services.start_visit(physio, patient, episode=episode)  # started first, left as a draft
    later = services.start_visit(physio, patient, episode=episode)
    services.attach_screening(physio, later, services.screen_patient(physio, patient, [], ["dry_needling"]))
    later = services.update_draft(physio, later, {"nprs_before": 3}, later.version)
    later = services.sign_visit(physio, later)
    c = Client()
    c.force_login(physio)
    url = f"/patients/{oid(patient)}/visits/{oid(later)}/"
    before = c.get(url).context["soap"]
    services.update_draft(physio, earlier, {"nprs_before": 9}, earlier.version)
    services.discard_visit(physio, Visit.objects.get(pk=earlier.pk), "Started for the wrong episode")
    assert c.get(url).context["soap"] == before


# ------------------------------------------------------------------------------------ modality


def test_the_modality_cannot_switch_after_a_needle(ready_visit, physio):
    services.add_insertion(physio, ready_visit, {"target": "masseter", "side": "left"})
    visit = Visit.objects.get(pk=ready_visit.pk)
    with pytest.raises(ChartingError, match="the modality cannot change"):
        services.update_draft(physio, visit, {"modality": "acupuncture"}, visit.version)
    after = Visit.objects.get(pk=visit.pk)
    assert (after.modality, after.version) == ("dry_needling", visit.version)


def test_the_modality_cannot_switch_after_a_planned_target(signed, physio, patient):
    follow_up = services.start_visit(physio, patient, copy_from=signed)
    assert follow_up.plannedneedles.count() == 1 and not follow_up.insertions.exists()
    with pytest.raises(ChartingError, match="the modality cannot change"):
        services.update_draft(physio, follow_up, {"modality": "acupuncture"}, follow_up.version)
    assert Visit.objects.get(pk=follow_up.pk).modality == "dry_needling"
    # Once the plan is removed, nothing rests on the modality and it may change.
    services.remove_part(physio, follow_up, "planned", follow_up.plannedneedles.get().pk)
    switched = services.update_draft(physio, follow_up, {"modality": "acupuncture"}, follow_up.version)
    assert switched.modality == "acupuncture"


# ------------------------------------------------------------------------------------ the gate at signing


def _ready_to_sign(physio, visit, **extra) -> Visit:
    visit = Visit.objects.get(pk=visit.pk)
    return services.update_draft(
        physio, visit, {"nprs_before": 5, "needles_in": 1, "needles_out": 1, **extra}, visit.version
    )


def test_signing_refuses_a_needle_whose_consent_was_withdrawn(ready_visit, physio, patient):
    services.add_insertion(physio, ready_visit, {"target": "masseter", "side": "left"})
    visit = _ready_to_sign(physio, ready_visit)
    assert services.sign_problems(physio, visit) == ()
    services.withdraw_consent(physio, patient, "dry_needling")
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(physio, visit)
    assert refused.value.messages == [NO_DN_CONSENT]
    assert not Visit.objects.get(pk=visit.pk).is_signed


def test_signing_refuses_electrical_stimulation_whose_consent_was_withdrawn(ready_visit, physio, patient):
    services.record_consent(physio, patient, "electrical_stimulation", ALL_RISKS, True)
    services.add_insertion(physio, ready_visit, {"target": "masseter", "side": "left", "es_frequency_hz": 2})
    services.withdraw_consent(physio, patient, "electrical_stimulation")
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(physio, _ready_to_sign(physio, ready_visit))
    assert refused.value.messages == [NO_ES_CONSENT]


def test_signing_refuses_a_clinician_whose_certification_was_removed(ready_visit, physio):
    services.add_insertion(physio, ready_visit, {"target": "masseter", "side": "left"})
    visit = _ready_to_sign(physio, ready_visit)
    physio.dry_needling_certified_on = None
    physio.save()
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(physio, visit)
    assert refused.value.messages == [NO_DN_CERTIFICATE]
    assert not Visit.objects.get(pk=visit.pk).is_signed


def test_signing_needs_todays_screening_not_an_earlier_one(physio, patient, episode):
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    yesterday = services.screen_patient(
        physio, patient, [], ["dry_needling"], performed_at=timezone.now() - timedelta(days=1)
    )
    visit = services.start_visit(physio, patient, episode=episode)
    services.attach_screening(physio, visit, yesterday)
    services.add_insertion(physio, visit, {"target": "masseter", "side": "left"})
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(physio, _ready_to_sign(physio, visit))
    assert refused.value.messages == [SCREEN_TODAY]
    today = services.rescreen_unchanged(physio, visit)
    assert today.repeats_id == yesterday.pk and today.patient_confirmed_unchanged
    signed = services.sign_visit(physio, Visit.objects.get(pk=visit.pk))
    assert signed.is_signed and signed.signed_record["screening"]["id"] == today.pk
