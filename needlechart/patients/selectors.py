"""Clinic-scoped reads. Every query for patients starts here, so no view can forget the clinic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce
from django.http import Http404

from needlechart.audit.services import record_denied
from needlechart.charting.models import AdverseEvent, Insertion, Modality, NoteStatus, Visit
from needlechart.charting.selectors import latest_screening_reads
from needlechart.common.compiled import CompiledQuery

from .models import Episode, Patient


def patients_for(user) -> QuerySet[Patient]:
    """The patients a user may see: their own clinic's, nobody else's."""
    if not user.is_clinic_staff:  # no clinic, or a patient signed in to the portal
        return Patient.objects.none()
    return Patient.objects.filter(clinic_id=user.clinic_id)


def get_patient(user, pk: int) -> Patient:
    """One patient of the user's clinic; 404 for any other, so other clinics' IDs reveal nothing. The
    refused attempt is recorded (a probe of other clinics' records shows in the audit trail)."""
    try:
        return patients_for(user).get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        record_denied(user, "patients.patient", pk)
        raise Http404("No such patient") from None


# The overview's patient, with what the precautions read folded in (`latest_screening_reads`) and
# the portal account if any (`portal.accounts.account_of`), in one query compiled once.
OVERVIEW_PATIENT = CompiledQuery(
    lambda pk, clinic_id: (
        Patient.objects.select_related("portal_account")
        .annotate(**latest_screening_reads("pk"), **_overview_reads())
        .filter(pk=pk, clinic_id=clinic_id)
        .order_by()
    )
)


def _overview_reads() -> dict:
    """Whether the patient has adverse events (none: `adverse_events` reads nothing), and whether any
    episode has what the overview's progress shows (a plan of care, a measurement or a range-of-motion
    reading that is not void): when none has, there is no progress to read
    (`outcomes.selectors.progress_of_episodes` would find nothing to show)."""
    from needlechart.charting.models import AdverseEvent
    from needlechart.outcomes.models import Measurement, PlanRevision, RangeOfMotion

    patient = OuterRef("pk")
    return {
        "folded_has_adverse_events": Exists(AdverseEvent.objects.filter(visit__patient_id=patient)),
        "folded_has_outcomes": Exists(PlanRevision.objects.filter(episode__patient_id=patient))
        | Exists(Measurement.objects.filter(episode__patient_id=patient, void__isnull=True))
        | Exists(RangeOfMotion.objects.filter(episode__patient_id=patient, void__isnull=True)),
    }


def get_overview_patient(user, pk: int) -> Patient:
    """`get_patient` for the chart overview: the same patient, refusals and 404s, read with the
    latest screening and whether there is any coded history (`folded_precaution_reads`)."""
    found = OVERVIEW_PATIENT.all(pk, user.clinic_id) if user.clinic_id is not None and isinstance(pk, int) else []
    if len(found) == 1:
        return found[0]
    return get_patient(user, pk)


def get_episode(user, pk: int) -> Episode:
    try:
        return Episode.objects.select_related("patient").get(pk=pk, patient__clinic_id=user.clinic_id)
    except (Episode.DoesNotExist, ValueError, TypeError):
        record_denied(user, "patients.episode", pk)
        raise Http404("No such episode") from None


_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$|^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})\s*$")


def _as_date(text: str) -> date | None:
    m = _DATE.match(text)
    if not m:
        return None
    try:
        if m.group(1):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return date(int(m.group(6)), int(m.group(5)), int(m.group(4)))  # day/month/year
    except ValueError:
        return None


def search(user, query: str) -> QuerySet[Patient]:
    """By name (any word, start of first or last name), date of birth (2001-04-09 or 09/04/2001) or phone."""
    people = patients_for(user)
    query = query.strip()
    if not query:
        return people
    born = _as_date(query)
    if born:
        return people.filter(date_of_birth=born)
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4 and len(digits) >= len(query.replace(" ", "")) - 2:
        return people.filter(phone_digits__contains=digits)
    condition = Q()
    for word in query.split():
        condition &= Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
    return people.filter(condition)


def page_of(rows: QuerySet, per_page: int, number, *, filtered: bool) -> Page:
    """`Paginator(rows, per_page).get_page(number)`. A filtered list (a search) is read in one query
    instead of two: the page's rows carry the total as a window count (`COUNT(*) OVER ()`), so the
    table is scanned once, not once to count and again for the page. The whole list keeps the
    paginator's two queries: its count is an index-only scan and its page a short index scan, both
    cheaper than counting every row in the page's query. Only a page past the end (or a number below 1)
    takes the paginator's own way to the last page. `rows` is a `values_list()` query."""
    paginator = Paginator(rows, per_page)
    if not filtered:
        return paginator.get_page(number)
    try:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError
        wanted = int(number)
    except (TypeError, ValueError):
        wanted = 1  # as `get_page` reads a missing or malformed number
    if wanted < 1:
        return paginator.get_page(number)
    bottom = (wanted - 1) * per_page
    found = list(rows.annotate(_total=Window(Count("*")))[bottom : bottom + per_page])
    if not found:
        if wanted > 1:
            return paginator.get_page(number)
        paginator.count = 0  # nothing matches: page 1 of 1, as the paginator says
        return Page([], 1, paginator)
    paginator.count = found[0][-1]
    return Page([row[:-1] for row in found], wanted, paginator)


