"""Writing patients and episodes: clinic and role checks, optimistic versioning, and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F

from needlechart.audit.models import Action
from needlechart.audit.services import record

from .models import Episode, Patient, PatientFinding

DEMOGRAPHIC_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
)
CLINICAL_FIELDS = ("medications", "history_notes")


class VersionConflict(Exception):
    """Someone else saved this record after it was opened; their version is `current`."""

    def __init__(self, current: Patient):
        self.current = current
        super().__init__("This record was changed by someone else since you opened it.")


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def editable_fields(user) -> tuple[str, ...]:
    return DEMOGRAPHIC_FIELDS + (CLINICAL_FIELDS if user.sees_clinical_content else ())


def create_patient(user, data: dict[str, Any], request=None) -> Patient:
    if not user.is_clinic_staff:
        raise PermissionDenied("Only clinic staff can register patients.")
    values = {k: v for k, v in data.items() if k in editable_fields(user)}
    with transaction.atomic():
        patient = Patient.objects.create(clinic_id=user.clinic_id, **values)
        record(
            user, Action.CREATE, patient, patient=patient, summary=f"Registered {patient.full_name}", request=request
        )
    return patient


def update_patient(user, patient: Patient, data: dict[str, Any], version: int, request=None) -> Patient:
    """Save the fields this user may edit, only if nobody saved since `version` was read."""
    allowed = editable_fields(user)
    # Compare with the stored row, not `patient`: a bound ModelForm has already copied its input onto it.
    stored = Patient.objects.get(pk=patient.pk, clinic_id=user.clinic_id)
    changes = [Change(f, getattr(stored, f), data[f]) for f in allowed if f in data and getattr(stored, f) != data[f]]
    if not changes:
        return patient
    with transaction.atomic():
        values = {c.field: c.after for c in changes}
        if "phone" in values:
            values["phone_digits"] = "".join(ch for ch in values["phone"] if ch.isdigit())
        updated = Patient.objects.filter(pk=patient.pk, clinic_id=user.clinic_id, version=version).update(
            **values, version=F("version") + 1
        )
        if not updated:
            raise VersionConflict(Patient.objects.get(pk=patient.pk))
        fresh = Patient.objects.get(pk=patient.pk)
        record(
            user,
            Action.CHANGE,
            fresh,
            patient=fresh,
            summary=f"Changed {', '.join(c.field.replace('_', ' ') for c in changes)}",
            detail={"fields": [c.field for c in changes], "version": fresh.version},
            request=request,
        )
    return fresh


def open_chart(user, patient: Patient, request=None, summary: str = "Opened the chart") -> None:
    """Opening a patient's chart (or the form that shows it) is itself recorded."""
    record(user, Action.VIEW, patient, patient=patient, summary=summary, request=request)


def start_episode(user, patient: Patient, data: dict[str, Any], request=None) -> Episode:
    if not user.records_clinical_content:
        raise PermissionDenied("Only a clinician opens an episode of care.")
    with transaction.atomic():
        episode = Episode.objects.create(patient=patient, created_by=user, **data)
        record(
            user,
            Action.CREATE,
            episode,
            patient=patient,
            summary=f"Started episode: {episode.condition}",
            request=request,
        )
    return episode


def add_history_finding(user, patient: Patient, data: dict[str, Any], request=None) -> PatientFinding:
    """A coded finding in the patient's history (e.g. lymphoedema of the right arm, anticoagulant)."""
    from needlechart.clinical.screening import finding_sides
    from needlechart.knowledge import load

    if not user.sees_clinical_content:
        raise PermissionDenied("History is clinical content.")
    kb = load()
    finding = kb.findings.get(data["code"])
    if finding is None:
        raise ValidationError(f"'{data['code']}' is not a screening finding in the knowledge base.")
    region, side = data.get("region", ""), data.get("side", "")
    if finding.site_scoped and not (region and side):
        raise ValidationError(f"{finding.name} applies to one body site: give the region and side.")
    if not finding.site_scoped and (region or side):
        raise ValidationError(f"{finding.name} applies to the whole patient: leave the region and side empty.")
    if region and side not in finding_sides(kb, finding.id, region):
        raise ValidationError(f"{kb.regions[region].name} takes {' or '.join(finding_sides(kb, finding.id, region))}.")
    with transaction.atomic():
        item = PatientFinding.objects.create(
            patient=patient,
            code=finding.id,
            region=region,
            side=side,
            note=data.get("note", ""),
            noted_on=data["noted_on"],
        )
        record(user, Action.CREATE, item, patient=patient, request=request, summary=f"History: {finding.name}")
    return item


def resolve_history_finding(user, patient: Patient, finding_id: int, resolved_on, request=None) -> PatientFinding:
    if not user.sees_clinical_content:
        raise PermissionDenied("History is clinical content.")
    item = PatientFinding.objects.get(pk=finding_id, patient=patient)
    with transaction.atomic():
        PatientFinding.objects.filter(pk=item.pk).update(resolved_on=resolved_on)
        record(user, Action.CHANGE, item, patient=patient, request=request, summary=f"History resolved: {item.code}")
    item.refresh_from_db()
    return item
