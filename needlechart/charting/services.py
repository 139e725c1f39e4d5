"""Charting rules: screening and consent gate every needle, the core's safety verdict acts at the
moment of charting, counts must reconcile before signing, and a signed note takes only addenda.

Every write is audited. Views and the API call these functions and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.clinical import billing
from needlechart.clinical.charting import needle_problems
from needlechart.clinical.screening import PlannedTarget, ReportedFinding, ScreeningInput, screen, target_sides
from needlechart.knowledge import load

from .models import (
    Addendum,
    AdverseEvent,
    Consent,
    ExerciseAssignment,
    Insertion,
    Modality,
    NoteLocked,
    Palpation,
    Screening,
    Visit,
)

# The risks explained before consent, per modality. Pneumothorax is added when the thorax may be
# needled. Sources: BN121 §5 (pneumothorax, vessels, nerves); Brady 2014 and Boyce 2020 (soreness,
# bruising, bleeding, fainting and their rates); WHO 1999 (infection control).
BASE_RISKS = ("soreness", "bruising", "bleeding", "infection", "fainting")
THORAX_RISK = "pneumothorax"
RISK_LABELS = {
    "soreness": "Soreness for 24-48 hours",
    "bruising": "Bruising",
    "bleeding": "Minor bleeding",
    "infection": "Infection (rare)",
    "fainting": "Feeling faint or fainting",
    "pneumothorax": "Pneumothorax (collapsed lung) when the chest wall is needled: rare, about 1 in 100,000",
    "electrical": "Muscle fatigue or skin irritation from electrical stimulation",
}


class ChartingError(ValidationError):
    """A charting step that the rules do not allow; the message says what to do instead."""


def _require_author(user, visit: Visit) -> None:
    if visit.patient.clinic_id != user.clinic_id:
        raise PermissionDenied
    if not user.is_clinician or visit.clinician_id != user.pk:
        raise PermissionDenied("Only the treating clinician can chart this visit.")


def _require_draft_author(user, visit: Visit) -> None:
    _require_author(user, visit)
    if visit.is_signed:
        raise NoteLocked()


# ------------------------------------------------------------------------------------ screening


def screen_patient(
    user, patient, findings: list[dict[str, str]], modalities: list[str], *, changed: bool = True, request=None
) -> Screening:
    """Run the core's screening on the patient's reported findings and keep the result."""
    if not user.records_clinical_content:
        raise PermissionDenied("Screening is clinical content.")
    kb = load()
    reported = tuple(ReportedFinding(f["code"], f.get("region", ""), f.get("side", "")) for f in findings)
    age = patient.age_on(timezone.localdate())
    result = screen(kb, ScreeningInput(age, reported, (), tuple(modalities)))
    with transaction.atomic():
        screening = Screening.objects.create(
            patient=patient,
            performed_by=user,
            age=age,
            findings=[asdict(r) for r in reported],
            modalities=list(modalities),
            verdict=result.verdict,
            urgency=result.urgency,
            result={
                "findings": [asdict(f) for f in result.findings],
                "modalities": [asdict(m) for m in result.modalities],
            },
            changed_since_last=changed,
        )
        record(
            user,
            Action.CREATE,
            screening,
            patient=patient,
            request=request,
            summary=f"Screening: {result.verdict.replace('_', ' ')}"
            + (f" ({result.urgency})" if result.urgency else ""),
        )
    return screening


def _screening_input(screening: Screening, planned=(), modalities=()) -> ScreeningInput:
    reported = tuple(ReportedFinding(f["code"], f.get("region", ""), f.get("side", "")) for f in screening.findings)
    return ScreeningInput(screening.age, reported, tuple(planned), tuple(modalities))


# ------------------------------------------------------------------------------------ consent


def risks_for(modality: str, thorax: bool) -> list[str]:
    risks = list(BASE_RISKS)
    if thorax:
        risks.append(THORAX_RISK)
    if modality == Modality.ELECTRICAL_STIMULATION:
        risks.append("electrical")
    return risks


def record_consent(user, patient, modality: str, risks_explained: list[str], agreed: bool, request=None) -> Consent:
    if not user.records_clinical_content:
        raise PermissionDenied("Consent is recorded by a clinician.")
    missing = [r for r in BASE_RISKS if r not in risks_explained]
    if agreed and missing:
        raise ChartingError(
            "Consent needs every standard risk explained: "
            + ", ".join(RISK_LABELS[r].lower() for r in missing)
            + " not yet ticked."
        )
    with transaction.atomic():
        consent = Consent.objects.create(
            patient=patient, modality=modality, risks_explained=risks_explained, agreed=agreed, recorded_by=user
        )
        record(
            user,
            Action.CREATE,
            consent,
            patient=patient,
            request=request,
            summary=f"Consent for {modality.replace('_', ' ')}: {'agreed' if agreed else 'declined'}",
        )
    return consent


def current_consents(patient) -> dict[str, Consent | None]:
    """The current consent for each modality, in one query (the latest answer counts)."""
    latest: dict[str, Consent] = {}
    for consent in patient.consents.filter(withdrawn_at__isnull=True):  # newest first
        latest.setdefault(consent.modality, consent)
    return {m: (c if (c := latest.get(m)) is not None and c.agreed else None) for m in Modality.values}


def current_consent(patient, modality: str) -> Consent | None:
    consent = patient.consents.filter(modality=modality, withdrawn_at__isnull=True).first()
    return consent if consent is not None and consent.agreed else None


# ------------------------------------------------------------------------------------ visits


def start_visit(
    user, patient, *, episode=None, modality: str = Modality.DRY_NEEDLING, copy_from: Visit | None = None, request=None
) -> Visit:
    """A new draft. Copy forward pre-fills the pain drawing, needle plan and plan text from a visit."""
    if not user.is_clinician:
        raise PermissionDenied("Only clinicians chart visits.")
    if copy_from is not None and copy_from.patient_id != patient.pk:
        raise PermissionDenied
    with transaction.atomic():
        visit = Visit.objects.create(
            patient=patient,
            episode=episode or (copy_from.episode if copy_from else None),
            clinician=user,
            visit_date=timezone.localdate(),
            modality=copy_from.modality if copy_from else modality,
            pain_drawing=list(copy_from.pain_drawing) if copy_from else [],
            plan=copy_from.plan if copy_from else "",
            copied_from=copy_from,
        )
        if copy_from is not None:
            for old in copy_from.insertions.all():
                Insertion.objects.create(
                    visit=visit,
                    target=old.target,
                    side=old.side,
                    gauge_mm=old.gauge_mm,
                    length_mm=old.length_mm,
                    depth_mm=old.depth_mm,
                    technique=old.technique,
                    es_frequency_hz=old.es_frequency_hz,
                    es_pulse_width_ms=old.es_pulse_width_ms,
                    es_intensity_ma=old.es_intensity_ma,
                    es_minutes=old.es_minutes,
                    retention_minutes=old.retention_minutes,
                    lung_technique=old.lung_technique,
                )
        record(
            user,
            Action.CREATE,
            visit,
            patient=patient,
            request=request,
            summary="Started a visit" + (f" (copied forward from {copy_from.visit_date})" if copy_from else ""),
        )
    return visit


def open_visit(user, visit: Visit, request=None) -> None:
    """Opening a visit note is recorded, like opening the chart."""
    record(user, Action.VIEW, visit, patient=visit.patient, request=request, summary=f"Opened the {visit.status} note")


def attach_screening(user, visit: Visit, screening: Screening, request=None) -> Visit:
    _require_author(user, visit)
    if screening.patient_id != visit.patient_id:
        raise PermissionDenied
    visit.screening = screening
    visit.save(update_fields=["screening", "updated_at"])
    return visit


def update_draft(user, visit: Visit, data: dict[str, Any], version: int, request=None) -> Visit:
    """Save draft fields if nobody saved since `version` (autosave and the Save button both come here)."""
    _require_draft_author(user, visit)
    allowed = {
        "pain_drawing",
        "nprs_before",
        "nprs_after",
        "subjective",
        "objective",
        "assessment",
        "plan",
        "response",
        "needles_in",
        "needles_out",
        "count_discrepancy",
        "aftercare_given",
        "increments",
        "modality",
    }
    values = {k: v for k, v in data.items() if k in allowed}
    if "increments" in values:
        check_segments(values["increments"])
    if "modality" in values and values["modality"] != visit.modality and visit.insertions.exists():
        # The gate let each needle in under this modality's consent and certification: switching it
        # afterwards would sign needles no gate ever checked.
        raise ChartingError(
            f"Needles are already logged under {visit.modality.replace('_', ' ')}: the modality cannot change. "
            "Remove the needles first, or start a new note for the other modality."
        )
    with transaction.atomic():
        updated = Visit.objects.filter(pk=visit.pk, version=version, signed_at__isnull=True).update(
            **values, version=version + 1, updated_at=timezone.now()
        )
        if not updated:
            current = Visit.objects.get(pk=visit.pk)
            if current.is_signed:
                raise NoteLocked()
            raise DraftConflict(current)
        record(
            user,
            Action.CHANGE,
            visit,
            patient=visit.patient,
            request=request,
            summary="Saved the draft",
            detail={"fields": sorted(values), "version": version + 1},
        )
    return Visit.objects.get(pk=visit.pk)


class DraftConflict(Exception):
    def __init__(self, current: Visit):
        self.current = current
        super().__init__("This draft was saved elsewhere since you opened it.")


def _needle_gate(user, visit: Visit, modality: str) -> None:
    """No needle without a current consent and a screening verdict of clear or caution."""
    if visit.screening is None:
        raise ChartingError("Screen the patient for this visit first (the quick 'anything changed?' check).")
    if not visit.screening.may_needle:
        verdict = visit.screening.verdict.replace("_", " ")
        raise ChartingError(f"Screening says {verdict}: no needle can be charted at this visit.")
    if current_consent(visit.patient, modality) is None:
        raise ChartingError(f"Record the patient's consent to {modality.replace('_', ' ')} before charting needles.")
    if modality == Modality.DRY_NEEDLING and not user.certified_for_dry_needling:
        raise ChartingError("Your profile has no dry-needling certification date; a clinic admin can add it.")


def screen_target(kb, visit: Visit, target_id: str, side: str, *, es: bool = False):
    """The core's screening of one target at this visit, exactly as charting judges it: the visit's
    screening, its modality (and electrical stimulation if used). Returns (target status, result)."""
    modalities = [visit.modality] + (["electrical_stimulation"] if es else [])
    data = _screening_input(visit.screening, planned=[PlannedTarget(target_id, side)], modalities=modalities)
    result = screen(kb, data)
    return result.targets[0], result


def add_insertion(user, visit: Visit, data: dict[str, Any], *, override_reason: str = "", request=None) -> Insertion:
    """Chart one needle. The core's screening status for this target acts here: a blocked target needs
    a written override reason (audited); a lung-field target needs the safe technique used."""
    _require_draft_author(user, visit)
    kb = load()
    target_id, side = data["target"], data["side"]
    if target_id not in kb.muscles and target_id not in kb.acupoints:
        raise ChartingError(f"'{target_id}' is not a muscle or acupoint in the knowledge base.")
    target = kb.target(target_id)
    if target.kind == "acupoint" and target.never_needle is not None:
        raise ChartingError(f"{target_id} is never needled: {target.never_needle.note} Choose another point.")
    allowed_sides = target_sides(target)
    if side not in allowed_sides:
        raise ChartingError(f"Side for {target_id} must be {' or '.join(allowed_sides)}.")
    implausible = needle_problems(kb, data)
    if implausible:
        raise ChartingError(" ".join(f"{msg}." for msg in implausible.values()))
    _needle_gate(user, visit, visit.modality)
    es = data.get("es_frequency_hz") is not None
    if es:
        _needle_gate(user, visit, Modality.ELECTRICAL_STIMULATION)
    status, result = screen_target(kb, visit, target_id, side, es=es)
    # A blocked target, or a blocked modality (dry needling in the first trimester blocks every target;
    # electrical stimulation with a pacemaker), needs a written, audited override.
    blocked_reasons = list(status.reasons if status.status == "blocked" else [])
    es_status = result.status_of("electrical_stimulation") if es else None
    if es_status is not None and es_status.status == "blocked":
        blocked_reasons += list(es_status.reasons)
    if blocked_reasons and not override_reason.strip():
        raise ChartingError(
            "Blocked by screening: "
            + " ".join(blocked_reasons)
            + " To proceed anyway, write the reason for the override."
        )
    over_lung = any(h.kind == "lung" for h in target.hazards)
    if over_lung and THORAX_RISK not in current_consent(visit.patient, visit.modality).risks_explained:
        raise ChartingError(
            f"{target_id} lies over the lung: the patient's consent must include the risk of pneumothorax. "
            "Record consent again with that risk explained."
        )
    if over_lung and not data.get("lung_technique"):
        raise ChartingError(
            f"{target_id} lies over the lung: record the safe technique used "
            "(rib bracketing, pincer grip, tangential angle, ultrasound or superficial)."
        )
    other_side = {"left": "right", "right": "left"}.get(side)
    if (
        over_lung
        and other_side
        and any(
            i.side == other_side and any(h.kind == "lung" for h in kb.target(i.target).hazards)
            for i in visit.insertions.all()
            if i.target in kb.muscles or i.target in kb.acupoints
        )
    ):
        raise ChartingError(
            f"Lung-field targets are already charted on the {other_side} side: needle one side of the thorax "
            "per session, so that a pneumothorax could never be bilateral (BN121 §5.1)."
        )
    fields = {k: v for k, v in data.items() if k in {f.name for f in Insertion._meta.fields}}
    with transaction.atomic():
        insertion = Insertion.objects.create(visit=visit, override_reason=override_reason.strip(), **fields)
        if blocked_reasons:
            record(
                user,
                Action.OVERRIDE,
                insertion,
                patient=visit.patient,
                request=request,
                summary=f"Override: needled {target_id} ({side}) despite a block",
                detail={"reasons": blocked_reasons, "override_reason": override_reason.strip()},
            )
        record(
            user,
            Action.CREATE,
            insertion,
            patient=visit.patient,
            request=request,
            summary=f"Needle: {target_id} ({side})",
        )
    return insertion


def _add_part(user, visit: Visit, model, values: dict[str, Any], summary: str, request=None):
    """Add one part (adverse event, palpation, exercise) to a draft by its author, audited."""
    _require_draft_author(user, visit)
    with transaction.atomic():
        part = model.objects.create(visit=visit, **values)
        record(user, Action.CREATE, part, patient=visit.patient, request=request, summary=summary)
    return part


def add_adverse_event(user, visit: Visit, data: dict[str, Any], request=None) -> AdverseEvent:
    label = dict(AdverseEvent._meta.get_field("code").choices).get(data["code"], data["code"])
    return _add_part(user, visit, AdverseEvent, data, f"Adverse event: {label} ({data['severity']})", request)


def add_palpation(user, visit: Visit, data: dict[str, Any], request=None) -> Palpation:
    """A palpation finding for one muscle: taut band, tender spot, recognised referred pain, twitch."""
    if data["muscle"] not in load().muscles:
        raise ChartingError(f"'{data['muscle']}' is not a muscle in the knowledge base.")
    return _add_part(user, visit, Palpation, data, f"Palpation: {data['muscle']} ({data['side']})", request)


def assign_exercise(user, visit: Visit, exercise_id: str, dosage: str = "", request=None) -> ExerciseAssignment:
    """A home exercise from the library, with the library's dosage unless the clinician changes it."""
    exercise = load().exercises.get(exercise_id)
    if exercise is None:
        raise ChartingError(f"'{exercise_id}' is not an exercise in the library.")
    values = {"exercise": exercise_id, "dosage": dosage.strip() or exercise.dosage}
    return _add_part(user, visit, ExerciseAssignment, values, f"Home exercise: {exercise.name}", request)


