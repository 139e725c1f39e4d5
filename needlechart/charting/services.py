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
from needlechart.clinical import billing, risks
from needlechart.clinical import charting as rules
from needlechart.clinical.charting import needle_problems
from needlechart.clinical.screening import PlannedTarget, ReportedFinding, ScreeningInput, screen, target_sides
from needlechart.knowledge import load

from . import signals
from .models import (
    DISCARDED_MESSAGE,
    Addendum,
    AdverseEvent,
    Consent,
    ExerciseAssignment,
    Insertion,
    Modality,
    NoteLocked,
    Palpation,
    PlannedNeedle,
    Screening,
    Visit,
)

# The risks explained before consent: one list for this form and the patient's online consent
# (needlechart/clinical/risks.py, with their sources).
BASE_RISKS, THORAX_RISK, RISK_LABELS = risks.BASE_RISKS, risks.THORAX_RISK, risks.RISK_LABELS

DISCHARGED_EPISODE = "This episode of care is discharged: start a new episode for the patient."


class ChartingError(ValidationError):
    """A charting step that the rules do not allow; the message says what to do instead."""


class SignRefused(ChartingError):
    """Signing refused: `messages` lists every unmet point at once."""


def _require_author(user, visit: Visit) -> None:
    if visit.patient.clinic_id != user.clinic_id:
        raise PermissionDenied
    if not user.is_clinician or visit.clinician_id != user.pk:
        raise PermissionDenied("Only the treating clinician can chart this visit.")


def _require_draft_author(user, visit: Visit) -> None:
    _require_author(user, visit)
    if visit.is_signed:
        raise NoteLocked()
    if visit.is_discarded:
        raise NoteLocked(DISCARDED_MESSAGE)


def edit_refusal(user, visit: Visit) -> str:
    """Why this user cannot edit this note (empty when they can): shown above a read-only note."""
    if visit.is_signed:
        return "This note is signed and locked; its author can add a dated addendum."
    if visit.is_discarded:
        return DISCARDED_MESSAGE
    if not user.is_clinician:
        return "Read only: only the treating clinician charts a visit; a clinic admin reads it."
    if visit.clinician_id != user.pk:
        return f"Read only: this draft is {visit.clinician.display_name}'s, who is charting it."
    return ""


# ------------------------------------------------------------------------------------ screening


def _reported(findings: list[dict[str, str]]) -> tuple[ReportedFinding, ...]:
    return tuple(ReportedFinding(f["code"], f.get("region", ""), f.get("side", "")) for f in findings)


def _store_screening(
    user, patient, findings, modalities, *, changed: bool, repeats=None, performed_at=None
) -> Screening:
    kb = load()
    reported = _reported(findings)
    performed_at = performed_at or timezone.now()
    age = patient.age_on(timezone.localtime(performed_at).date())
    result = screen(kb, ScreeningInput(age, reported, (), tuple(modalities)))
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
        patient_confirmed_unchanged=not changed,
        repeats=repeats,
        performed_at=performed_at,
    )
    signals.screening_recorded.send(sender=Screening, screening=screening)
    return screening


def _verdict_words(screening: Screening) -> str:
    return screening.verdict.replace("_", " ") + (f" ({screening.urgency})" if screening.urgency else "")


def screen_patient(
    user,
    patient,
    findings: list[dict[str, str]],
    modalities: list[str],
    *,
    changed: bool = True,
    performed_at=None,
    request=None,
) -> Screening:
    """Run the core's screening on the patient's reported findings and keep the result. `performed_at`
    dates a screening charted from paper afterwards (the demo clinic's history); default now."""
    if not user.records_clinical_content:
        raise PermissionDenied("Screening is clinical content.")
    with transaction.atomic():
        screening = _store_screening(user, patient, findings, modalities, changed=changed, performed_at=performed_at)
        record(
            user,
            Action.CREATE,
            screening,
            patient=patient,
            request=request,
            summary=f"Screening: {_verdict_words(screening)}",
        )
    return screening


