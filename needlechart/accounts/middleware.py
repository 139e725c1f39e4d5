"""Sessions end after a period without activity, without a database write on every request.

Django's SESSION_SAVE_EVERY_REQUEST would renew the expiry by saving the session on each request
(three extra round trips). Renewing at most once a minute gives the same inactivity timeout to
within a minute at a fraction of the cost.
"""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.cache import cache
from django.utils import timezone

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
