"""Two-factor sign-in: enrolment, the code after the password, recovery codes, throttling of codes,
the clinic's setting, and the middleware in front of every staff URL and the API."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlechart.accounts import two_factor
from needlechart.accounts.models import Clinic, Role
from needlechart.audit.models import AuditEvent
from tests import factories as f
from tests.urlsamples import every_url

pytestmark = pytest.mark.django_db
ADDRESS = "10.20.30.40"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clinic():
    clinic = f.clinic()
    clinic.require_two_factor = True
    clinic.save()
    return clinic


@pytest.fixture
def physio(clinic):
    return f.user(clinic, "physio")


def code_for(device: TOTPDevice, *, later: int = 0) -> str:
    """The authenticator's code now (or `later` steps on: django-otp refuses a step already used)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + later * device.step
    return f"{totp.token():06d}"


def fresh_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return code_for(device, later=1 if device.last_t >= TOTP(device.bin_key).t() else 0)


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """A user with a confirmed authenticator and ten recovery codes, set up through the services."""
    device = two_factor.pending_authenticator(user=user)
    device.confirmed = True
    device.save()
    return device, two_factor._new_recovery_codes(user=user)


def let_time_pass(user) -> None:
    """django-otp waits 1, 2, 4 ... seconds after each wrong code; the tests do not."""
    past = timezone.now() - timedelta(hours=1)
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=past)
    StaticDevice.objects.filter(user=user).update(throttling_failure_timestamp=past)


def password(client: Client, username: str = "physio", next_url: str = ""):
    data = {"username": username, "password": f.PASSWORD, **({"next": next_url} if next_url else {})}
    return client.post("/accounts/login/", data, REMOTE_ADDR=ADDRESS)


def give_code(client: Client, code: str, next_url: str = "/patients/"):
    return client.post("/accounts/two-factor/", {"code": code, "next": next_url}, REMOTE_ADDR=ADDRESS)


# --- enrolment ------------------------------------------------------------------------------------


def test_a_clinician_of_a_clinic_requiring_it_enrols_and_gets_ten_recovery_codes_once(physio):
    c = Client()
    response = password(c)
    assert response.status_code == 302 and response.url == "/accounts/two-factor/?next=%2Fpatients%2F"
    response = c.get(response.url)
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/set-up/")
    page = c.get(response.url)
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=physio, confirmed=False)
    assert "<svg" in html and "<img" not in html  # the QR code is drawn inline, no image service
    assert two_factor.secret_text(device=device) in html
    assert "Your clinic requires two-factor sign-in" in html
    assert c.get("/accounts/two-factor/set-up/").content.decode().count(two_factor.secret_text(device=device)) == 1

    wrong = c.post("/accounts/two-factor/set-up/", {"code": "000000"}, REMOTE_ADDR=ADDRESS)
    assert "That code is not right" in wrong.content.decode()
    let_time_pass(physio)
    done = c.post("/accounts/two-factor/set-up/", {"code": code_for(device), "next": "/patients/"}, REMOTE_ADDR=ADDRESS)
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert c.get("/patients/").status_code == 200  # the session is verified by the confirmation
    # Stored as keyed hashes, never as the codes themselves; never shown again.
    stored = set(StaticToken.objects.filter(device__user=physio).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {code.replace("-", "") for code in codes}
    security = c.get("/accounts/security/").content.decode()
    assert "Recovery codes left: <strong>10</strong>" in security and codes[0] not in security
    trail = list(AuditEvent.objects.filter(actor=physio).values_list("summary", flat=True))
    assert "Set up two-factor sign-in (authenticator app)" in trail
    assert AuditEvent.objects.filter(action="login_failed", summary__contains="set-up code", actor=physio).exists()


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.CLINIC_ADMIN, Role.FRONT_DESK])
def test_every_staff_role_must_enrol_when_the_clinic_requires_it(clinic, role):
    user = f.user(clinic, "someone", role)
    c = Client()
    c.force_login(user)
    response = c.get("/patients/")
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/set-up/")


def test_replacing_an_authenticator_needs_the_current_one_first(physio):
    enrolled(physio)
    c = Client()
    c.force_login(physio)  # password only
    response = c.get("/accounts/two-factor/set-up/")
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/?")
    assert not TOTPDevice.objects.filter(user=physio, confirmed=False).exists()