def rescreen_unchanged(user, visit: Visit, *, performed_at=None, request=None) -> Screening:
    """One click at a follow-up: the patient confirms nothing has changed since the last screening. A new
    screening is recorded with the same findings, run through the core again (today's age counts), marked
    unchanged and confirmed by the patient, and attached to this visit."""
    _require_draft_author(user, visit)
    last = visit.patient.screenings.first()
    if last is None:
        raise ChartingError("There is no earlier screening to confirm: screen the patient in full.")
    modalities = list(dict.fromkeys([*last.modalities, visit.modality]))
    with transaction.atomic():
        screening = _store_screening(
            user, visit.patient, last.findings, modalities, changed=False, repeats=last, performed_at=performed_at
        )
        record(
            user,
            Action.CREATE,
            screening,
            patient=visit.patient,
            request=request,
            summary=f"Re-screen: the patient confirms nothing has changed since {last.performed_at.date()} "
            f"({_verdict_words(screening)})",
        )
        _attach(visit, screening)
    return screening


def screening_input(screening: Screening, planned=(), modalities=None) -> ScreeningInput:
    """A stored screening as the core's input: its findings and age, the targets to judge, and the
    modalities (default: those the screening was for; a visit passes its own)."""
    chosen = screening.modalities if modalities is None else modalities
    return ScreeningInput(screening.age, _reported(screening.findings), tuple(planned), tuple(chosen))


# ------------------------------------------------------------------------------------ consent


def risks_for(modality: str, thorax: bool) -> list[str]:
    return risks.risks_for(modality, thorax)


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
    summary = f"Consent for {modality.replace('_', ' ')}: {'agreed' if agreed else 'declined'}"
    return _store_consent(user, patient, modality, risks_explained, agreed, summary, request=request)


def _store_consent(user, patient, modality, risks, agreed, summary, *, withdrawal=False, request=None) -> Consent:
    """A new consent row (the table is append-only) with its audit row, in one transaction."""
    with transaction.atomic():
        consent = Consent.objects.create(
            patient=patient,
            modality=modality,
            risks_explained=risks,
            agreed=agreed,
            withdrawal=withdrawal,
            recorded_by=user,
        )
        record(user, Action.CREATE, consent, patient=patient, request=request, summary=summary)
    return consent


def withdraw_consent(user, patient, modality: str, request=None) -> Consent:
    """The patient withdraws consent to a modality: a new row, never a change to the consent given."""
    if not user.records_clinical_content:
        raise PermissionDenied("Consent is recorded by a clinician.")
    if current_consent(patient, modality) is None:
        raise ChartingError(f"There is no current consent to {modality.replace('_', ' ')} to withdraw.")
    summary = f"Consent to {modality.replace('_', ' ')} withdrawn"
    return _store_consent(user, patient, modality, [], False, summary, withdrawal=True, request=request)


def current_consents(patient) -> dict[str, Consent | None]:
    """The current consent for each modality, in one query: the latest answer counts, so a later
    refusal or withdrawal ends an earlier agreement."""
    latest: dict[str, Consent] = {}
    for consent in patient.consents.all():  # newest first
        latest.setdefault(consent.modality, consent)
    return {m: (c if (c := latest.get(m)) is not None and c.agreed else None) for m in Modality.values}


def current_consent(patient, modality: str) -> Consent | None:
    consent = patient.consents.filter(modality=modality).first()
    return consent if consent is not None and consent.agreed else None


# ------------------------------------------------------------------------------------ visits


def _clinician(user) -> rules.Clinician:
    return rules.Clinician(user.profession, user.certified_for_dry_needling)


