"""Helpers for the between-visits tests: a signed needled visit with home exercises, charted through
the clinician's services."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.charting.models import Visit

RISKS = ["soreness", "bruising", "bleeding", "infection", "fainting", "pneumothorax"]


def certify(physio) -> None:
    physio.dry_needling_certified_on = date(2022, 3, 1)
    physio.dry_needling_certification = "Level 2 dry needling course"
    physio.save()


def signed_visit(
    physio,
    patient,
    *,
    day: date | None = None,
    targets=(("upper_trapezius", "left"), ("rhomboids", "left")),
    exercises=("chin_tuck", "upper_trapezius_stretch"),
    dosage: dict | None = None,
) -> Visit:
    """A signed dry-needling visit (needles at `targets`; none when empty) prescribing `exercises`."""
    certify(physio)
    day = day or timezone.localdate()
    charting.record_consent(physio, patient, "dry_needling", RISKS, True)
    visit = charting.start_visit(physio, patient, modality="dry_needling")
    Visit.objects.filter(pk=visit.pk).update(visit_date=day)
    visit = Visit.objects.get(pk=visit.pk)
    at = timezone.make_aware(datetime.combine(day, time(9, 0)))
    screening = charting.screen_patient(physio, patient, [], ["dry_needling"], performed_at=at)
    visit = charting.attach_screening(physio, visit, screening)
    for target, side in targets:
        charting.add_insertion(physio, visit, {"target": target, "side": side, "lung_technique": "pincer"})
    for exercise in exercises:
        charting.assign_exercise(physio, visit, exercise)
    if dosage:
        from needlechart.charting.models import ExerciseAssignment

        for exercise, text in dosage.items():
            ExerciseAssignment.objects.filter(visit=visit, exercise=exercise).update(dosage=text)
    visit = charting.update_draft(
        physio,
        Visit.objects.get(pk=visit.pk),
        {"nprs_before": 6, "nprs_after": 4, "needles_in": len(targets), "needles_out": len(targets)},
        visit.version,
    )
    return charting.sign_visit(physio, Visit.objects.get(pk=visit.pk))
