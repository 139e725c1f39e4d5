"""Staff actions on a patient's portal access, from the patient page: invite (or invite again) and
turn access off. Any member of the patient's clinic may do either; front desk sends most invitations."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.accounts.permissions import clinic_staff_required, require_clinical
from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.patients import selectors

from . import alerts, services


@clinic_staff_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    patient = selectors.get_patient(request.user, pk)
    try:
        invitation = services.invite_patient(actor=request.user, patient=patient, request=request)
    except services.PortalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Portal invitation sent to {invitation.account.email}. The link works for 7 days.")
    return redirect("patients:detail", pk)


@clinic_staff_required
@require_POST
def disable(request: HttpRequest, pk: int) -> HttpResponse:
    patient = selectors.get_patient(request.user, pk)
    try:
        services.disable_access(actor=request.user, patient=patient, request=request)
    except services.PortalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Portal access turned off. Invite the patient again to turn it back on.")
    return redirect("patients:detail", pk)


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def alert(request: HttpRequest, pk: int, alert_id: int) -> HttpResponse:
    """One portal alert: what the patient reported, and the form to acknowledge it with what was done."""
    patient = selectors.get_patient(request.user, pk)
    found = alerts.alert_of(user=request.user, alert_id=alert_id, patient=patient, request=request)
    require_clinical(request.user)
    errors: dict[str, list[str]] = {}
    action_taken = ""
    if request.method == "POST":
        action_taken = (request.POST.get("action_taken") or "")[:2000]
        try:
            alerts.acknowledge(actor=request.user, alert=found, action_taken=action_taken, request=request)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, "Alert acknowledged.")
            return redirect("patients:detail", pk)
    else:
        record(request.user, Action.VIEW, found, patient=patient, summary="Opened a portal alert", request=request)
    context = {"patient": patient, "alert": found, "errors": errors, "action_taken": action_taken}
    return render(request, "portal/staff/alert.html", context, status=400 if errors else 200)