def start_visit(
    user, patient, *, episode=None, modality: str | None = None, copy_from: Visit | None = None, request=None
) -> Visit:
    """A new draft. The modality defaults to the clinician's (an acupuncturist's visit is acupuncture).
    A follow-up (`copy_from`) starts from that visit's pain drawing, plan text and modality, and its
    needles become *planned* targets: nothing counts as placed until the clinician confirms it today."""
    if not user.is_clinician:
        raise PermissionDenied("Only clinicians chart visits.")
    if copy_from is not None and copy_from.patient_id != patient.pk:
        raise PermissionDenied
    if copy_from is not None and not copy_from.is_signed:
        # A draft may still change (or be discarded): a plan is copied only from what was signed.
        raise ChartingError("A follow-up starts from a signed visit: that one is not signed.")
    modality = copy_from.modality if copy_from else (modality or rules.default_modality(user.profession))
    if modality not in rules.VISIT_MODALITIES:
        raise ChartingError(
            f"A visit is dry needling or acupuncture, not {modality.replace('_', ' ')}: electrical "
            "stimulation is recorded on the needles it is applied to."
        )
    if episode is not None and episode.status == "discharged":
        raise ChartingError(DISCHARGED_EPISODE)
    if episode is None:
        active = list(
            patient.episodes.filter(status="active").order_by("-started_on", "-id").values_list("id", flat=True)
        )
        episode_id = rules.episode_for_new_visit(active, copy_from.episode_id if copy_from else None)
        episode = patient.episodes.get(pk=episode_id) if episode_id else None
    with transaction.atomic():
        visit = Visit.objects.create(
            patient=patient,
            episode=episode,
            clinician=user,
            visit_date=timezone.localdate(),
            modality=modality,
            pain_drawing=list(copy_from.pain_drawing) if copy_from else [],
            plan=copy_from.plan if copy_from else "",
            retention_minutes=copy_from.retention_minutes if copy_from else None,
            copied_from=copy_from,
        )
        if copy_from is not None:
            PlannedNeedle.objects.bulk_create(
                [
                    PlannedNeedle(visit=visit, planned_from=copy_from, **old.plan_values())
                    for old in copy_from.insertions.all()
                ]
            )
        record(
            user,
            Action.CREATE,
            visit,
            patient=patient,
            request=request,
            summary="Started a visit"
            + (f" (follow-up of {copy_from.visit_date}, its needles planned)" if copy_from else ""),
        )
    return visit


def open_visit(user, visit: Visit, request=None, summary: str = "") -> None:
    """Every read of a note is recorded, like opening the chart: the page, its updated sections, the
    target check, the aftercare sheet."""
    record(
        user,
        Action.VIEW,
        visit,
        patient=visit.patient,
        request=request,
        summary=summary or f"Opened the {visit.status} note",
    )


def _attach(visit: Visit, screening: Screening) -> None:
    Visit.objects.filter(pk=visit.pk).update(screening=screening, updated_at=timezone.now())
    visit.screening = screening


def attach_screening(user, visit: Visit, screening: Screening, request=None) -> Visit:
    _require_draft_author(user, visit)
    if screening.patient_id != visit.patient_id:
        raise PermissionDenied
    _attach(visit, screening)
    return visit


DRAFT_FIELDS = frozenset(
    {
        "pain_drawing",
        "nprs_before",
        "nprs_before_not_taken",
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
        "retention_minutes",
        "tcm_pattern",
        "tcm_tongue",
        "tcm_pulse",
    }
)


class DraftConflict(Exception):
    def __init__(self, current: Visit, fields: list[str] | None = None):
        self.current = current
        self.fields = fields or []
        super().__init__("This draft was saved elsewhere since you opened it.")


