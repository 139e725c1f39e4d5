"""Patients and episodes of care. Demographics for all clinic staff; episodes are clinical content."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from needlechart.accounts.permissions import require_clinical
from needlechart.patients import selectors, services
from needlechart.patients.models import Episode, Patient

from .access import audit_read, patient_out, staff
from .schemas import (
    NO_NUL,
    AnyPatientOut,
    EpisodeIn,
    EpisodeOut,
    PatientConflictOut,
    PatientId,
    PatientIn,
    PatientPatch,
    PatientSummaryOut,
    responses,
)

router = Router(tags=["patients"])
MAX_OFFSET = 10**9


class Page(LimitOffsetPagination):
    """limit/offset paging: 25 by default, at most 100 a page. The offset is bounded well inside the
    database's integer range (an offset past 2^63 once reached the database and failed there)."""

    class Input(Schema):
        limit: int = Field(25, ge=1, le=100)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=100, **kwargs)


@router.get("/patients", response=responses({200: list[PatientSummaryOut]}, lookup=False))
@paginate(Page)
def list_patients(request: HttpRequest, q: str = Query("", max_length=100, pattern=NO_NUL)) -> QuerySet[Patient]:
    """Search by name, date of birth (2001-04-09 or 09/04/2001) or phone digits; empty lists everyone."""
    return selectors.search(staff(request), q)


@router.post("/patients", response=responses({201: AnyPatientOut}, body=True, lookup=False))
def create_patient(request: HttpRequest, payload: PatientIn):
    user = staff(request)
    patient = services.create_patient(user, payload.dict(), request=request)
    return Status(201, patient_out(user, patient))


@router.get("/patients/{patient_id}", response=responses({200: AnyPatientOut}))
def read_patient(request: HttpRequest, patient_id: PatientId):
    """Opening a record is audited, as on the chart page."""
    user = staff(request)
    patient = selectors.get_patient(user, patient_id)
    services.open_chart(user, patient, request=request)
    return patient_out(user, patient)


@router.patch(
    "/patients/{patient_id}", response=responses({200: AnyPatientOut}, body=True, conflict=PatientConflictOut)
)
def update_patient(request: HttpRequest, patient_id: PatientId, payload: PatientPatch):
    """Change the fields sent. If someone saved since `version`, 409 with their record to merge against."""
    user = staff(request)
    patient = selectors.get_patient(user, patient_id)
    try:
        patient = services.update_patient(user, patient, payload.changes(), payload.version, request=request)
    except services.VersionConflict as conflict:
        return Status(
            409, {"detail": str(conflict), "code": "version_conflict", "current": patient_out(user, conflict.current)}
        )
    return patient_out(user, patient)


@router.get("/patients/{patient_id}/episodes", response=responses({200: list[EpisodeOut]}))
def list_episodes(request: HttpRequest, patient_id: PatientId) -> list[Episode]:
    user = staff(request)
    patient = selectors.get_patient(user, patient_id)
    require_clinical(user)
    audit_read(request, patient, patient, "Listed episodes of care")
    return list(patient.episodes.all())


@router.post("/patients/{patient_id}/episodes", response=responses({201: EpisodeOut}, body=True))
def start_episode(request: HttpRequest, patient_id: PatientId, payload: EpisodeIn):
    user = staff(request)
    patient = selectors.get_patient(user, patient_id)
    return Status(201, services.start_episode(user, patient, payload.dict(), request=request))
