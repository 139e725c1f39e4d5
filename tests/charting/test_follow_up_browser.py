"""Follow-ups as a busy clinician charts them, in real Chromium, counting every action (each click,
fill and selection is one): a routine dry-needling follow-up and an acupuncture follow-up with eight
points each take at most 12 from the patient list to a signed note. And the unhappy paths: a
copied-forward note does not sign before its targets are confirmed and the patient re-screened;
typing survives a quick click, a bad value, a reload and another section's save; after a refusal
the next click works."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from needlechart.accounts.models import Profession
from needlechart.charting import services
from needlechart.charting.models import Visit
from needlechart.common.opaque import of as oid
from needlechart.patients.models import Episode
from tests import factories as f
from tests.charting.test_browser_flow import sign_in as signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ALL_RISKS = ["soreness", "bruising", "bleeding", "infection", "fainting", "pneumothorax"]
ES = {"es_frequency_hz": 2, "es_pulse_width_ms": "0.3", "es_intensity_ma": 4, "es_minutes": 10}


class Actions:
    """Drives the page and counts what the clinician does."""

    def __init__(self, page: Page):
        self.page, self.count = page, 0

    def click(self, locator) -> None:
        self.count += 1
        locator.click()

    def fill(self, locator, value: str) -> None:
        self.count += 1
        locator.fill(value)


def sign_in(page: Page, base: str, username: str) -> None:
    signed_in(page, base, username)
    page.set_default_timeout(8000)


def _signed_visit(clinician, patient, modality: str, needles: list[dict], **draft) -> Visit:
    """Last week's signed visit, charted through the services."""
    episode = Episode.objects.create(
        patient=patient, condition=draft.pop("condition"), started_on=date(2026, 10, 1), created_by=clinician
    )
    visit = services.start_visit(clinician, patient, episode=episode, modality=modality)
    week_ago = timezone.now() - timedelta(days=7)
    Visit.objects.filter(pk=visit.pk).update(visit_date=timezone.localtime(week_ago).date())
    visit = Visit.objects.get(pk=visit.pk)
    screening = services.screen_patient(
        clinician, patient, [], [modality, "electrical_stimulation"], performed_at=week_ago
    )
    services.attach_screening(clinician, visit, screening)
    services.record_consent(clinician, patient, modality, ALL_RISKS, True)
    services.record_consent(clinician, patient, "electrical_stimulation", ALL_RISKS + ["electrical"], True)
    for needle in needles:
        services.add_insertion(clinician, visit, needle)
    n = len(needles)
    visit = services.update_draft(
        clinician, visit, {"nprs_before": 6, "nprs_after": 3, "needles_in": n, "needles_out": n, **draft}, 1
    )
    return services.sign_visit(clinician, visit)


@pytest.fixture
def physio_patient():
    clinic = f.clinic("riverside")
    physio = f.user(clinic, "physio", dry_needling_certified_on=date(2022, 3, 1))
    patient = f.patient(clinic, "Iris", "Calder")
    needles = [
        {"target": "upper_trapezius", "side": "left", "depth_mm": 12, "lung_technique": "pincer", **ES},
        {"target": "levator_scapulae", "side": "left", "depth_mm": 20, "lung_technique": "pincer"},
        {"target": "splenius_capitis", "side": "left", "depth_mm": 15, "lung_technique": "tangential"},
    ]
    drawing = [{"region": "posterior_neck", "side": "left", "intensity": 6}]
    _signed_visit(physio, patient, "dry_needling", needles, condition="neck_pain", pain_drawing=drawing)
    return physio, patient


@pytest.fixture
def acupuncturist_patient():
    clinic = f.clinic("riverside")
    acu = f.user(clinic, "acu", profession=Profession.ACUPUNCTURIST)
    patient = f.patient(clinic, "Tom", "Reyes")
    points = ["LI4", "LI11", "GB20", "GB21", "SI3", "TE5", "LI10", "SI14"]
    needles = [
        {
            "target": p,
            "side": "left",
            "depth_cun": "0.5",
            **({"lung_technique": "superficial"} if p in ("GB21", "SI14") else {}),
        }
        for p in points
    ]
    segments = [{"minutes": 15, "electrical_stimulation": False}]
    _signed_visit(acu, patient, "acupuncture", needles, condition="neck_pain", increments=segments)
    return acu, patient