def update_draft(user, visit: Visit, data: dict[str, Any], version: int, request=None) -> Visit:
    """Save draft fields through the one versioned path (autosave, the section forms and the API all
    come here). A save conflicts only when a field it writes was changed by another save after
    `version`: the pain drawing saved after an autosave of the note text is no conflict."""
    _require_draft_author(user, visit)
    values = {k: v for k, v in data.items() if k in DRAFT_FIELDS}
    if "increments" in values:
        check_segments(values["increments"])
    if "pain_drawing" in values:
        values["pain_drawing"] = _drawing(values["pain_drawing"])
    if "modality" in values and values["modality"] not in rules.VISIT_MODALITIES:
        raise ChartingError("A visit is dry needling or acupuncture.")
    for _attempt in range(5):
        current = Visit.objects.get(pk=visit.pk)
        if current.is_signed:
            raise NoteLocked()
        if current.is_discarded:
            raise NoteLocked(DISCARDED_MESSAGE)
        # Changed elsewhere since the writer saw it, to something else (the same value written twice,
        # as a save repeated after a reload, is no conflict).
        changed_since = sorted(
            f for f in values if current.field_versions.get(f, 0) > version and getattr(current, f) != values[f]
        )
        if version > current.version or changed_since:
            raise DraftConflict(current, changed_since)
        if (
            "modality" in values
            and values["modality"] != current.modality
            and (current.insertions.exists() or current.plannedneedles.exists())
        ):
            # The gate let each needle in under this modality's consent and certification: switching it
            # afterwards would sign needles no gate ever checked.
            raise ChartingError(
                f"Needles are already logged under {current.modality.replace('_', ' ')}: the modality cannot "
                "change. Remove the needles first, or start a new note for the other modality."
            )
        new_version = current.version + 1
        field_versions = {**current.field_versions, **{f: new_version for f in values}}
        with transaction.atomic():
            updated = Visit.objects.filter(
                pk=visit.pk, version=current.version, signed_at__isnull=True, discarded_at__isnull=True
            ).update(**values, version=new_version, field_versions=field_versions, updated_at=timezone.now())
            if not updated:
                continue  # another save landed in between: check again against it
            record(
                user,
                Action.CHANGE,
                visit,
                patient=visit.patient,
                request=request,
                summary="Saved the draft",
                detail={"fields": sorted(values), "version": new_version},
            )
        return Visit.objects.get(pk=visit.pk)
    raise DraftConflict(Visit.objects.get(pk=visit.pk))


def _drawing(items: Any) -> list[dict[str, Any]]:
    """A pain drawing as stored, through the core's one pain-location rule."""
    from needlechart.clinical.locations import PainInputError, parse_pain_drawing

    try:
        pains = parse_pain_drawing(load(), items)
    except PainInputError as exc:
        raise ChartingError(f"Pain drawing: {exc}.") from None
    return [{"region": p.region, "side": p.side, "intensity": p.intensity} for p in pains]


# ------------------------------------------------------------------------------------ the needle gate


def gate(user, visit: Visit) -> rules.Gate:
    """What every needle of this visit rests on, for the core's rules."""
    consents = {
        m: rules.ConsentOnFile(m, tuple(c.risks_explained))
        for m, c in current_consents(visit.patient).items()
        if c is not None
    }
    screening = visit.screening
    return rules.Gate(
        modality=visit.modality,
        screening=screening_input(screening, modalities=()) if screening is not None else None,
        verdict=screening.verdict if screening is not None else "",
        consents=consents,
        clinician=_clinician(user),
    )


def screen_target(kb, visit: Visit, target_id: str, side: str, *, es: bool = False):
    """The core's screening of one target at this visit, exactly as charting judges it: the visit's
    screening, its modality (and electrical stimulation if used). Returns (target status, result)."""
    modalities = [visit.modality] + (["electrical_stimulation"] if es else [])
    data = screening_input(visit.screening, planned=[PlannedTarget(target_id, side)], modalities=modalities)
    result = screen(kb, data)
    return result.targets[0], result


NEEDLE_NUMBERS = (
    "gauge_mm",
    "length_mm",
    "depth_mm",
    "depth_cun",
    "twitch_responses",
    "retention_minutes",
    "es_frequency_hz",
    "es_pulse_width_ms",
    "es_intensity_ma",
    "es_minutes",
)


def _needle(data: dict[str, Any], override_reason: str = "") -> rules.Needle:
    return rules.Needle(
        data["target"],
        data["side"],
        data.get("es_frequency_hz") is not None,
        data.get("lung_technique") or "",
        override_reason,
        {k: data.get(k) for k in NEEDLE_NUMBERS},
    )


