"""Sweeps: the registry the portal hooks its due work into, `run_sweeps`, and the built-in sweep that
recovers what a dead worker or a lost job left behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from needlechart.notifications import sweeps
from needlechart.notifications.models import Kind, OutboundEmail, Status
from needlechart.notifications.services import send_email


@pytest.fixture
def test_sweeps():
    names: list[str] = []

    def add(name, fn):
        sweeps.sweep(name)(fn)
        names.append(name)
        return fn

    yield add
    for name in names:
        sweeps.unregister(name)


def _mail(world, **extra):
    values = {"clinic": world.clinic, "to": "ada@example.org", "subject": "Due", "text": "Due.", "kind": Kind.REMINDER}
    return send_email(**{**values, **extra})


def test_a_registered_sweep_queues_mail_once_however_often_it_runs(world, smtp_server, mail_worker, test_sweeps):
    def reminders(now):
        email = _mail(world, patient=world.patient, key=f"reminder:{world.patient.pk}:{now:%Y-%m-%d}")
        return 1 if email.attempts == 0 and email.status == Status.QUEUED else 0

    test_sweeps("test.reminders", reminders)
    assert "test.reminders" in sweeps.registered() and "notifications.stalled" in sweeps.registered()
    call_command("run_sweeps")
    call_command("run_sweeps", "--only", "test.reminders")  # again: the key keeps it to one message
    mail_worker.run()
    assert len(smtp_server.messages) == 1 and OutboundEmail.objects.count() == 1


def test_a_failing_sweep_is_reported_and_the_others_still_run(world, test_sweeps):
    ran = []

    def broken(now):
        raise RuntimeError("questionnaire table missing")

    def fine(now):
        ran.append(now)
        return 3

    test_sweeps("test.a_broken", broken)
    test_sweeps("test.b_fine", fine)
    results = {r.name: r for r in sweeps.run_sweeps()}
    assert results["test.a_broken"].error == "RuntimeError: questionnaire table missing"
    assert results["test.b_fine"].ok and results["test.b_fine"].handled == 3 and len(ran) == 1
    with pytest.raises(CommandError, match="a sweep failed"):
        call_command("run_sweeps")


def test_unknown_sweeps_and_duplicate_names_are_refused(db, test_sweeps):
    with pytest.raises(CommandError, match="unknown sweep nope; registered: .*notifications.stalled"):
        call_command("run_sweeps", "--only", "nope")
    with pytest.raises(CommandError, match="--every must be a number of seconds above 0"):
        call_command("run_sweeps", "--every", "0")

    def one(now):
        return 0

    def another(now):
        return 1

    test_sweeps("test.one", one)
    test_sweeps("test.one", one)  # the same function again (a module imported twice) is fine
    with pytest.raises(ValueError, match="a sweep named 'test.one' is already registered"):
        sweeps.sweep("test.one")(another)


def test_a_message_left_sending_by_a_dead_worker_is_marked_failed_not_sent_again(world, mail_worker, smtp_server):
    email = _mail(world)
    stale = timezone.now() - timedelta(minutes=20)
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.SENDING, attempts=1, claimed_at=stale)
    recent = _mail(world, subject="Being sent now")
    OutboundEmail.objects.filter(pk=recent.pk).update(status=Status.SENDING, attempts=1, claimed_at=timezone.now())
    assert sweeps.stalled_deliveries(timezone.now()) == 1
    email.refresh_from_db()
    recent.refresh_from_db()
    assert email.status == Status.FAILED and "may or may not have been delivered" in email.last_error
    assert recent.status == Status.SENDING
    mail_worker.run()
    assert smtp_server.messages == []


def test_a_due_message_whose_job_was_lost_is_queued_again(world, smtp_server, mail_worker):
    email = _mail(world)
    waiting = _mail(world, subject="Job still waiting")
    lost = timezone.now() - timedelta(minutes=10)
    OutboundEmail.objects.filter(pk__in=[email.pk, waiting.pk]).update(created_at=lost)
    email.refresh_from_db()
    DBTaskResult.objects.filter(id=email.task_id).delete()  # the job is gone; the other's still waits
    assert sweeps.stalled_deliveries(timezone.now()) == 1
    assert sweeps.stalled_deliveries(timezone.now()) == 0  # its new job now waits: not queued a third time
    mail_worker.run()
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["Due", "Job still waiting"]


def test_send_test_email_queues_a_message_in_the_clinics_name(world, smtp_server, mail_worker, capsys):
    call_command("send_test_email", "--clinic", "riverside", "--to", "it@riverside.example")
    assert "Queued em_" in capsys.readouterr().out
    mail_worker.run()
    [message] = smtp_server.messages
    assert message["Subject"] == "Test message from Riverside Clinic" and message["To"] == "it@riverside.example"
    with pytest.raises(CommandError, match="no clinic 'nowhere'; clinics: hillside, riverside"):
        call_command("send_test_email", "--clinic", "nowhere", "--to", "it@riverside.example")
    with pytest.raises(CommandError, match="to: 'it@' is not an email address"):
        call_command("send_test_email", "--clinic", "riverside", "--to", "it@")
    with pytest.raises(CommandError, match="not sent within 0.5 s: is a worker running"):
        call_command("send_test_email", "--clinic", "riverside", "--to", "it@riverside.example", "--wait", "0.5")
