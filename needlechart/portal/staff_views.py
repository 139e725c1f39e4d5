"""Staff actions on a patient's portal access, from the patient page: invite (or invite again) and
turn access off. Any member of the patient's clinic may do either; front desk sends most invitations."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from needlechart.accounts.permissions import clinic_staff_required
from needlechart.patients import selectors

from . import services


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