def _check_needle(user, visit: Visit, data: dict[str, Any], override_reason: str, *, replacing: int | None = None):
    """Every rule for charting one needle, in the core: known target, never-needle points, allowed
    sides, plausibility limits, the gate, the screening's blocks (override needed) and the thorax
    rules. Returns the blocked reasons the override answers."""
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
        raise ChartingError([f"{msg}." for msg in implausible.values()])
    needle = _needle(data, override_reason)
    the_gate = gate(user, visit)
    problems = rules.gate_problems(the_gate, electrical_stimulation=needle.electrical_stimulation)
    if problems:
        raise ChartingError(problems)
    blocked = rules.blocked_reasons(kb, the_gate, needle)
    if blocked and not override_reason.strip():
        raise ChartingError(
            "Blocked by screening: " + " ".join(blocked) + " To proceed anyway, write the reason for the override."
        )
    others = [
        _needle({"target": i.target, "side": i.side, "lung_technique": i.lung_technique})
        for i in visit.insertions.all()
        if i.pk != replacing
    ]
    problems = rules.lung_field_problems(kb, needle, others, the_gate.consents.get(visit.modality))
    if problems:
        raise ChartingError(problems)
    return blocked


INSERTION_FIELDS = frozenset(f.name for f in Insertion._meta.fields) - {"id", "visit", "override_reason", "created_at"}


def _audit_override(user, visit: Visit, insertion: Insertion, blocked: list[str], reason: str, request) -> None:
    if blocked:
        record(
            user,
            Action.OVERRIDE,
            insertion,
            patient=visit.patient,
            request=request,
            summary=f"Override: needled {insertion.target} ({insertion.side}) despite a block",
            detail={"reasons": blocked, "override_reason": reason},
        )


def add_insertion(user, visit: Visit, data: dict[str, Any], *, override_reason: str = "", request=None) -> Insertion:
    """Chart one needle. The core's screening status for this target acts here: a blocked target needs
    a written override reason (audited); a lung-field target needs the safe technique used."""
    _require_draft_author(user, visit)
    blocked = _check_needle(user, visit, data, override_reason)
    fields = {k: v for k, v in data.items() if k in INSERTION_FIELDS}
    with transaction.atomic():
        insertion = Insertion.objects.create(visit=visit, override_reason=override_reason.strip(), **fields)
        _audit_override(user, visit, insertion, blocked, override_reason.strip(), request)
        record(
            user,
            Action.CREATE,
            insertion,
            patient=visit.patient,
            request=request,
            summary=f"Needle: {insertion.target} ({insertion.side})",
        )
    return insertion


def update_insertion(
    user, visit: Visit, insertion_id: int, data: dict[str, Any], *, override_reason: str | None = None, request=None
) -> Insertion:
    """Correct a draft's needle: the changed needle passes every rule a new one would."""
    _require_draft_author(user, visit)
    insertion = _part(visit, "insertion", insertion_id)
    merged = {
        **{k: getattr(insertion, k) for k in INSERTION_FIELDS},
        **{k: v for k, v in data.items() if k in INSERTION_FIELDS},
    }
    reason = insertion.override_reason if override_reason is None else override_reason
    blocked = _check_needle(user, visit, merged, reason, replacing=insertion.pk)
    changed = sorted(k for k in merged if merged[k] != getattr(insertion, k))
    if reason.strip() != insertion.override_reason:
        changed.append("override_reason")
    with transaction.atomic():
        Insertion.objects.filter(pk=insertion.pk).update(**merged, override_reason=reason.strip())
        insertion.refresh_from_db()
        _audit_override(user, visit, insertion, blocked, reason.strip(), request)
        _audit_correction(
            user, visit, insertion, f"Needle corrected: {insertion.target} ({insertion.side})", changed, request
        )
    return insertion


def _audit_correction(user, visit: Visit, part, summary: str, changed: list[str], request) -> None:
    record(
        user, Action.CHANGE, part, patient=visit.patient, request=request, summary=summary, detail={"fields": changed}
    )