def counts_reconciled(visit: Visit) -> bool:
    if visit.needles_in is None or visit.needles_out is None:
        return False
    return visit.needles_in == visit.needles_out or bool(visit.count_discrepancy.strip())


def check_segments(increments: Any) -> None:
    """Acupuncture time segments as the billing core needs them: every segment after the first must say
    whether new needles were inserted, because the add-on codes depend on it and billing never assumes it."""
    try:
        billing.parse_increments(increments)
    except billing.BillingInputError as exc:
        raise ChartingError(f"Acupuncture time, {exc}.") from None


def _initial_billed_today(kb, visit: Visit) -> bool:
    """Whether another signed note of this patient on the same day already carries an initial
    acupuncture code (97810 or 97813): CPT allows one initial code a day, the rest are add-ons."""
    initial = {c.code for c in kb.billing.values() if c.modality == "acupuncture" and c.role == "initial"}
    others = Visit.objects.filter(patient=visit.patient, visit_date=visit.visit_date, signed_at__isnull=False)
    for billed in others.exclude(pk=visit.pk).values_list("billing", flat=True):
        if any(p.get("code") in initial for p in (billed or {}).get("procedures", [])):
            return True
    return False


def suggested_codes(visit: Visit) -> dict[str, Any]:
    """The core's codes for the visit: acupuncture from its time segments, dry needling from its needle
    log, and the condition's ICD-10-CM codes for the sides on its pain drawing. Input the core refuses
    (e.g. a segment saved before `reinserted` existed) becomes a ChartingError, shown to the clinician."""
    kb = load()
    condition = visit.episode.condition if visit.episode else ""
    pains = [(p.get("region"), p.get("side")) for p in visit.pain_drawing if isinstance(p, dict)]
    try:
        if visit.modality == Modality.ACUPUNCTURE:
            check_segments(visit.increments)
            increments = billing.parse_increments(visit.increments)
            coding = billing.acupuncture_codes(
                kb, increments, condition, initial_billed_today=_initial_billed_today(kb, visit), pains=pains
            )
        else:
            insertions = [billing.Insertion(i.target, i.side) for i in visit.insertions.all()]
            coding = billing.dry_needling_codes(kb, insertions, condition, pains)
    except billing.BillingInputError as exc:
        raise ChartingError(f"Billing codes cannot be suggested: {exc}.") from None
    return {
        "procedures": [asdict(p) for p in coding.procedures],
        "diagnoses": [asdict(d) for d in coding.diagnoses],
        "notes": list(coding.notes),
    }


