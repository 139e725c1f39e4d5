"""Inviting a patient, accepting, signing in (password or emailed link), turning access off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import Action, AuditEvent
from needlechart.portal import services
from needlechart.portal.models import LinkPurpose, PortalAccount, PortalLink
from tests import factories as f

from .conftest import PATIENT_PASSWORD, deliver, link_in

pytestmark = pytest.mark.django_db


def staff_client(user):
    c = Client()
    c.force_login(user)
    return c


# --- inviting --------------------------------------------------------------------------------------


def test_an_invitation_is_emailed_in_the_clinics_name_with_a_single_link(invited, clinic):
    assert invited.to == ["ada@example.com"]
    assert clinic.name in invited.from_email
    assert invited.reply_to == ["desk@riverside.example"]
    assert link_in(invited).startswith("/portal/invitation/")
    assert "7" not in invited.subject  # the subject names the clinic, not internals
    assert clinic.name in invited.subject


def test_front_desk_invites_from_the_patient_page_and_the_panel_shows_it(
    desk, patient, django_capture_on_commit_callbacks
):
    c = staff_client(desk)
    page = c.get(reverse("patients:detail", args=[patient.pk]))
    assert b"Invite to the portal" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("portal_staff:invite", args=[patient.pk]), follow=True)
    assert b"Portal invitation sent to ada@example.com" in response.content
    assert b"not opened yet" in response.content
    assert deliver() == 1 and len(mail.outbox) == 1
    account = PortalAccount.objects.get(patient=patient)
    assert account.invited_by == desk and account.status == "invited"
    assert AuditEvent.objects.filter(action=Action.CREATE, patient=patient, summary__startswith="Invited").exists()


def test_a_patient_without_an_email_address_cannot_be_invited_and_is_told_why(physio, clinic):
    nobody = f.patient(clinic, "No", "Email")
    response = staff_client(physio).post(reverse("portal_staff:invite", args=[nobody.pk]), follow=True)
    assert b"no email address" in response.content
    assert not PortalAccount.objects.exists() and not mail.outbox


def test_another_clinics_staff_cannot_invite_or_turn_off(patient):
    other = f.user(f.clinic("elsewhere"), "stranger")
    c = staff_client(other)
    assert c.post(reverse("portal_staff:invite", args=[patient.pk])).status_code == 404
    assert c.post(reverse("portal_staff:disable", args=[patient.pk])).status_code == 404
    assert not PortalAccount.objects.exists()


def test_the_invite_action_is_post_only(physio, patient):
    assert staff_client(physio).get(reverse("portal_staff:invite", args=[patient.pk])).status_code == 405


def test_a_new_invitation_makes_the_earlier_link_stop_working(
    physio, patient, invited, django_capture_on_commit_callbacks
):
    first = link_in(invited)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_patient(actor=physio, patient=patient, request=None)
    deliver()
    second = mail.outbox[-1].body
    c = Client()
    response = c.get(first)
    assert response.status_code == 400 and b"newer link" in response.content
    assert "/portal/invitation/" in second
    assert PortalAccount.objects.count() == 1


# --- accepting -------------------------------------------------------------------------------------


def test_accepting_sets_the_password_and_signs_the_patient_in(invited, patient):
    c = Client()
    path = link_in(invited)
    page = c.get(path)
    assert page.status_code == 200 and b"Welcome, Ada" in page.content
    response = c.post(path, {"password": PATIENT_PASSWORD, "password_again": PATIENT_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("portal:home")
    home = c.get(reverse("portal:home"))
    assert home.status_code == 200 and b"Hello, Ada" in home.content
    account = PortalAccount.objects.get(patient=patient)
    assert account.status == "active" and account.user.check_password(PATIENT_PASSWORD)


@pytest.mark.postgres
def test_an_invitation_link_works_once(invited):
    path = link_in(invited)
    assert Client().post(path, {"password": PATIENT_PASSWORD, "password_again": PATIENT_PASSWORD}).status_code == 302
    again = Client().post(path, {"password": "another long password 1", "password_again": "another long password 1"})
    assert again.status_code == 400 and b"already been used" in again.content


def test_an_expired_invitation_says_so(invited):
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(link_in(invited))
    assert response.status_code == 400 and b"expired" in response.content
    assert b"Ask your clinic to send you a new invitation" in response.content


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("a long portal password 77", "a different password 77", b"The two passwords differ"),
        ("short", "short", b"too short"),
        ("password123", "password123", b"too common"),
    ],
)
def test_a_refused_password_keeps_the_link_usable_and_says_what_to_change(invited, password, again, message):
    path = link_in(invited)
    c = Client()
    response = c.post(path, {"password": password, "password_again": again})
    assert response.status_code == 400 and message in response.content
    assert PortalLink.objects.get().used_at is None
    assert c.post(path, {"password": PATIENT_PASSWORD, "password_again": PATIENT_PASSWORD}).status_code == 302


def test_a_made_up_or_overlong_token_finds_nothing(db):
    assert Client().get("/portal/invitation/abc/").status_code == 400
    assert Client().get("/portal/invitation/" + "x" * 500 + "/").status_code == 400
    assert Client().post("/portal/link/" + "y" * 43 + "/").status_code == 400


# --- signing in --------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_signing_in_with_email_and_password(active):
    c = Client()
    response = c.post(reverse("portal:sign_in"), {"email": "ADA@example.com", "password": PATIENT_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("portal:home")
    event = AuditEvent.objects.filter(action=Action.LOGIN, actor=active.user).latest("at")
    assert event.clinic_id == active.clinic_id


def test_a_wrong_password_keeps_the_typed_address_and_is_audited(active):
    response = Client().post(reverse("portal:sign_in"), {"email": "ada@example.com", "password": "nope"})
    assert response.status_code == 400
    assert b'value="ada@example.com"' in response.content and b"do not match" in response.content
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, summary__contains="ada@example.com").exists()


def test_portal_sign_ins_are_throttled_like_staff(active, settings):
    settings.AXES_FAILURE_LIMIT = 3
    c = Client(REMOTE_ADDR="10.9.8.7")
    for _ in range(3):
        c.post(reverse("portal:sign_in"), {"email": "ada@example.com", "password": "wrong"}, REMOTE_ADDR="10.9.8.7")
    locked = c.post(
        reverse("portal:sign_in"), {"email": "ada@example.com", "password": PATIENT_PASSWORD}, REMOTE_ADDR="10.9.8.7"
    )
    assert locked.status_code == 429
    assert b"Try again after" in locked.content


def test_the_staff_sign_in_refuses_a_patient_and_the_portal_refuses_staff(active, physio):
    staff_login = Client().post(
        reverse("accounts:login"), {"username": active.user.username, "password": PATIENT_PASSWORD}
    )
    assert staff_login.status_code == 200 and "_auth_user_id" not in staff_login.client.session
    portal_login = Client().post(reverse("portal:sign_in"), {"email": "physio", "password": f.PASSWORD})
    assert portal_login.status_code == 400


def test_a_staff_member_opening_the_portal_is_told_it_is_for_patients(physio):
    response = staff_client(physio).get(reverse("portal:home"))
    assert response.status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_portal_sign_in(db):
    response = Client().get(reverse("portal:details"))
    assert response.status_code == 302 and response.url.startswith(reverse("portal:sign_in"))


def test_after_sign_in_only_a_portal_address_is_followed(active):
    c = Client()
    ok = c.post(
        reverse("portal:sign_in"),
        {"email": "ada@example.com", "password": PATIENT_PASSWORD, "next": "/portal/details/"},
    )
    assert ok.url == "/portal/details/"
    c = Client()
    elsewhere = c.post(
        reverse("portal:sign_in"),
        {"email": "ada@example.com", "password": PATIENT_PASSWORD, "next": "https://evil.example/"},
    )
    assert elsewhere.url == reverse("portal:home")


# --- sign-in links -----------------------------------------------------------------------------------


def request_link(email: str):
    mail.outbox.clear()
    return Client().post(reverse("portal:request_link"), {"email": email})


@pytest.mark.postgres
def test_a_sign_in_link_works_once_and_only_by_post(active, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = request_link("ada@example.com")
    assert response.status_code == 200 and b"Check your email" in response.content
    deliver()
    path = link_in(mail.outbox[-1])
    c = Client()
    assert c.get(path).status_code == 200  # a mail scanner opening the link uses up nothing
    assert PortalLink.objects.get(purpose=LinkPurpose.SIGN_IN).used_at is None
    assert c.post(path).status_code == 302
    assert c.get(reverse("portal:home")).status_code == 200
    again = Client().post(path)
    assert again.status_code == 400 and b"already been used" in again.content


def test_an_unknown_address_gets_the_same_answer_and_no_email(db):
    response = request_link("nobody@example.com")
    assert response.status_code == 200 and b"Check your email" in response.content
    assert deliver() == 0 and not mail.outbox


def test_sign_in_links_are_limited_per_quarter_hour(active, django_capture_on_commit_callbacks):
    for _ in range(services.SIGN_IN_LINKS_PER_QUARTER_HOUR + 2):
        with django_capture_on_commit_callbacks(execute=True):
            request_link("ada@example.com")
    assert PortalLink.objects.filter(purpose=LinkPurpose.SIGN_IN).count() == services.SIGN_IN_LINKS_PER_QUARTER_HOUR


def test_a_malformed_address_is_refused_with_the_reason(db):
    response = Client().post(reverse("portal:request_link"), {"email": "not an address"})
    assert response.status_code == 400 and b"is not an email address" in response.content
    assert b'value="not an address"' in response.content


def test_an_invited_patient_may_sign_in_by_link_before_choosing_a_password(
    invited, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_link("ada@example.com")
    c = Client()
    deliver()
    assert c.post(link_in(mail.outbox[-1])).status_code == 302
    assert PortalAccount.objects.get(patient=patient).status == "active"
    # No password yet: the password page does not ask for a current one.
    page = c.get(reverse("portal:password"))
    assert b"Current password" not in page.content


# --- turning access off ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_turning_access_off_ends_the_session_and_stops_the_links(physio, patient, patient_client, active):
    assert patient_client.get(reverse("portal:home")).status_code == 200
    response = staff_client(physio).post(reverse("portal_staff:disable", args=[patient.pk]), follow=True)
    assert b"Portal access turned off" in response.content
    after = patient_client.get(reverse("portal:home"))
    assert after.status_code == 302  # signed out: the account is inactive
    login = Client().post(reverse("portal:sign_in"), {"email": "ada@example.com", "password": PATIENT_PASSWORD})
    assert login.status_code == 400
    assert AuditEvent.objects.filter(patient=patient, summary="Turned portal access off").exists()


def test_inviting_again_turns_access_back_on(physio, patient, active, django_capture_on_commit_callbacks):
    services.disable_access(actor=physio, patient=patient)
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_patient(actor=physio, patient=patient)
    account = PortalAccount.objects.get(patient=patient)
    assert account.status == "active" and account.user.is_active
    assert (
        Client().post(reverse("portal:sign_in"), {"email": "ada@example.com", "password": PATIENT_PASSWORD}).status_code
        == 302
    )


# --- the patient's own pages -------------------------------------------------------------------------


def test_the_patient_sees_their_own_details_and_the_read_is_audited(patient_client, patient):
    response = patient_client.get(reverse("portal:details"))
    assert response.status_code == 200
    assert b"Lovelace" in response.content and b"+44 20 7946 0001" in response.content
    assert AuditEvent.objects.filter(action=Action.VIEW, patient=patient, actor=patient.portal_account.user).exists()


def test_changing_the_password(patient_client, active):
    bad = patient_client.post(reverse("portal:password"), {"current": "wrong", "new": "x", "new_again": "x"})
    assert bad.status_code == 400 and b"not your current password" in bad.content
    good = patient_client.post(
        reverse("portal:password"),
        {"current": PATIENT_PASSWORD, "new": "a brand new password 5", "new_again": "a brand new password 5"},
    )
    assert good.status_code == 200 and b"has been changed" in good.content
    assert patient_client.get(reverse("portal:home")).status_code == 200  # still signed in
    active.user.refresh_from_db()
    assert active.user.check_password("a brand new password 5")