def confirm_planned(
    user,
    visit: Visit,
    planned_id: int,
    changes: dict[str, Any] | None = None,
    *,
    override_reason: str = "",
    request=None,
) -> Insertion:
    """A planned target placed today, as planned or with `changes` (depth, electrical stimulation...):
    it becomes a logged needle through the full gate, and the plan row goes."""
    _require_draft_author(user, visit)
    planned = _part(visit, "planned", planned_id)
    data = {k: v for k, v in planned.plan_values().items() if v not in (None, "")}
    for name, value in (changes or {}).items():
        if name not in INSERTION_FIELDS:
            continue
        if value in (None, ""):
            data.pop(name, None)  # cleared today: e.g. no electrical stimulation this time
        else:
            data[name] = value
    with transaction.atomic():
        insertion = add_insertion(user, visit, data, override_reason=override_reason, request=request)
        # Two confirmations at once (two tabs, a double click): only the one that removes the plan row
        # logs a needle; the other is rolled back.
        if PlannedNeedle.objects.filter(pk=planned.pk).delete()[0] == 0:
            raise ChartingError(f"{planned.target} ({planned.side}) was already placed: reload the note.")
    return insertion


def confirm_all_planned(user, visit: Visit, request=None) -> list[Insertion]:
    """Every planned target placed as planned, in one step; all or none (the first refusal names its
    target and nothing is logged)."""
    _require_draft_author(user, visit)
    placed = []
    with transaction.atomic():
        for planned in list(visit.plannedneedles.all()):
            try:
                placed.append(confirm_planned(user, visit, planned.pk, request=request))
            except ChartingError as exc:
                raise ChartingError(
                    [f"{planned.target} ({planned.side}): {m}" for m in exc.messages]
                    + ["Nothing was logged: confirm or remove that target on its own."]
                ) from None
    return placed


PARTS = {
    "insertion": (Insertion, "insertions", "Needle"),
    "planned": (PlannedNeedle, "plannedneedles", "Planned target"),
    "palpation": (Palpation, "palpations", "Palpation finding"),
    "adverse-event": (AdverseEvent, "adverseevents", "Adverse event"),
    "exercise": (ExerciseAssignment, "exerciseassignments", "Home exercise"),
}


def _part(visit: Visit, kind: str, part_id: int):
    model = PARTS[kind][0]
    part = model.objects.filter(visit=visit, pk=part_id).first()
    if part is None:
        raise ChartingError(f"This note has no {PARTS[kind][2].lower()} {part_id}: reload the note.")
    return part


def remove_part(user, visit: Visit, kind: str, part_id: int, request=None) -> None:
    """Remove a row from a draft (a needle logged in error, a planned target not placed today). Audited
    with what the row said; a signed note's rows never go (the database refuses too)."""
    _require_draft_author(user, visit)
    if kind not in PARTS:
        raise ChartingError(f"Unknown part '{kind}': use {', '.join(PARTS)}.")
    part = _part(visit, kind, part_id)
    what = {f.name: str(getattr(part, f.name)) for f in part._meta.fields if f.name not in ("id", "visit")}
    with transaction.atomic():
        record(
            user,
            Action.REMOVE,
            part,
            patient=visit.patient,
            request=request,
            summary=f"{PARTS[kind][2]} removed from the draft",
            detail=what,
        )
        part.delete()


def _add_part(user, visit: Visit, model, values: dict[str, Any], summary: str, request=None):
    """Add one part (adverse event, palpation, exercise) to a draft by its author, audited."""
    _require_draft_author(user, visit)
    with transaction.atomic():
        part = model.objects.create(visit=visit, **values)
        record(user, Action.CREATE, part, patient=visit.patient, request=request, summary=summary)
    return part


def _update_part(user, visit: Visit, kind: str, part_id: int, values: dict[str, Any], request=None):
    _require_draft_author(user, visit)
    part = _part(visit, kind, part_id)
    changed = sorted(k for k, v in values.items() if getattr(part, k) != v)
    with transaction.atomic():
        type(part).objects.filter(pk=part.pk).update(**values)
        part.refresh_from_db()
        _audit_correction(user, visit, part, f"{PARTS[kind][2]} corrected", changed, request)
    return part


