"""Signing in and out, the second factor, the account's security page and the clinic's setting.

Throttling is django-axes' with a per-address limit (throttling.py); the two-factor rules are in
two_factor.py. Every outcome is audited (signals.py and the services).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import throttling, two_factor
from .permissions import require_clinic_admin


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if two_factor.second_factor_owed(user=form.get_user()):
            return redirect(f"{reverse('accounts:two_factor')}?{urlencode({'next': self.get_success_url()})}")
        return response


class LogoutView(auth_views.LogoutView):
    pass


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("patients:list") if getattr(request.user, "clinic_id", None) else reverse("explorer:explorer")


def _codes_page(request: HttpRequest, codes: list[str], *, continue_to: str) -> HttpResponse:
    response = render(request, "accounts/recovery_codes.html", {"codes": codes, "continue_to": continue_to})
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def two_factor_code(request: HttpRequest) -> HttpResponse:
    """The code page after the password: an authenticator code or a recovery code."""
    standing = two_factor.state(request=request)
    if standing is two_factor.State.ENROLMENT_NEEDED:
        return redirect(f"{reverse('accounts:two_factor_enrol')}?{urlencode({'next': _next(request)})}")
    if standing is two_factor.State.DONE:
        return redirect(_next(request))
    error = ""
    if request.method == "POST":
        result = two_factor.verify(request=request, user=request.user, code=request.POST.get("code", ""))
        if result.outcome is two_factor.Outcome.ACCEPTED:
            if result.recovery_codes_left is not None:
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {result.recovery_codes_left} left. "
                    "Make new ones on your security page if you are running short.",
                )
            return redirect(_next(request))
        if result.outcome is two_factor.Outcome.LOCKED:
            return throttling.render_lockout(request=request, lockout=result.lockout)
        error = _code_error(result)
    return render(request, "accounts/two_factor.html", {"error": error, "next": _next(request)})


def _code_error(result: two_factor.Verification) -> str:
    if result.outcome is two_factor.Outcome.WAIT and result.wait_until is not None:
        seconds = max(1, int((result.wait_until - timezone.now()).total_seconds()) + 1)
        return f"Too many wrong codes in a row: wait {seconds} seconds, then enter the current code."
    return (
        "That code is not right. Enter the 6 digits your authenticator app shows now, or one of your "
        "recovery codes; after five wrong tries sign-in is locked for 15 minutes."
    )


@never_cache
@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: scan the QR code (or type the secret), confirm with a code, keep the
    recovery codes. Replacing an authenticator needs the current one first."""
    if two_factor.has_authenticator(user=request.user) and not two_factor.is_verified(request=request):
        return redirect(f"{reverse('accounts:two_factor')}?{urlencode({'next': request.get_full_path()})}")
    device = two_factor.pending_authenticator(user=request.user)
    error = ""
    if request.method == "POST":
        result = two_factor.confirm_authenticator(request=request, user=request.user, code=request.POST.get("code", ""))
        if result.outcome is two_factor.Outcome.ACCEPTED:
            return _codes_page(request, result.recovery_codes or [], continue_to=_next(request))
        if result.outcome is two_factor.Outcome.LOCKED:
            return throttling.render_lockout(request=request, lockout=result.lockout)
        error = _code_error(result)
    context = {
        "qr_svg": two_factor.qr_code_svg(device=device),
        "secret": two_factor.secret_text(device=device),
        "required": two_factor.must_use_two_factor(user=request.user),
        "replacing": two_factor.has_authenticator(user=request.user),
        "error": error,
        "next": _next(request),
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@never_cache
@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The user's own security page: two-factor status, set-up or replacement, recovery codes."""
    user = request.user
    context = {
        "has_authenticator": two_factor.has_authenticator(user=user),
        "required": two_factor.must_use_two_factor(user=user),
        "codes_left": two_factor.recovery_codes_left(user=user),
    }
    return render(request, "accounts/security.html", context)


@never_cache
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = two_factor.regenerate_recovery_codes(request=request, user=request.user)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from None
    return _codes_page(request, codes, continue_to=reverse("accounts:security"))


@never_cache
@login_required
def clinic_settings(request: HttpRequest) -> HttpResponse:
    """A clinic admin's settings for the clinic: whether two-factor sign-in is required."""
    require_clinic_admin(request.user)
    if request.user.clinic_id is None:
        raise PermissionDenied("This page is for clinic admins.")
    if request.method == "POST":
        required = request.POST.get("require_two_factor") == "on"
        try:
            two_factor.set_clinic_requirement(request=request, admin=request.user, required=required)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from None
        messages.success(
            request,
            "Two-factor sign-in is now required for all staff: each sets up an authenticator at their next sign-in."
            if required
            else "Two-factor sign-in is no longer required; staff who set it up keep using it.",
        )
        return redirect("accounts:clinic_settings")
    clinic = request.user.clinic
    return render(request, "accounts/clinic_settings.html", {"clinic": clinic})
