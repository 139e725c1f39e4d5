"""The public self-check in real Chromium, on a laptop (1366 x 768) and a phone (360 x 740): a red flag
gives the urgent answer as the whole screen with tap-to-call links; a suitable self-check, sent with
consent, is an intake request the clinic's staff see. Every screen passes axe-core (WCAG 2.1 A/AA),
fits the phone without sideways scrolling, and keeps its answers over a reload and the back button;
the whole check can be done by keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from needlechart.clinical import triage
from needlechart.knowledge import load
from needlechart.selfcheck.models import SelfCheckRequest
from tests import factories as f
from tests.a11y import assert_accessible
from tests.charting.test_browser_flow import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
KB = load()
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 360, "height": 740}}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request, page: Page) -> str:
    page.set_viewport_size(VIEWPORTS[request.param])
    return request.param


def shot(page: Page, name: str, viewport: str, *, full: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"selfcheck-{name}-{viewport}.png"), full_page=full)


def check_screen(page: Page) -> None:
    assert_accessible(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport_width = page.viewport_size["width"]
    assert width <= viewport_width, f"{page.url}: {width}px wide on a {viewport_width}px screen"


def current(page: Page):
    return page.locator(".sc-step.sc-current")


def next_screen(page: Page) -> None:
    current(page).get_by_role("button", name="Next").click()


def answer_questions(page: Page, yes: tuple[str, ...] = (), *, check: str = "") -> None:
    """From the first screen of questions to the last, answering `yes` ones yes and all others no;
    with `check` (the viewport's name), each screen is checked and the first one photographed."""
    for n, group in enumerate(triage.GROUPS):
        expect(current(page)).to_have_attribute("data-step", group.key)
        if check:
            check_screen(page)
        if check and n == 0:
            shot(page, "question", check)
        for code in group.findings:
            answer = "yes" if code in yes else "no"
            current(page).locator(f"input[name=q_{code}][value={answer}]").check()
        next_screen(page)


def through_the_start(page: Page, base: str, *, viewport: str = "", pain=("lumbar", "midline")) -> None:
    page.goto(base + "/self-check/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Could dry needling or acupuncture help you?")
    if viewport:
        check_screen(page)
        shot(page, "start", viewport)
    current(page).get_by_role("button", name="Start").click()
    # Where: the body map's shape (the shared widget), named as it is tapped.
    shape = page.locator(f'.bodymap path.region[data-region="{pain[0]}"][data-side="{pain[1]}"]').first
    shape.scroll_into_view_if_needed()
    shape.click()
    expect(shape).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-marked]")).to_contain_text("Marked: ")
    expect(page.locator(f'input[type=checkbox][name=pain][value="{pain[0]}:{pain[1]}"]')).to_be_checked()
    if viewport:
        check_screen(page)
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "where", viewport)
    next_screen(page)
    current(page).get_by_label("One to six weeks").check()
    if viewport:
        check_screen(page)
    next_screen(page)
    current(page).get_by_label("Lifting or carrying").check()
    next_screen(page)
    current(page).get_by_label("Age in years").fill("44")
    if viewport:
        check_screen(page)
    current(page).get_by_label("Age in years").press("Enter")  # Enter moves on, as Next does


def test_a_red_flag_gives_the_urgent_answer_as_the_whole_screen(page: Page, live_server, viewport):
    f.clinic("riverside")
    through_the_start(page, live_server.url, viewport=viewport)
    answer_questions(page, yes=("bladder_bowel_dysfunction",), check=viewport)
    expect(current(page)).to_have_attribute("data-step", "check")
    check_screen(page)
    current(page).get_by_role("button", name="See my answer").click()
    answer = page.locator("[data-answer]")
    expect(answer).to_have_attribute("data-answer", "emergency")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Get emergency care now")
    calls = page.locator("a.sc-call[href^='tel:']")
    expect(calls.first).to_be_in_viewport()
    assert {calls.nth(i).get_attribute("href") for i in range(calls.count())} >= {"tel:911", "tel:999", "tel:112"}
    box = answer.bounding_box()
    assert box["height"] >= VIEWPORTS[viewport]["height"] - 60  # the whole screen, not a line among others
    check_screen(page)
    shot(page, "urgent", viewport)
    expect(page.get_by_text("You said yes to: “Since this pain began")).to_be_visible()
    assert SelfCheckRequest.objects.count() == 0  # nothing is stored without consent


