"""Staff-side pieces for what patients sent through the portal: the intake and questionnaires on the
patient page's portal panel, and the online consent in the visit's consent section."""

from __future__ import annotations

from typing import Any

from django import template

from needlechart.clinical.risks import RISK_LABELS
from needlechart.portal import econsent, intake_review
from needlechart.portal.accounts import account_of
from needlechart.portal.models import Intake, IntakeStatus, QuestionnaireResponse

register = template.Library()


@register.inclusion_tag("portal/staff/intake_panel.html", takes_context=True)
def portal_intake_panel(context: Any, patient: Any) -> dict[str, Any]:
    """Clinicians: the intake to review and the questionnaires waiting. Front desk: only that an
    intake arrived, and the contact details the patient changed (theirs to know)."""
    user = context["request"].user
    found = Intake.objects.filter(patient=patient).exclude(status=IntakeStatus.DRAFT).first()
    clinical = user.sees_clinical_content
    responses = (
        list(QuestionnaireResponse.objects.filter(patient=patient, measurement=None, left_at=None, intake=None))
        if clinical
        else []
    )
    return {
        "patient": patient,
        "intake": found,
        "clinical": clinical,
        "reviewer": user.records_clinical_content,
        "contact_changes": intake_review.contact_changes(found) if found is not None else [],
        "responses": responses,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("portal/staff/econsent_at_visit.html", takes_context=True)
def econsent_at_visit(context: Any, visit: Any, editable: bool = False) -> dict[str, Any]:
    """'Agreed online on <date> (version …)' with one button to confirm, in the visit's consent section."""
    user = context["request"].user
    # Only a patient with a portal account can have answered online.
    asks = user.sees_clinical_content and account_of(visit.patient) is not None
    latest = econsent.current(visit.patient).get(visit.modality) if asks else None
    found = econsent.for_visit(visit, latest=latest) if asks else None
    return {
        "visit": visit,
        "found": found,
        "risk_labels": [RISK_LABELS.get(r, r) for r in found.econsent.risks] if found else [],
        "withdrawn": latest if latest is not None and latest.withdrawal else None,
        "editable": editable and user.records_clinical_content,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("portal/staff/intake_drawing_offer.html", takes_context=True)
def intake_drawing_offer(context: Any, visit: Any, editable: bool = False) -> dict[str, Any]:
    """On a draft visit: the pain drawing the patient made in the online intake, accepted by a
    clinician and not yet in a visit, with one button to add it to this visit's drawing."""
    user = context["request"].user
    asks = user.records_clinical_content and editable and account_of(visit.patient) is not None
    found = intake_review.drawing_offer(visit) if asks else None
    labels: list[str] = []
    if found is not None:
        from needlechart.explorer.bodymap import location_label
        from needlechart.knowledge import load

        kb = load()
        pains = (found.answers.get("drawing") or {}).get("pains", [])
        labels = [location_label(kb, p["region"], p["side"]) for p in pains if p["region"] in kb.regions]
    return {"visit": visit, "intake": found, "labels": labels, "csrf_token": context.get("csrf_token")}