LIST_FIELDS = ("pk", "last_name", "first_name", "date_of_birth", "phone")
PATIENT_COUNT = CompiledQuery(
    lambda clinic_id: (
        Patient.objects.filter(clinic_id=clinic_id)
        .order_by()
        .values("clinic_id")
        .annotate(n=Count("*"))
        .values_list("n")
    )
)
COMPILED_PAGES = 40  # the first pages of the list are compiled once each (LIMIT and OFFSET are in the SQL)
_LIST_PAGES: dict[tuple[int, int], CompiledQuery] = {}


def list_page(user, per_page: int, number) -> Page:
    """`page_of(patients_for(user).values_list(*LIST_FIELDS), per_page, number, filtered=False)`, the
    whole list, with its count and (for its first pages) its page read by queries compiled once."""
    rows = patients_for(user).values_list(*LIST_FIELDS)
    if user.clinic_id is None:
        return page_of(rows, per_page, number, filtered=False)
    paginator = Paginator(rows, per_page)
    counted = PATIENT_COUNT.rows(user.clinic_id)
    paginator.count = counted[0][0] if counted else 0
    try:
        wanted = paginator.validate_number(number)
    except PageNotAnInteger:
        wanted = 1
    except EmptyPage:
        wanted = paginator.num_pages
    if wanted > COMPILED_PAGES:
        return paginator.page(wanted)
    bottom = (wanted - 1) * per_page
    query = _LIST_PAGES.get((bottom, per_page))
    if query is None:
        query = _LIST_PAGES.setdefault(
            (bottom, per_page),
            CompiledQuery(
                lambda clinic_id: Patient.objects.filter(clinic_id=clinic_id).values_list(*LIST_FIELDS)[
                    bottom : bottom + per_page
                ]
            ),
        )
    return Page(query.rows(user.clinic_id), wanted, paginator)


@dataclass(frozen=True, slots=True)
class VisitRow(NoteStatus):
    """A visit as the overview's table, chart and follow-up button show it: one row of values, not a
    model instance, so a year of weekly visits costs little more to read than a few. Never the note's
    text, drawing or billing."""

    pk: int
    visit_date: date
    modality: str
    nprs_before: int | None
    nprs_after: int | None
    signed_at: datetime | None
    discarded_at: datetime | None
    clinician_name: str
    needles: int

    @property
    def modality_label(self) -> str:
        return str(Modality(self.modality).label)


def _visit_rows(patient_id: int, limit: int) -> QuerySet:
    needles = (
        Insertion.objects.filter(visit=OuterRef("pk")).order_by().values("visit").annotate(n=Count("*")).values("n")
    )
    return (
        Visit.objects.filter(patient_id=patient_id)
        .annotate(needles=Coalesce(Subquery(needles), Value(0)))
        .order_by("-visit_date", "-id")
        .values_list(
            "id",
            "visit_date",
            "modality",
            "nprs_before",
            "nprs_after",
            "signed_at",
            "discarded_at",
            "clinician__first_name",
            "clinician__last_name",
            "clinician__username",
            "needles",
        )[:limit]
    )


_VISIT_ROWS: dict[int, CompiledQuery] = {}  # by limit (part of the SQL)


def visit_rows(patient, limit: int) -> list[VisitRow]:
    """The patient's latest `limit` visits, newest first, each with its needle count. The count is a
    sub-select per shown visit (an index scan of its needles), so the query reads `limit` visits from
    the (patient, visit date) index however many the patient has, where a GROUP BY over the join
    would aggregate every visit first. Compiled once per limit."""
    query = _VISIT_ROWS.get(limit)
    if query is None:
        query = _VISIT_ROWS.setdefault(limit, CompiledQuery(lambda patient_id: _visit_rows(patient_id, limit)))
    return [
        VisitRow(pk, day, modality, before, after, signed, discarded, f"{first} {last}".strip() or username, needles)
        for pk, day, modality, before, after, signed, discarded, first, last, username, needles in query.rows(
            patient.pk
        )
    ]


def adverse_events(patient) -> list[AdverseEvent]:
    """The patient's adverse events, latest visit first, with the visit's date (nothing is read when
    the overview's query found none)."""
    if not getattr(patient, "folded_has_adverse_events", True):  # read with the overview's patient: none
        return []
    return ADVERSE_EVENTS.all(patient.pk)


def _adverse_events(patient_id: int) -> QuerySet[AdverseEvent]:
    events = (
        AdverseEvent.objects.select_related("visit")
        .only("code", "severity", "action_taken", "visit__visit_date")
        .order_by("-visit__visit_date", "-id")
    )
    if connection.vendor != "postgresql":
        return events.filter(visit__patient_id=patient_id)
    # PostgreSQL joins the events to the visits by reading every event of the clinic (a hash join over
    # a full scan: 3 ms at 400,000 visits); given the patient's visit ids as one array, it finds the
    # few events through their visit index instead.
    return events.extra(
        where=[
            '"charting_adverseevent"."visit_id" = ANY(ARRAY(SELECT "id" FROM "charting_visit" WHERE "patient_id" = %s))'
        ],
        params=[patient_id],
    )


# Compiled once per database (the build differs between them, not between patients).
ADVERSE_EVENTS = CompiledQuery(_adverse_events)
