"""Mail goes out through the real queue and a real SMTP server: in the clinic's name, once, not
before its time, tried again when the server says "later", and marked failed (with the reason)
when it never takes it."""

from __future__ import annotations

import time
from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from needlechart.audit.models import AuditEvent
from needlechart.notifications.models import Kind, OutboundEmail, Status
from needlechart.notifications.services import send_email
from needlechart.notifications.tasks import deliver, enqueue_delivery


def _send(world, **extra):
    values = {
        "clinic": world.clinic,
        "to": "ada@example.org",
        "subject": "Your questionnaire is due",
        "text": "Please fill in the neck disability index before Thursday.",
        "kind": Kind.REMINDER,
        "patient": world.patient,
    }
    return send_email(**{**values, **extra})


def test_delivered_in_the_clinics_name_with_replies_to_the_clinic(world, smtp_server, mail_worker):
    email = _send(world, html="<p>Please fill in the <b>neck disability index</b>.</p>")
    assert smtp_server.messages == []  # queued, not sent inside the request
    assert email.status == Status.QUEUED

    assert mail_worker.run() == 1

    [message] = smtp_server.messages
    assert parseaddr(message["From"]) == ("Riverside Clinic", "noreply@needlechart.test")
    assert message["Reply-To"] == "desk@riverside.example"
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Your questionnaire is due"
    assert message["X-NeedleChart-Email"] == email.public_id
    assert "neck disability index before Thursday" in message.get_body(("plain",)).get_content()
    assert "<b>neck disability index</b>" in message.get_body(("html",)).get_content()
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 1, "")
    assert email.sent_at is not None and email.public_id.startswith("em_")
    audit = AuditEvent.objects.get(object_type="notifications.outboundemail", object_id=str(email.pk))
    assert audit.clinic_id == world.clinic.pk and audit.patient_id == world.patient.pk
    assert "ada@example.org" in audit.summary


def test_no_reply_to_when_the_clinic_has_no_email_and_a_name_with_commas_is_quoted(world, smtp_server, mail_worker):
    world.clinic.email = ""
    world.clinic.name = "Physio, Needling & Co"
    world.clinic.save()
    _send(world)
    mail_worker.run()
    [message] = smtp_server.messages
    assert message["Reply-To"] is None
    assert parseaddr(message["From"]) == ("Physio, Needling & Co", "noreply@needlechart.test")


def test_a_refusal_to_try_later_is_retried_and_then_delivered(world, smtp_server, mail_worker, quick_retries):
    smtp_server.refuse(1, code=451)
    email = _send(world)
    mail_worker.run()
    email.refresh_from_db()
    assert smtp_server.refused == 1 and len(smtp_server.messages) == 1
    assert (email.status, email.attempts) == (Status.SENT, 2)


def test_after_the_last_retry_the_message_is_failed_with_the_reason_and_no_more_tries(
    world, smtp_server, mail_worker, quick_retries
):
    smtp_server.refuse(10, code=451)
    email = _send(world)
    mail_worker.run()
    email.refresh_from_db()
    assert smtp_server.refused == 3 and smtp_server.messages == []  # 1 + the 2 retries of quick_retries
    assert (email.status, email.attempts) == (Status.FAILED, 3)
    assert "451" in email.last_error and "Try again later" in email.last_error
    mail_worker.run()
    assert smtp_server.refused == 3  # failed means failed: no job left that would try again


def test_a_permanent_refusal_fails_at_once(world, smtp_server, mail_worker, quick_retries):
    smtp_server.refuse(1, code=550, text="5.1.1 No such mailbox")
    email = _send(world)
    mail_worker.run()
    email.refresh_from_db()
    assert (email.status, email.attempts, smtp_server.refused) == (Status.FAILED, 1, 1)
    assert "550" in email.last_error and "No such mailbox" in email.last_error


def test_a_mail_server_that_does_not_answer_is_retried_then_failed(
    world, smtp_server, mail_worker, quick_retries, settings
):
    from tests.mail_fixtures import refusing_port

    email = _send(world)
    with refusing_port() as port:  # nothing listens there: connection refused
        settings.EMAIL_PORT = port
        mail_worker.run()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, 3)
    assert "ConnectionRefusedError" in email.last_error


