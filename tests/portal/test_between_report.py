"""The progress report's between-visits section: adherence, check-ins and the pain diary, as on the
patient page (NEEDLECHART_REPORTS_OUT=/some/folder keeps the PDF, to render with pdftoppm)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from needlechart.charting.models import ExerciseAssignment
from needlechart.common import opaque
from needlechart.portal import between, services
from needlechart.portal.models import CheckIn
from tests.reports.conftest import build_course, build_world
from tests.reports.pdf import text_of, words

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_progress_report_has_the_between_visits_section():
    world = build_world()
    patient = world["patient"]
    patient.email = "ada@example.com"
    patient.save()
    course = build_course(world, timezone.localdate() - timedelta(weeks=5))
    account = services.invite_patient(actor=world["physio"], patient=patient).account
    last = course["visits"][-1]
    today = between.local_day(account.clinic)
    for a in ExerciseAssignment.objects.filter(visit=last):
        for back in range(0, 6, 2):
            between.log_exercise(
                account=account, assignment_token=opaque.of(a), status="done", day=today - timedelta(days=back)
            )
    for back, pain in ((5, 5), (3, 4), (0, 3)):
        between.save_diary(account=account, pain=pain, day=today - timedelta(days=back))
    now = timezone.now()
    # Signing the visit may have opened its check-in already (before noon of the day its window
    # closes, in the clinic's zone): set its times either way, so the test reads the same at any hour.
    check_in, _ = CheckIn.objects.update_or_create(
        visit=last,
        defaults={
            "patient": patient,
            "needled_at": now - timedelta(days=2),
            "due_at": now - timedelta(days=1),
            "closes_at": now + timedelta(days=5),
            "offered": ["infection_signs", "thorax_breathlessness"],
        },
    )
    between.answer_check_in(account=account, check_in=check_in, soreness=6, bruising="small", urgent=[])

    c = Client()
    c.force_login(world["physio"])
    response = c.get(reverse("reports:episode", args=[patient.pk, course["episode"].pk, "progress"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    out = os.environ.get("NEEDLECHART_REPORTS_OUT")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "progress-between.pdf").write_bytes(pdf)
    text = words(text_of(pdf))
    assert "Between visits (patient portal)" in text
    assert "Chin tuck" in text and "Upper trapezius stretch" in text
    assert "6/10" in text and "A small bruise" in text
    assert "3 entries in the last 4 weeks" in text
