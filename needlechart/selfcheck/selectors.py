"""Clinic-scoped reads of self-check requests: every staff query starts here."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from needlechart.accounts.models import Clinic
from needlechart.audit.services import record_denied

from .models import PUBLIC_ID_PREFIX, SelfCheckRequest, Status

URGENT_RANK = 1  # outcome_rank 0 (emergency) and 1 (see a doctor soon) are urgent


def requests_for(user: Any) -> QuerySet[SelfCheckRequest]:
    """The user's clinic's requests: open ones first (new, then contacted), urgent ones first among
    them, newest first; closed ones last."""
    if user.clinic_id is None:
        return SelfCheckRequest.objects.none()
    status_rank = Case(
        When(status=Status.NEW, then=Value(0)),
        When(status=Status.CONTACTED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    urgent_first = Case(
        When(outcome_rank__lte=URGENT_RANK, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        SelfCheckRequest.objects.filter(clinic_id=user.clinic_id)
        .annotate(status_rank=status_rank, urgent_first=urgent_first)
        .order_by("status_rank", "urgent_first", "-created_at", "-id")
    )


def get_request(user: Any, public_id: str) -> SelfCheckRequest:
    """One request of the user's clinic; 404 for any other (and the attempt is recorded)."""
    try:
        return requests_for(user).select_related("status_changed_by").get(public_id=public_id)
    except SelfCheckRequest.DoesNotExist:
        record_denied(user, SelfCheckRequest._meta.label_lower, public_id)
        raise Http404("No such self-check") from None


# The cache is each server process's own memory (Django's default): the process that records a
# change drops its count at once, and every other worker counts again within this many seconds.
NEW_COUNT_SECONDS = 15


def new_count_key(clinic_id: int) -> str:
    return f"needlechart:selfcheck-new:{clinic_id}"


def new_count(user: Any) -> int:
    """New requests of the user's clinic, for the navigation of every staff page: one count on the
    (clinic, status) index, kept in the cache for `NEW_COUNT_SECONDS` or until a request arrives or
    changes status (the services drop it when they commit), so most pages cost no query for it."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_clinic_staff", False):
        return 0
    clinic_id = user.clinic_id
    return int(
        cache.get_or_set(
            new_count_key(clinic_id),
            lambda: SelfCheckRequest.objects.filter(clinic_id=clinic_id, status=Status.NEW).count(),
            NEW_COUNT_SECONDS,
        )
    )


def forget_new_count(clinic_id: int) -> None:
    """After a request arrives or changes status: the next page counts again."""
    transaction.on_commit(lambda: cache.delete(new_count_key(clinic_id)))


def public_clinics() -> QuerySet[Clinic]:
    """The clinics a member of the public may send a self-check to."""
    return Clinic.objects.order_by("name")


def looks_like_public_id(value: str) -> bool:
    return value.startswith(PUBLIC_ID_PREFIX) and len(value) <= 20
