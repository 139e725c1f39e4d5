"""Who reaches the portal, and where a patient's session may go.

`patient_required` gives a view the signed-in patient's own `PortalAccount`; the view never takes a
patient from the URL. `PortalBoundaryMiddleware` keeps a patient's session inside the portal and
the public pages: every other page is a 403, and every API route a 403 in JSON, whatever a view's
own checks would have said (they refuse patients too: `User.is_clinic_staff`).
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from .models import PortalAccount

# What a patient's session may open: the portal, the education pages, and the public self-check's own
# screens (its list of requests is the clinic's, not public).
PATIENT_NAMESPACES = frozenset({"portal", "learn"})
PATIENT_URL_NAMES = frozenset({"selfcheck:start", "selfcheck:answer", "selfcheck:send"})


def patient_may_open(path: str) -> bool:
    """Whether a patient's session may open `path` (anything that resolves to nothing is a 404 anyway)."""
    try:
        match = resolve(path)
    except Resolver404:
        return True
    return (
        bool(match.namespaces) and match.namespaces[0] in PATIENT_NAMESPACES
    ) or match.view_name in PATIENT_URL_NAMES


def account_of(request: HttpRequest) -> PortalAccount | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_patient:
        return None
    cached = getattr(request, "_portal_account", None)
    if cached is None:
        cached = PortalAccount.objects.select_related("patient", "clinic").filter(user=user, disabled_at=None).first()
        request._portal_account = cached  # type: ignore[attr-defined]
    return cached


def patient_required(view: Any) -> Any:
    """Signed in as a patient with portal access; staff are told the portal is for patients."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('portal:sign_in')}?{urlencode({'next': request.get_full_path()})}")
        if not user.is_patient:
            raise PermissionDenied("The portal is for patients. Staff use the clinic's pages.")
        account = account_of(request)
        if account is None:
            raise PermissionDenied("Portal access for this account has been turned off by the clinic.")
        return view(request, account, *args, **kwargs)

    return wrapper


class PortalBoundaryMiddleware:
    """A patient's session opens the portal and the public pages only."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        patient = user is not None and user.is_authenticated and getattr(user, "is_patient", False)
        if patient and not self.allowed(request.path_info):
            return self.refusal(request)
        return self.get_response(request)

    @staticmethod
    def allowed(path: str) -> bool:
        return patient_may_open(path)

    @staticmethod
    def refusal(request: HttpRequest) -> HttpResponse:
        message = "This page is for clinic staff. Your own pages are in the patient portal at /portal/."
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "patient_account"}, status=403)
        return render(request, "portal/refused.html", {"message": message}, status=403)
