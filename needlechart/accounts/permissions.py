"""View guards for roles. Views use these; the rules themselves live on the User model.

Views fetch the object first (a 404 for another clinic's object, whoever asks) and check the role
second, so another clinic learns nothing from a 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def clinic_staff_required(view):
    """Signed in as a member of a clinic's staff (a patient's portal account never is)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_clinic_staff:
            raise PermissionDenied("This page is for clinic staff.")
        return view(request, *args, **kwargs)

    return wrapper


def require_clinical(user) -> None:
    """Clinicians and clinic admins; front desk never sees clinical content."""
    if not user.sees_clinical_content:
        raise PermissionDenied("Clinical content is for clinicians only.")


def require_clinic_admin(user) -> None:
    if not user.is_clinic_admin:
        raise PermissionDenied("This page is for clinic admins.")
