"""The staff sign-in: Django's model backend, for clinic staff only.

A patient's portal account signs in only through the portal (needlechart/portal/backends.py); here
it is refused like a wrong password, and a portal sign-in attempt (`portal=True`) is not this
backend's business.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .models import Role


class StaffBackend(ModelBackend):
    def authenticate(self, request: Any, username: Any = None, password: Any = None, **kwargs: Any) -> Any:
        if kwargs.pop("portal", False):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and user.role == Role.PATIENT:
            return None
        return user
