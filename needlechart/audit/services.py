"""Recording audit events. Every service that reads or writes a patient's chart calls `record`."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.db import connections, models, router

from .models import Action, AuditEvent


def client_address(request: Any) -> str | None:
    """The client's address: the connection's, or the one a trusted proxy (NEEDLECHART_TRUSTED_PROXIES)
    reports in X-Forwarded-For; anything that is not a valid IP address is not stored. A client's own
    X-Forwarded-For is never believed, so nobody writes an address of their choosing into the trail."""
    if request is None:
        return None
    peer = _valid(request.META.get("REMOTE_ADDR", ""))
    if peer is not None and peer in _trusted_proxies():
        # The proxy appends the address it saw: the last entry not itself a trusted proxy is the client.
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        for hop in reversed(hops):
            address = _valid(hop)
            if address is None:
                return peer
            if address not in _trusted_proxies():
                return address
    return peer


def _valid(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _trusted_proxies() -> frozenset[str]:
    return frozenset(a for a in (_valid(p) for p in getattr(settings, "TRUSTED_PROXIES", ())) if a)


def _client(request: Any) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return client_address(request), request.META.get("HTTP_USER_AGENT", "")[:300]


def record(
    actor: Any,
    action: Action | str,
    obj: models.Model | None = None,
    *,
    patient: Any = None,
    summary: str = "",
    detail: dict | None = None,
    request: Any = None,
    clinic: Any = None,
) -> AuditEvent:
    """Append one event: who (actor), what (action on obj), which patient, from where (request)."""
    ip, agent = _client(request)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        clinic_id=clinic.pk if clinic is not None else (actor.clinic_id if authenticated else None),
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else "",
        action=str(action),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient=patient,
        summary=summary[:300],
        detail=detail or {},
        ip_address=ip,
        user_agent=agent,
    )
    _insert(event)
    return event


# The audit row's INSERT, written once per database: every page that shows clinical content writes
# one, and Django's save() spends several times longer building the statement than the database
# spends running it. The values still go through each field's own conversion for the database.
_INSERTS: dict[tuple[str, str], tuple[str, tuple[Any, ...], bool]] = {}


def _insert(event: AuditEvent) -> None:
    using = router.db_for_write(AuditEvent, instance=event)
    connection = connections[using]
    key = (using, connection.vendor)
    if key not in _INSERTS:
        meta = AuditEvent._meta
        fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
        quote = connection.ops.quote_name
        returning = connection.features.can_return_columns_from_insert
        _INSERTS[key] = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
            + (f" RETURNING {quote(meta.pk.column)}" if returning else ""),
            fields,
            returning,
        )
    sql, fields, returning = _INSERTS[key]
    params = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            event.pk = cursor.fetchone()[0]
        else:
            event.pk = connection.ops.last_insert_id(cursor, AuditEvent._meta.db_table, AuditEvent._meta.pk.column)
    event._state.adding = False
    event._state.db = using


DENIED_EVERY_SECONDS = 60  # one row per user, object and minute: a scan of IDs is seen, not a flood


def record_denied(actor: Any, object_type: str, object_id: object, *, request: Any = None) -> None:
    """A refused look at another clinic's record (or one that does not exist): the caller sees a 404,
    the audit trail sees the attempt. Rate-limited per user, object and minute."""
    from datetime import timedelta

    from django.utils import timezone

    if actor is None or not getattr(actor, "is_authenticated", False):
        return
    key = str(object_id)[:40]
    since = timezone.now() - timedelta(seconds=DENIED_EVERY_SECONDS)
    recent = AuditEvent.objects.filter(
        actor=actor, action=Action.DENIED, object_type=object_type, object_id=key, at__gte=since
    )
    if recent.exists():
        return
    ip, agent = _client(request)
    AuditEvent.objects.create(
        clinic_id=actor.clinic_id,
        actor=actor,
        actor_name=actor.get_username(),
        action=str(Action.DENIED),
        object_type=object_type,
        object_id=key,
        summary=f"Refused: no {object_type.split('.')[-1]} {key} in this clinic",
        ip_address=ip,
        user_agent=agent,
    )