def test_a_dry_needling_follow_up_with_electrical_stimulation_takes_at_most_12_actions(
    page: Page, live_server, physio_patient
):
    physio, patient = physio_patient
    sign_in(page, live_server.url, "physio")
    act = Actions(page)
    act.click(page.get_by_role("link", name="Calder, Iris"))
    act.click(page.get_by_role("button", name=re.compile("Follow-up from")))
    expect(page.locator("#planned_view")).to_contain_text("not placed until confirmed")
    expect(page.locator("#needle_view")).to_contain_text("No needle charted yet")
    act.click(page.get_by_role("button", name=re.compile("Patient confirms nothing has changed")))
    expect(page.locator("#screening_view")).to_contain_text("the patient confirming nothing had changed")
    act.fill(page.get_by_label("NPRS before (0-10)"), "4")
    if os.environ.get("NEEDLECHART_SCREENSHOTS"):
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.locator("#needles").screenshot(path=str(Path(os.environ["NEEDLECHART_SCREENSHOTS"]) / "follow-up.png"))
    for name in ("Upper trapezius", "Levator scapulae", "Splenius capitis"):
        act.click(page.get_by_role("button", name=f"Placed as planned: {name} left"))
        expect(page.locator("#needle_view")).to_contain_text(name)
    expect(page.locator("#needle_view")).to_contain_text("2.0 Hz")
    act.fill(page.get_by_label("Needles in", exact=True), "3")
    act.fill(page.get_by_label("Needles out", exact=True), "3")
    act.fill(page.get_by_label("NPRS after (0-10)"), "2")
    act.click(page.get_by_role("button", name="Sign and lock the note"))
    expect(page.get_by_role("heading", name=re.compile("Signed note"))).to_be_visible()
    assert act.count <= 12, act.count
    visit = Visit.objects.latest("id")
    assert visit.is_signed and visit.nprs_before == 4 and visit.nprs_after == 2
    assert [i.target for i in visit.insertions.all()] == ["upper_trapezius", "levator_scapulae", "splenius_capitis"]
    assert visit.signed_record["consents"].keys() == {"dry_needling", "electrical_stimulation"}
    assert "20560" in page.locator("body").inner_text()


def test_an_acupuncture_follow_up_with_eight_points_takes_at_most_12_actions_and_bills_from_its_time(
    page: Page, live_server, acupuncturist_patient
):
    acu, patient = acupuncturist_patient
    sign_in(page, live_server.url, "acu")
    act = Actions(page)
    act.click(page.get_by_role("link", name="Reyes, Tom"))
    act.click(page.get_by_role("button", name=re.compile("Follow-up from")))
    expect(page.locator("h1")).to_contain_text("Draft note")
    expect(page.locator(".kicker")).to_contain_text("Acupuncture")
    act.click(page.get_by_role("button", name=re.compile("Patient confirms nothing has changed")))
    expect(page.locator("#screening_view")).to_contain_text("confirming")
    act.fill(page.get_by_label("NPRS before (0-10)"), "5")
    act.click(page.get_by_role("button", name="All 8 placed as planned"))
    expect(page.locator("#needle_view tbody tr")).to_have_count(8)
    act.fill(page.get_by_label("Segment 1: face-to-face minutes"), "20")
    act.click(page.get_by_role("button", name="Save time"))
    act.fill(page.get_by_label("Needles in", exact=True), "8")
    act.fill(page.get_by_label("Needles out", exact=True), "8")
    act.fill(page.get_by_label("NPRS after (0-10)"), "3")
    act.click(page.get_by_role("button", name="Sign and lock the note"))
    expect(page.get_by_role("heading", name=re.compile("Signed note"))).to_be_visible()
    assert act.count <= 12, act.count
    expect(page.locator("body")).to_contain_text("97810")
    visit = Visit.objects.latest("id")
    assert visit.increments == [{"minutes": 20, "electrical_stimulation": False}]


def test_a_copied_forward_follow_up_does_not_sign_until_confirmed_and_re_screened(
    page: Page, live_server, physio_patient
):
    sign_in(page, live_server.url, "physio")
    page.get_by_role("link", name="Calder, Iris").click()
    page.get_by_role("button", name=re.compile("Follow-up from")).click()
    page.get_by_role("button", name="Sign and lock the note").click()
    errors = page.locator("#errors-view")
    expect(errors).to_contain_text("Screen the patient at this visit")
    expect(errors).to_contain_text("3 planned targets are neither confirmed nor removed")
    expect(errors).to_contain_text("pain score before treatment")
    # The refusal left the page on the note's own address, and the next click works.
    expect(page).to_have_url(re.compile(r"/visits/vi_[0-9a-z]{13}/$"))
    page.get_by_role("button", name=re.compile("Patient confirms nothing has changed")).click()
    expect(page.locator("#screening_view")).to_contain_text("confirming")
    page.get_by_role("button", name="Not today: Splenius capitis left").click()
    expect(page.locator("#planned_view tbody tr")).to_have_count(2)
    assert Visit.objects.latest("id").signed_at is None


