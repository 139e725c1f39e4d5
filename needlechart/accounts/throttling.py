"""Sign-in throttling on top of django-axes: per user name and address, and per address across names.

django-axes counts failures per lock-out parameter combination and compares the largest count with
one limit (AXES_FAILURE_LIMIT). That limit suits one name from one address (five wrong passwords),
but counting a whole address with it would let five typing mistakes at a clinic's reception, all
behind one NAT address, lock every colleague out. A credential-stuffing run, on the other hand,
tries a few passwords for each of many names from one address and never reaches five for any name.
So the address has its own, higher limit (AXES_ADDRESS_FAILURE_LIMIT, 20 by default):

- `AddressAwareHandler` (AXES_HANDLER) keeps axes' database records and its per name+address count,
  and reports an address that reached its own limit as at the failure limit, so axes' backend,
  signal handler and middleware lock it out through their usual paths.
- `lockout_response` (AXES_LOCKOUT_CALLABLE) renders the lock-out page with the time at which
  signing in works again: "Try again after 14:32 (Europe/London), in 15 minutes."
- `forgive_failures` clears a name's failures from an address once the whole sign-in succeeded
  (password and, where it applies, the second factor). axes' own reset on success is off: it runs at
  the password step and would let someone who knows the password start over on the second factor.

Failures recorded while a lock is in force do not extend it (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT
is off), so the time on the page is the time the lock ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_credentials, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .models import Clinic

DEFAULT_ADDRESS_FAILURE_LIMIT = 20


def address_failure_limit() -> int:
    return int(getattr(settings, "AXES_ADDRESS_FAILURE_LIMIT", DEFAULT_ADDRESS_FAILURE_LIMIT))


class AddressAwareHandler(AxesDatabaseHandler):
    """axes' database handler, with a second limit on the failures from one address across names."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures < limit and _failure_count(_address_attempts(request)) >= address_failure_limit():
            return limit  # the address is at its own limit: axes locks it out as at the failure limit
        return failures


def _recent(request: HttpRequest, attempts: QuerySet[AccessAttempt]) -> QuerySet[AccessAttempt]:
    cool_off = get_cool_off(request)
    if cool_off is None:
        return attempts
    return attempts.filter(attempt_time__gte=(getattr(request, "axes_attempt_time", None) or timezone.now()) - cool_off)


def _address_attempts(request: HttpRequest) -> QuerySet[AccessAttempt]:
    return _recent(request, AccessAttempt.objects.filter(ip_address=getattr(request, "axes_ip_address", None)))


def _name_attempts(request: HttpRequest, username: str | None) -> QuerySet[AccessAttempt]:
    return _recent(
        request, AccessAttempt.objects.filter(ip_address=getattr(request, "axes_ip_address", None), username=username)
    )


def _failure_count(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def _lock_ends(attempts: QuerySet[AccessAttempt], *, limit: int, cool_off: timedelta) -> datetime | None:
    """When the failures still counted drop below `limit`: each record counts until its last failure
    is `cool_off` old, so the lock ends when the record that brought the newest ones to the limit expires."""
    counted = 0
    newest_first = attempts.order_by("-attempt_time").values_list("attempt_time", "failures_since_start")
    for attempt_time, failures in newest_first:
        counted += failures
        if counted >= limit:
            return attempt_time + cool_off
    return None


@dataclass(frozen=True)
class Lockout:
    until: datetime  # aware, in the zone it is shown in
    zone_name: str
    minutes: int

    @property
    def message(self) -> str:
        minutes = f"{self.minutes} minute{'s' if self.minutes != 1 else ''}"
        return f"Try again after {self.until:%H:%M} ({self.zone_name} time), in {minutes}."


def lockout_for(*, request: HttpRequest, username: str | None) -> Lockout | None:
    """The lock on this address (for this name, or for every name) and when it ends; None if not locked."""
    AxesProxyHandler.update_request(request)
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    credentials = get_credentials(username)
    ends = [
        _lock_ends(_name_attempts(request, username), limit=get_failure_limit(request, credentials), cool_off=cool_off),
        _lock_ends(_address_attempts(request), limit=address_failure_limit(), cool_off=cool_off),
    ]
    until = max((end for end in ends if end is not None), default=None)
    now = timezone.now()
    if until is None or until <= now:
        return None
    zone = display_zone()
    return Lockout(
        until=timezone.localtime(until, zone),
        zone_name=str(zone),
        minutes=max(1, math.ceil((until - now).total_seconds() / 60)),
    )


def display_zone() -> ZoneInfo:
    """The zone lock-out times are shown in: the clinics' own when they all share one (the usual case, one
    clinic per deployment), otherwise the server's. It never depends on the name typed, so the page
    says nothing about whether that name exists or where it works."""
    zones = list(Clinic.objects.values_list("time_zone", flat=True).distinct()[:2])
    try:
        return ZoneInfo(zones[0] if len(zones) == 1 else settings.TIME_ZONE)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the lock-out page, status 429, naming the time to try again."""
    username = get_client_username(request, credentials)
    return render_lockout(request=request, lockout=lockout_for(request=request, username=username))


def render_lockout(*, request: HttpRequest, lockout: Lockout | None) -> HttpResponse:
    status = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    context: dict[str, Any] = {
        "lockout": lockout,
        "cool_off_minutes": int(cool_off.total_seconds() // 60),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    response = render(request, "accounts/locked_out.html", context, status=status)
    if lockout is not None:
        response["Retry-After"] = str(lockout.minutes * 60)
    return response


def forgive_failures(*, request: HttpRequest, username: str) -> int:
    """A completed sign-in clears that name's failures from this address (not other names' failures)."""
    AxesProxyHandler.update_request(request)
    count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
    return count


def is_locked(*, request: HttpRequest, username: str) -> bool:
    """Whether axes refuses this name from this address now (its own limit or the address's)."""
    return not AxesProxyHandler.is_allowed(request, get_credentials(username))
