"""Between visits in real Chromium, on a laptop (1366 x 768) and a phone (360 x 740): after a signed
needling visit the patient reads the aftercare and logs an exercise; an urgent check-in shows the
whole-screen urgent page and heads the clinic's patient list until a clinician acknowledges it. Every
patient page is axe-clean (WCAG 2.1 AA) and fits the phone without sideways scrolling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from needlechart.accounts.models import Role
from needlechart.portal import between, services
from needlechart.portal.models import CheckIn, PortalAlert
from tests import factories as f
from tests.a11y import assert_accessible
from tests.charting.test_browser_flow import SCREENSHOTS, sign_in

from .between_support import signed_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long portal password 77"
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 360, "height": 740}}


@pytest.fixture
def world():
    clinic = f.clinic("riverside")
    clinic.name, clinic.phone, clinic.email = "Riverside Physio", "020 7946 0321", "desk@riverside.example"
    clinic.save()
    physio = f.user(clinic, "physio")
    desk = f.user(clinic, "desk", Role.FRONT_DESK)
    patient = f.patient(clinic, "Ada", "Lovelace", email="ada@example.com")
    account = services.invite_patient(actor=physio, patient=patient).account
    account.user.set_password(PASSWORD)
    account.user.save()
    account.activated_at = timezone.now()
    account.save()
    visit = signed_visit(physio, patient)
    CheckIn.objects.filter(visit=visit).update(due_at=timezone.now() - timedelta(minutes=10))
    today = between.local_day(clinic)
    for back, pain in ((9, 6), (6, 5), (4, 5), (2, 4)):
        between.save_diary(account=account, pain=pain, note="", day=today - timedelta(days=back))
    return {"clinic": clinic, "physio": physio, "desk": desk, "patient": patient, "visit": visit}


def portal_sign_in(page: Page, base: str) -> None:
    page.goto(base + "/portal/sign-in/")
    page.locator("#sign-in-email").fill("ada@example.com")
    page.locator("#sign-in-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))


def fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url}: {scroll}px wide on a {width}px screen"


def shot(page: Page, name: str, size: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal-between-{name}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_after_a_signed_visit_the_patient_reads_the_aftercare_and_logs_an_exercise(
    page: Page, live_server, world, size
):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size(SIZES[size])
    portal_sign_in(page, live_server.url)
    due = page.get_by_role("heading", name=re.compile("How are you feeling"))
    expect(due).to_be_visible()
    assert_accessible(page)
    fits(page, SIZES[size]["width"])
    shot(page, "home", size)

    page.get_by_role("link", name=re.compile("Your aftercare")).click()
    expect(page.get_by_role("heading", name="Get help straight away if")).to_be_visible()
    expect(page.get_by_text("short of breath", exact=False).first).to_be_visible()
    assert_accessible(page)
    fits(page, SIZES[size]["width"])
    shot(page, "aftercare", size)

    page.get_by_role("link", name="Your home exercises").click()
    card = page.locator("section.exercise").first
    expect(card.get_by_role("heading", name="Chin tuck")).to_be_visible()
    card.get_by_label(re.compile("Pain during")).fill("2")
    card.get_by_role("button", name="Done").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: Chin tuck, done today.")
    card = page.locator("section.exercise").first
    expect(card.get_by_text("Today: Done, pain during 2 of 10.")).to_be_visible()
    assert_accessible(page)
    fits(page, SIZES[size]["width"])
    shot(page, "exercises", size)

    # A typed but unsent note survives a reload (sessionStorage), then saving with it keeps one log.
    card.get_by_label("Note").fill("Felt easier")
    page.reload()
    card = page.locator("section.exercise").first
    expect(card.get_by_label("Note")).to_have_value("Felt easier")
    # By keyboard: from the note, Tab past Done to Partly and press Enter.
    card.get_by_label("Note").focus()
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Done")).to_be_focused()
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Partly")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("section.exercise").first.get_by_text("Today: Partly")).to_be_visible()

    page.goto(live_server.url + "/portal/diary/")
    page.locator("label.choice", has_text="4").first.click()
    page.get_by_role("button", name="Save today's pain").click()
    expect(page.get_by_role("status")).to_contain_text("Saved today's pain diary.")
    expect(page.locator("svg.chart")).to_be_visible()
    assert_accessible(page)
    fits(page, SIZES[size]["width"])
    shot(page, "diary", size)
    assert errors == []


@pytest.mark.parametrize("size", list(SIZES))
def test_an_urgent_check_in_shows_the_urgent_screen_and_heads_the_clinics_list(page: Page, live_server, world, size):
    page.set_viewport_size(SIZES[size])
    portal_sign_in(page, live_server.url)
    page.get_by_role("link", name="Answer the check-in").click()
    expect(page.get_by_role("heading", name="How are you feeling?")).to_be_visible()
    assert_accessible(page)
    fits(page, SIZES[size]["width"])
    # Sending without a soreness: the error names it and keeps what was ticked.
    page.get_by_label("A small bruise").check()
    page.locator('input[value="thorax_breathlessness"]').check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert").first).to_contain_text("Choose how sore you are")
    expect(page.get_by_label("A small bruise")).to_be_checked()
    expect(page.locator('input[value="thorax_breathlessness"]')).to_be_checked()
    assert_accessible(page)
    shot(page, "check-in", size)
    page.locator("label.choice", has_text="3").first.click()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Get help now")).to_be_visible()
    expect(page.locator("a.call").first).to_have_attribute("href", re.compile(r"^tel:"))
    expect(page.get_by_role("link", name=re.compile("Call Riverside Physio"))).to_have_attribute(
        "href", "tel:020 7946 0321"
    )
    assert_accessible(page)
    fits(page, SIZES[size]["width"])
    shot(page, "urgent", size)
    # The check-in again (another tab, an old link): the answer stands, nothing to send twice.
    page.goto(live_server.url + "/portal/check-in/")
    expect(page.get_by_role("heading", name="You told us about warning signs")).to_be_visible()
    expect(page.get_by_role("button", name="Send my answers")).to_have_count(0)
    assert PortalAlert.objects.count() == 1

    page.context.clear_cookies()
    sign_in(page, live_server.url, "physio")
    alert = page.locator("section.portal-alerts")
    expect(alert).to_contain_text("Lovelace, Ada")
    expect(alert).to_contain_text("Urgent symptoms reported after the visit of")
    shot(page, "clinic-list", size)
    alert.get_by_role("link", name=re.compile("Lovelace")).click()
    expect(page.get_by_text("short of breath", exact=False).first).to_be_visible()
    page.get_by_label("What was done").fill("Phoned Ada: sent to the emergency department.")
    page.get_by_role("button", name="Acknowledge").click()
    panel = page.locator("section.between")
    expect(panel.get_by_role("heading", name="Between visits")).to_be_visible()
    expect(panel).to_contain_text("Chin tuck")
    expect(panel).to_contain_text("Urgent:")
    panel.scroll_into_view_if_needed()
    shot(page, "staff-panel", size)
    page.goto(live_server.url + "/patients/")
    expect(page.locator("section.portal-alerts")).to_have_count(0)

    page.context.clear_cookies()
    sign_in(page, live_server.url, "desk")
    page.goto(live_server.url + f"/patients/{world['patient'].pk}/".replace(str(world["patient"].pk), _pt(world)))
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.locator("section.between")).to_have_count(0)


def _pt(world) -> str:
    from needlechart.common.opaque import of

    return of(world["patient"])
