"""The clinical core over HTTP: safety screening and consent of a patient, and target suggestions from a
pain drawing.

Clinical content throughout, so front desk gets 403. The core's verdicts and ranks come back with
their reasons, so a client can show why, not only what.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status

from needlechart.accounts.permissions import require_clinical
from needlechart.charting import services
from needlechart.clinical.suggestion import Pain, suggest
from needlechart.knowledge import load
from needlechart.patients.selectors import get_patient

from .access import audit_read, clinician_or_admin, field_error, patients_visit, staff
from .schemas import (
    ConsentIn,
    ConsentOut,
    ConsentWithdrawIn,
    LockedOut,
    PatientId,
    ScreeningIn,
    ScreeningOut,
    SuggestionIn,
    SuggestionsOut,
    responses,
)

router = Router(tags=["clinical"])


@router.post(
    "/patients/{patient_id}/screenings", response=responses({201: ScreeningOut}, body=True, conflict=LockedOut)
)
def screen_patient(request: HttpRequest, patient_id: PatientId, payload: ScreeningIn):
    """Screen the patient: the verdict (clear, caution, do_not_needle, refer), the urgency of a referral,
    and each finding with its reason. With `visit_id`, the screening becomes that draft visit's re-screen."""
    user = staff(request)
    patient = get_patient(user, patient_id)
    require_clinical(user)
    visit = patients_visit(patient, payload.visit_id, "visit_id")
    # One unit: a screening that cannot be attached (not the author, note signed) is not kept either.
    with transaction.atomic():
        screening = services.screen_patient(
            user,
            patient,
            [f.as_reported() for f in payload.findings],
            list(dict.fromkeys(payload.modalities)),
            changed=payload.changed_since_last,
            request=request,
        )
        if visit is not None:
            services.attach_screening(user, visit, screening, request=request)
    return Status(201, screening)


@router.post("/patients/{patient_id}/consents", response=responses({201: ConsentOut}, body=True))
def record_consent(request: HttpRequest, patient_id: PatientId, payload: ConsentIn):
    """The patient's answer for one modality, with the risks explained. The latest answer per modality
    counts: a refusal after an agreement ends it. Agreeing needs every standard risk explained (422)."""
    user = staff(request)
    patient = get_patient(user, patient_id)
    require_clinical(user)
    consent = services.record_consent(
        user,
        patient,
        payload.modality,
        list(dict.fromkeys(payload.risks_explained)),
        payload.agreed,
        request=request,
    )
    return Status(201, consent)


@router.post("/patients/{patient_id}/consents/withdraw", response=responses({201: ConsentOut}, body=True))
def withdraw_consent(request: HttpRequest, patient_id: PatientId, payload: ConsentWithdrawIn):
    """The patient withdraws consent to a modality: a new record, never a change to the consent given.
    422 when there is no current consent to withdraw."""
    user = staff(request)
    patient = get_patient(user, patient_id)
    require_clinical(user)
    return Status(201, services.withdraw_consent(user, patient, payload.modality, request=request))


@router.post("/suggestions", response=responses({200: SuggestionsOut}, body=True))
def suggestions(request: HttpRequest, payload: SuggestionIn) -> dict[str, Any]:
    """Muscles and acupoints worth examining for the pains (and condition), best first, each with the reason
    for its rank and the structures to respect. With `patient_id`, the patient's latest screening marks
    each target ok, caution or blocked (blocked ones sink to the end, so raise `top` to see them)."""
    user = clinician_or_admin(request)
    screening = None
    if payload.patient_id is not None:
        patient = get_patient(user, payload.patient_id)
        screening = patient.screenings.first()
        if screening is None:
            raise field_error(
                "patient_id", "this patient has not been screened yet: screen first, or leave patient_id out", "invalid"
            )
        audit_read(request, screening, patient, "Applied the latest screening to target suggestions")
    result = suggest(
        load(),
        [Pain(p.region, p.side, p.intensity) for p in payload.pains],
        payload.condition,
        services.screening_input(screening) if screening else None,
        top=payload.top,
        modality=payload.modality or "",
    )
    return {
        "pains": result.pains,
        "condition": result.condition,
        "screening": screening,
        "muscles": result.muscles,
        "acupoints": result.acupoints,
    }
