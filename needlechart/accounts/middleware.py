"""Sessions end after a period without activity, without a database write on every request; a session
owes its second factor before anything else works (TwoFactorMiddleware).

Django's SESSION_SAVE_EVERY_REQUEST would renew the expiry by saving the session on each request
(three extra round trips). Renewing at most once a minute gives the same inactivity timeout to
within a minute at a fraction of the cost.
"""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from . import two_factor
from .models import Clinic

REFRESH_SECONDS = 60
_KEY = "_activity"


class SessionActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            now = int(time.time())
            if now - session.get(_KEY, 0) >= REFRESH_SECONDS:
                session[_KEY] = now  # marks the session modified: saved with a fresh expiry and cookie
        return self.get_response(request)


class ClinicTimeZoneMiddleware:
    """Each clinic's dates in its own time zone: a visit started at 00:30 in Auckland is dated that
    day, not the day before in UTC, and "screened today" means the clinic's today."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        clinic_id = getattr(user, "clinic_id", None) if user is not None and user.is_authenticated else None
        if clinic_id is not None:
            with timezone.override(clinic_zone(clinic_id)):
                return self.get_response(request)
        return self.get_response(request)


ZONE_SECONDS = 60  # a changed clinic time zone applies within a minute, without a query per request


def clinic_zone(clinic_id: int) -> ZoneInfo:
    name = cache.get_or_set(
        f"needlechart:clinic-tz:{clinic_id}",
        lambda: Clinic.objects.filter(pk=clinic_id).values_list("time_zone", flat=True).first() or "UTC",
        ZONE_SECONDS,
    )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class TwoFactorMiddleware:
    """Nothing works for a session that still owes its second factor (rules in accounts/two_factor.py).

    After a password sign-in, a user with an authenticator is sent to the code page, and a member of a
    clinic that requires two-factor sign-in who has none yet is sent to set one up, from every URL but
    the sign-in, sign-out, code and set-up pages themselves: every page, the admin, and the JSON API,
    which answers 401 with a JSON message instead of a redirect. An htmx request is sent to the page
    as a whole (HX-Redirect), not swapped into a fragment. Anonymous requests pass: the views' own
    sign-in checks handle them. Installed after django-otp's OTPMiddleware, which marks verified sessions.
    """

    API_PREFIX = "/api/"
    OPEN_URL_NAMES = ("accounts:login", "accounts:logout", "accounts:two_factor", "accounts:two_factor_enrol")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path_info in self.open_paths():
            return self.get_response(request)
        standing = two_factor.state(request=request)
        if standing is two_factor.State.DONE:
            return self.get_response(request)
        return self.refusal(request, standing)

    @classmethod
    def open_paths(cls) -> frozenset[str]:
        return frozenset(reverse(name) for name in cls.OPEN_URL_NAMES)

    @classmethod
    def refusal(cls, request, standing: two_factor.State) -> HttpResponse:
        if standing is two_factor.State.CODE_NEEDED:
            target, code = reverse("accounts:two_factor"), "two_factor_required"
            message = f"Two-factor sign-in is needed: enter the code from your authenticator app at {target}"
        else:
            target, code = reverse("accounts:two_factor_enrol"), "two_factor_enrolment_required"
            message = f"Two-factor sign-in is needed: your clinic requires it; set up an authenticator app at {target}"
        if request.path_info.startswith(cls.API_PREFIX):
            return JsonResponse({"detail": message, "code": code}, status=401)
        if request.method in ("GET", "HEAD"):
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=401)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
