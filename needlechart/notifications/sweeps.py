"""Sweeps: functions that find work that has come due (a questionnaire reminder, a check-in whose
day has come) and queue it. `needlechart manage run_sweeps` runs every registered sweep once (from
cron or a systemd timer), or every N seconds with `--every N` (`make run` does that beside the worker).

The contract for a sweep:

    from needlechart.notifications.sweeps import sweep

    @sweep("portal.questionnaire_reminders")
    def questionnaire_reminders(now: datetime) -> int:
        ...  # find what is due at `now`, call services.send_email(..., key=...) for each
        return handled  # how many items it queued (for the log)

- register it on import, from the app's `AppConfig.ready()` (import the module that holds it);
- it must be idempotent: two sweepers, or a sweep run again after a crash, must not send twice.
  Pass `send_email` a `key` naming the item and its occasion (`"reminder:<episode>:<due date>"`):
  the second call returns the first row;
- it should do little itself: queue mail with `send_email`, which the workers deliver;
- an exception in one sweep is logged and reported; the other sweeps still run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

logger = logging.getLogger("needlechart.notifications")

Sweep = Callable[[datetime], int]
_REGISTRY: dict[str, Sweep] = {}


def sweep(name: str) -> Callable[[Sweep], Sweep]:
    """Register `fn(now) -> int` under `name` (re-registering the same function is allowed)."""

    def register(fn: Sweep) -> Sweep:
        current = _REGISTRY.get(name)
        if current is not None and (current.__module__, current.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(
                f"a sweep named '{name}' is already registered ({current.__module__}.{current.__qualname__})"
            )
        _REGISTRY[name] = fn
        return fn

    return register


def registered() -> dict[str, Sweep]:
    return dict(_REGISTRY)


def unregister(name: str) -> None:
    """For tests that register a sweep of their own."""
    _REGISTRY.pop(name, None)


@dataclass(frozen=True)
class SweepResult:
    name: str
    handled: int
    error: str
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.error


def run_sweeps(*, now: datetime | None = None, only: list[str] | None = None) -> list[SweepResult]:
    """Run every registered sweep (or those named in `only`) once, each on its own."""
    now = now or timezone.now()
    names = only if only else sorted(_REGISTRY)
    unknown = [name for name in names if name not in _REGISTRY]
    if unknown:
        raise KeyError(f"unknown sweep {', '.join(unknown)}; registered: {', '.join(sorted(_REGISTRY)) or 'none'}")
    results = []
    for name in names:
        started = time.monotonic()
        try:
            handled = int(_REGISTRY[name](now) or 0)
        except Exception as exc:  # noqa: BLE001 - one failing sweep never stops the others
            logger.error("sweep failed", exc_info=exc, extra={"sweep": name})
            results.append(SweepResult(name, 0, f"{type(exc).__name__}: {exc}"[:300], time.monotonic() - started))
            continue
        results.append(SweepResult(name, handled, "", time.monotonic() - started))
        if handled:
            logger.info("sweep ran", extra={"sweep": name, "handled": handled})
    return results


# ------------------------------------------------------------------------- the built-in sweep

# A claimed message not finished after this long: its worker died mid-send.
SENDING_TIMEOUT = timedelta(minutes=15)
# A due message with no job waiting for it this long after its time: the job was lost (the queue
# could not be written when the message was committed, or its job was deleted).
LOST_AFTER = timedelta(minutes=5)
BATCH = 500


@sweep("notifications.stalled")
def stalled_deliveries(now: datetime) -> int:
    """Mark failed the messages a dead worker left half-sent (they may have gone out: the clinic
    decides whether to send again), and enqueue again the due messages no job is waiting for."""
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    from .models import OutboundEmail, Status
    from .tasks import enqueue_delivery

    handled = OutboundEmail.objects.filter(status=Status.SENDING, claimed_at__lt=now - SENDING_TIMEOUT).update(
        status=Status.FAILED,
        last_error=(
            "The worker stopped while sending this message: it may or may not have been delivered. "
            "Check with the recipient before sending again."
        ),
    )
    due = (
        OutboundEmail.objects.filter(status=Status.QUEUED, created_at__lt=now - LOST_AFTER)
        .filter(Q(send_after__isnull=True) | Q(send_after__lt=now - LOST_AFTER))
        .values_list("pk", "task_id")
        .order_by("pk")[:BATCH]
    )
    rows = list(due)
    waiting = {
        str(pk)
        for pk in DBTaskResult.objects.filter(
            id__in=[task_id for _, task_id in rows if task_id], status__in=["READY", "RUNNING"]
        ).values_list("id", flat=True)
    }
    for pk, task_id in rows:
        if task_id not in waiting:
            enqueue_delivery(pk)
            handled += 1
    return handled
