"""The report downloads on the pages: a PDF, or a page saying why the report cannot be made (409)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from needlechart.accounts.permissions import clinic_staff_required, require_clinical
from needlechart.audit.services import record_denied
from needlechart.charting.services import ChartingError
from needlechart.patients.selectors import get_patient

from . import services
from .selectors import ReportUnavailable


def pdf_response(report: services.Report) -> HttpResponse:
    response = HttpResponse(report.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    response["Cache-Control"] = "no-store"  # clinical content: no copy left in a shared cache
    return response


def _unavailable(request, patient, message: str) -> HttpResponse:
    return render(request, "reports/unavailable.html", {"patient": patient, "message": message}, status=409)


@clinic_staff_required
def episode_report(request, pk: int, episode_id: int, kind: str):
    patient = get_patient(request.user, pk)
    episode = patient.episodes.filter(pk=episode_id).first()
    if episode is None:
        record_denied(request.user, "patients.episode", episode_id, request=request)
        raise Http404("No such episode")
    require_clinical(request.user)
    if kind not in services.EPISODE_REPORTS:
        raise Http404(f"No report '{kind}': use one of {', '.join(services.EPISODE_REPORTS)}")
    episode.patient = patient
    try:
        report = services.episode_report(request.user, episode, kind, request=request)
    except (ReportUnavailable, ChartingError) as exc:
        return _unavailable(request, patient, str(exc) if isinstance(exc, ReportUnavailable) else _charting(exc))
    return pdf_response(report)


def _charting(exc: ChartingError) -> str:
    return "The report cannot be made: " + "; ".join(exc.messages)


@clinic_staff_required
def visit_note(request, pk: int, visit_id: int):
    patient = get_patient(request.user, pk)
    visit = patient.visits.select_related("patient", "episode", "screening", "clinician", "signed_by").filter(
        pk=visit_id
    )
    visit = visit.first()
    if visit is None:
        record_denied(request.user, "charting.visit", visit_id, request=request)
        raise Http404("No such visit")
    require_clinical(request.user)
    try:
        report = services.visit_note(request.user, visit, request=request)
    except ReportUnavailable as exc:
        return _unavailable(request, patient, str(exc))
    return pdf_response(report)