def add_adverse_event(user, visit: Visit, data: dict[str, Any], request=None) -> AdverseEvent:
    label = dict(AdverseEvent._meta.get_field("code").choices).get(data["code"], data["code"])
    return _add_part(user, visit, AdverseEvent, data, f"Adverse event: {label} ({data['severity']})", request)


def update_adverse_event(user, visit: Visit, event_id: int, data: dict[str, Any], request=None) -> AdverseEvent:
    return _update_part(user, visit, "adverse-event", event_id, data, request)


def _known_muscle(data: dict[str, Any]) -> None:
    if "muscle" in data and data["muscle"] not in load().muscles:
        raise ChartingError(f"'{data['muscle']}' is not a muscle in the knowledge base.")
    if "side" in data and data["side"] not in ("left", "right"):
        raise ChartingError("A palpation finding is on the left or the right.")


def add_palpation(user, visit: Visit, data: dict[str, Any], request=None) -> Palpation:
    """A palpation finding for one muscle: taut band, tender spot, recognised referred pain, twitch."""
    _known_muscle(data)
    return _add_part(user, visit, Palpation, data, f"Palpation: {data['muscle']} ({data['side']})", request)


def update_palpation(user, visit: Visit, palpation_id: int, data: dict[str, Any], request=None) -> Palpation:
    _known_muscle(data)
    return _update_part(user, visit, "palpation", palpation_id, data, request)


def _exercise_values(exercise_id: str, dosage: str) -> dict[str, str]:
    exercise = load().exercises.get(exercise_id)
    if exercise is None:
        raise ChartingError(f"'{exercise_id}' is not an exercise in the library.")
    return {"exercise": exercise_id, "dosage": dosage.strip() or exercise.dosage}


def assign_exercise(user, visit: Visit, exercise_id: str, dosage: str = "", request=None) -> ExerciseAssignment:
    """A home exercise from the library, with the library's dosage unless the clinician changes it."""
    values = _exercise_values(exercise_id, dosage)
    name = load().exercises[exercise_id].name
    return _add_part(user, visit, ExerciseAssignment, values, f"Home exercise: {name}", request)


def update_exercise(user, visit: Visit, assignment_id: int, dosage: str, request=None) -> ExerciseAssignment:
    _require_draft_author(user, visit)
    part = _part(visit, "exercise", assignment_id)
    return _update_part(user, visit, "exercise", assignment_id, _exercise_values(part.exercise, dosage), request)


def discard_visit(user, visit: Visit, reason: str, request=None) -> Visit:
    """A draft that should not exist (wrong patient, started twice) is discarded with a reason: kept,
    marked void, never billed or signed. A signed note is never discarded."""
    _require_draft_author(user, visit)
    if not reason.strip():
        raise ChartingError("Say why the draft is discarded (e.g. started for the wrong patient).")
    now = timezone.now()
    with transaction.atomic():
        updated = Visit.objects.filter(pk=visit.pk, signed_at__isnull=True, discarded_at__isnull=True).update(
            discarded_at=now, discarded_by=user, discard_reason=reason.strip(), updated_at=now
        )
        if not updated:
            raise NoteLocked()
        record(
            user,
            Action.DISCARD,
            visit,
            patient=visit.patient,
            request=request,
            summary="Discarded the draft",
            detail={"reason": reason.strip()},
        )
    return Visit.objects.get(pk=visit.pk)


def counts_reconciled(visit: Visit) -> bool:
    return rules.counts_reconciled(
        visit.needles_in, visit.needles_out, visit.count_discrepancy, len(visit.insertions.all())
    )


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


def _segments(visit: Visit) -> list[billing.Increment]:
    try:
        return billing.parse_increments(visit.increments)
    except billing.BillingInputError:
        return []


