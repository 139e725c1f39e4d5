"""Visit notes: start, read, save the draft, screen at the visit, chart needles and the other rows,
confirm or drop planned targets, check and sign, discard a draft, and add addenda after signing.

The charting services hold every rule (screening and consent gate needles, counts reconcile before
signing, a signed or discarded note never changes); their refusals become 403, 409 or 422 in api.py.
Endpoints here parse, call one service and return.

A row id (needle, planned target, palpation, adverse event, exercise) that is not in this visit is
404, like a visit of another clinic: the services' "This note has no ... reload the note" refusal is
answered 404 here, after their other checks (author 403, signed or discarded 409) have run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import Http404, HttpRequest
from ninja import Router, Status

from needlechart.accounts.permissions import require_clinical
from needlechart.charting import services
from needlechart.charting.models import DISCARDED_MESSAGE, NoteLocked, Visit
from needlechart.patients.selectors import get_patient

from .access import audit_read, field_error, get_visit, patients_visit, staff
from .schemas import (
    AddendumIn,
    AddendumOut,
    AdverseEventIn,
    AdverseEventOut,
    AdverseEventPatch,
    AssignmentId,
    DiscardIn,
    EventId,
    ExerciseIn,
    ExerciseOut,
    ExercisePatch,
    InsertionId,
    InsertionIn,
    InsertionOut,
    InsertionPatch,
    LockedOut,
    PalpationId,
    PalpationIn,
    PalpationOut,
    PalpationPatch,
    PatientId,
    PlannedConfirmIn,
    PlannedId,
    ScreeningOut,
    SignCheckOut,
    VisitConflictOut,
    VisitId,
    VisitOut,
    VisitPatch,
    VisitStartIn,
    VisitSummaryOut,
    responses,
)

router = Router(tags=["visits"])


def _write(ok: dict) -> dict:
    """A change to a note: a body (or a POST), refused with 409 once the note is signed or discarded."""
    return responses(ok, body=True, conflict=LockedOut)


_REMOVED = responses({204: None}, conflict=LockedOut)


def _clinical_visit(request: HttpRequest, visit_id: VisitId) -> Visit:
    """The visit (404 if not this clinic's), then the role (403 for front desk)."""
    user = staff(request)
    visit = get_visit(user, visit_id)
    require_clinical(user)
    return visit


@contextmanager
def _row_of(visit: Visit, kind: str, part_id: int) -> Iterator[None]:
    """A service's refusal of a row id not in this visit becomes 404; its other refusals pass through."""
    try:
        yield
    except services.ChartingError:
        model, _, label = services.PARTS[kind]
        if not model.objects.filter(visit=visit, pk=part_id).exists():
            raise Http404(f"This note has no {label.lower()} {part_id}.") from None
        raise


# ------------------------------------------------------------------------------ the note


@router.get("/patients/{patient_id}/visits", response=responses({200: list[VisitSummaryOut]}))
def list_visits(request: HttpRequest, patient_id: PatientId) -> list[Visit]:
    user = staff(request)
    patient = get_patient(user, patient_id)
    require_clinical(user)
    audit_read(request, patient, patient, "Listed visits")
    return list(patient.visits.select_related("clinician"))


@router.post("/patients/{patient_id}/visits", response=responses({201: VisitOut}, body=True))
def start_visit(request: HttpRequest, patient_id: PatientId, payload: VisitStartIn):
    """A new draft for the signed-in clinician; `copy_from` follows up a previous visit of this patient
    (its needles become planned targets, to confirm or remove today)."""
    user = staff(request)
    patient = get_patient(user, patient_id)
    require_clinical(user)
    copy_from = patients_visit(patient, payload.copy_from, "copy_from")
    if copy_from is not None and payload.modality not in (None, copy_from.modality):
        # The service keeps the copied visit's modality: say so rather than ignore what was asked.
        raise field_error(
            "modality",
            f"a follow-up keeps the modality of the visit it copies ({copy_from.modality}): leave modality out, "
            "or start a visit without copy_from",
            "invalid",
        )
    if payload.episode_id is not None:
        episode = patient.episodes.filter(pk=payload.episode_id).first()
        if episode is None:
            raise field_error("episode_id", f"this patient has no episode {payload.episode_id}")
    else:
        episode = None  # the core's rule picks it: the followed-up visit's episode while active, else the newest
    visit = services.start_visit(
        user, patient, episode=episode, modality=payload.modality, copy_from=copy_from, request=request
    )
    return Status(201, visit)


@router.get("/visits/{visit_id}", response=responses({200: VisitOut}))
def read_visit(request: HttpRequest, visit_id: VisitId) -> Visit:
    """The whole note: consents on file, planned targets, needle log, palpation, adverse events, exercises,
    addenda and, once signed, the billing codes and what the signature rested on. Audited."""
    visit = _clinical_visit(request, visit_id)
    audit_read(request, visit, visit.patient, f"Opened the visit of {visit.visit_date}")
    return visit


@router.patch(
    "/visits/{visit_id}", response=responses({200: VisitOut}, body=True, conflict=VisitConflictOut | LockedOut)
)
def update_visit(request: HttpRequest, visit_id: VisitId, payload: VisitPatch):
    """Save draft fields. A signed or discarded note is never changed: 409 with code `locked`. A field
    saved elsewhere after `version` gives 409 with code `version_conflict` and the saved draft; other
    fields saved since are no conflict."""
    visit = _clinical_visit(request, visit_id)
    try:
        saved = services.update_draft(request.user, visit, payload.changes(), payload.version, request=request)
    except services.DraftConflict as conflict:
        audit_read(request, conflict.current, visit.patient, "Read the saved draft (version conflict)")
        return Status(409, {"detail": str(conflict), "code": "version_conflict", "current": conflict.current})
    audit_read(request, saved, visit.patient, "Read the note after saving it")  # the answer is the whole note
    return saved


@router.post("/visits/{visit_id}/rescreen", response=_write({201: ScreeningOut}))
def rescreen(request: HttpRequest, visit_id: VisitId):
    """The patient confirms nothing has changed since the last screening: it is recorded again today
    (same findings, run through the core again) and attached to this draft. 422 if never screened.
    A full screening for the visit is POST /patients/{id}/screenings with `visit_id`."""
    visit = _clinical_visit(request, visit_id)
    return Status(201, services.rescreen_unchanged(request.user, visit, request=request))


@router.post("/visits/{visit_id}/discard", response=_write({200: VisitOut}))
def discard_visit(request: HttpRequest, visit_id: VisitId, payload: DiscardIn) -> Visit:
    """Void a draft that should not exist (wrong patient, started twice): kept, never billed or signed.
    A signed note is never discarded (409 locked)."""
    visit = _clinical_visit(request, visit_id)
    return services.discard_visit(request.user, visit, payload.reason, request=request)


@router.get("/visits/{visit_id}/sign-check", response=responses({200: SignCheckOut}))
def sign_check(request: HttpRequest, visit_id: VisitId) -> dict[str, object]:
    """Every point that stands between the note and its signature, as signing would list them (judged
    for the note's author, whoever asks). Audited as a read."""
    visit = _clinical_visit(request, visit_id)
    audit_read(request, visit, visit.patient, f"Checked the visit of {visit.visit_date} for signing")
    if visit.is_signed:
        problems: tuple[str, ...] = (str(NoteLocked()),)
    elif visit.is_discarded:
        problems = (DISCARDED_MESSAGE,)
    else:
        problems = services.sign_problems(visit.clinician, visit)
    return {"ready": not problems, "problems": list(problems)}


@router.post("/visits/{visit_id}/sign", response=_write({200: VisitOut}))
def sign_visit(request: HttpRequest, visit_id: VisitId) -> Visit:
    """Lock the note; the core's billing codes are kept with it. Refused (422) with every unmet point as
    its own item in `detail`."""
    visit = _clinical_visit(request, visit_id)
    return services.sign_visit(request.user, visit, request=request)


@router.post("/visits/{visit_id}/addenda", response=_write({201: AddendumOut}))
def add_addendum(request: HttpRequest, visit_id: VisitId, payload: AddendumIn):
    """A dated amendment to a signed note, by its author."""
    visit = _clinical_visit(request, visit_id)
    return Status(201, services.add_addendum(request.user, visit, payload.text, request=request))


# ------------------------------------------------------------------------------ needles


@router.post("/visits/{visit_id}/insertions", response=_write({201: InsertionOut}))
def add_insertion(request: HttpRequest, visit_id: VisitId, payload: InsertionIn):
    """Chart one needle. A target blocked by screening needs `override_reason` (audited as an override)."""
    visit = _clinical_visit(request, visit_id)
    insertion = services.add_insertion(
        request.user, visit, payload.needle(), override_reason=payload.override_reason, request=request
    )
    return Status(201, insertion)


@router.patch("/visits/{visit_id}/insertions/{insertion_id}", response=_write({200: InsertionOut}))
def update_insertion(request: HttpRequest, visit_id: VisitId, insertion_id: InsertionId, payload: InsertionPatch):
    """Correct a draft's needle; the corrected needle passes every rule a new one would (a blocked target
    or side needs `override_reason`). 404 for a needle not in this visit."""
    visit = _clinical_visit(request, visit_id)
    with _row_of(visit, "insertion", insertion_id):
        return services.update_insertion(
            request.user,
            visit,
            insertion_id,
            payload.changes(),
            override_reason=payload.override_reason,
            request=request,
        )


@router.delete("/visits/{visit_id}/insertions/{insertion_id}", response=_REMOVED)
def remove_insertion(request: HttpRequest, visit_id: VisitId, insertion_id: InsertionId):
    """Remove a needle logged in error from a draft (audited with what it said). 404 if not in this visit."""
    return _remove(request, visit_id, "insertion", insertion_id)


def _remove(request: HttpRequest, visit_id: VisitId, kind: str, part_id: int) -> Status[None]:
    visit = _clinical_visit(request, visit_id)
    with _row_of(visit, kind, part_id):
        services.remove_part(request.user, visit, kind, part_id, request=request)
    return Status(204, None)


# ------------------------------------------------------------------------------ planned targets


@router.post("/visits/{visit_id}/planned/confirm-all", response=_write({201: list[InsertionOut]}))
def confirm_all_planned(request: HttpRequest, visit_id: VisitId):
    """Every planned target placed as planned, in one step: all or none (422 names the first target
    refused, and nothing is logged)."""
    visit = _clinical_visit(request, visit_id)
    return Status(201, services.confirm_all_planned(request.user, visit, request=request))


@router.post("/visits/{visit_id}/planned/{planned_id}/confirm", response=_write({201: InsertionOut}))
def confirm_planned(
    request: HttpRequest, visit_id: VisitId, planned_id: PlannedId, payload: PlannedConfirmIn | None = None
):
    """The planned target was placed today, as planned or with the changes sent: it becomes a logged
    needle through the full gate (`override_reason` when screening blocks it). 404 if not in this visit."""
    visit = _clinical_visit(request, visit_id)
    payload = payload or PlannedConfirmIn()
    with _row_of(visit, "planned", planned_id):
        insertion = services.confirm_planned(
            request.user,
            visit,
            planned_id,
            payload.changes(),
            override_reason=payload.override_reason,
            request=request,
        )
    return Status(201, insertion)


@router.delete("/visits/{visit_id}/planned/{planned_id}", response=_REMOVED)
def remove_planned(request: HttpRequest, visit_id: VisitId, planned_id: PlannedId):
    """A planned target not placed today. 404 if not in this visit."""
    return _remove(request, visit_id, "planned", planned_id)


# ------------------------------------------------------------------------------ palpation, adverse events, exercises


@router.post("/visits/{visit_id}/palpations", response=_write({201: PalpationOut}))
def add_palpation(request: HttpRequest, visit_id: VisitId, payload: PalpationIn):
    """A palpation finding for one muscle: taut band, tender spot, recognised referred pain, twitch."""
    visit = _clinical_visit(request, visit_id)
    return Status(201, services.add_palpation(request.user, visit, payload.dict(), request=request))


@router.patch("/visits/{visit_id}/palpations/{palpation_id}", response=_write({200: PalpationOut}))
def update_palpation(request: HttpRequest, visit_id: VisitId, palpation_id: PalpationId, payload: PalpationPatch):
    visit = _clinical_visit(request, visit_id)
    with _row_of(visit, "palpation", palpation_id):
        return services.update_palpation(request.user, visit, palpation_id, payload.changes(), request=request)


@router.delete("/visits/{visit_id}/palpations/{palpation_id}", response=_REMOVED)
def remove_palpation(request: HttpRequest, visit_id: VisitId, palpation_id: PalpationId):
    return _remove(request, visit_id, "palpation", palpation_id)


@router.post("/visits/{visit_id}/adverse-events", response=_write({201: AdverseEventOut}))
def add_adverse_event(request: HttpRequest, visit_id: VisitId, payload: AdverseEventIn):
    visit = _clinical_visit(request, visit_id)
    return Status(201, services.add_adverse_event(request.user, visit, payload.dict(), request=request))


@router.patch("/visits/{visit_id}/adverse-events/{event_id}", response=_write({200: AdverseEventOut}))
def update_adverse_event(request: HttpRequest, visit_id: VisitId, event_id: EventId, payload: AdverseEventPatch):
    visit = _clinical_visit(request, visit_id)
    with _row_of(visit, "adverse-event", event_id):
        return services.update_adverse_event(request.user, visit, event_id, payload.changes(), request=request)


@router.delete("/visits/{visit_id}/adverse-events/{event_id}", response=_REMOVED)
def remove_adverse_event(request: HttpRequest, visit_id: VisitId, event_id: EventId):
    return _remove(request, visit_id, "adverse-event", event_id)


@router.post("/visits/{visit_id}/exercises", response=_write({201: ExerciseOut}))
def assign_exercise(request: HttpRequest, visit_id: VisitId, payload: ExerciseIn):
    """A home exercise from the library, with the library's dosage unless `dosage` is given."""
    visit = _clinical_visit(request, visit_id)
    assignment = services.assign_exercise(request.user, visit, payload.exercise, payload.dosage, request=request)
    return Status(201, assignment)


@router.patch("/visits/{visit_id}/exercises/{assignment_id}", response=_write({200: ExerciseOut}))
def update_exercise(request: HttpRequest, visit_id: VisitId, assignment_id: AssignmentId, payload: ExercisePatch):
    """Change the dosage only (empty: the library's); another exercise is a new assignment."""
    visit = _clinical_visit(request, visit_id)
    with _row_of(visit, "exercise", assignment_id):
        return services.update_exercise(request.user, visit, assignment_id, payload.dosage, request=request)


@router.delete("/visits/{visit_id}/exercises/{assignment_id}", response=_REMOVED)
def remove_exercise(request: HttpRequest, visit_id: VisitId, assignment_id: AssignmentId):
    return _remove(request, visit_id, "exercise", assignment_id)
