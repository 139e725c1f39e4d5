"""The education pages in real Chromium on a small phone: every page fits 360 px without sideways
scrolling, no console (CSP) errors, and the reference marks jump to the numbered sources."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from needlechart.knowledge import load
from tests.charting.test_browser_flow import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_fits_a_360px_phone_without_sideways_scroll(page: Page, live_server):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 360, "height": 740})
    slugs = ["", *load().education.pages]
    for slug in slugs:
        page.goto(f"{live_server.url}/learn/{slug + '/' if slug else ''}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"/learn/{slug}: the page is {width}px wide on a 360px screen"
    assert errors == []


def test_a_reference_mark_leads_to_its_source(page: Page, live_server):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/learn/after-a-session/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "learn-phone.png"))
    page.locator('sup.refs a[href="#ref-1"]').first.click()
    expect(page).to_have_url(f"{live_server.url}/learn/after-a-session/#ref-1")
    expect(page.locator("#ref-1")).to_be_in_viewport()
    expect(page.locator(".learn-section.urgent h2")).to_have_text("Get help at once if")
