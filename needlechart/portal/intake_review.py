"""The clinician's review of an online intake: each part accepted into the record or left out, or
all at once. Accepting writes through the record's own services, each with its audit row:

- contact changes: `patients.services.update_patient`, with the version the review page was read at
  (a record changed meanwhile is refused, and the page shows the new values);
- medicines: added to the record's medicines (update_patient, clinical field);
- history and red flags answered yes: `patients.services.add_history_finding` (a finding of one body
  site needs the region and side the clinician chooses);
- the pain drawing: the patient's open draft visit (`charting.services.update_draft`);
- questionnaires: `outcomes.services.record_measurement`, dated the day the patient answered and
  marked as patient-reported through the portal (`QuestionnaireResponse.measurement`).

Nothing reaches the chart before this. A part decided is never decided again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.knowledge import load
from needlechart.patients import services as patients
from needlechart.patients.models import Episode

from . import intake as flow
from . import questionnaires
from .models import Intake, IntakeStatus, QuestionnaireResponse

ACCEPTED, LEFT = "accepted", "left"


def require_clinician(user: Any, intake: Intake) -> None:
    if not user.is_clinic_staff or user.clinic_id != intake.clinic_id:
        raise PermissionDenied
    if not user.records_clinical_content:
        raise PermissionDenied("A clinician reviews online intakes.")


@dataclass(frozen=True)
class Part:
    key: str  # contact | medicines | finding:<code> | drawing | questionnaire:<instrument>
    title: str
    lines: tuple[str, ...]
    site_scoped: bool = False
    where: str = ""
    decision: str = ""


def contact_changes(intake: Intake) -> list[tuple[str, str, str]]:
    """(field, on the record now, what the patient gave) for every field the patient changed."""
    given = intake.answers.get("contact") or {}
    patient = intake.patient
    fields = (*flow.CONTACT_FIELDS, "email")
    return [
        (name, getattr(patient, name) or "", given[name])
        for name in fields
        if name in given and given[name] != (getattr(patient, name) or "") and (given[name] or name != "email")
    ]


def parts(intake: Intake) -> list[Part]:
    kb = load()
    answers = intake.answers
    decided = intake.review or {}
    out: list[Part] = []
    changes = contact_changes(intake)
    if changes:
        lines = tuple(
            f"{flow.CONTACT_LABELS.get(f, 'Email')}: '{old or '(none)'}' → '{new or '(none)'}'"
            for f, old, new in changes
        )
        out.append(Part("contact", "Contact details", lines, decision=decided.get("contact", {}).get("decision", "")))
    medicines = answers.get("medicines") or {}
    if medicines.get("text"):
        out.append(
            Part(
                "medicines",
                "Medicines",
                (medicines["text"],),
                decision=decided.get("medicines", {}).get("decision", ""),
            )
        )
    for step in ("red_flags", "history"):
        part = answers.get(step) or {}
        for code, value in (part.get("answers") or {}).items():
            if value not in ("yes", "unsure") or code not in kb.findings:
                continue
            finding = kb.findings[code]
            key = f"finding:{code}"
            where = (part.get("where") or {}).get(code, "")
            lines = (f"Asked: {finding.question}", f"Answered: {'yes' if value == 'yes' else 'not sure'}")
            out.append(
                Part(
                    key,
                    f"{finding.name} ({finding.kind.replace('_', ' ')})",
                    lines,
                    finding.site_scoped,
                    where,
                    decided.get(key, {}).get("decision", ""),
                )
            )
    drawing = answers.get("drawing") or {}
    if drawing.get("pains") or drawing.get("note"):
        from needlechart.explorer.bodymap import location_label

        lines = tuple(
            location_label(kb, p["region"], p["side"]) for p in drawing.get("pains", []) if p["region"] in kb.regions
        )
        if drawing.get("note"):
            lines = (*lines, f"In their words: {drawing['note']}")
        out.append(Part("drawing", "Pain drawing", lines, decision=decided.get("drawing", {}).get("decision", "")))
    for ident, given in (answers.get("questionnaires") or {}).items():
        form = questionnaires.forms().get(ident)
        if form is None:
            continue
        result = questionnaires.score_of(form, given["answers"])
        value = result["value"]
        lines = (f"Score: {value:g} {result['unit']}" if value is not None else f"Not scorable: {result['reason']}",)
        if given.get("extra", {}).get("activities"):
            lines = (
                *lines,
                *(f"{a}: {r}" for a, r in zip(given["extra"]["activities"], given["answers"], strict=False)),
            )
        key = f"questionnaire:{ident}"
        out.append(
            Part(
                key,
                f"{form.instrument.abbreviation} ({given.get('point', '')})",
                lines,
                decision=decided.get(key, {}).get("decision", ""),
            )
        )
    return out


def _decide(intake: Intake, key: str, decision: str, actor: Any, note: str = "") -> None:
    review = dict(intake.review or {})
    review[key] = {
        **review.get(key, {}),
        "decision": decision,
        "by": actor.pk,
        "at": timezone.now().isoformat(),
        "note": note,
    }
    intake.review = review
    keys = {p.key for p in parts(intake)}
    done = keys <= set(review)
    fields = ["review", "updated_at"]
    if done and intake.status != IntakeStatus.REVIEWED:
        intake.status, intake.reviewed_by, intake.reviewed_at = IntakeStatus.REVIEWED, actor, timezone.now()
        fields += ["status", "reviewed_by", "reviewed_at"]
    intake.save(update_fields=fields)


def decide(
    *,
    actor: Any,
    intake: Intake,
    key: str,
    decision: str,
    version: int | None = None,
    region: str = "",
    side: str = "",
    request: Any = None,
) -> Intake:
    """Accept one part into the record, or leave it out. A part already decided is left as it was."""
    require_clinician(actor, intake)
    if decision not in (ACCEPTED, LEFT):
        raise ValidationError("Choose accept or leave.")
    with transaction.atomic():
        intake = Intake.objects.select_for_update().select_related("patient", "account").get(pk=intake.pk)
        if intake.status == IntakeStatus.DRAFT:
            raise ValidationError("The patient has not sent this intake yet.")
        found = {p.key: p for p in parts(intake)}.get(key)
        if found is None:
            raise ValidationError("That part is not in this intake: reload the page.")
        if found.decision:
            return intake
        if decision == ACCEPTED:
            _accept(actor, intake, found, version=version, region=region, side=side, request=request)
        _decide(intake, key, decision, actor)
        record(
            actor,
            Action.CHANGE,
            intake,
            patient=intake.patient,
            request=request,
            summary=f"Online intake: {found.title} "
            + ("accepted into the record" if decision == ACCEPTED else "left out"),
        )
    return intake


def accept_all(*, actor: Any, intake: Intake, version: int | None, request: Any = None) -> list[str]:
    """Accept every part still open that needs nothing chosen; returns the titles left to decide by hand
    (a finding of one body site needs its region and side)."""
    require_clinician(actor, intake)
    if intake.status == IntakeStatus.DRAFT:
        raise ValidationError("The patient has not sent this intake yet.")
    if not parts(intake):  # nothing to add: read and closed
        with transaction.atomic():
            updated = Intake.objects.filter(pk=intake.pk, status=IntakeStatus.SUBMITTED).update(
                status=IntakeStatus.REVIEWED, reviewed_by=actor, reviewed_at=timezone.now()
            )
            if updated:
                record(
                    actor,
                    Action.CHANGE,
                    intake,
                    patient=intake.patient,
                    request=request,
                    summary="Online intake reviewed: nothing to add to the record",
                )
        return []
    waiting = []
    for part in parts(intake):
        if part.decision:
            continue
        if part.site_scoped:
            waiting.append(part.title)
            continue
        try:
            intake = decide(
                actor=actor, intake=intake, key=part.key, decision=ACCEPTED, version=version, request=request
            )
        except ValidationError as exc:
            waiting.append(f"{part.title} ({' '.join(exc.messages)})")
            continue
        if part.key in ("contact", "medicines"):  # our own write moved the record on: the next one follows it
            intake.patient.refresh_from_db()
            version = intake.patient.version
    return waiting


def _accept(
    actor: Any, intake: Intake, part: Part, *, version: int | None, region: str, side: str, request: Any
) -> None:
    patient = intake.patient
    today = timezone.localdate()
    if part.key == "contact":
        data = {f: new for f, _old, new in contact_changes(intake)}
        patient.refresh_from_db()
        try:
            fresh = patients.update_patient(
                actor, patient, data, version if version is not None else -1, request=request
            )
        except patients.VersionConflict:
            raise ValidationError(
                "The patient's record was changed since this page was opened: check the details below and accept again."
            ) from None
        intake.patient = fresh
    elif part.key == "medicines":
        patient.refresh_from_db()
        text = (intake.answers.get("medicines") or {}).get("text", "")
        when = timezone.localtime(intake.submitted_at or timezone.now()).date().isoformat()
        combined = "\n".join(x for x in (patient.medications.strip(), f"From the online intake ({when}): {text}") if x)
        try:
            fresh = patients.update_patient(
                actor, patient, {"medications": combined}, version if version is not None else -1, request=request
            )
        except patients.VersionConflict:
            raise ValidationError(
                "The patient's record was changed since this page was opened: check the medicines and accept again."
            ) from None
        intake.patient = fresh
    elif part.key.startswith("finding:"):
        code = part.key.split(":", 1)[1]
        data: dict[str, Any] = {
            "code": code,
            "noted_on": today,
            "note": ("Online intake" + (f": {part.where}" if part.where else ""))[:300],
        }
        if part.site_scoped:
            if not (region and side):
                raise ValidationError(
                    f"{part.title}: choose the body region and side before accepting, or leave it out."
                )
            data.update(region=region, side=side)
        patients.add_history_finding(actor, patient, data, request=request)
    elif part.key == "drawing":
        from needlechart.charting.models import Visit

        visit = (
            Visit.objects.filter(patient=patient, signed_at=None, discarded_at=None)
            .order_by("-visit_date", "-id")
            .first()
        )
        if visit is not None:
            _apply_drawing(actor, intake, visit, request)
        # else: offered to the next draft visit (the visit page's drawing section: apply_drawing)
    elif part.key.startswith("questionnaire:"):
        ident = part.key.split(":", 1)[1]
        given = intake.answers["questionnaires"][ident]
        episode = Episode.objects.get(pk=given["episode"], patient=patient)
        taken = datetime.fromisoformat(given["answered_at"])
        _measure(
            actor, episode, ident, given["answers"], given.get("extra") or {}, timezone.localtime(taken).date(), request
        )


def _apply_drawing(actor: Any, intake: Intake, visit: Any, request: Any) -> None:
    from needlechart.charting import services as charting

    pains = (intake.answers.get("drawing") or {}).get("pains", [])
    have = {(p.get("region"), p.get("side")) for p in visit.pain_drawing}
    drawing = [
        *visit.pain_drawing,
        *(
            {"region": p["region"], "side": p["side"], "intensity": None}
            for p in pains
            if (p["region"], p["side"]) not in have
        ),
    ]
    charting.update_draft(actor, visit, {"pain_drawing": drawing}, visit.version, request=request)
    review = dict(intake.review or {})
    review["drawing"] = {**review.get("drawing", {}), "applied_to": visit.pk}
    intake.review = review
    Intake.objects.filter(pk=intake.pk).update(review=review)


def drawing_offer(visit: Any) -> Intake | None:
    """The intake whose accepted pain drawing has not yet gone into a visit: offered on a draft visit."""
    if visit.is_signed or visit.is_discarded:
        return None
    for intake in Intake.objects.filter(patient_id=visit.patient_id).exclude(status=IntakeStatus.DRAFT)[:3]:
        drawing = (intake.review or {}).get("drawing") or {}
        if drawing.get("decision") == ACCEPTED and not drawing.get("applied_to"):
            return intake
    return None


def apply_drawing(*, actor: Any, visit: Any, request: Any = None) -> Intake:
    """Add the intake's accepted pain drawing to this draft visit's drawing (once)."""
    with transaction.atomic():
        intake = drawing_offer(visit)
        if intake is None:
            raise ValidationError("There is no drawing from the online intake waiting for a visit.")
        intake = Intake.objects.select_for_update().get(pk=intake.pk)
        require_clinician(actor, intake)
        _apply_drawing(actor, intake, visit, request)
    return intake


def _measure(actor: Any, episode: Episode, ident: str, answers: list, extra: dict, taken_on: date, request: Any) -> Any:
    from needlechart.outcomes import services as outcomes

    taken_on = max(taken_on, episode.started_on)
    return outcomes.record_measurement(
        actor,
        episode,
        instrument=ident,
        answers=answers,
        taken_on=taken_on,
        best=extra.get("best"),
        worst=extra.get("worst"),
        activities=extra.get("activities"),
        source="portal",
        request=request,
    )


def accept_questionnaire(
    *, actor: Any, response: QuestionnaireResponse, accept: bool, request: Any = None
) -> QuestionnaireResponse:
    """A questionnaire answered between visits: accepted as a measurement (dated when the patient
    answered, marked as patient-reported) or left out."""
    if not actor.is_clinic_staff or actor.clinic_id != response.patient.clinic_id:
        raise PermissionDenied
    if not actor.records_clinical_content:
        raise PermissionDenied("A clinician accepts questionnaires into the record.")
    with transaction.atomic():
        response = QuestionnaireResponse.objects.select_for_update().get(pk=response.pk)
        if response.measurement_id or response.left_at:
            return response
        if accept:
            m = _measure(
                actor,
                response.episode,
                response.instrument,
                response.answers,
                response.extra,
                response.taken_on,
                request,
            )
            response.measurement, response.accepted_by = m, actor
            response.save(update_fields=["measurement", "accepted_by"])
        else:
            response.left_at, response.accepted_by = timezone.now(), actor
            response.save(update_fields=["left_at", "accepted_by"])
            record(
                actor,
                Action.CHANGE,
                response,
                patient=response.patient,
                request=request,
                summary=f"Left a portal {response.instrument.upper()} out of the record",
            )
    return response
