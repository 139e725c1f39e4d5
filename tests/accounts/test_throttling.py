"""Sign-in throttling per name and address, and per address across names (credential stuffing); the
lock-out page says when to try again."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests import factories as f

pytestmark = pytest.mark.django_db

STUFFER = "203.0.113.66"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Dozens of sign-ins per test: Argon2 (right for production) would only make them slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def physio():
    return f.user(f.clinic(), "physio")


def sign_in(client: Client, username: str, password: str, address: str):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_credential_stuffing_15_names_4_guesses_each_from_one_address_is_locked(physio):
    """The defect: failures were counted per name and address only, so four guesses for each of many
    names from one address never locked anything. The address now locks after 20 failures in all."""
    c = Client()
    statuses = []
    for n in range(15):
        for guess in range(4):
            statuses.append(sign_in(c, f"leaked{n}@example.org", f"Summer202{guess}!", STUFFER).status_code)
    assert statuses[:19] == [200] * 19  # the form again, "not right"
    assert set(statuses[19:]) == {429}  # the 20th failure locks the address, for every name
    # Even a real name with its right password is refused from that address now ...
    locked = sign_in(c, "physio", f.PASSWORD, STUFFER)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # ... and from anywhere else the same person signs in as usual.
    assert sign_in(Client(), "physio", f.PASSWORD, "198.51.100.7").status_code == 302


def test_a_few_typos_at_a_shared_reception_address_lock_nobody():
    clinic = f.clinic()
    staff = [f.user(clinic, f"colleague{n}") for n in range(4)]
    for user in staff:  # 16 failures from one address, four per name: under both limits
        for _ in range(4):
            assert sign_in(Client(), user.username, "wrong", "192.0.2.10").status_code == 200
    for user in staff:
        assert sign_in(Client(), user.username, f.PASSWORD, "192.0.2.10").status_code == 302


def test_five_failures_for_one_name_still_lock_that_name_there(physio):
    for _ in range(5):
        sign_in(Client(), "physio", "wrong", "192.0.2.20")
    assert sign_in(Client(), "physio", f.PASSWORD, "192.0.2.20").status_code == 429
    assert sign_in(Client(), "physio", f.PASSWORD, "192.0.2.21").status_code == 302


def test_the_lock_out_page_names_the_time_in_the_clinics_zone(physio):
    clinic = physio.clinic
    clinic.time_zone = "Pacific/Auckland"
    clinic.save()
    for _ in range(5):
        sign_in(Client(), "physio", "wrong", "192.0.2.30")
    response = sign_in(Client(), "physio", f.PASSWORD, "192.0.2.30")
    assert response.status_code == 429
    last_failure = AccessAttempt.objects.get(username="physio").attempt_time
    ends = (last_failure + timedelta(minutes=15)).astimezone(ZoneInfo("Pacific/Auckland"))
    html = response.content.decode()
    assert f"Try again after {ends:%H:%M} (Pacific/Auckland time), in 15 minutes." in html
    assert response["Retry-After"] == str(15 * 60)


def test_the_address_lock_names_its_time_too():
    f.clinic()
    for n in range(20):
        sign_in(Client(), f"nobody{n}", "guess", STUFFER)
    response = sign_in(Client(), "someone-else", "guess", STUFFER)
    assert response.status_code == 429
    newest = AccessAttempt.objects.filter(ip_address=STUFFER).order_by("-attempt_time").first().attempt_time
    ends = newest + timedelta(minutes=15)  # the one clinic is in UTC
    assert f"Try again after {ends:%H:%M} (UTC time), in 15 minutes." in response.content.decode()


def test_tries_during_a_lock_out_do_not_move_the_time_and_it_lifts_then(physio):
    for _ in range(5):
        sign_in(Client(), "physio", "wrong", "192.0.2.40")
    before = AccessAttempt.objects.get(username="physio")
    for _ in range(3):
        assert sign_in(Client(), "physio", "wrong", "192.0.2.40").status_code == 429
    after = AccessAttempt.objects.get(username="physio")
    assert (after.attempt_time, after.failures_since_start) == (before.attempt_time, before.failures_since_start)
    # Fifteen minutes after the last counted failure, the name signs in again.
    AccessAttempt.objects.update(attempt_time=before.attempt_time - timedelta(minutes=15, seconds=1))
    assert sign_in(Client(), "physio", f.PASSWORD, "192.0.2.40").status_code == 302


def test_a_completed_sign_in_forgives_that_names_failures_only(physio):
    for _ in range(4):
        sign_in(Client(), "physio", "wrong", STUFFER)
        sign_in(Client(), "ghost", "wrong", STUFFER)
    assert sign_in(Client(), "physio", f.PASSWORD, STUFFER).status_code == 302
    assert not AccessAttempt.objects.filter(username="physio").exists()
    assert AccessAttempt.objects.get(username="ghost").failures_since_start == 4
