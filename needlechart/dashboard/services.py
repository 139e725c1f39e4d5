"""Opening the dashboard: who may (clinicians and clinic admins of a clinic; front desk never) and
the audit row every opening writes (the page, each CSV file, the API), in one place."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from needlechart.accounts.models import User
from needlechart.audit.models import Action
from needlechart.audit.services import record

from . import selectors
from .forms import Filters


def require_dashboard(user) -> None:
    if not isinstance(user, User) or not user.is_clinic_staff:
        raise PermissionDenied("The dashboard is for clinic staff.")
    if not user.sees_clinical_content:
        raise PermissionDenied("The clinic dashboard shows clinical outcomes: for clinicians and clinic admins only.")


def open_dashboard(user: User, filters: Filters, *, view: str, request=None) -> selectors.Dashboard:
    """The dashboard's tables for the user's clinic, recorded as one VIEW row (no patient: a clinic-level
    summary; `detail` keeps the filters and what was opened: the page, a CSV table or the API)."""
    require_dashboard(user)
    with transaction.atomic():
        result = selectors.dashboard(user, filters)
        record(
            user,
            Action.VIEW,
            None,
            summary=f"Opened the clinic dashboard ({view}): {filters.describe()}",
            detail={"view": view, "filters": filters.as_dict(), "episodes": result.episodes},
            request=request,
        )
    return result
