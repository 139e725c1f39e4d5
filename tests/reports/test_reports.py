"""Each report downloads as a PDF whose text carries the clinic's letterhead, the patient and the report's
own content, on the expected number of pages; the refusals say why; every download is audited."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from needlechart.audit.models import Action, AuditEvent
from needlechart.common.opaque import of as oid
from tests.reports.conftest import client_for, discharge, keep, refer
from tests.reports.pdf import pages_of, text_of, words

pytestmark = pytest.mark.django_db

LETTERHEAD = ("Riverside Physio & Acupuncture", "12 Riverside Walk", "London SE1 9ZZ", "020 7946 0321")


def url(course, kind):
    return reverse("reports:episode", args=[course["patient"].pk, course["episode"].pk, kind])


def note_url(course, visit):
    return reverse("reports:visit_note", args=[course["patient"].pk, visit.pk])


def download(user, path, name):
    response = client_for(user).get(path)
    assert response.status_code == 200, response.content[:600]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    keep(name, response.content)
    return response, words(text_of(response.content)), pages_of(response.content)


def assert_letterhead_on_every_page(pdf_text: str, pages: int, patient_id: str) -> None:
    for part in (*LETTERHEAD, "Ada Lovelace", "Born 2 Jan 1980", patient_id):
        assert pdf_text.count(part) >= pages, part
    for n in range(1, pages + 1):
        assert f"Page {n} of {pages}" in pdf_text


def test_progress_report(course):
    response, text, pages = download(course["physio"], url(course, "progress"), "progress-report.pdf")
    assert 2 <= pages <= 4
    assert_letterhead_on_every_page(text, pages, oid(course["patient"]))
    assert "Progress report" in text
    assert "M54.2 Cervicalgia" in text  # the plan's diagnosis
    assert "Responding to care" in text  # the core's status
    assert "5 of 8 planned" in text
    # The outcomes table: the core's rows, baseline to latest, with the MCID and its reading.
    assert re.search(r"NDI .*?30 points .*?10 points .*?-20 .*?10 points .*?MCID met", text)
    assert "NPRS best (24 h)" in text and "NPRS worst (24 h)" in text and "GROC" in text
    assert "reaches the MCID of 10 points" in text
    # A chart per instrument with the MCID marked, and the pain course chart.
    assert "Shaded: scores improved on the baseline by at least the MCID (10 points)" in text
    assert "Pain at each visit" in text and "Before treatment" in text
    # Goals, needling per visit, the adverse event and the signature block.
    assert re.search(r"NDI to 10 points .*? reached", text)
    assert "PSFS: reversing the car" in text
    assert text.count("left upper trapezius, left levator scapulae") == 5
    assert "Bruising" in text and "Pressure applied for a minute" in text
    assert "Maya Okafor" in text and "Signature and date" in text and "Level 2 dry needling course" in text
    name = response["Content-Disposition"]
    assert name == f'attachment; filename="progress-report-{oid(course["episode"])}-{_today()}.pdf"'
    assert "Lovelace" not in name
    assert response["Cache-Control"] == "no-store"


def _today() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()


def test_the_pdf_charts_are_the_pages_markup(course):
    """The course chart in the report is the overview page's own markup, and every instrument chart has
    its MCID band."""
    from needlechart.reports import services

    _, html = services.episode_html(course["physio"], course["episode"], "progress")
    page = client_for(course["physio"]).get(reverse("patients:detail", args=[course["patient"].pk])).content.decode()
    course_chart = re.search(r'<svg class="chart"[^>]*aria-label="Pain \(NPRS 0-10\).*?</svg>', page, re.S).group(0)
    assert course_chart in html
    # Each instrument chart of the report is one of the overview's, band and reassessment points included.
    page_charts = re.findall(r'<svg class="chart course".*?</svg>', page, re.S)
    report_charts = re.findall(r'<svg class="chart course".*?</svg>', html, re.S)
    assert len(report_charts) == 5  # NPRS, its best and worst, NDI, PSFS (the GROC has one rating: no chart)
    assert all(chart in page_charts for chart in report_charts)
    assert all('<rect class="band"' in chart and 'class="marker"' in chart for chart in report_charts)


def test_discharge_summary(course):
    discharge(course)
    _, text, pages = download(course["physio"], url(course, "discharge"), "discharge-summary.pdf")
    assert 2 <= pages <= 4
    assert_letterhead_on_every_page(text, pages, oid(course["patient"]))
    assert "Discharge summary" in text and "Goals met" in text
    assert "Goals met; continues the home programme" in text
    assert re.search(r"NDI .*?30 points .*?10 points .*?-20 .*?MCID met", text)
    assert "Home programme to continue" in text and "Chin tuck" in text and "10 slow repetitions" in text
    assert "Upper trapezius stretch" in text
    assert "Electronically signed" in text and "Maya Okafor" in text


def test_no_discharge_summary_before_the_episode_is_discharged(course):
    response = client_for(course["physio"]).get(url(course, "discharge"))
    assert response.status_code == 409
    assert "has not been discharged" in response.content.decode()
    assert not AuditEvent.objects.filter(detail__report="discharge").exists()


def test_referral_letter_from_the_recorded_referral(course):
    refer(course)
    _, text, pages = download(course["physio"], url(course, "referral"), "referral-letter.pdf")
    assert 1 <= pages <= 3
    assert_letterhead_on_every_page(text, pages, oid(course["patient"]))
    assert "Referral letter" in text and "To: Dr Priya Shah, general practitioner" in text
    assert "Arm tingling that came on this week" in text  # why
    assert "Urgency: Soon" in text
    assert "Red flags" in text and "No red flag was found at the latest screening" in text
    assert "left upper trapezius (5×)" in text  # what was tried
    assert "Chin tuck" in text
    # The latest palpation recorded (at the first visit), with its date.
    assert "left upper trapezius: taut band, tender spot, local twitch response" in text
    assert re.search(r"NDI .*?30 points .*?10 points", text)  # outcomes
    assert "Yours sincerely" in text and "Maya Okafor" in text


def test_no_referral_letter_without_a_referral(course):
    response = client_for(course["physio"]).get(url(course, "referral"))
    assert response.status_code == 409
    assert "nothing to refer" in response.content.decode()


def test_patient_summary_in_plain_words(course):
    _, text, pages = download(course["physio"], url(course, "patient-summary"), "care-summary.pdf")
    assert 2 <= pages <= 4
    assert_letterhead_on_every_page(text, pages, oid(course["patient"]))
    assert "Your care summary" in text
    for heading in ("What we found", "What we did", "How you are doing", "Your home programme", "When to get help"):
        assert heading in text
    assert "The places you marked as painful were: left neck (back), left shoulder (top)." in text
    assert "from 30 to 10 This is a real improvement" in text  # NDI: the MCID met
    assert "from 4 to 7.7 This has clearly improved" in text  # PSFS: its minimal detectable change met
    assert "Chin tuck" in text  # the latest visit's exercises
    assert "Get help straight away if" in text
    assert "MCID" not in text  # plain words only


def test_signed_visit_note(course):
    visit = course["visits"][0]
    response, text, pages = download(course["physio"], note_url(course, visit), "visit-note.pdf")
    assert 1 <= pages <= 3
    assert_letterhead_on_every_page(text, pages, oid(course["patient"]))
    assert "Visit note" in text and "Dry needling" in text
    for heading in ("Subjective", "Objective", "Assessment", "Plan"):
        assert heading in text
    assert "Week 1: neck pain 7/10 on arrival" in text
    assert "Upper trapezius" in text and "Levator scapulae" in text and "pincer" in text.lower()
    assert "Electronically signed" in text
    assert response["Content-Disposition"].startswith(f'attachment; filename="visit-note-{oid(visit)}-')


def test_a_draft_note_is_refused(course):
    from needlechart.charting import services as charting

    draft = charting.start_visit(course["physio"], course["patient"], episode=course["episode"])
    response = client_for(course["physio"]).get(note_url(course, draft))
    assert response.status_code == 409
    assert "only a signed note can be downloaded" in response.content.decode()


@pytest.mark.parametrize("kind", ["progress", "patient-summary"])
def test_clinic_admins_may_download_front_desk_may_not(course, kind):
    assert client_for(course["admin"]).get(url(course, kind)).status_code == 200
    assert client_for(course["desk"]).get(url(course, kind)).status_code == 403
    assert client_for(course["desk"]).get(note_url(course, course["visits"][0])).status_code == 403


def test_another_clinic_gets_404(course):
    other = client_for(course["other"])
    assert other.get(url(course, "progress")).status_code == 404
    assert other.get(note_url(course, course["visits"][0])).status_code == 404
    assert AuditEvent.objects.filter(actor=course["other"], action=Action.DENIED).exists()


def test_an_unknown_report_is_404(course):
    assert client_for(course["physio"]).get(url(course, "invoice")).status_code == 404


def test_every_download_is_audited_naming_the_report(course):
    physio = client_for(course["physio"])
    assert physio.get(url(course, "progress")).status_code == 200
    assert physio.get(note_url(course, course["visits"][-1])).status_code == 200
    row = AuditEvent.objects.get(action=Action.VIEW, detail__report="progress")
    assert row.actor == course["physio"] and row.patient == course["patient"]
    assert row.object_type == "patients.episode" and row.object_id == str(course["episode"].pk)
    assert row.summary == "Downloaded the progress report (PDF)"
    note = AuditEvent.objects.get(action=Action.VIEW, detail__report="note")
    assert note.object_type == "charting.visit" and note.summary == "Downloaded the signed visit note (PDF)"


def test_the_overview_and_the_signed_note_link_to_the_reports(course):
    physio = client_for(course["physio"])
    page = physio.get(reverse("patients:detail", args=[course["patient"].pk])).content.decode()
    assert f'href="{url(course, "progress")}" download>Progress report</a>' in page
    assert f'href="{url(course, "patient-summary")}"' in page
    assert url(course, "discharge") not in page  # not discharged
    assert url(course, "referral") not in page  # responding: nothing to refer
    visit = course["visits"][0]
    note_page = physio.get(reverse("charting:visit", args=[course["patient"].pk, visit.pk])).content.decode()
    assert f'href="{note_url(course, visit)}" download>Note (PDF)</a>' in note_page
    discharge(course)
    page = physio.get(reverse("patients:detail", args=[course["patient"].pk])).content.decode()
    assert f'href="{url(course, "discharge")}" download>Discharge summary</a>' in page


def test_a_draft_has_no_note_link(course):
    from needlechart.charting import services as charting

    draft = charting.start_visit(course["physio"], course["patient"], episode=course["episode"])
    page = client_for(course["physio"]).get(reverse("charting:visit", args=[course["patient"].pk, draft.pk]))
    assert note_url(course, draft) not in page.content.decode()


def test_the_progress_report_lists_range_of_motion(course):
    from needlechart.outcomes.rom import record_rom

    physio, episode = course["physio"], course["episode"]
    record_rom(
        physio, episode, joint="cervical_spine", movement="rotation", side="left", value=40, taken_on=episode.started_on
    )
    record_rom(physio, episode, joint="cervical_spine", movement="rotation", side="left", value=55)
    _, text, _ = download(physio, url(course, "progress"), "progress-rom")
    assert "Range of motion" in text and "Cervical spine rotation (left)" in text
    assert "55° of 60° normal (92%)" in text
