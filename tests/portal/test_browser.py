"""The portal's way in, in real Chromium: a front-desk invitation, the patient choosing a password on
a phone, the home page, signing out and back in, and the boundary seen from the browser."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from needlechart.accounts.models import Role
from tests import factories as f
from tests.a11y import assert_accessible
from tests.charting.test_browser_flow import SCREENSHOTS, sign_in

from .conftest import PATIENT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 768}, {"width": 360, "height": 740}], ids=["desktop", "phone"]
)
def test_front_desk_invites_and_the_patient_sets_up_the_portal(
    page: Page, live_server, viewport, settings, mail_worker
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clinic = f.clinic()
    clinic.phone = "+44 20 7946 0000"
    clinic.save()
    f.user(clinic, "desk", role=Role.FRONT_DESK)
    patient = f.patient(clinic, "Ada", "Lovelace", email="ada@example.com")
    sign_in(page, live_server.url, "desk")
    page.get_by_role("link", name=re.compile("Lovelace")).click()
    page.get_by_role("button", name="Invite to the portal").click()
    expect(page.get_by_text("Portal invitation sent to ada@example.com")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    assert mail_worker.run() == 1  # the real worker delivers the queued invitation
    body = mail.outbox[-1].body
    link = re.search(r"https?://\S+/portal/invitation/\S+", body).group(0)
    page.set_viewport_size(viewport)
    page.goto(link)
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("The same password again").fill("short")
    page.get_by_role("button", name="Set password and continue").click()
    expect(page.get_by_text("too short")).to_be_visible()
    assert_accessible(page)  # the refused form, its errors tied to the field
    page.get_by_label("Password", exact=True).fill(PATIENT_PASSWORD)
    page.get_by_label("The same password again").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Set password and continue").click()
    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the home page is {width}px wide"
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"portal-home-{'phone' if viewport['width'] < 500 else 'desktop'}.png"), full_page=True
    )

    # The boundary, from the browser: a staff page is refused with the way back to the portal.
    page.goto(f"{live_server.url}/patients/")
    expect(page.get_by_role("heading", name="This page is not available")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Go to your portal").click()
    page.get_by_role("link", name="My details").click()
    expect(page.get_by_text("Lovelace")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to your patient portal")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email address").first.fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()
    assert patient.pk
