"""Staff pages for what patients sent through the portal: the intake review (clinicians accept each
part into the record), questionnaires answered between visits, and confirming an online consent at
the visit. Reached from the patient page's portal panel and the visit's consent section."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.accounts.permissions import clinic_staff_required, require_clinical
from needlechart.audit.models import Action
from needlechart.audit.services import record, record_denied
from needlechart.charting.models import Visit
from needlechart.common import opaque
from needlechart.knowledge import load
from needlechart.patients import selectors

from . import econsent, intake_review
from .models import Intake, IntakeStatus, QuestionnaireResponse


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest, pk: int, intake_id: int) -> HttpResponse:
    patient = selectors.get_patient(request.user, pk)
    found = Intake.objects.filter(pk=intake_id, patient=patient).exclude(status=IntakeStatus.DRAFT).first()
    if found is None:
        record_denied(request.user, "portal.intake", intake_id, request=request)
        raise Http404("No such intake")
    require_clinical(request.user)
    if not request.user.records_clinical_content:
        raise PermissionDenied("A clinician reviews online intakes.")
    errors: list[str] = []
    if request.method == "POST":
        version = request.POST.get("version")
        version_number = int(version) if version and version.isdigit() else None
        try:
            if request.POST.get("action") == "accept_all":
                waiting = intake_review.accept_all(
                    actor=request.user, intake=found, version=version_number, request=request
                )
                if waiting:
                    messages.info(request, "Accepted. Still to decide by hand: " + ", ".join(waiting) + ".")
                else:
                    messages.success(request, "Everything accepted into the record.")
            else:
                intake_review.decide(
                    actor=request.user,
                    intake=found,
                    key=(request.POST.get("part") or "")[:100],
                    decision=request.POST.get("decision") or "",
                    version=version_number,
                    region=(request.POST.get("region") or "")[:40],
                    side=(request.POST.get("side") or "")[:10],
                    request=request,
                )
                messages.success(request, "Saved.")
            return redirect("portal_staff:intake", pk, intake_id)
        except ValidationError as exc:
            errors = list(exc.messages)
        found.refresh_from_db()
    else:
        record(
            request.user,
            Action.VIEW,
            found,
            patient=patient,
            summary="Opened the online intake for review",
            request=request,
        )
    kb = load()
    context = {
        "patient": patient,
        "intake": found,
        "parts": intake_review.parts(found),
        "errors": errors,
        "regions": sorted(kb.regions.values(), key=lambda r: r.name),
        "version": patient.version,
    }
    return render(request, "portal/staff/intake.html", context, status=400 if errors else 200)


@clinic_staff_required
@require_POST
def questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    patient = selectors.get_patient(request.user, pk)
    response_id = opaque.decode("portal_questionnaire", request.POST.get("response", ""))
    found = QuestionnaireResponse.objects.filter(pk=response_id, patient=patient).first() if response_id else None
    if found is None:
        raise Http404("No such questionnaire")
    try:
        intake_review.accept_questionnaire(
            actor=request.user, response=found, accept=request.POST.get("decision") == "accepted", request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Saved.")
    return redirect("patients:detail", pk)


@clinic_staff_required
@require_POST
def confirm_econsent(request: HttpRequest, pk: int, visit_id: int) -> HttpResponse:
    patient = selectors.get_patient(request.user, pk)
    visit = Visit.objects.filter(pk=visit_id, patient=patient).first()
    if visit is None:
        raise Http404("No such visit")
    if not request.user.records_clinical_content:
        raise PermissionDenied("Consent is recorded by a clinician.")
    try:
        econsent.confirm(actor=request.user, visit=visit, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Online consent confirmed and recorded.")
    return redirect(reverse("charting:visit", args=[pk, visit_id]) + "#consent")


@clinic_staff_required
@require_POST
def apply_drawing(request: HttpRequest, pk: int, visit_id: int) -> HttpResponse:
    patient = selectors.get_patient(request.user, pk)
    visit = Visit.objects.filter(pk=visit_id, patient=patient).first()
    if visit is None:
        raise Http404("No such visit")
    if not request.user.records_clinical_content:
        raise PermissionDenied("A clinician charts the pain drawing.")
    try:
        intake_review.apply_drawing(actor=request.user, visit=visit, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The patient's drawing from the online intake is on this visit's drawing.")
    return redirect(reverse("charting:visit", args=[pk, visit_id]) + "#drawing")
