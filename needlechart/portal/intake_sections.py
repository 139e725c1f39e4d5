"""The home page's sections for the intake, the online consent and the questionnaires due."""

from __future__ import annotations

from . import econsent, questionnaires
from . import intake as flow
from .models import IntakeStatus, PortalAccount
from .sections import Section, section


@section
def questionnaires_due(account: PortalAccount) -> Section | None:
    due = questionnaires.due_between_visits(account)
    return Section("portal/_section_questionnaires.html", {"due": due}, priority=10) if due else None


@section
def intake_section(account: PortalAccount) -> Section | None:
    found = flow.current(account)
    if found is None:
        if account.patient.visits.filter(signed_at__isnull=False).exists():
            return None  # seen already: the intake is for before the first visit
        return Section("portal/_section_intake.html", {"intake": None}, priority=20)
    if found.status == IntakeStatus.REVIEWED:
        return None
    total = len([s for s in flow.steps_for(found) if s != "review"])
    done = total - len(flow.missing_steps(found))
    return Section("portal/_section_intake.html", {"intake": found, "done": done, "total": total}, priority=20)


@section
def consent_section(account: PortalAccount) -> Section | None:
    texts = econsent.texts_for(account.patient)
    answers = econsent.current(account.patient)
    waiting = [
        t.title for t in texts if (a := answers.get(t.modality)) is None or (a.agreed and a.text_version != t.version)
    ]
    return Section("portal/_section_consent.html", {"waiting": waiting}, priority=30 if waiting else 60)


@section
def urgent_advice(account: PortalAccount) -> Section | None:
    """While the clinic has not yet acted on a red flag from the intake, the home page repeats what to
    do now (the core's screening of the patient's answers, as on the urgent screen)."""
    from needlechart.knowledge import load

    from .models import AlertKind, PortalAlert

    found = flow.current(account)
    if (
        found is None
        or not PortalAlert.objects.filter(
            patient=account.patient, kind=AlertKind.INTAKE_RED_FLAG, acknowledged_at=None
        ).exists()
    ):
        return None
    kb = load()
    urgent = flow.urgent_of(kb, flow.screening_of(kb, found))
    if urgent is None:
        return None
    return Section(
        "portal/_section_urgent.html", {"urgent": urgent, "emergency_number": flow.emergency_number()}, priority=0
    )
