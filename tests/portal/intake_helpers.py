"""Shared set-up for the intake, consent and questionnaire tests: an active episode of neck pain
(NPRS, NDI, PSFS, GROC in the portal's reach), and a full set of intake answers."""

from __future__ import annotations

from datetime import date

from needlechart.knowledge import load
from needlechart.patients.models import Episode
from needlechart.portal import intake as flow


def neck_episode(patient, physio, started_on: date | None = None) -> Episode:
    from django.utils import timezone

    return Episode.objects.create(
        patient=patient, condition="neck_pain", started_on=started_on or timezone.localdate(), created_by=physio
    )


def all_no(step: str, **yes: str) -> dict[str, str]:
    kb = load()
    questions = flow.history_questions(kb) if step == "history" else flow.red_flag_questions(kb)
    return {**{f.id: "no" for f in questions}, **yes}


CONTACT = {
    "phone": "+44 20 7946 0999",
    "address": "1 New Street",
    "emergency_contact_name": "Charles Babbage",
    "emergency_contact_phone": "+44 20 7946 0123",
    "email": "ada@example.com",
}
