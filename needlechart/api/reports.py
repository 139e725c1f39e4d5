"""The PDF reports: an episode's progress report, discharge summary, referral letter and patient's care
summary, and a signed visit's note, as application/pdf (the same documents as the pages' links).

Clinical content: another clinic's episode or visit is 404 (and the attempt audited), front desk 403. A
report that cannot be made as things stand (a draft note, an episode not discharged, nothing to refer) is
409 {"detail", "code": "not_available"}; progress the core cannot read is 422 like every outcomes call.
Every download is audited naming the report.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router

from needlechart.accounts.permissions import require_clinical
from needlechart.patients.selectors import get_episode
from needlechart.reports import services
from needlechart.reports.views import pdf_response

from .access import get_visit, staff
from .schemas import EpisodeId, ErrorOut, VisitId, responses

router = Router(tags=["reports"])

ReportKind = Literal["progress", "discharge", "referral", "patient-summary"]
PDF = {
    "responses": {
        200: {
            "description": "The report as a PDF (A4), downloaded as an attachment named by the report, the "
            "episode's or note's id and today's date.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class NotAvailableOut(ErrorOut):
    code: Literal["not_available"]


def _not_available(request: HttpRequest, exc: Exception) -> HttpResponse:
    from .api import api

    return api.create_response(request, {"detail": str(exc), "code": "not_available"}, status=409)


@router.get(
    "/episodes/{episode_id}/reports/{kind}",
    response=responses({200: None}, conflict=NotAvailableOut),
    openapi_extra=PDF,
)
def episode_report(request: HttpRequest, episode_id: EpisodeId, kind: ReportKind) -> HttpResponse:
    """One of the episode's reports: `progress` (for the referrer or payer: diagnosis, plan, sessions, the
    outcomes against their MCIDs with charts, goals, needling per visit, adverse events, the signature
    block), `discharge` (a discharged episode only), `referral` (the latest referral recorded, else the
    progress rules' referrals) or `patient-summary` (plain words for the patient)."""
    user = staff(request)
    episode = get_episode(user, episode_id)
    require_clinical(user)
    try:
        report = services.episode_report(user, episode, kind, request=request)
    except services.ReportUnavailable as exc:
        return _not_available(request, exc)
    return pdf_response(report)


@router.get(
    "/visits/{visit_id}/reports/note", response=responses({200: None}, conflict=NotAvailableOut), openapi_extra=PDF
)
def visit_note(request: HttpRequest, visit_id: VisitId) -> HttpResponse:
    """A signed visit's note as a PDF: the SOAP text, needles, palpation, adverse events, exercises, codes,
    addenda and the electronic signature. A draft or a discarded note is 409."""
    user = staff(request)
    visit = get_visit(user, visit_id)
    require_clinical(user)
    try:
        report = services.visit_note(user, visit, request=request)
    except services.ReportUnavailable as exc:
        return _not_available(request, exc)
    return pdf_response(report)
