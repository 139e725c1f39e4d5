"""A link is claimed once, whoever races for it: two tabs, a double click, two devices."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from needlechart.portal import links, services
from needlechart.portal.models import LinkPurpose, PortalLink
from tests import factories as f

pytestmark = [pytest.mark.postgres]


@pytest.mark.django_db
def test_a_claimed_link_cannot_be_claimed_again(patient, physio):
    account = services.invite_patient(actor=physio, patient=patient).account
    token = links.issue(account=account, purpose=LinkPurpose.SIGN_IN)
    found = links.find(token=token, purpose=LinkPurpose.SIGN_IN)
    assert isinstance(found, PortalLink)
    assert links.claim(link=found) is True
    assert links.claim(link=found) is False
    assert links.find(token=token, purpose=LinkPurpose.SIGN_IN) is links.USED


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claims_of_one_link_let_exactly_one_through(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections need PostgreSQL (the SQLite test database is one connection)")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clinic = f.clinic()
    patient = f.patient(clinic, email="ada@example.com")
    account = services.invite_patient(actor=f.user(clinic, "physio"), patient=patient).account
    token = links.issue(account=account, purpose=LinkPurpose.SIGN_IN)
    found = links.find(token=token, purpose=LinkPurpose.SIGN_IN)
    assert isinstance(found, PortalLink)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def race() -> None:
        try:
            barrier.wait()
            results.append(links.claim(link=found))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