def sign_visit(user, visit: Visit, request=None) -> Visit:
    """Lock the note. The needle counts must match, or the discrepancy and the action be written down."""
    _require_draft_author(user, visit)
    if visit.insertions.exists() and not counts_reconciled(visit):
        raise ChartingError(
            "The needle count is not reconciled: enter needles in and out; if they differ, document what "
            "happened and the action taken before signing."
        )
    codes = suggested_codes(visit)
    with transaction.atomic():
        updated = Visit.objects.filter(pk=visit.pk, signed_at__isnull=True).update(
            signed_at=timezone.now(), signed_by=user, billing=codes, updated_at=timezone.now()
        )
        if not updated:
            raise NoteLocked()
        record(user, Action.SIGN, visit, patient=visit.patient, request=request, summary="Signed the note")
    return Visit.objects.get(pk=visit.pk)


def add_addendum(user, visit: Visit, text: str, request=None) -> Addendum:
    """After signing, the note's author may add dated addenda; nothing else changes."""
    if not visit.is_signed:
        raise ChartingError("The note is still a draft: edit it directly.")
    if visit.clinician_id != user.pk:
        raise PermissionDenied("Only the note's author can add an addendum.")
    if not text.strip():
        raise ChartingError("An addendum needs some text.")
    with transaction.atomic():
        addendum = Addendum.objects.create(visit=visit, author=user, text=text.strip())
        record(user, Action.ADDENDUM, addendum, patient=visit.patient, request=request, summary="Added an addendum")
    return addendum
