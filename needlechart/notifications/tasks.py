"""The delivery job: one run sends one queued message at most once.

A run first claims the row with one conditional UPDATE (queued and due -> sending). Only the run
whose UPDATE changed the row sends; a second copy of the job (enqueued twice, picked up by two
workers, retried by hand) finds the row no longer queued and does nothing. SMTP refusals that may
pass (a 4xx answer, a refused or dropped connection, a timeout) are tried again after the delays in
`settings.NEEDLECHART_EMAIL_RETRY_SECONDS`; after the last one, or at once for a permanent refusal
(5xx, email not configured, a message that cannot be built), the row is marked failed with the
reason, where the clinic's sent-mail page shows it.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from .backends import EmailNotConfigured
from .models import REDACTED, OutboundEmail, Status

logger = logging.getLogger("needlechart.notifications")

# The log names the message by its public id and the error by its type: the reason itself (which may
# quote the recipient's address) is on the row, for the clinic, not in the server's log.
# Seconds to wait before the 2nd, 3rd, ... attempt: five attempts over about two and a half hours.
DEFAULT_RETRY_SECONDS = (60, 300, 1800, 7200)
ERROR_LENGTH = 300


def retry_delays() -> tuple[float, ...]:
    return tuple(getattr(settings, "NEEDLECHART_EMAIL_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))


def max_attempts() -> int:
    return len(retry_delays()) + 1


def enqueue_delivery(email_id: int, *, run_after: datetime | None = None) -> str:
    """Put one delivery job on the queue (after the caller's transaction: see services.send_email)
    and note its id on the row. Enqueuing twice is harmless: the second run finds nothing to send."""
    job = deliver.using(run_after=run_after) if run_after is not None else deliver
    result = job.enqueue(email_id)
    OutboundEmail.objects.filter(pk=email_id).update(task_id=str(result.id))
    return str(result.id)


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    """The message in the clinic's name: From "<clinic> <DEFAULT_FROM_EMAIL>", replies to the clinic."""
    clinic = email.clinic
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=formataddr((clinic.name, address)),
        to=[email.to],
        reply_to=[clinic.email] if clinic.email else None,
        headers={"X-NeedleChart-Email": email.public_id, "Auto-Submitted": "auto-generated"},
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def _is_transient(exc: BaseException) -> bool:
    """Whether trying again later may succeed: a 4xx answer or a network failure, never a 5xx."""
    if isinstance(exc, EmailNotConfigured):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # Disconnected, connection refused or reset, a timeout, a name that did not resolve.
    return isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | OSError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"{addr}: {code} {msg.decode(errors='replace')}" for addr, (code, msg) in exc.recipients.items()
        )
        return f"The mail server refused the recipient ({text})"[:ERROR_LENGTH]
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"The mail server answered {exc.smtp_code} {answer}"[:ERROR_LENGTH]
    if isinstance(exc, EmailNotConfigured):
        return str(exc)[:ERROR_LENGTH]
    return f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]


@task()
def deliver(email_id: int) -> str:
    """Send queued message `email_id` if it is due and nobody else has; returns what happened."""
    now = timezone.now()
    claimed = (
        OutboundEmail.objects.filter(pk=email_id, status=Status.QUEUED)
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
        .update(status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    )
    if not claimed:
        row = OutboundEmail.objects.filter(pk=email_id).values("status", "send_after").first()
        if row is None:
            return "gone"
        if row["status"] == Status.QUEUED and row["send_after"] is not None:
            # Run before its time (a clock ahead of the database's): wait for it again.
            enqueue_delivery(email_id, run_after=row["send_after"])
            return "not yet due"
        return f"skipped: {row['status']}"
    email = OutboundEmail.objects.select_related("clinic").get(pk=email_id)
    try:
        build_message(email).send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row, never lost
        return _attempt_failed(email, exc)
    done = {"status": Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    if email.sensitive:  # the secret went to the patient; the clinic's copy need not keep it
        done |= {"text": REDACTED, "html": ""}
    OutboundEmail.objects.filter(pk=email_id, status=Status.SENDING).update(**done)
    logger.info("email sent", extra={"email": email.public_id, "kind": email.kind, "attempt": email.attempts})
    return "sent"


def _attempt_failed(email: OutboundEmail, exc: BaseException) -> str:
    error = _describe(exc)
    delays = retry_delays()
    mine = OutboundEmail.objects.filter(pk=email.pk, status=Status.SENDING)
    if _is_transient(exc) and email.attempts <= len(delays):
        retry_at = timezone.now() + timedelta(seconds=delays[email.attempts - 1])
        mine.update(status=Status.QUEUED, send_after=retry_at, last_error=error)
        enqueue_delivery(email.pk, run_after=retry_at)
        logger.warning(
            "email attempt failed, will retry",
            extra={"email": email.public_id, "attempt": email.attempts, "error": type(exc).__name__},
        )
        return f"retry at {retry_at.isoformat()}"
    mine.update(status=Status.FAILED, last_error=error)
    if _is_transient(exc) or isinstance(exc, smtplib.SMTPException | EmailNotConfigured):
        logger.error(
            "email failed", extra={"email": email.public_id, "attempts": email.attempts, "error": type(exc).__name__}
        )
    else:  # not the mail server: a message that could not be built is a bug worth its traceback
        logger.error("email failed", exc_info=exc, extra={"email": email.public_id, "error": type(exc).__name__})
    return "failed"
