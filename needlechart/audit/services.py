"""Recording audit events. Every service that reads or writes a patient's chart calls `record`."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import Action, AuditEvent


def _client(request: Any) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None, request.META.get("HTTP_USER_AGENT", "")[:300]


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
    return AuditEvent.objects.create(
        clinic=clinic or (actor.clinic if authenticated else None),
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
