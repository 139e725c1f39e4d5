"""The explorer in real Chromium: click and keyboard on the body map, live suggestions, pages, search."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("NEEDLECHART_SCREENSHOTS", "/tmp/needlechart-screenshots"))


def shape(page: Page, region: str, side: str):
    return page.locator(f'path.region[data-region="{region}"][data-side="{side}"]')


def test_click_regions_updates_suggestions_and_url(page: Page, live_server):
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server.url + "/")
    expect(page.get_by_text("No painful area marked yet")).to_be_visible()
    shape(page, "temple", "left").click()
    shape(page, "posterior_neck", "left").click()
    expect(shape(page, "temple", "left")).to_have_attribute("aria-pressed", "true")
    first = page.locator("#muscles-h + ol .target").first
    expect(first.locator(".target-name")).to_have_text("Upper trapezius")
    expect(first.locator(".reason")).to_contain_text("refer pain to the left")
    expect(page.locator("#muscles-h + ol .hazard-lung").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"pain=temple%3Aleft.*pain=posterior_neck%3Aleft"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.screenshot(path=str(SCREENSHOTS / "explorer.png"), full_page=True)

    # Clicking again unmarks; the chip button removes too.
    shape(page, "temple", "left").click()
    expect(shape(page, "temple", "left")).to_have_attribute("aria-pressed", "false")
    page.get_by_role("button", name="Remove Left neck (back)").click()
    expect(page.get_by_text("No painful area marked yet")).to_be_visible()
    assert console_errors == [], console_errors  # nothing blocked by the Content-Security-Policy


def test_keyboard_operates_the_body_map(page: Page, live_server):
    page.goto(live_server.url + "/")
    target = shape(page, "heel", "right")
    target.focus()
    expect(target).to_be_focused()
    page.keyboard.press("Enter")
    expect(target).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#muscles-h + ol")).to_contain_text("Soleus")
    page.keyboard.press(" ")
    expect(target).to_have_attribute("aria-pressed", "false")
    # Tab reaches the map shapes, and each carries its label.
    assert target.get_attribute("aria-label") == "Right heel"


def test_condition_select_and_region_picker(page: Page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_label("Condition (optional)").select_option("plantar_heel_pain")
    expect(page.locator("#muscles-h + ol")).to_contain_text("plantar heel pain")
    page.get_by_text("Add a region from a list").click()
    page.locator("#pick-region").select_option("calf")
    page.locator("#pick-side").select_option("left")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(shape(page, "calf", "left")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Remove Left calf")).to_be_visible()


def test_muscle_page_and_search(page: Page, live_server):
    page.goto(live_server.url + "/muscles/gluteus_minimus/")
    expect(page.get_by_role("heading", name="Gluteus minimus")).to_be_visible()
    expect(page.locator("path.region.primary").first).to_be_visible()
    page.set_viewport_size({"width": 1400, "height": 1000})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "muscle.png"), full_page=True)
    page.get_by_label("Search muscles, acupoints, regions, conditions").fill("peroneus")
    hit = page.locator("#search-popup a", has_text="Fibularis longus")
    expect(hit).to_be_visible()
    hit.click()
    expect(page).to_have_url(re.compile(r"/muscles/fibularis_longus/"))


def test_acupoint_and_condition_pages(page: Page, live_server):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(live_server.url + "/acupoints/GB21/")
    expect(page.get_by_text("Traditionally avoided in pregnancy")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "acupoint.png"), full_page=True)
    page.goto(live_server.url + "/conditions/tension_type_headache/")
    expect(page.get_by_role("heading", name="Muscles to examine")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "condition.png"), full_page=True)
    page.get_by_role("link", name="Explore with this condition").click()
    expect(page.locator("#muscles-h + ol .target")).not_to_have_count(0)
