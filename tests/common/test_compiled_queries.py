"""Queries compiled once (needlechart.common.compiled) answer exactly what the ORM answers, for any ids,
on SQLite and (marked `postgres`) on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.paginator import Paginator

from needlechart.charting import services
from needlechart.charting.models import Visit
from needlechart.charting.views import PAGE_VISIT, PART_QUERIES
from needlechart.common.compiled import CompiledQuery
from needlechart.patients import selectors
from needlechart.patients.models import Patient, PatientFinding
from tests import factories as f
from tests.charting.conftest import ALL_RISKS

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _row(obj, *related: str) -> dict:
    out = {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    for name in related:
        target = getattr(obj, name)
        out[name] = None if target is None else {k: v for k, v in vars(target).items() if not k.startswith("_")}
    return out


@pytest.fixture
def two_notes():
    clinic = f.clinic()
    physio = f.user(clinic, "physio", dry_needling_certified_on=date(2022, 1, 1))
    ada, bob = f.patient(clinic, "Ada", "Lovelace"), f.patient(clinic, "Bob", "Babbage")
    notes = []
    for patient, needles in ((ada, 1), (bob, 3)):
        services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
        visit = services.start_visit(physio, patient)
        services.attach_screening(physio, visit, services.screen_patient(physio, patient, [], ["dry_needling"]))
        for n in range(needles):
            services.add_insertion(physio, visit, {"target": ["masseter", "temporalis"][n % 2], "side": "left"})
        notes.append(Visit.objects.get(pk=visit.pk))
    PatientFinding.objects.create(patient=bob, code="anticoagulant_therapy", noted_on=date(2025, 1, 1))
    return clinic, notes


def test_the_note_query_answers_what_the_orm_answers_for_each_note(two_notes):
    clinic, notes = two_notes
    related = ("patient", "episode", "screening", "clinician", "signed_by")
    for visit in notes:  # the second call runs the SQL compiled by the first, with other ids
        (compiled,) = PAGE_VISIT.all(visit.pk, visit.patient_id, clinic.pk)
        orm = PAGE_VISIT.queryset(visit.pk, visit.patient_id, clinic.pk).get()
        assert _row(compiled, *related) == _row(orm, *related)
        assert compiled.screening.findings == orm.screening.findings  # JSON decoded alike
        assert compiled.folded_screened_at == orm.folded_screened_at and compiled.folded_screened_at.tzinfo
    assert [v.folded_has_history for v in notes for v in PAGE_VISIT.all(v.pk, v.patient_id, clinic.pk)] == [
        False,
        True,
    ]


def test_a_note_of_another_clinic_or_patient_is_not_found(two_notes):
    clinic, (ada_note, bob_note) = two_notes
    other = f.clinic("elsewhere")
    assert PAGE_VISIT.all(ada_note.pk, ada_note.patient_id, other.pk) == []
    assert PAGE_VISIT.all(ada_note.pk, bob_note.patient_id, clinic.pk) == []


def test_the_parts_are_each_notes_own(two_notes):
    _, notes = two_notes
    for visit in notes:
        compiled = PART_QUERIES["insertions"].all(visit.pk)
        assert [_row(i) for i in compiled] == [_row(i) for i in visit.insertions.all()]
    assert [len(PART_QUERIES["insertions"].all(v.pk)) for v in notes] == [1, 3]


def test_values_rows_and_the_list_pages_match_the_paginator(two_notes):
    clinic, _ = two_notes
    for n in range(30):
        f.patient(clinic, f"P{n:02d}", f"Person{n:02d}")
    staff = f.user(clinic, "desk")
    expected = Paginator(Patient.objects.filter(clinic=clinic).values_list(*selectors.LIST_FIELDS), 25)
    for number in (None, "1", "2", "3", "0", "-1", "abc", "2.0", 999):
        page = selectors.list_page(staff, 25, number)
        reference = expected.get_page(number)
        assert (list(page.object_list), page.number, page.paginator.num_pages, page.paginator.count) == (
            list(reference.object_list),
            reference.number,
            reference.paginator.num_pages,
            reference.paginator.count,
        ), number


def test_an_empty_clinic_lists_nobody():
    staff = f.user(f.clinic("empty"), "desk")
    page = selectors.list_page(staff, 25, None)
    assert (list(page.object_list), page.number, page.paginator.count) == ([], 1, 0)


def test_only_int_ids_and_every_id_must_reach_the_sql():
    query = CompiledQuery(lambda pk: Patient.objects.filter(pk=pk))
    with pytest.raises(TypeError):
        query.all("1")
    with pytest.raises(TypeError):
        query.all(True)
    dropped = CompiledQuery(lambda pk, clinic_id: Patient.objects.filter(pk=pk))
    with pytest.raises(ValueError, match="does not reach the SQL"):
        dropped.all(1, 2)


def test_a_date_argument_answers_as_the_orm_does_for_each_date(two_notes):
    """Dates reach the SQL as the backend passes them (a date on PostgreSQL, ISO text on SQLite)."""
    clinic, notes = two_notes
    days = [date(2020, 1, 1), *(v.visit_date for v in notes), date(2999, 1, 1)]
    up_to = CompiledQuery(
        lambda clinic_id, on: (
            Visit.objects.filter(patient__clinic_id=clinic_id, visit_date__lte=on)
            .order_by("id")
            .values_list("id", "visit_date")
        )
    )
    for on in days:
        orm = list(up_to.queryset(clinic.pk, on))
        assert up_to.rows(clinic.pk, on) == orm
    assert up_to.rows(clinic.pk, date(2999, 1, 1)) != []  # the date is a parameter, not the stand-in
    assert up_to.rows(clinic.pk, date(2020, 1, 1)) == []
    with pytest.raises(TypeError, match="kinds"):
        up_to.rows(clinic.pk, clinic.pk)  # compiled for a date: an id there is refused


def test_on_postgresql_the_statement_is_prepared_once_per_connection_and_logged(two_notes):
    """PostgreSQL plans a compiled query once per connection (a prepared statement), and the query
    still shows, with its values, where Django's own are logged and counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clinic, notes = two_notes
    with CaptureQueriesContext(connection) as ctx:
        for visit in notes:
            PAGE_VISIT.all(visit.pk, visit.patient_id, clinic.pk)
    assert len(ctx.captured_queries) == 2
    assert all(f"= {visit.pk}" in q["sql"] for q, visit in zip(ctx.captured_queries, notes, strict=True))
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ['%"charting_visit"%'])
        prepared = [row[0] for row in cursor.fetchall()]
    assert len(prepared) == 1 and '"charting_visit"."id" = $1' in prepared[0]


