"""Sessions end after a period without activity, without a database write on every request.

Django's SESSION_SAVE_EVERY_REQUEST would renew the expiry by saving the session on each request
(three extra round trips). Renewing at most once a minute gives the same inactivity timeout to
within a minute at a fraction of the cost.
"""

from __future__ import annotations

import time

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