def test_a_job_run_twice_sends_once(world, smtp_server, mail_worker):
    email = _send(world)
    enqueue_delivery(email.pk)  # the same delivery queued a second time
    assert DBTaskResult.objects.count() == 2
    assert mail_worker.run() == 2
    assert len(smtp_server.messages) == 1
    assert deliver.call(email.pk) == "skipped: sent"  # and once more, by hand
    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_a_deferred_message_is_not_sent_before_its_time(world, smtp_server, mail_worker):
    email = _send(world, kind=Kind.CHECK_IN, send_after=timezone.now() + timedelta(seconds=2))
    assert mail_worker.run() == 0  # its job is not ready yet
    enqueue_delivery(email.pk)  # a job without the delay: it runs now, and must still not send
    assert mail_worker.run() == 1
    assert smtp_server.messages == []
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.QUEUED, 0)

    time.sleep(max(0.0, (email.send_after - timezone.now()).total_seconds()) + 0.2)
    mail_worker.run()
    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert email.status == Status.SENT and email.sent_at >= email.send_after


def test_nothing_is_queued_when_the_callers_transaction_rolls_back(world, smtp_server, mail_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        _send(world)
        raise RuntimeError("the caller's own work failed")
    assert OutboundEmail.objects.count() == 0 and DBTaskResult.objects.count() == 0
    assert mail_worker.run() == 0 and smtp_server.messages == []


def test_the_same_key_sends_one_message(world, smtp_server, mail_worker):
    first = _send(world, key="reminder:ndi:2026-12-03")
    second = _send(world, key="reminder:ndi:2026-12-03")
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1 and DBTaskResult.objects.count() == 1
    mail_worker.run()
    assert len(smtp_server.messages) == 1
    # Another clinic may use the same key for its own message.
    other = send_email(
        clinic=world.other_clinic,
        to="grace@example.org",
        subject="Due",
        text="Due",
        kind=Kind.REMINDER,
        key="reminder:ndi:2026-12-03",
    )
    assert other.pk != first.pk


def test_not_configured_in_production_fails_visibly_with_the_variable_to_set(world, mail_worker, settings):
    settings.EMAIL_BACKEND = "needlechart.notifications.backends.NotConfiguredBackend"
    email = _send(world)
    mail_worker.run()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, 1)
    assert "NEEDLECHART_EMAIL_HOST" in email.last_error


@pytest.mark.postgres
def test_two_workers_never_send_the_same_message_twice(world, smtp_server, mail_worker):
    smtp_server.delay = 0.02  # each message takes a moment, so both workers have work
    emails = [_send(world, to=f"patient{n}@example.org", subject=f"Reminder {n}") for n in range(12)]
    for email in emails:
        enqueue_delivery(email.pk)  # every delivery queued twice, too
    assert DBTaskResult.objects.count() == 24

    worker_ids = mail_worker.run_concurrently(2)

    ids = [m["X-NeedleChart-Email"] for m in smtp_server.messages]
    assert sorted(ids) == sorted(e.public_id for e in emails)  # each once, none twice
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    ran = {worker for result in DBTaskResult.objects.all() for worker in result.worker_ids}
    assert ran == set(worker_ids)  # both took jobs
    assert all(len(result.worker_ids) == 1 for result in DBTaskResult.objects.all())  # no job ran twice


def test_a_sensitive_message_is_delivered_whole_then_its_text_is_removed(world, smtp_server, mail_worker):
    link = "https://clinic.example.org/portal/link/abc123-single-use/"
    email = _send(world, kind=Kind.SIGN_IN, subject="Sign in", text=f"Open {link}", sensitive=True)
    mail_worker.run()
    [message] = smtp_server.messages
    assert link in message.get_body(("plain",)).get_content()
    email.refresh_from_db()
    assert email.status == Status.SENT and link not in email.text and "single-use link" in email.text