def test_the_overviews_adverse_events_are_the_patients_own_latest_first(two_notes):
    from needlechart.charting.models import AdverseEvent

    clinic, notes = two_notes
    physio = notes[0].clinician
    for visit, codes in zip(notes, (["soreness_after"], ["bruising", "soreness_after"]), strict=True):
        for code in codes:
            services.add_adverse_event(physio, visit, {"code": code, "severity": "mild", "action_taken": "Ice."})
    for visit in notes:
        expected = list(
            AdverseEvent.objects.filter(visit__patient_id=visit.patient_id).order_by("-visit__visit_date", "-id")
        )
        found = selectors.ADVERSE_EVENTS.all(visit.patient_id)
        assert [(e.pk, e.code, e.visit.visit_date) for e in found] == [
            (e.pk, e.code, e.visit.visit_date) for e in expected
        ]
    assert len(selectors.ADVERSE_EVENTS.all(notes[1].patient_id)) == 2


def test_the_overviews_visit_rows_are_the_latest_visits_as_the_orm_reads_them(two_notes):
    clinic, notes = two_notes
    for visit in notes:
        services.start_visit(visit.clinician, visit.patient)  # a second, later draft
        rows = selectors.visit_rows(visit.patient, 52)
        orm = list(
            Visit.objects.filter(patient=visit.patient).select_related("clinician").order_by("-visit_date", "-id")
        )
        assert [(r.pk, r.visit_date, r.status, r.clinician_name, r.modality_label) for r in rows] == [
            (v.pk, v.visit_date, v.status, v.clinician.display_name, v.get_modality_display()) for v in orm
        ]
        assert [r.needles for r in rows] == [v.insertions.count() for v in orm]
        assert len(selectors.visit_rows(visit.patient, 1)) == 1
