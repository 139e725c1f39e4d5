"""The patient portal's pages: signing in (password or emailed link), accepting an invitation, the
home page and the patient's own details. Staff actions (invite, turn off) are in staff_views.py."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.accounts import throttling
from needlechart.audit.models import Action
from needlechart.audit.services import record

from . import links, sections, services
from .access import patient_required
from .models import LinkPurpose, PortalAccount

MAX_EMAIL = 254
MAX_PASSWORD = 256


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:home")


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"password": list(exc.messages)}


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_patient:
        return redirect(_next(request))
    email = (request.POST.get("email") or "")[:MAX_EMAIL].strip()
    error = ""
    if request.method == "POST":
        password = (request.POST.get("password") or "")[:MAX_PASSWORD]
        if not email or not password:
            error = "Enter your email address and your password."
        else:
            user = authenticate(request, username=email, password=password, portal=True)
            if user is not None:
                login(request, user, backend=services.BACKEND)
                throttling.forgive_failures(request=request, username=email)  # axes counted the typed address
                return redirect(_next(request))
            lockout = throttling.lockout_for(request=request, username=email)
            if lockout is not None:
                return throttling.render_lockout(request=request, lockout=lockout)
            error = "That email address and password do not match. Check them, or get a sign-in link by email below."
    return render(
        request,
        "portal/sign_in.html",
        {"email": email, "error": error, "next": _next(request)},
        status=400 if error else 200,
    )


@never_cache
@require_POST
def request_link(request: HttpRequest) -> HttpResponse:
    email = (request.POST.get("email") or "")[:MAX_EMAIL].strip()
    try:
        services.send_sign_in_link(email=email, request=request)
    except services.PortalError as exc:
        return render(request, "portal/sign_in.html", {"email": email, "link_error": str(exc)}, status=400)
    return render(request, "portal/link_sent.html", {"email": email})


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST signs in, so a mail scanner that opens links uses up nothing."""
    if request.method == "POST":
        try:
            services.sign_in_with_link(token=token, request=request)
        except services.PortalError as exc:
            return render(request, "portal/link_problem.html", {"message": str(exc)}, status=400)
        return redirect("portal:home")
    found = links.find(token=token, purpose=LinkPurpose.SIGN_IN)
    if isinstance(found, links.Problem):
        return render(request, "portal/link_problem.html", {"message": found.message}, status=400)
    return render(request, "portal/link_confirm.html", {"clinic": found.account.clinic})


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    found = links.find(token=token, purpose=LinkPurpose.INVITATION)
    if isinstance(found, links.Problem):
        return render(request, "portal/link_problem.html", {"message": found.message, "invitation": True}, status=400)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.accept_invitation(
                token=token,
                password=(request.POST.get("password") or "")[:MAX_PASSWORD],
                password_again=(request.POST.get("password_again") or "")[:MAX_PASSWORD],
                request=request,
            )
        except services.PortalError as exc:
            return render(request, "portal/link_problem.html", {"message": str(exc), "invitation": True}, status=400)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("portal:home")
    context = {"account": found.account, "clinic": found.account.clinic, "errors": errors}
    return render(request, "portal/invitation.html", context, status=400 if errors else 200)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:sign_in")


@never_cache
@patient_required
def home(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    record(
        request.user,
        Action.VIEW,
        account.patient,
        patient=account.patient,
        summary="Opened the portal home page",
        request=request,
    )
    context = {"account": account, "patient": account.patient, "clinic": account.clinic}
    return render(request, "portal/home.html", {**context, "sections": sections.sections_for(account)})


@never_cache
@patient_required
def details(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    record(
        request.user,
        Action.VIEW,
        account.patient,
        patient=account.patient,
        summary="Opened their details in the portal",
        request=request,
    )
    return render(
        request, "portal/details.html", {"account": account, "patient": account.patient, "clinic": account.clinic}
    )


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.change_password(
                account=account,
                current=(request.POST.get("current") or "")[:MAX_PASSWORD],
                new=(request.POST.get("new") or "")[:MAX_PASSWORD],
                new_again=(request.POST.get("new_again") or "")[:MAX_PASSWORD],
                request=request,
            )
        except ValidationError as exc:
            errors = _errors(exc)
            errors.setdefault("new", errors.pop("password", []))
        else:
            return render(request, "portal/password.html", {"account": account, "changed": True})
    return render(
        request, "portal/password.html", {"account": account, "errors": errors}, status=400 if errors else 200
    )
