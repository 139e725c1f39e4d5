"""Sessions end after a period without activity, without a database write on every request.

Django's SESSION_SAVE_EVERY_REQUEST would renew the expiry by saving the session on each request
(three extra round trips). Renewing at most once a minute gives the same inactivity timeout to
within a minute at a fraction of the cost.
"""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

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
        clinic = getattr(user, "clinic", None) if user is not None and user.is_authenticated else None
        if clinic is not None:
            with timezone.override(_zone(clinic.time_zone)):
                return self.get_response(request)
        return self.get_response(request)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
