"""Who may call, the clinic-scoped look-ups the endpoints share, and small response helpers.

Endpoints fetch the object first (a 404 for another clinic's object, whoever asks) and check the
role second, exactly like the pages, so another clinic learns nothing from a 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from ninja.errors import ValidationError

from needlechart.accounts.models import User
from needlechart.accounts.permissions import require_clinical
from needlechart.audit.models import Action
from needlechart.audit.services import record, record_denied
from needlechart.charting.models import Visit
from needlechart.patients.models import Patient

from .schemas import ClinicalPatientOut, PatientOut


def staff(request: HttpRequest) -> User:
    """The signed-in user, who must be clinic staff (django_auth has already refused anonymous calls;
    a patient's portal account is refused here as well as by the portal's boundary middleware)."""
    user = request.user
    if not isinstance(user, User) or not user.is_clinic_staff:
        raise PermissionDenied("The API is for clinic staff.")
    return user


def clinician_or_admin(request: HttpRequest) -> User:
    """Clinical content: clinicians and clinic admins, never front desk."""
    user = staff(request)
    require_clinical(user)
    return user


def get_visit(user: User, visit_id: int) -> Visit:
    """One visit of the user's clinic; 404 for any other."""
    try:
        return Visit.objects.select_related("patient", "episode", "screening", "clinician").get(
            pk=visit_id, patient__clinic_id=user.clinic_id
        )
    except Visit.DoesNotExist:
        record_denied(user, "charting.visit", visit_id)
        raise Http404("No such visit") from None


def audit_read(request: HttpRequest, obj: models.Model, patient: Patient, summary: str) -> None:
    """Reading clinical content is recorded like opening the chart on the pages."""
    record(request.user, Action.VIEW, obj, patient=patient, summary=summary, request=request)


def patient_out(user: User, patient: Patient) -> PatientOut:
    """The record with clinical fields for clinicians and admins; without them (absent, not blank) for front desk."""
    schema = ClinicalPatientOut if user.sees_clinical_content else PatientOut
    return schema.from_orm(patient)


def field_error(field: str, message: str, kind: str = "not_found") -> ValidationError:
    """A 422 shaped like ninja's own, for a body field that only the database can check."""
    error: dict[str, Any] = {"type": kind, "loc": ["body", "payload", field], "msg": message}
    return ValidationError([error])


def patients_visit(patient: Patient, visit_id: int | None, field: str) -> Visit | None:
    """The patient's visit named in a request body (None when not given); a 422 on `field` otherwise."""
    if visit_id is None:
        return None
    visit = patient.visits.filter(pk=visit_id).first()
    if visit is None:
        raise field_error(field, f"this patient has no visit {visit_id}")
    return visit
