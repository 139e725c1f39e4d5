"""send_email refuses what cannot be sent, naming the field and the fix; a refused message leaves no
row, no audit row and no job."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from needlechart.audit.models import AuditEvent
from needlechart.notifications.models import Kind, OutboundEmail
from needlechart.notifications.services import EmailError, send_email

pytestmark = pytest.mark.django_db


def _send(world, **extra):
    values = {
        "clinic": world.clinic,
        "to": "ada@example.org",
        "subject": "Welcome",
        "text": "Your invitation.",
        "kind": Kind.INVITATION,
        "patient": world.patient,
    }
    return send_email(**{**values, **extra})


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"to": "ada@"}, "to", "'ada@' is not an email address: write it as name@example.org"),
        ({"to": "ada @example.org"}, "to", "is not an email address"),
        ({"to": "ada@example.org\nBcc: eve@example.org"}, "to", "is not an email address"),
        ({"to": ""}, "to", "address is missing"),
        ({"to": None}, "to", "address is missing"),
        ({"subject": "  "}, "subject", "subject is empty"),
        ({"subject": "Hello\nBcc: eve@example.org"}, "subject", "must be one line"),
        ({"subject": "x" * 201}, "subject", "201 characters long; at most 200"),
        ({"text": ""}, "text", "needs a plain-text body"),
        (
            {"kind": "newsletter"},
            "kind",
            "unknown kind 'newsletter'; use one of: invitation, reminder, check_in, sign_in, other",
        ),
        ({"send_after": datetime(2026, 12, 2, 9, 0)}, "send_after", "time zone"),
        ({"key": "k" * 121}, "key", "at most 120"),
        ({"clinic": None}, "clinic", "a saved clinic is required"),
    ],
)
def test_a_message_that_cannot_be_sent_is_refused_naming_the_field(world, changes, field, words):
    with pytest.raises(EmailError) as refused:
        _send(world, **changes)
    assert refused.value.field == field
    assert words in str(refused.value)
    assert refused.value.message_dict == {field: [refused.value.reason]}  # for form.add_error
    assert not OutboundEmail.objects.exists() and not DBTaskResult.objects.exists()
    assert not AuditEvent.objects.filter(object_type="notifications.outboundemail").exists()


def test_another_clinics_patient_is_refused(world):
    with pytest.raises(EmailError, match="patient: the patient is not one of this clinic's patients"):
        _send(world, patient=world.other_patient)


def test_a_queued_message_records_who_and_when_and_is_audited(world, django_capture_on_commit_callbacks):
    later = timezone.now() + timedelta(hours=24)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = _send(world, kind=Kind.CHECK_IN, send_after=later, actor=world.physio, to="  ada@example.org ")
    assert len(callbacks) == 1
    assert email.to == "ada@example.org" and email.created_by == world.physio and email.send_after == later
    [job] = DBTaskResult.objects.all()
    assert job.run_after == later and job.args_kwargs == {"args": [email.pk], "kwargs": {}}
    email.refresh_from_db()
    assert email.task_id == str(job.id)
    audit = AuditEvent.objects.get(object_type="notifications.outboundemail")
    assert audit.actor == world.physio and audit.patient == world.patient and "not before" in audit.summary