def test_a_suitable_self_check_becomes_an_intake_request_the_clinic_sees(page: Page, live_server, viewport):
    clinic = f.clinic("riverside")
    f.clinic("hilltop")
    physio = f.user(clinic, "physio")
    base = live_server.url
    through_the_start(page, base, viewport=viewport, pain=("posterior_neck", "midline"))
    answer_questions(page, yes=("anticoagulant_therapy",))
    current(page).get_by_role("button", name="See my answer").click()
    expect(page.locator("[data-answer]")).to_have_attribute("data-answer", "suitable")
    expect(page.get_by_role("heading", level=1)).to_have_text("You could book an assessment")
    expect(page.get_by_text("Dry needling: yes.")).to_be_visible()
    check_screen(page)
    shot(page, "suitable", viewport)
    # Send: a missing consent is refused with every entry kept.
    page.get_by_label("Clinic", exact=True).select_option("riverside")
    page.get_by_label("Your name").fill("Sam Patel")
    page.get_by_label("Phone").fill("07700 900123")
    page.get_by_role("button", name="Send to the clinic").click()
    expect(page.get_by_text("Tick the box to agree")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Sam Patel")
    check_screen(page)
    assert SelfCheckRequest.objects.count() == 0
    page.get_by_label("I agree that the clinic may keep my answers").check()
    page.get_by_role("button", name="Send to the clinic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your answers are with Riverside Clinic")
    check_screen(page)
    item = SelfCheckRequest.objects.get()
    assert (item.clinic, item.outcome, item.name) == (clinic, "suitable", "Sam Patel")
    # The browser's copy of the answers is gone once they are sent.
    assert page.evaluate("window.sessionStorage.getItem('needlechart-selfcheck')") is None
    # The clinic sees it.
    page.context.clear_cookies()
    sign_in(page, base, physio.username)
    expect(page.get_by_role("link", name="Self-checks (1 new)")).to_be_visible()
    page.get_by_role("link", name="Self-checks (1 new)").click()
    row = page.locator("tr", has_text="Sam Patel")
    expect(row).to_contain_text("You could book an assessment")
    shot(page, "requests", viewport)
    row.get_by_role("link", name="Sam Patel").click()
    expect(page.get_by_text("Anticoagulant therapy (precaution)")).to_be_visible()
    page.get_by_role("button", name="Mark contacted").click()
    expect(page.get_by_text("status Contacted")).to_be_visible()
    item.refresh_from_db()
    assert item.status == "contacted" and item.status_changed_by == physio


def test_answers_survive_a_reload_and_the_back_button(page: Page, live_server):
    page.set_viewport_size(VIEWPORTS["phone"])
    through_the_start(page, live_server.url)
    expect(current(page)).to_have_attribute("data-step", "back_legs")
    current(page).locator("input[name=q_saddle_anesthesia][value=no]").check()
    page.reload()
    expect(current(page)).to_have_attribute("data-step", "back_legs")
    expect(current(page).locator("input[name=q_saddle_anesthesia][value=no]")).to_be_checked()
    page.go_back()  # the browser's back button: the previous screen, its answer kept
    expect(current(page)).to_have_attribute("data-step", "age")
    expect(current(page).get_by_label("Age in years")).to_have_value("44")
    current(page).get_by_role("button", name="Back").click()  # the page's own back button
    expect(current(page)).to_have_attribute("data-step", "brings_on")
    expect(current(page).get_by_label("Lifting or carrying")).to_be_checked()
    page.go_forward()
    expect(current(page)).to_have_attribute("data-step", "age")
    # A screen with a missing answer says so, and the next one does not open.
    next_screen(page)
    next_screen(page)
    expect(current(page)).to_have_attribute("data-step", "back_legs")
    expect(current(page).locator("[data-step-errors]")).to_contain_text("Answer yes or no")
    assert_accessible(page)


def test_the_answer_page_goes_back_to_the_answers_with_everything_kept(page: Page, live_server):
    through_the_start(page, live_server.url)
    answer_questions(page, yes=("needle_phobia",))
    current(page).get_by_role("button", name="See my answer").click()
    expect(page.locator("[data-answer]")).to_have_attribute("data-answer", "not_suitable")
    page.get_by_role("button", name="Go back to my answers").click()
    expect(current(page)).to_have_attribute("data-step", "where")
    assert page.locator("input[name=q_needle_phobia][value=yes]").is_checked()
    assert page.locator('input[type=checkbox][name=pain][value="lumbar:midline"]').is_checked()


def _tab_to(page: Page, predicate: str, limit: int = 400) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({predicate}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def test_the_whole_self_check_by_keyboard_alone(page: Page, live_server):
    page.set_viewport_size(VIEWPORTS["phone"])
    f.clinic("riverside")
    page.goto(live_server.url + "/self-check/")
    _tab_to(page, "el.matches('[data-step=start] [data-next]')")
    page.keyboard.press("Enter")
    # The body map: Tab to the low back and press Enter.
    _tab_to(page, "el.matches('path.region[data-region=lumbar][data-side=midline]')")
    page.keyboard.press("Enter")
    expect(page.locator('input[type=checkbox][name=pain][value="lumbar:midline"]')).to_be_checked()
    _tab_to(page, "el.matches('.sc-current [data-next]')")
    page.keyboard.press("Enter")
    _tab_to(page, "el.name === 'duration'")
    page.keyboard.press("Space")
    _tab_to(page, "el.matches('.sc-current [data-next]')")
    page.keyboard.press("Enter")
    _tab_to(page, "el.matches('.sc-current [data-next]')")  # nothing makes it worse: optional
    page.keyboard.press("Enter")
    _tab_to(page, "el.name === 'age'")
    page.keyboard.type("52")
    _tab_to(page, "el.matches('.sc-current [data-next]')")
    page.keyboard.press("Enter")
    for group in triage.GROUPS:
        expect(current(page)).to_have_attribute("data-step", group.key)
        for code in group.findings:
            # Tab lands on the group's first radio (Yes); the arrow key moves to No and selects it.
            _tab_to(page, f"el.name === 'q_{code}'")
            page.keyboard.press("ArrowRight")
            expect(page.locator(f"input[name=q_{code}][value=no]")).to_be_checked()
        _tab_to(page, "el.matches('.sc-current [data-next]')")
        page.keyboard.press("Enter")
    _tab_to(page, "el.matches('.sc-current button[type=submit]')")
    page.keyboard.press("Enter")
    expect(page.locator("[data-answer]")).to_have_attribute("data-answer", "suitable")
    # Send by keyboard too.
    _tab_to(page, "el.name === 'name'")
    page.keyboard.type("Kim Lee")
    _tab_to(page, "el.name === 'email'")
    page.keyboard.type("kim@example.com")
    _tab_to(page, "el.name === 'consent'")
    page.keyboard.press("Space")
    _tab_to(page, "el.matches('.sc-send button[type=submit]')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Your answers are with"))
    assert SelfCheckRequest.objects.get().email == "kim@example.com"


def test_without_javascript_every_screen_shows_and_the_list_of_places_works(browser, live_server):
    f.clinic("riverside")
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(live_server.url + "/self-check/")
    expect(page.locator(".sc-step")).to_have_count(len(triage.GROUPS) + 6)
    expect(page.locator("[data-next]").first).to_be_hidden()
    page.locator('input[type=checkbox][name=pain][value="calf:left"]').check()
    page.get_by_label("More than three months").check()
    page.get_by_label("Age in years").fill("70")
    for group in triage.GROUPS:
        for code in group.findings:
            page.locator(f"input[name=q_{code}][value={'yes' if code == 'dvt_signs' else 'no'}]").check()
    page.get_by_role("button", name="See my answer").click()
    expect(page.locator("[data-answer]")).to_have_attribute("data-answer", "see_doctor")
    expect(page.get_by_role("heading", level=1)).to_have_text("See a doctor soon")
    context.close()


def test_the_accessibility_check_fails_on_a_page_with_a_violation(page: Page, live_server):
    page.goto(live_server.url + "/self-check/")
    page.evaluate("document.querySelector('[data-step=start] [data-next]').textContent = ''")  # a nameless button
    with pytest.raises(AssertionError, match="button-name"):
        assert_accessible(page)
