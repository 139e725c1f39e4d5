"""The clinician workflow in real Chromium: sign in, register, screen, consent, draw, add suggested
targets, log needles with electrical stimulation, reconcile, sign, amend, follow up; and the
safety stops (red flag, blocked target), front desk and other-clinic access."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from needlechart.accounts.models import Role
from needlechart.common.opaque import of as oid
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("NEEDLECHART_SCREENSHOTS", "/tmp/needlechart-screenshots"))


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/patients/$"))


def register(page: Page, first: str, last: str) -> None:
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Date of birth").fill("1979-04-09")
    page.get_by_label("Phone", exact=True).fill("07700 900 555")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=f"{first} {last}")).to_be_visible()


def screen(page: Page, *finding_ids: str, modalities=("dry_needling",)) -> None:
    summary = page.locator("#screening summary")
    if page.locator("#screening details[open]").count() == 0:
        summary.click()
    for finding in finding_ids:
        page.locator(f"input[name=f_{finding}]").check()
    for m in modalities:
        page.locator(f"#screening input[name=modalities][value={m}]").check()
    page.get_by_role("button", name="Save screening").click()


def consent(page: Page, modality: str) -> None:
    if page.locator("#consent details[open]").count() == 0:
        page.locator("#consent summary").click()
    page.locator("#consent select[name=modality]").select_option(modality)
    for box in page.locator("#consent input[name=risks]").all():
        box.check()
    page.get_by_label("The patient agrees").check()
    page.get_by_role("button", name="Record consent").click()
    label = modality.replace("_", " ").capitalize()
    expect(page.locator("#consent_view")).to_contain_text(f"{label}: agreed")


def needle_form(page: Page, **fields: str) -> None:
    for name, value in fields.items():
        control = page.locator(f"#needles [name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    page.get_by_role("button", name="Add needle").click()


@pytest.fixture
def staff():
    clinic = f.clinic("riverside")
    physio = f.user(clinic, "physio", dry_needling_certified_on=date(2022, 3, 1))
    desk = f.user(clinic, "desk", Role.FRONT_DESK)
    stranger = f.user(f.clinic("hilltop"), "stranger")
    return clinic, physio, desk, stranger


def test_full_visit_in_chromium(page: Page, live_server, staff):
    base = live_server.url
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, base, "physio")
    register(page, "Iris", "Calder")
    page.get_by_role("link", name="New episode").click()
    page.locator("#id_condition").select_option("neck_pain")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Start a visit").click()
    expect(page.get_by_role("heading", name=re.compile("Draft note"))).to_be_visible()

    screen(page, "anticoagulant_therapy", modalities=("dry_needling", "electrical_stimulation"))
    expect(page.locator("#screening .verdict")).to_have_text("caution")
    expect(page.locator(".precautions")).to_contain_text("Anticoagulant therapy")
    consent(page, "dry_needling")
    consent(page, "electrical_stimulation")

    page.locator('path.region[data-region="temple"][data-side="left"]').click()
    page.locator('path.region[data-region="posterior_neck"][data-side="left"]').click()
    page.get_by_role("button", name="Save drawing").click()
    expect(page.locator("#suggestions")).to_contain_text("Upper trapezius")

    # One click adds a suggested target to the needle form.
    page.get_by_role("link", name="Add Upper trapezius left to the needle log").click()
    expect(page.locator("#needles input[name=target]")).to_have_value("upper_trapezius")
    needle_form(
        page,
        depth_mm="12",
        technique="pistoning",
        twitch_responses="2",
        lung_technique="pincer",
        es_frequency_hz="2",
        es_pulse_width_ms="0.3",
        es_intensity_ma="4",
        es_minutes="10",
    )
    expect(page.locator("#needle_view table")).to_contain_text("Upper trapezius")
    expect(page.locator("#needle_view table")).to_contain_text("2.0 Hz")

    # A blocked target needs a written override.
    needle_form(page, target="psoas", side="left")
    expect(page.locator(".form-errors")).to_contain_text("Blocked by screening")
    expect(page.locator("#needles input[name=target]")).to_have_value("psoas")  # kept
    needle_form(page, override_reason="Ultrasound-guided, INR 2.1 today")
    expect(page.locator("#needle_view table")).to_contain_text("override")

    # Counts must reconcile before signing.
    page.get_by_label("Needles in", exact=True).fill("2")
    page.get_by_label("Needles out", exact=True).fill("1")
    page.get_by_label("NPRS before (0-10)").fill("6")
    page.get_by_label("NPRS after (0-10)").fill("3")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Sign and lock the note").click()
    expect(page.locator(".form-errors")).to_contain_text("not reconciled")
    page.get_by_label("Needles out", exact=True).fill("2")
    page.get_by_role("button", name="Save draft").click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "visit.png"), full_page=True)
    page.get_by_role("button", name="Sign and lock the note").click()
    expect(page.get_by_role("heading", name=re.compile("Signed note"))).to_be_visible()
    expect(page.locator("body")).to_contain_text("20560")

    # Addendum after signing.
    page.get_by_label("Addendum").fill("Phoned the next day: soreness settled.")
    page.get_by_role("button", name="Add addendum").click()
    expect(page.locator("#addenda")).to_contain_text("soreness settled")
    page.screenshot(path=str(SCREENSHOTS / "signed.png"), full_page=True)

    # Follow-up copies the drawing and needle plan forward.
    page.get_by_role("link", name="Iris Calder").click()
    page.get_by_role("button", name=re.compile("Follow-up from")).click()
    # The needles come forward as a plan to confirm, not as needles placed today.
    expect(page.locator("#planned_view table")).to_contain_text("Upper trapezius")
    expect(page.locator("#needle_view table")).to_contain_text("No needle charted yet")
    expect(page.locator('path.region[data-region="temple"][data-side="left"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("link", name="Iris Calder").click()
    page.screenshot(path=str(SCREENSHOTS / "patient.png"), full_page=True)


def test_red_flag_stops_charting_in_chromium(page: Page, live_server, staff):
    base = live_server.url
    sign_in(page, base, "physio")
    register(page, "Ben", "Okoro")
    page.get_by_role("button", name="Start a visit").click()
    screen(page, "saddle_anesthesia")
    expect(page.locator("#screening .verdict")).to_have_text("refer (emergency)")
    consent(page, "dry_needling")
    needle_form(page, target="quadratus lumborum", side="left")
    expect(page.locator(".form-errors")).to_contain_text("Screening says refer")
    expect(page.locator("#needle_view table")).to_contain_text("No needle charted yet")


def test_front_desk_and_other_clinic_in_chromium(page: Page, live_server, staff):
    clinic, physio, desk, stranger = staff
    patient = f.patient(clinic, "Cora", "Finch")
    from needlechart.charting import services

    visit = services.start_visit(physio, patient)
    base = live_server.url
    sign_in(page, base, "desk")
    page.goto(f"{base}/patients/{oid(patient)}/")
    expect(page.get_by_role("heading", name="Cora Finch")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Episodes of care")
    response = page.goto(f"{base}/patients/{oid(patient)}/visits/{oid(visit)}/")
    assert response.status == 403
    page.context.clear_cookies()
    sign_in(page, base, "stranger")
    response = page.goto(f"{base}/patients/{oid(patient)}/")
    assert response.status == 404


def test_the_live_check_reads_the_needle_forms_own_side_in_chromium(page: Page, live_server, staff):
    """Lymphoedema of the right arm: the live check of LI4 on the right shows it blocked, whatever
    side the palpation form beside it holds (the two forms once shared the element id of `side`)."""
    base = live_server.url
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, base, "physio")
    register(page, "Nora", "Lind")
    page.get_by_role("link", name="New episode").click()
    page.locator("#id_condition").select_option("lateral_epicondylalgia")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Start a visit").click()
    summary = page.locator("#screening summary")
    if page.locator("#screening details[open]").count() == 0:
        summary.click()
    page.locator("input[name=f_lymphedema]").check()
    page.locator("select[name=f_lymphedema_region]").select_option("upper_arm_anterior")
    page.locator("select[name=f_lymphedema_side]").select_option("right")
    page.locator("#screening input[name=modalities][value=dry_needling]").check()
    page.get_by_role("button", name="Save screening").click()
    expect(page.locator("#screening .verdict")).to_have_text("caution")
    assert page.locator("[id=needle_side]").count() == 1 and page.locator("[id=id_side]").count() == 0
    page.locator("#needles [name=target]").fill("LI4")
    page.locator("#needles [name=side]").select_option("right")
    expect(page.locator("#target-info")).to_contain_text("blocked")
    page.locator("#needles [name=side]").select_option("left")
    expect(page.locator("#target-info")).not_to_contain_text("blocked")
