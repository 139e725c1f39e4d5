"""Visit notes: start, read, save the draft, chart needles, sign, and add addenda after signing.

The charting services hold every rule (screening and consent gate needles, counts reconcile before
signing, a signed note takes only addenda); their refusals become 403, 409 or 422 in api.py.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from needlechart.accounts.permissions import require_clinical
from needlechart.charting import services
from needlechart.charting.models import Visit
from needlechart.patients.selectors import get_patient

from .access import audit_read, field_error, get_visit, patients_visit, staff
from .schemas import (
    AddendumIn,
    AddendumOut,
    ErrorOut,
    InsertionIn,
    InsertionOut,
    LockedOut,
    ValidationErrorOut,
    VisitConflictOut,
    VisitOut,
    VisitPatch,
    VisitStartIn,
    VisitSummaryOut,
)

router = Router(tags=["visits"])

_HIDDEN = {403: ErrorOut, 404: ErrorOut}
_REFUSED = {**_HIDDEN, 409: LockedOut, 422: ValidationErrorOut}


def _clinical_visit(request: HttpRequest, visit_id: int) -> Visit:
    """The visit (404 if not this clinic's), then the role (403 for front desk)."""
    user = staff(request)
    visit = get_visit(user, visit_id)
    require_clinical(user)
    return visit


@router.get("/patients/{patient_id}/visits", response={200: list[VisitSummaryOut], **_HIDDEN})
def list_visits(request: HttpRequest, patient_id: int) -> list[Visit]:
    user = staff(request)
    patient = get_patient(user, patient_id)
    require_clinical(user)
    audit_read(request, patient, patient, "Listed visits")
    return list(patient.visits.select_related("clinician"))


@router.post("/patients/{patient_id}/visits", response={201: VisitOut, **_REFUSED})
def start_visit(request: HttpRequest, patient_id: int, payload: VisitStartIn):
    """A new draft for the signed-in clinician; `copy_from` copies a previous visit of this patient forward."""
    user = staff(request)
    patient = get_patient(user, patient_id)
    require_clinical(user)
    copy_from = patients_visit(patient, payload.copy_from, "copy_from")
    if payload.episode_id is not None:
        episode = patient.episodes.filter(pk=payload.episode_id).first()
        if episode is None:
            raise field_error("episode_id", f"this patient has no episode {payload.episode_id}")
    else:
        episode = patient.episodes.filter(status="active").first()
    visit = services.start_visit(
        user, patient, episode=episode, modality=payload.modality, copy_from=copy_from, request=request
    )
    return Status(201, visit)


@router.get("/visits/{visit_id}", response={200: VisitOut, **_HIDDEN})
def read_visit(request: HttpRequest, visit_id: int) -> Visit:
    """The whole note: needle log, adverse events, addenda and, once signed, the billing codes. Audited."""
    visit = _clinical_visit(request, visit_id)
    audit_read(request, visit, visit.patient, f"Opened the visit of {visit.visit_date}")
    return visit


@router.patch("/visits/{visit_id}", response={200: VisitOut, **_REFUSED, 409: VisitConflictOut | LockedOut})
def update_visit(request: HttpRequest, visit_id: int, payload: VisitPatch):
    """Save draft fields. A signed note is never changed: 409 with code `locked`; a stale
    `version` gives 409 with code `version_conflict` and the saved draft."""
    visit = _clinical_visit(request, visit_id)
    try:
        return services.update_draft(request.user, visit, payload.changes(), payload.version, request=request)
    except services.DraftConflict as conflict:
        return Status(409, {"detail": str(conflict), "code": "version_conflict", "current": conflict.current})


@router.post("/visits/{visit_id}/insertions", response={201: InsertionOut, **_REFUSED})
def add_insertion(request: HttpRequest, visit_id: int, payload: InsertionIn):
    """Chart one needle. A target blocked by screening needs `override_reason` (audited as an override)."""
    visit = _clinical_visit(request, visit_id)
    insertion = services.add_insertion(
        request.user, visit, payload.needle(), override_reason=payload.override_reason, request=request
    )
    return Status(201, insertion)


@router.post("/visits/{visit_id}/sign", response={200: VisitOut, **_REFUSED})
def sign_visit(request: HttpRequest, visit_id: int) -> Visit:
    """Lock the note; the core's billing codes are kept with it."""
    visit = _clinical_visit(request, visit_id)
    return services.sign_visit(request.user, visit, request=request)


@router.post("/visits/{visit_id}/addenda", response={201: AddendumOut, **_REFUSED})
def add_addendum(request: HttpRequest, visit_id: int, payload: AddendumIn):
    """A dated amendment to a signed note, by its author."""
    visit = _clinical_visit(request, visit_id)
    return Status(201, services.add_addendum(request.user, visit, payload.text, request=request))
