"""Signing in: argon2 hashes, throttling after repeated failures, inactivity expiry, audit."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from needlechart.audit.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def physio():
    return f.user(f.clinic(), "physio")


def test_passwords_are_hashed_with_argon2(settings):
    from django.conf import settings as live

    settings.PASSWORD_HASHERS = live.PRODUCTION_PASSWORD_HASHERS  # production's list: Argon2 first
    user = f.user(f.clinic(), "hashed")
    assert user.password.startswith("argon2$")
    assert user.check_password(f.PASSWORD)


def test_sign_in_and_out_are_audited(physio):
    c = Client()
    response = c.post("/accounts/login/", {"username": "physio", "password": f.PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302 and response.url == "/patients/"
    c.post("/accounts/logout/")
    actions = list(AuditEvent.objects.filter(actor=physio).order_by("id").values_list("action", flat=True))
    assert actions == ["login", "logout"]


def test_wrong_password_keeps_the_user_name_and_says_what_to_do(physio):
    html = Client().post("/accounts/login/", {"username": "physio", "password": "nope"}).content.decode()
    assert 'value="physio"' in html and "after five failures the account is locked" in html
    assert AuditEvent.objects.filter(action="login_failed").count() == 1


def test_five_failures_lock_the_account_even_for_the_right_password(physio):
    c = Client()
    for _ in range(5):
        c.post("/accounts/login/", {"username": "physio", "password": "wrong"}, REMOTE_ADDR="10.0.0.7")
    locked = c.post("/accounts/login/", {"username": "physio", "password": f.PASSWORD}, REMOTE_ADDR="10.0.0.7")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()


def test_sessions_expire_after_inactivity_and_activity_renews_them(physio, monkeypatch):
    from django.contrib.sessions.models import Session

    from needlechart.accounts import middleware

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    clock = [1_000_000.0]
    monkeypatch.setattr(middleware.time, "time", lambda: clock[0])
    c = Client()
    c.force_login(physio)
    c.get("/patients/")
    key = c.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    clock[0] += 30  # within a minute: no write
    c.get("/patients/")
    assert Session.objects.get(session_key=key).expire_date == first
    clock[0] += 61  # later activity renews the expiry
    c.get("/patients/")
    assert Session.objects.get(session_key=key).expire_date > first


def test_demo_seed_is_idempotent_and_prints_logins(capsys):
    from django.core.management import call_command

    from needlechart.patients.models import Patient

    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert Patient.objects.filter(clinic__slug="demo").count() == 12
    for name in ("physio", "acupuncturist", "frontdesk", "clinicadmin"):
        assert name in out
    assert "needlechart-demo" in out


def test_admin_is_for_clinic_admins_and_their_own_clinic_only():
    from needlechart.accounts.models import Role

    clinic, other = f.clinic("riverside"), f.clinic("hilltop")
    admin_user = f.user(clinic, "boss", Role.CLINIC_ADMIN)
    f.user(clinic, "colleague")
    f.user(other, "outsider")
    physio = f.user(clinic, "physio2")
    c = Client()
    c.force_login(physio)
    assert c.get("/admin/").status_code == 302  # sent to the admin sign-in: not allowed
    c.force_login(admin_user)
    html = c.get("/admin/accounts/user/").content.decode()
    assert "colleague" in html and "outsider" not in html
    outsider = __import__("needlechart.accounts.models", fromlist=["User"]).User.objects.get(username="outsider")
    assert c.get(f"/admin/accounts/user/{outsider.pk}/change/").status_code in (302, 404)
