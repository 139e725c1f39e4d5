"""Clinic-scoped reads. Every query for patients starts here, so no view can forget the clinic."""

from __future__ import annotations

import re
from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404

from needlechart.audit.services import record_denied

from .models import Episode, Patient


def patients_for(user) -> QuerySet[Patient]:
    """The patients a user may see: their own clinic's, nobody else's."""
    if user.clinic_id is None:
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
