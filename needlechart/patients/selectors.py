"""Clinic-scoped reads. Every query for patients starts here, so no view can forget the clinic."""

from __future__ import annotations

import re
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce
from django.http import Http404

from needlechart.audit.services import record_denied
from needlechart.charting.models import AdverseEvent, Insertion, Visit

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


# What the overview's visit table, chart and follow-up button read of a visit: never the note's text,
# drawing or billing (JSON decoded for nothing).
VISIT_ROW_FIELDS = (
    "patient_id",
    "visit_date",
    "modality",
    "nprs_before",
    "nprs_after",
    "signed_at",
    "discarded_at",
    "clinician__first_name",
    "clinician__last_name",
    "clinician__username",
)


def visit_rows(patient, limit: int) -> list[Visit]:
    """The patient's latest `limit` visits, newest first, each with its needle count. The count is a
    sub-select per shown visit (an index scan of its needles), so the query reads `limit` visits from
    the (patient, visit date) index however many the patient has, where a GROUP BY over the join
    would aggregate every visit first."""
    needles = (
        Insertion.objects.filter(visit=OuterRef("pk")).order_by().values("visit").annotate(n=Count("*")).values("n")
    )
    return list(
        patient.visits.select_related("clinician")
        .only(*VISIT_ROW_FIELDS)
        .annotate(needles=Coalesce(Subquery(needles), Value(0)))
        .order_by("-visit_date", "-id")[:limit]
    )


def adverse_events(patient) -> list[AdverseEvent]:
    """The patient's adverse events, latest visit first, with the visit's date. The events are looked
    up by the ids of the patient's visits: joined to the visits instead, PostgreSQL reads every event of
    the clinic (a hash join over a full scan, 2.5 ms at 400,000 visits), where the ids find the few
    events through their visit index."""
    visits = list(patient.visits.order_by().values_list("pk", flat=True))
    if not visits:
        return []
    return list(
        AdverseEvent.objects.filter(visit_id__in=visits)
        .select_related("visit")
        .only("code", "severity", "action_taken", "visit__visit_date")
        .order_by("-visit__visit_date")
    )