def test_typing_survives_a_quick_click_a_bad_value_a_reload_and_another_sections_save(
    page: Page, live_server, physio_patient
):
    sign_in(page, live_server.url, "physio")
    page.get_by_role("link", name="Calder, Iris").click()
    page.get_by_role("button", name=re.compile("Follow-up from")).click()
    visit = Visit.objects.latest("id")
    # Typed, then another button within 0.2 s: the text is saved before the other action runs.
    page.get_by_label("Subjective").fill("Neck much easier since last week.")
    page.get_by_role("button", name=re.compile("Patient confirms nothing has changed")).click()
    expect(page.locator("#screening_view")).to_contain_text("confirming")
    visit.refresh_from_db()
    assert visit.subjective == "Neck much easier since last week."
    # A bad value is marked beside its field; the other fields keep saving; the status says so.
    page.get_by_label("NPRS before (0-10)").fill("11")
    page.get_by_label("Objective").fill("Fewer taut bands.")
    expect(page.locator("#autosave-status")).to_contain_text("Not saved: NPRS before")
    expect(page.locator("#note_nprs_before-autosave-error")).to_be_visible()
    visit.refresh_from_db()
    assert visit.objective == "Fewer taut bands." and visit.nprs_before is None
    page.get_by_label("NPRS before (0-10)").fill("4")
    expect(page.locator("#autosave-status")).to_contain_text("All changes saved")
    # Another section's save after the autosave is no stale-version failure: the drawing saves.
    page.locator('path.region[data-region="temple"][data-side="left"]').click()
    page.get_by_role("button", name="Save drawing").click()
    expect(page.locator("#errors-view")).to_be_empty()
    # Typed and reloaded at once: the text comes back and is saved.
    page.get_by_label("Assessment").fill("Responding.")
    page.reload()
    expect(page.get_by_label("Assessment")).to_have_value("Responding.")
    expect(page.locator("#autosave-status")).to_contain_text("All changes saved")
    visit.refresh_from_db()
    assert visit.assessment == "Responding." and visit.nprs_before == 4
    assert {"region": "temple", "side": "left", "intensity": None} in visit.pain_drawing


def test_after_a_needle_error_the_field_is_focused_and_the_next_click_works(page: Page, live_server, physio_patient):
    sign_in(page, live_server.url, "physio")
    page.get_by_role("link", name="Calder, Iris").click()
    page.get_by_role("button", name=re.compile("Follow-up from")).click()
    page.get_by_role("button", name=re.compile("Patient confirms nothing has changed")).click()
    expect(page.locator("#screening_view")).to_contain_text("confirming")
    page.locator("#needle_target").fill("masseter")
    page.locator("#needle_side").select_option("left")
    page.locator("#needle_length_mm").fill("30")
    page.locator("#needle_depth_mm").fill("500")
    page.get_by_role("button", name="Add needle").click()
    expect(page.locator("#needle_form")).to_contain_text("outside")
    expect(page.locator("#needle_depth_mm")).to_be_focused()
    expect(page.locator("#needle_target")).to_have_value("masseter")  # kept
    expect(page).to_have_url(re.compile(r"/visits/vi_[0-9a-z]{13}/$"))
    page.locator("#needle_depth_mm").fill("15")
    page.get_by_role("button", name="Add needle").click()
    expect(page.locator("#needle_view")).to_contain_text("Masseter")


def test_another_clinician_sees_the_draft_read_only_with_the_reason(page: Page, live_server, physio_patient):
    physio, patient = physio_patient
    draft = services.start_visit(physio, patient)
    f.user(physio.clinic, "colleague", dry_needling_certified_on=date(2021, 1, 1))
    sign_in(page, live_server.url, "colleague")
    response = page.goto(f"{live_server.url}/patients/{oid(patient)}/visits/{oid(draft)}/")
    assert response.status == 200
    expect(page.locator(".notice")).to_contain_text("Read only")
    assert page.locator("#note-live").count() == 0 and page.locator("form[action$='/needle/']").count() == 0


def test_two_tabs_never_overwrite_each_other(page: Page, live_server, physio_patient):
    """The same draft open in two tabs: the second tab's typing into a field the first saved since is
    refused with a message and kept in its field; its other fields still save."""
    physio, patient = physio_patient
    draft = services.start_visit(physio, patient)
    sign_in(page, live_server.url, "physio")
    url = f"{live_server.url}/patients/{oid(patient)}/visits/{oid(draft)}/"
    page.goto(url)
    other = page.context.new_page()
    other.set_default_timeout(8000)
    other.goto(url)
    page.get_by_label("Subjective").fill("First tab: neck easier.")
    expect(page.locator("#autosave-status")).to_contain_text("All changes saved")
    other.get_by_label("Subjective").fill("Second tab: typed on an old page.")
    expect(other.locator("#autosave-status")).to_contain_text("someone else changed Subjective")
    expect(other.get_by_label("Subjective")).to_have_value("Second tab: typed on an old page.")
    other.get_by_role("textbox", name="Plan").fill("Weekly for four weeks.")
    # The status stays true: the clash is named, the rest is saved.
    expect(other.locator("#autosave-status")).to_contain_text("Everything else is saved")
    expect(other.locator("#autosave-status")).to_contain_text("Subjective (changed elsewhere")
    draft.refresh_from_db()
    assert draft.subjective == "First tab: neck easier." and draft.plan == "Weekly for four weeks."


def test_leaving_with_input_that_is_not_saved_asks_first(page: Page, live_server, physio_patient):
    physio, patient = physio_patient
    draft = services.start_visit(physio, patient)
    sign_in(page, live_server.url, "physio")
    page.goto(f"{live_server.url}/patients/{oid(patient)}/visits/{oid(draft)}/")
    page.get_by_label("NPRS before (0-10)").fill("11")  # refused by the server: not saved
    expect(page.locator("#autosave-status")).to_contain_text("Not saved: NPRS before")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
