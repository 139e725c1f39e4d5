"""The episode of care in real Chromium: enter a due measurement at a visit, see a non-responder at the
top of the patient list and act on it, revise the plan, discharge."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from needlechart.outcomes import services
from needlechart.outcomes.models import Discharge, Measurement, PlanRevision, ReviewAction
from needlechart.patients.models import Episode
from tests import factories as f
from tests.charting.test_browser_flow import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def course():
    clinic = f.clinic("riverside")
    physio = f.user(clinic, "physio", dry_needling_certified_on=date(2022, 3, 1))
    patient = f.patient(clinic, "Robert", "Novak")
    start = date.today() - timedelta(weeks=6)
    episode = Episode.objects.create(patient=patient, condition="neck_pain", started_on=start, created_by=physio)
    return physio, patient, episode, start


def test_a_due_measurement_is_entered_from_the_visit(page: Page, live_server, course):
    physio, patient, episode, _ = course
    sign_in(page, live_server.url, "physio")
    page.get_by_role("link", name="Novak, Robert").click()
    page.get_by_role("button", name="Start a visit").click()
    due = page.locator("#outcomes-due")
    expect(due).to_contain_text("Outcome measures due today")
    due.get_by_role("link", name="Enter NDI").click()
    expect(page.get_by_role("heading", name=re.compile("Neck Disability Index"))).to_be_visible()
    for n in range(1, 11):
        page.get_by_label(f"Item {n}", exact=True).select_option("2")
    page.get_by_role("button", name="Record NDI").click()
    expect(page.get_by_role("heading", name=re.compile("Draft note"))).to_be_visible()
    expect(page.locator("#outcomes-due")).to_contain_text("Taken at this visit: NDI 20")
    expect(page.locator("#outcomes-due")).not_to_contain_text("Enter NDI")
    assert Measurement.objects.get().visit is not None


def test_a_non_responder_is_flagged_acted_on_and_the_plan_revised_then_discharged(page: Page, live_server, course):
    physio, patient, episode, start = course
    services.record_measurement(physio, episode, instrument="ndi", answers=[3] * 10, taken_on=start)
    services.record_measurement(
        physio, episode, instrument="ndi", answers=[3] * 9 + [2], taken_on=start + timedelta(weeks=5)
    )
    sign_in(page, live_server.url, "physio")
    flag = page.locator(".progress-flag")
    expect(flag).to_contain_text("To act on (1)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1100, "height": 520})
    page.screenshot(path=str(SCREENSHOTS / "to-act-on.png"))
    flag.get_by_role("link", name="Novak, Robert").click()
    expect(page.get_by_role("heading", name=re.compile("Progress review"))).to_be_visible()
    expect(page.get_by_text("Underlying drivers to examine")).to_be_visible()
    # A hurried click without the reason: refused, nothing lost.
    page.get_by_label("Reason recorded for going on").check()
    page.get_by_role("button", name="Record").click()
    expect(page.locator(".form-errors")).to_be_visible()
    expect(page.get_by_label("Reason recorded for going on")).to_be_checked()
    page.get_by_label("Why").fill("Started a loading programme last week; review in two weeks.")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("heading", name="Robert Novak")).to_be_visible()
    expect(page.locator(".progress-flag")).to_have_count(0)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.locator(".panel.progress").screenshot(path=str(SCREENSHOTS / "progress.png"))
    assert ReviewAction.objects.count() == 1

    page.get_by_role("link", name="Record the plan").click()
    page.get_by_label("Sessions planned").fill("8")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Plan of care saved.")).to_be_visible()
    page.get_by_label("Sessions planned").fill("10")
    page.get_by_role("button", name="Save revision").click()
    expect(page.locator(".form-errors")).to_contain_text("Give the reason")
    expect(page.get_by_label("Sessions planned")).to_have_value("10")
    page.get_by_label("Reason for the revision").fill("Slow response: add a second weekly session of loading")
    page.get_by_role("button", name="Save revision").click()
    expect(page.get_by_role("heading", name="Current plan (revision 2)")).to_be_visible()
    assert [r.sessions_planned for r in PlanRevision.objects.order_by("number")] == [8, 10]

    page.get_by_role("link", name="Back to the patient").click()
    page.get_by_role("link", name="Discharge", exact=True).click()
    page.get_by_label("Reason").select_option("plateau")
    page.get_by_role("button", name="Discharge").click()
    expect(page.get_by_text("Episode discharged.")).to_be_visible()
    assert Discharge.objects.get().reason == "plateau"
    # Each report the discharged episode offers downloads as a PDF from the overview.
    links = page.locator(".report-links a")
    names = links.all_inner_texts()
    assert names == ["Progress report", "Patient's care summary", "Discharge summary"]
    for n, name in enumerate(names):
        with page.expect_download() as download:
            links.nth(n).click()
        path = download.value.path()
        head = Path(path).read_bytes()[:5]
        assert head == b"%PDF-", name
        assert download.value.suggested_filename.endswith(".pdf") and "Novak" not in download.value.suggested_filename
    page.locator(".progress").get_by_role("link", name="Discharge summary").first.click()
    expect(page.get_by_role("link", name="Start a new episode of care")).to_be_visible()


def test_the_referral_letter_and_the_signed_note_download(page: Page, live_server, course):
    from needlechart.charting import services as charting
    from needlechart.outcomes import reviews
    from tests.api.conftest import ALL_RISKS

    physio, patient, episode, start = course
    visit = charting.start_visit(physio, patient, episode=episode)
    screening = charting.screen_patient(physio, patient, [], ["dry_needling"])
    charting.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    visit = charting.attach_screening(physio, visit, screening)
    charting.add_insertion(physio, visit, {"target": "levator_scapulae", "side": "left", "lung_technique": "pincer"})
    visit = charting.update_draft(physio, visit, {"needles_in": 1, "needles_out": 1, "nprs_before": 5}, 1)
    charting.sign_visit(physio, visit)
    services.record_measurement(physio, episode, instrument="ndi", answers=[3] * 10, taken_on=start)
    services.record_measurement(physio, episode, instrument="ndi", answers=[4] * 10, taken_on=date.today())
    reviews.record_review_action(
        physio, episode, kind="referral", reason="Disability worse under care", referred_to="GP", urgency="soon"
    )
    sign_in(page, live_server.url, "physio")
    page.get_by_role("link", name="Novak, Robert").click()
    with page.expect_download() as letter:
        page.get_by_role("link", name="Referral letter").click()
    assert Path(letter.value.path()).read_bytes()[:5] == b"%PDF-"
    page.locator("a", has_text=re.compile(r"^\d{4}-\d\d-\d\d$")).first.click()
    with page.expect_download() as note:
        page.get_by_role("link", name="Note (PDF)").click()
    assert Path(note.value.path()).read_bytes()[:5] == b"%PDF-"
