"""The clinic's sent mail: the list (newest first, failures first to the eye), one message, and
"send again" for a failed one. Clinic admins see all of the clinic's mail; clinicians the mail about
patients; front desk none."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from needlechart.accounts.permissions import clinic_staff_required
from needlechart.audit.models import Action
from needlechart.audit.services import record

from . import selectors, services
from .models import Status

PER_PAGE = 50


def _require_mail_reader(user) -> None:
    if not (user.is_clinic_admin or user.is_clinician):
        raise PermissionDenied("The sent mail is for clinic admins and clinicians.")


@clinic_staff_required
def mail_list(request):
    _require_mail_reader(request.user)
    rows = selectors.mail_for(request.user)
    status = request.GET.get("status", "")
    if status in Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    failed = selectors.mail_for(request.user).filter(status=Status.FAILED).count()
    record(request.user, Action.VIEW, summary="Opened the sent mail", request=request)
    return render(
        request,
        "notifications/list.html",
        {"page": page, "status": status, "statuses": Status.choices, "failed": failed},
    )


@clinic_staff_required
def mail_detail(request, email_id: int):
    email = selectors.get_email(request.user, email_id)
    _require_mail_reader(request.user)
    record(
        request.user,
        Action.VIEW,
        email,
        patient=email.patient,
        summary=f"Opened the email {email.get_kind_display()} to {email.to}",
        request=request,
    )
    return render(
        request,
        "notifications/detail.html",
        {"email": email, "may_send_again": services.may_send_again(request.user, email)},
    )


@require_POST
@clinic_staff_required
def mail_send_again(request, email_id: int):
    email = selectors.get_email(request.user, email_id)
    try:
        services.send_again(actor=request.user, email=email, context=request)
    except services.EmailError as exc:
        messages.error(request, exc.reason[:1].upper() + exc.reason[1:])
    else:
        messages.success(request, f"Queued again: {email.subject} to {email.to}.")
    return redirect("notifications:detail", email_id=email.pk)
