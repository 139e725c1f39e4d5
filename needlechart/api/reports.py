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


def _episode_report(request: HttpRequest, episode_id: int, kind: str) -> HttpResponse:
    user = staff(request)
    episode = get_episode(user, episode_id)
    require_clinical(user)
    try:
        report = services.episode_report(user, episode, kind, request=request)
    except services.ReportUnavailable as exc:
        return _not_available(request, exc)
    return pdf_response(report)


ANSWERS = responses({200: None}, conflict=NotAvailableOut)


@router.get("/episodes/{episode_id}/reports/progress", response=ANSWERS, openapi_extra=PDF)
def progress_report(request: HttpRequest, episode_id: EpisodeId) -> HttpResponse:
    """The progress report for the referrer or payer: diagnosis, plan, sessions, the outcomes against their
    MCIDs with a chart each, goals, needling per visit, adverse events and the signature block."""
    return _episode_report(request, episode_id, "progress")


@router.get("/episodes/{episode_id}/reports/discharge", response=ANSWERS, openapi_extra=PDF)
def discharge_summary(request: HttpRequest, episode_id: EpisodeId) -> HttpResponse:
    """The discharge summary of a discharged episode (409 before): why, the outcomes kept on the day, the
    home programme to continue."""
    return _episode_report(request, episode_id, "discharge")


@router.get("/episodes/{episode_id}/reports/referral", response=ANSWERS, openapi_extra=PDF)
def referral_letter(request: HttpRequest, episode_id: EpisodeId) -> HttpResponse:
    """The referral letter: the latest referral recorded, else the progress rules' referrals (409 when there
    is neither): why, findings, what was tried, outcomes and red flags."""
    return _episode_report(request, episode_id, "referral")


@router.get("/episodes/{episode_id}/reports/patient-summary", response=ANSWERS, openapi_extra=PDF)
def patient_summary(request: HttpRequest, episode_id: EpisodeId) -> HttpResponse:
    """The patient's care summary in plain words: what was found and done, progress, the home programme
    and when to get help."""
    return _episode_report(request, episode_id, "patient-summary")


@router.get("/visits/{visit_id}/reports/note", response=ANSWERS, openapi_extra=PDF)
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
