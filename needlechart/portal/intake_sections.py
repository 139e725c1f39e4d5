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
