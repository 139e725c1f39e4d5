"""The sent-mail pages: the clinic's own mail only, newest first, failures shown with their reason,
and "send again" for a failed message (once, however often it is clicked)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from needlechart.audit.models import Action, AuditEvent
from needlechart.notifications.models import Kind, OutboundEmail, Status
from needlechart.notifications.services import send_email


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _mail(world, clinic=None, patient=None, **extra):
    clinic = clinic or world.clinic
    values = {"to": "ada@example.org", "subject": "Welcome", "text": "Hello.", "kind": Kind.INVITATION}
    return send_email(clinic=clinic, patient=patient, **{**values, **extra})


def _failed(email, error="The mail server answered 550 5.1.1 No such mailbox"):
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.FAILED, attempts=3, last_error=error)
    email.refresh_from_db()
    return email


def test_the_list_is_the_clinics_newest_first_with_failures_highlighted(world):
    first = _mail(world, patient=world.patient, subject="First invitation")
    _failed(_mail(world, patient=world.patient, subject="Second, failed"))
    _mail(world, subject="Clinic notice", kind=Kind.OTHER)
    _mail(
        world, clinic=world.other_clinic, patient=world.other_patient, subject="Hillside secret", to="grace@example.org"
    )

    page = _client(world.admin).get(reverse("notifications:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hillside secret" not in html and "grace@example.org" not in html
    assert html.index("Clinic notice") < html.index("Second, failed") < html.index("First invitation")
    assert "1 message could not be sent" in html and "No such mailbox" in html
    assert first.public_id in reverse("notifications:detail", args=[first.pk])
    assert AuditEvent.objects.filter(actor=world.admin, action=Action.VIEW, summary="Opened the sent mail").exists()

    failed_only = _client(world.admin).get(reverse("notifications:list") + "?status=failed").content.decode()
    assert "Second, failed" in failed_only and "First invitation" not in failed_only


def test_clinicians_see_the_patients_mail_and_front_desk_none(world):
    _mail(world, patient=world.patient, subject="Patient invitation")
    notice = _mail(world, subject="Staff notice", kind=Kind.OTHER)
    html = _client(world.physio).get(reverse("notifications:list")).content.decode()
    assert "Patient invitation" in html and "Staff notice" not in html
    assert _client(world.physio).get(reverse("notifications:detail", args=[notice.pk])).status_code == 404
    assert _client(world.desk).get(reverse("notifications:list")).status_code == 403
    assert _client(world.admin).get(reverse("notifications:detail", args=[notice.pk])).status_code == 200


def test_another_clinics_message_is_a_404_and_the_probe_is_recorded(world):
    theirs = _failed(_mail(world, clinic=world.other_clinic, patient=world.other_patient, to="grace@example.org"))
    c = _client(world.admin)
    assert c.get(reverse("notifications:detail", args=[theirs.pk])).status_code == 404
    assert c.post(reverse("notifications:send_again", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.FAILED
    assert AuditEvent.objects.filter(actor=world.admin, action=Action.DENIED).exists()
    # A row number or another kind's token instead of the message's token is no address at all.
    assert c.get(f"/mail/{theirs.pk}/").status_code == 404


def test_a_failed_message_shows_why_and_is_sent_again_once(world, smtp_server, mail_worker):
    email = _failed(_mail(world, patient=world.patient, subject="Your invitation"))
    c = _client(world.admin)
    detail = c.get(reverse("notifications:detail", args=[email.pk])).content.decode()
    assert "Not sent" in detail and "No such mailbox" in detail and "Send again" in detail

    response = c.post(reverse("notifications:send_again", args=[email.pk]), follow=True)
    assert "Queued again: Your invitation to ada@example.org." in response.content.decode()
    again = c.post(reverse("notifications:send_again", args=[email.pk]), follow=True)  # the double click
    assert "this message is queued, not failed: nothing to resend" in again.content.decode().lower()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.QUEUED, 0)
    assert AuditEvent.objects.filter(actor=world.admin, action=Action.CHANGE, object_id=str(email.pk)).count() == 1

    mail_worker.run()
    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 1, "")


def test_send_again_by_role(world):
    patient_mail = _failed(_mail(world, patient=world.patient))
    notice = _failed(_mail(world, kind=Kind.OTHER))
    # A clinician may resend a patient's mail; front desk sees none of it (404 here, 403 for the list).
    assert _client(world.desk).post(reverse("notifications:send_again", args=[patient_mail.pk])).status_code == 404
    assert _client(world.physio).post(reverse("notifications:send_again", args=[patient_mail.pk])).status_code == 302
    patient_mail.refresh_from_db()
    assert patient_mail.status == Status.QUEUED
    # The clinic's own notices are the admin's: a clinician does not see them at all.
    assert _client(world.physio).post(reverse("notifications:send_again", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.status == Status.FAILED
    assert _client(world.physio).get("/mail/", {"page": "x"}).status_code == 200  # a bad page number: the first
    assert _client(world.admin).get("/mail/", {"status": "bogus"}).status_code == 200  # an unknown filter: all


def test_the_nav_links_the_sent_mail_for_clinicians_and_admins_only(world):
    link = f'href="{reverse("notifications:list")}"'
    assert link in _client(world.admin).get(reverse("patients:list")).content.decode()
    assert link in _client(world.physio).get(reverse("patients:list")).content.decode()
    assert link not in _client(world.desk).get(reverse("patients:list")).content.decode()


def test_a_sensitive_messages_text_is_never_shown(world):
    email = _mail(
        world,
        patient=world.patient,
        kind=Kind.SIGN_IN,
        text="Open https://x.example/link/secret-token/",
        sensitive=True,
    )
    html = _client(world.admin).get(reverse("notifications:detail", args=[email.pk])).content.decode()
    assert "secret-token" not in html and "single-use link" in html
