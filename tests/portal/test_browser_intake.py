"""In Chromium, desktop and a 360 x 740 phone: an invited patient completes the intake, the online
consent and a questionnaire; a red flag shows the urgent screen and alerts the clinic. Every screen
is checked with axe-core and for sideways scrolling; screenshots go to docs/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from needlechart.charting import services as charting
from needlechart.portal.models import EConsent, Intake, IntakeStatus, PortalAlert, QuestionnaireResponse
from tests.a11y import assert_accessible
from tests.charting.test_browser_flow import SCREENSHOTS  # NEEDLECHART_SCREENSHOTS (make screenshots) or /tmp

from .conftest import PATIENT_PASSWORD
from .intake_helpers import neck_episode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 360, "height": 740}}


def check(page: Page, name: str, size: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"], name
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal-intake-{name}-{size}.png"), full_page=name in ("review", "consent"))


def sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/portal/sign-in/")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password]", PATIENT_PASSWORD)
    page.click("form button[type=submit] >> nth=0")
    expect(page.locator("h1")).to_contain_text("Hello, Ada")


def answer_all_no(page: Page) -> None:
    page.evaluate("document.querySelectorAll('input[type=radio][value=no]').forEach(r => r.checked = true)")


@pytest.mark.parametrize("size", list(SIZES))
def test_a_patient_completes_intake_consent_and_a_questionnaire(page: Page, live_server, active, physio, size):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size(SIZES[size])
    neck_episode(active.patient, physio)
    sign_in(page, live_server.url)
    check(page, "home", size)
    page.click("text=Start your intake")
    expect(page.locator("h1")).to_have_text("Your contact details")
    page.fill("#f-emergency_contact_name", "Charles Babbage")
    page.fill("#f-phone", "12")
    page.click("text=Save and continue")
    expect(page.locator("#error-summary")).to_contain_text("at least 6 digits")
    expect(page.locator("#f-emergency_contact_name")).to_have_value("Charles Babbage")  # nothing lost
    check(page, "contact-error", size)
    page.fill("#f-phone", "+44 20 7946 0999")
    page.click("text=Save and continue")
    page.fill("#f-medicines", "Ibuprofen 200 mg when needed")
    page.reload()  # a dropped connection or a reload before sending: what was typed is still there
    expect(page.locator("#f-medicines")).to_have_value("Ibuprofen 200 mg when needed")
    page.click("text=Save and continue")
    expect(page.locator("h1")).to_have_text("Your health")
    answer_all_no(page)
    check(page, "history", size)
    page.click("text=Save and continue")
    expect(page.locator("h1")).to_have_text("Important questions")
    answer_all_no(page)
    page.click("text=Save and continue")
    expect(page.locator("h1")).to_have_text("Where you have pain")
    neck = page.locator('path.region[data-region="posterior_neck"]').first
    page.wait_for_load_state("load")  # the body map's script is deferred: it must be listening first
    neck.focus()
    page.keyboard.press("Enter")  # by keyboard
    expect(neck).to_have_attribute("aria-pressed", "true")
    check(page, "drawing", size)
    page.click("text=Save and continue")
    expect(page.locator("h1")).to_have_text("Questionnaires")
    page.locator("input[name='nprs-item_1'][value='6']").check()
    for n, name in enumerate(("Driving", "Reading", "Sleeping"), start=1):
        page.fill(f"#f-psfs-activity_{n}", name)
        page.locator(f"input[name='psfs-item_{n}'][value='{n + 2}']").check()
    check(page, "questionnaires", size)
    page.click("text=Save and continue")
    expect(page.locator("h1")).to_have_text("Check and send")
    page.go_back()
    expect(page.locator("input[name='nprs-item_1'][value='6']")).to_be_checked()  # the back button keeps answers
    page.go_forward()
    check(page, "review", size)
    page.click("text=Send to the clinic")
    expect(page.locator("h1")).to_have_text("Your intake is with the clinic")
    intake = Intake.objects.get(patient=active.patient)
    assert intake.status == IntakeStatus.SUBMITTED
    assert [p["region"] for p in intake.answers["drawing"]["pains"]] == ["posterior_neck"]

    page.goto(f"{live_server.url}/portal/consent/")
    expect(page.locator("text=collapsed lung")).to_be_visible()  # neck pain: targets over the lung apex
    page.fill("#name-dry_needling", "ada  lovelace")
    check(page, "consent", size)
    page.click("text=I agree to dry needling")
    expect(page.locator(".ok").first).to_contain_text("You agreed on")
    assert EConsent.objects.get(patient=active.patient).source == "portal"

    # The clinician leaves the intake's pain rating out (say the patient misread the scale) and the
    # first visit takes place: the rating is due again, on the portal home page.
    from needlechart.portal import intake_review

    intake_review.decide(actor=physio, intake=intake, key="questionnaire:nprs", decision="left")
    charting.start_visit(physio, active.patient, episode=active.patient.episodes.get())
    page.goto(f"{live_server.url}/portal/")
    expect(page.locator("text=Questionnaires to fill in")).to_be_visible()
    page.click("a[href*='instrument=nprs']")
    page.locator("input[name='item_1'][value='3']").check()
    check(page, "questionnaire", size)
    page.click("text=Send my answers")
    expect(page.locator(".messages")).to_contain_text("Thank you")
    assert QuestionnaireResponse.objects.get(patient=active.patient).result["value"] == 3
    assert [e for e in errors if "status of 400" not in e] == []  # the refused form is a 400, on purpose


@pytest.mark.parametrize("size", list(SIZES))
def test_a_red_flag_tells_the_patient_what_to_do_and_alerts_the_clinic(page: Page, live_server, active, size):
    page.set_viewport_size(SIZES[size])
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/portal/intake/red-flags/")
    answer_all_no(page)
    page.locator("input[name=chest_pain_dyspnea][value=yes]").check()
    page.click("text=Save and continue")
    expect(page.locator(".urgent-screen h1")).to_have_text("Get emergency help now")
    expect(page.locator(".urgent-screen .call").first).to_have_attribute("href", "tel:911")
    check(page, "urgent", size)
    alert = PortalAlert.objects.get(patient=active.patient)
    assert "Chest pain" in alert.summary or "chest" in alert.summary.lower()


def test_the_clinician_reviews_the_intake_and_confirms_the_online_consent(page: Page, live_server, active, physio):
    """The clinician side in the browser: the red flag heads the patient page, the intake is accepted
    into the record, and the online consent is confirmed at the visit with one button."""
    import re

    from needlechart.charting.models import Consent
    from needlechart.common.opaque import of as oid
    from needlechart.patients.models import PatientFinding
    from needlechart.portal import econsent
    from needlechart.portal import intake as flow
    from tests import factories as f

    from .intake_helpers import CONTACT, all_no

    patient = active.patient
    episode = neck_episode(patient, physio)
    flow.save_step(account=active, step="contact", data=CONTACT)
    flow.save_step(account=active, step="medicines", data={"medicines": "Apixaban 5 mg twice a day"})
    flow.save_step(account=active, step="history", data=all_no("history", anticoagulant_therapy="yes"))
    flow.save_step(account=active, step="red_flags", data=all_no("red_flags", dvt_signs="yes"))
    flow.save_step(account=active, step="drawing", data={"pain": ["posterior_neck:left"]})
    flow.save_step(
        account=active,
        step="questionnaires",
        data={
            "nprs-item_1": "7",
            "psfs-activity_1": "Driving",
            "psfs-item_1": "2",
            "psfs-activity_2": "Reading",
            "psfs-item_2": "4",
            "psfs-activity_3": "Lifting",
            "psfs-item_3": "3",
        },
    )
    flow.submit(account=active)
    text = econsent.texts_for(patient)[0]
    econsent.agree(account=active, modality=text.modality, typed_name="Ada Lovelace", version=text.version)
    visit = charting.start_visit(physio, patient, episode=episode)

    page.set_viewport_size(SIZES["desktop"])
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("User name").fill("physio")
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.locator("body")).to_contain_text("Red flag in the online intake")
    page.goto(f"{live_server.url}/patients/{oid(patient)}/")
    page.get_by_role("link", name="Review the intake").click()
    expect(page.locator("h1")).to_contain_text("Online intake of Ada Lovelace")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "portal-intake-staff-review-desktop.png"), full_page=True)
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("body")).to_contain_text("Everything accepted into the record")
    assert PatientFinding.objects.filter(patient=patient, code="dvt_signs").exists()
    patient.refresh_from_db()
    assert "Apixaban" in patient.medications and patient.phone == CONTACT["phone"]

    page.goto(f"{live_server.url}/patients/{oid(patient)}/visits/{oid(visit)}/")
    expect(page.locator("#consent")).to_contain_text("Agreed online on")
    page.locator("#consent").screenshot(path=str(SCREENSHOTS / "portal-intake-staff-visit-consent-desktop.png"))
    page.get_by_role("button", name="Confirm the online consent").click()
    expect(page.locator("#consent")).to_contain_text("Confirmed at a visit")
    consent = Consent.objects.get(patient=patient)
    assert consent.agreed and "pneumothorax" in consent.risks_explained