def sign_problems(user, visit: Visit) -> tuple[str, ...]:
    """Everything the core says stands between this note and its signature, all at once. The note is
    judged with its author's certification, whoever asks (only the author signs)."""
    user = visit.clinician
    needles = tuple(_needle(vars(i), i.override_reason) for i in visit.insertions.all())
    screening = visit.screening
    segments = _segments(visit)
    note = rules.NoteForSigning(
        gate=gate(user, visit),
        screened_on=timezone.localtime(screening.performed_at).date() if screening is not None else None,
        visit_date=visit.visit_date,
        needles=needles,
        planned_left=visit.plannedneedles.count(),
        nprs_before=visit.nprs_before,
        nprs_before_not_taken=visit.nprs_before_not_taken,
        needles_in=visit.needles_in,
        needles_out=visit.needles_out,
        count_discrepancy=visit.count_discrepancy,
        face_to_face_minutes=sum(i.minutes for i in segments),
        electrical_stimulation_time=any(i.electrical_stimulation for i in segments),
        discarded=visit.is_discarded,
    )
    return rules.sign_problems(load(), note)


def electrical_stimulation_used(visit: Visit) -> bool:
    """On a needle or in an acupuncture time segment: consent, signing and aftercare all ask this."""
    return any(i.electrical_stimulation for i in visit.insertions.all()) or any(
        i.electrical_stimulation for i in _segments(visit)
    )


def _signed_record(visit: Visit) -> dict[str, Any]:
    """What the note rests on, copied into it at signing."""
    screening = visit.screening
    used = {visit.modality} | ({Modality.ELECTRICAL_STIMULATION} if electrical_stimulation_used(visit) else set())
    consents = current_consents(visit.patient)
    episode = visit.episode
    return {
        "screening": None
        if screening is None
        else {
            "id": screening.pk,
            "performed_at": screening.performed_at.isoformat(),
            "age": screening.age,
            "findings": screening.findings,
            "modalities": screening.modalities,
            "verdict": screening.verdict,
            "urgency": screening.urgency,
            "result": screening.result,
            "patient_confirmed_unchanged": screening.patient_confirmed_unchanged,
        },
        "consents": {
            m: {"id": c.pk, "recorded_at": c.recorded_at.isoformat(), "risks_explained": c.risks_explained}
            for m, c in consents.items()
            if c is not None and m in used
        },
        "episode": None
        if episode is None
        else {"id": episode.pk, "condition": episode.condition, "started_on": episode.started_on.isoformat()},
    }


def sign_visit(user, visit: Visit, request=None) -> Visit:
    """Lock the note once the core finds nothing unmet (every unmet point is listed at once). The
    screening, consents and episode condition it rests on are copied into it."""
    _require_draft_author(user, visit)
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("screening", "episode", "patient", "clinician")
            .get(pk=visit.pk)
        )
        if visit.is_signed:
            raise NoteLocked()
        if visit.is_discarded:
            raise NoteLocked(DISCARDED_MESSAGE)
        if visit.episode is not None and visit.episode.status == "discharged":
            # Discharged while this draft was open (a discharge refuses open drafts; two tabs raced).
            raise ChartingError(DISCHARGED_EPISODE + " Discard this draft and chart the visit again.")
        problems = sign_problems(user, visit)
        if problems:
            raise SignRefused(list(problems))
        codes = suggested_codes(visit)
        now = timezone.now()
        updated = Visit.objects.filter(pk=visit.pk, signed_at__isnull=True, discarded_at__isnull=True).update(
            signed_at=now, signed_by=user, billing=codes, signed_record=_signed_record(visit), updated_at=now
        )
        if not updated:
            raise NoteLocked()
        record(user, Action.SIGN, visit, patient=visit.patient, request=request, summary="Signed the note")
        signals.visit_signed.send(sender=Visit, visit=visit)
    return Visit.objects.get(pk=visit.pk)


def add_addendum(user, visit: Visit, text: str, request=None) -> Addendum:
    """After signing, the note's author may add dated addenda; nothing else changes."""
    if visit.is_discarded:
        raise NoteLocked(DISCARDED_MESSAGE)
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