def test_a_new_authenticator_replaces_the_old_one_and_its_recovery_codes(physio):
    old, old_codes = enrolled(physio)
    c = Client()
    password(c)
    give_code(c, code_for(old))
    new = two_factor.pending_authenticator(user=physio)
    c.get("/accounts/two-factor/set-up/")
    response = c.post("/accounts/two-factor/set-up/", {"code": code_for(new)}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    assert list(TOTPDevice.objects.filter(user=physio).values_list("pk", flat=True)) == [new.pk]
    assert c.get("/patients/").status_code == 200
    c.post("/accounts/logout/")
    password(c)
    assert give_code(c, old_codes[0]).status_code == 200  # the old recovery codes no longer work


# --- the code after the password ------------------------------------------------------------------


def test_after_the_password_the_code_is_needed_before_any_page(physio):
    device, _ = enrolled(physio)
    c = Client()
    response = password(c)
    assert response.url == "/accounts/two-factor/?next=%2Fpatients%2F"
    blocked = c.get("/patients/")
    assert blocked.status_code == 302 and blocked.url == "/accounts/two-factor/?next=%2Fpatients%2F"
    page = c.get("/accounts/two-factor/?next=%2Fpatients%2F").content.decode()
    assert "Enter your code" in page
    response = give_code(c, code_for(device))
    assert response.status_code == 302 and response.url == "/patients/"
    assert c.get("/patients/").status_code == 200
    summaries = list(AuditEvent.objects.filter(actor=physio, action="login").order_by("id").values_list("summary"))
    assert summaries == [("Password accepted; second factor to follow",), ("Second factor given: authenticator code",)]


def test_a_user_who_opted_in_is_asked_even_where_the_clinic_does_not_require_it(physio, clinic):
    clinic.require_two_factor = False
    clinic.save()
    device, _ = enrolled(physio)
    c = Client()
    password(c)
    assert c.get("/patients/").status_code == 302
    give_code(c, code_for(device))
    assert c.get("/patients/").status_code == 200


def test_a_wrong_code_is_refused_audited_and_throttled(physio):
    device, _ = enrolled(physio)
    c = Client()
    password(c)
    wrong = give_code(c, "123456" if code_for(device) != "123456" else "654321")
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    assert c.get("/patients/").status_code == 302
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.actor == physio and failed.summary == "Wrong two-factor authenticator code for 'physio'"
    assert failed.ip_address == ADDRESS
    # django-otp's delay: straight after a wrong code even the right one waits a moment.
    waiting = give_code(c, code_for(device))
    assert "wait" in waiting.content.decode() and c.get("/patients/").status_code == 302
    # axes: the fifth wrong code locks the name at this address and ends the half-open session.
    for _ in range(4):
        let_time_pass(physio)
        response = give_code(c, "000000")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed sign-ins" in html and "Try again after" in html and "in 15 minutes" in html
    assert c.get("/patients/").url.startswith("/accounts/login/")  # signed out
    assert password(Client()).status_code == 429  # and the password alone cannot start again
    assert AccessAttempt.objects.get(username="physio", ip_address=ADDRESS).failures_since_start == 5


def test_signing_in_again_with_the_password_does_not_forgive_wrong_codes(physio):
    """Otherwise someone who has the password could guess codes four at a time, without end."""
    enrolled(physio)
    for _ in range(2):
        c = Client()
        assert password(c).status_code == 302
        for _ in range(2):
            let_time_pass(physio)
            assert give_code(c, "000000").status_code == 200
    c = Client()
    password(c)
    let_time_pass(physio)
    assert give_code(c, "000000").status_code == 429  # the fifth wrong code across three sign-ins


def test_a_recovery_code_works_once(physio):
    _, codes = enrolled(physio)
    c = Client()
    password(c)
    response = give_code(c, codes[3].upper().replace("-", " "))  # as typed from paper
    assert response.status_code == 302 and response.url == "/patients/"
    page = c.get("/patients/").content.decode()
    assert "You signed in with a recovery code; 9 left" in page
    assert AuditEvent.objects.filter(actor=physio, summary="Second factor given: a recovery code (9 left)").exists()
    c.post("/accounts/logout/")
    again = Client()
    password(again)
    let_time_pass(physio)
    refused = give_code(again, codes[3])
    assert refused.status_code == 200 and "That code is not right" in refused.content.decode()
    assert again.get("/patients/").status_code == 302
    assert StaticToken.objects.filter(device__user=physio).count() == 9


def test_new_recovery_codes_replace_the_old_ones(physio):
    device, old = enrolled(physio)
    c = Client()
    password(c)
    give_code(c, code_for(device))
    response = c.post("/accounts/security/recovery-codes/")
    new = re.findall(r"<code>([a-z2-7-]{14})</code>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert c.get("/patients/").status_code == 200  # still verified
    c.post("/accounts/logout/")
    c = Client()
    password(c)
    assert give_code(c, old[0]).status_code == 200  # refused
    let_time_pass(physio)
    assert give_code(c, new[0]).status_code == 302


def test_new_recovery_codes_need_a_verified_session(physio):
    enrolled(physio)
    c = Client()
    c.force_login(physio)
    response = c.post("/accounts/security/recovery-codes/")
    assert response.status_code == 302 and "/accounts/two-factor/" in response.url


# --- the API --------------------------------------------------------------------------------------


def test_the_api_is_refused_before_the_second_factor(physio):
    device, _ = enrolled(physio)
    c = Client()
    password(c)
    refused = c.get("/api/v1/patients")
    assert refused.status_code == 401
    assert (
        refused.json()["code"] == "two_factor_required" and "Two-factor sign-in is needed" in refused.json()["detail"]
    )
    assert c.post("/api/v1/patients", {}, content_type="application/json").status_code == 401
    give_code(c, code_for(device))
    assert c.get("/api/v1/patients").status_code == 200


def test_the_api_is_refused_until_enrolled(physio):
    c = Client()
    c.force_login(physio)
    refused = c.get("/api/v1/patients")
    assert refused.status_code == 401 and refused.json()["code"] == "two_factor_enrolment_required"


def test_an_htmx_request_is_sent_to_the_code_page_as_a_whole(physio):
    enrolled(physio)
    c = Client()
    c.force_login(physio)
    response = c.get("/patients/?q=ada", HTTP_HX_REQUEST="true")
    assert response.status_code == 401 and response["HX-Redirect"].startswith("/accounts/two-factor/?next=")


# --- the clinic's setting -------------------------------------------------------------------------


def test_a_clinic_with_two_factor_off_signs_in_as_before():
    clinic = f.clinic("open-door")  # the factory's clinics have it off, as existing clinics do
    assert clinic.require_two_factor is False
    f.user(clinic, "physio")
    c = Client()
    response = password(c)
    assert response.status_code == 302 and response.url == "/patients/"
    assert c.get("/patients/").status_code == 200
    assert c.get("/api/v1/patients").status_code == 200
    assert not TOTPDevice.objects.exists()


def test_new_clinics_require_it_unless_told_otherwise():
    assert Clinic.objects.create(name="New", slug="new").require_two_factor is True


def test_the_migration_leaves_existing_clinics_off_and_makes_new_ones_require_it():
    from importlib import import_module

    migration = import_module("needlechart.accounts.migrations.0003_clinic_require_two_factor").Migration
    add, alter = migration.operations
    assert add.field.default is False  # the rows that exist get False
    assert alter.field.default is True and alter.field.db_default is True  # rows written later get True


def test_a_clinic_admin_turns_it_on_and_staff_must_enrol_at_once():
    clinic = f.clinic()
    admin = f.user(clinic, "boss", Role.CLINIC_ADMIN)
    physio = f.user(clinic, "physio")
    colleague = Client()
    colleague.force_login(physio)
    assert colleague.get("/patients/").status_code == 200  # caches "not required" for a minute
    c = Client()
    c.force_login(admin)
    assert "Require two-factor sign-in for all staff" in c.get("/accounts/clinic/").content.decode()
    assert c.post("/accounts/clinic/", {"require_two_factor": "on"}).status_code == 302
    clinic.refresh_from_db()
    assert clinic.require_two_factor
    assert colleague.get("/patients/").url.startswith("/accounts/two-factor/set-up/")
    assert c.get("/patients/").url.startswith("/accounts/two-factor/set-up/")  # the admin too
    event = AuditEvent.objects.get(object_type="accounts.clinic")
    assert event.actor == admin and "required for all staff" in event.summary


def test_only_a_clinic_admin_changes_the_setting(physio, clinic):
    clinic.require_two_factor = False
    clinic.save()
    c = Client()
    c.force_login(physio)
    assert c.post("/accounts/clinic/", {}).status_code == 403
    clinic.refresh_from_db()
    assert clinic.require_two_factor is False


def test_a_clinic_admin_removes_a_colleagues_lost_authenticator(clinic, physio):
    admin = f.user(clinic, "boss", Role.CLINIC_ADMIN)
    admin_device, _ = enrolled(admin)
    enrolled(physio)
    c = Client()
    password(c, "boss")
    give_code(c, code_for(admin_device))
    response = c.post(
        "/admin/accounts/user/", {"action": "remove_two_factor", "_selected_action": [physio.pk]}, follow=True
    )
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=physio).exists() and not StaticDevice.objects.filter(user=physio).exists()
    assert AuditEvent.objects.filter(actor=admin, summary="Removed two-factor sign-in of physio").exists()
    assert TOTPDevice.objects.filter(user=admin).exists()


# --- the middleware covers every URL --------------------------------------------------------------

OPEN = {"/accounts/login/", "/accounts/logout/", "/accounts/two-factor/", "/accounts/two-factor/set-up/"}


@pytest.mark.parametrize("standing", ["code needed", "enrolment needed"])
def test_every_url_but_the_sign_in_pages_is_refused_while_the_second_factor_is_owed(physio, standing):
    if standing == "code needed":
        enrolled(physio)
        expected = "/accounts/two-factor/"
    else:
        expected = "/accounts/two-factor/set-up/"
    c = Client(raise_request_exception=False)
    c.force_login(physio)  # password given, second factor not
    urls = {path: name for path, name in every_url().items() if path not in OPEN}
    for path in urls:
        resolve(path)  # each sample is a real URL of the project, not a 404 the middleware happens to catch
    paths = sorted(urls)
    assert len(paths) > 40
    names = set(urls.values())
    assert {"patients:list", "patients:detail", "charting:visit", "admin:index", "accounts:security"} <= names
    assert {"/api/v1/patients", "/api/v1/suggestions"} <= set(paths)
    for path in paths:
        for method in ("get", "post"):
            response = getattr(c, method)(path)
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path)
                assert "Two-factor sign-in is needed" in response.json()["detail"]
            else:
                assert response.status_code == 302, (method, path, response.status_code)
                assert response.url.split("?")[0] == expected, (method, path, response.url)
    # The open pages answer, and lead nowhere else.
    assert c.get(expected).status_code in (200, 302)
