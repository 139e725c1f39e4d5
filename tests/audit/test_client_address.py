"""The audit trail's client address cannot be forged: a client's own X-Forwarded-For is ignored, a
trusted proxy's report is believed, and a value that is not an IP address is never stored (it once
turned the patient page, the API and the sign-in into 500s on PostgreSQL and dropped the audit row
of a failed sign-in)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from needlechart.audit.models import AuditEvent
from needlechart.audit.services import client_address
from needlechart.common.opaque import of as oid
from tests import factories as f

pytestmark = pytest.mark.django_db


def request(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_a_clients_own_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request("203.0.113.9", "10.9.9.9")) == "203.0.113.9"


def test_a_trusted_proxys_report_is_believed_and_its_own_hops_skipped(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.2"]
    assert client_address(request("127.0.0.1", "198.51.100.7")) == "198.51.100.7"
    # Spoofed first entry, then the address the proxies saw: the last untrusted hop is the client.
    assert client_address(request("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"


def test_what_is_not_an_ip_address_is_never_the_address(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_address(request("127.0.0.1", "<script>, not-an-ip")) == "127.0.0.1"
    assert client_address(request("not-an-ip")) is None
    assert client_address(request("2001:db8::1")) == "2001:db8::1"


def test_a_forged_header_on_a_page_and_a_failed_sign_in_records_the_connections_address(settings):
    settings.TRUSTED_PROXIES = []
    clinic = f.clinic()
    physio = f.user(clinic, "physio")
    patient = f.patient(clinic)
    c = Client(REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="x' OR 1=1; not an address")
    c.force_login(physio)
    assert c.get(f"/patients/{oid(patient)}/").status_code == 200
    assert AuditEvent.objects.filter(patient=patient).latest("id").ip_address == "192.0.2.10"
    anon = Client(REMOTE_ADDR="192.0.2.11", HTTP_X_FORWARDED_FOR="999.999.1.1")
    anon.post("/accounts/login/", {"username": "physio", "password": "wrong"})
    failed = AuditEvent.objects.filter(action="login_failed").latest("id")
    assert failed.ip_address == "192.0.2.11"
