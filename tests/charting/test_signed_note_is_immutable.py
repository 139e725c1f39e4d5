"""A signed note cannot be changed by any path below the service layer: model save, queryset
update, raw SQL, or adding, changing or removing its needle log. Marked `postgres`: `make test`
runs these on SQLite and again on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from needlechart.charting import services
from needlechart.charting.models import Addendum, Insertion, NoteLocked, Visit
from needlechart.common.opaque import of as oid

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_model_save_refuses(signed):
    signed.plan = "rewritten"
    with pytest.raises(NoteLocked):
        signed.save()


def test_queryset_update_is_refused_by_the_database(signed):
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        Visit.objects.filter(pk=signed.pk).update(plan="rewritten")
    assert Visit.objects.get(pk=signed.pk).plan == "Weekly"


def test_unsigning_is_refused_by_the_database(signed):
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        Visit.objects.filter(pk=signed.pk).update(signed_at=None)


def test_raw_sql_is_refused(signed):
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE charting_visit SET subjective = 'x' WHERE id = %s", [signed.pk])


def test_delete_is_refused(signed):
    with pytest.raises(NoteLocked):
        signed.delete()
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        Visit.objects.filter(pk=signed.pk)._raw_delete(Visit.objects.db)


def test_needle_log_cannot_change(signed):
    insertion = signed.insertions.get()
    insertion.depth_mm = 40
    with pytest.raises(NoteLocked):
        insertion.save()
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        Insertion.objects.filter(pk=insertion.pk).update(depth_mm=40)
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        Insertion.objects.bulk_create([Insertion(visit_id=signed.pk, target="masseter", side="left")])
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        Insertion.objects.filter(pk=insertion.pk)._raw_delete(Insertion.objects.db)
    assert signed.insertions.count() == 1


def test_addenda_are_append_only(signed, physio):
    addendum = services.add_addendum(physio, signed, "Follow-up call: fine.")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).update(text="edited")


def test_drafts_stay_editable(ready_visit):
    assert Visit.objects.filter(pk=ready_visit.pk).update(plan="draft plan") == 1


def test_no_page_form_changes_a_signed_note(signed, physio):
    from django.test import Client

    c = Client()
    c.force_login(physio)
    base = f"/patients/{oid(signed.patient)}/visits/{oid(signed)}"
    before = Visit.objects.filter(pk=signed.pk).values().get()
    attempts = {
        "/note/": {"version": signed.version, "plan": "rewritten", "needles_in": 1, "needles_out": 1},
        "/autosave/": {"version": signed.version, "plan": "rewritten"},
        "/drawing/": {"version": signed.version, "pain": ["jaw:left"]},
        "/needle/": {
            "target": "masseter",
            "side": "left",
            "technique": "static",
            "twitch_responses": 0,
            "retention_minutes": 0,
        },
        "/palpation/": {"muscle": "masseter", "side": "left"},
        "/exercise/": {"exercise": "chin_tuck"},
        "/adverse-event/": {"code": "bruising", "severity": "mild", "action_taken": "x"},
        "/sign/": {},
    }
    for path, data in attempts.items():
        response = c.post(base + path, data)
        assert response.status_code in (200, 400), path
    assert Visit.objects.filter(pk=signed.pk).values().get() == before
    assert signed.insertions.count() == 1 and signed.palpations.count() == 0
    assert signed.exerciseassignments.count() == 0 and signed.adverseevents.count() == 0


# --- a part cannot be moved into a signed note --------------------------------------------------


@pytest.fixture
def draft_with_parts(physio, patient, episode, signed):
    """A second, draft visit of the same patient with a needle, a palpation, an adverse event and an
    exercise: rows that an UPDATE of visit_id might try to move into the signed note."""
    from needlechart.charting.models import Modality

    draft = services.start_visit(physio, patient, episode=episode, modality=Modality.DRY_NEEDLING)
    services.attach_screening(physio, draft, signed.screening)
    services.add_insertion(physio, draft, {"target": "gluteus_medius", "side": "left"})
    services.add_palpation(
        physio, draft, {"muscle": "gluteus_medius", "side": "left", "taut_band": True, "tender_spot": True}
    )
    services.add_adverse_event(physio, draft, {"code": "bruising", "severity": "mild", "action_taken": "Pressure"})
    services.assign_exercise(physio, draft, "upper_trapezius_stretch")
    return draft


@pytest.mark.parametrize(
    "table", ["charting_insertion", "charting_palpation", "charting_adverseevent", "charting_exerciseassignment"]
)
def test_no_update_moves_a_draft_part_into_a_signed_note(signed, draft_with_parts, table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE visit_id = %s", [draft_with_parts.pk])
        (row_id,) = cursor.fetchone()
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET visit_id = %s WHERE id = %s", [signed.pk, row_id])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT visit_id FROM {table} WHERE id = %s", [row_id])
        assert cursor.fetchone()[0] == draft_with_parts.pk


def test_the_orm_cannot_move_a_needle_into_a_signed_note(signed, draft_with_parts):
    needle = draft_with_parts.insertions.get()
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        Insertion.objects.filter(pk=needle.pk).update(visit_id=signed.pk)
    assert Insertion.objects.get(pk=needle.pk).visit_id == draft_with_parts.pk
