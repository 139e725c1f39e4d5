"""The reports through the API: application/pdf, the same documents as the pages, the same refusals as JSON."""

from __future__ import annotations

import pytest

from needlechart.audit.models import Action, AuditEvent
from needlechart.charting import services as charting
from needlechart.common.opaque import of as oid
from tests.reports.conftest import client_for, discharge
from tests.reports.pdf import pages_of, text_of, words

pytestmark = pytest.mark.django_db


def get(user, path):
    return client_for(user).get(f"/api/v1{path}")


@pytest.mark.parametrize(
    ("kind", "title", "filename"),
    [
        ("progress", "Progress report", "progress-report"),
        ("patient-summary", "Your care summary", "care-summary"),
        ("discharge", "Discharge summary", "discharge-summary"),
    ],
)
def test_each_episode_report_is_a_pdf(course, kind, title, filename):
    if kind == "discharge":
        discharge(course)
    response = get(course["physio"], f"/episodes/{oid(course['episode'])}/reports/{kind}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{filename}-{oid(course["episode"])}-')
    text = words(text_of(response.content))
    assert title in text and "Riverside Physio & Acupuncture" in text and "Ada Lovelace" in text
    assert pages_of(response.content) >= 1
    assert AuditEvent.objects.filter(action=Action.VIEW, detail__report=kind, actor=course["physio"]).count() == 1


def test_the_signed_note_is_a_pdf_and_a_draft_is_409(course):
    visit = course["visits"][-1]
    response = get(course["physio"], f"/visits/{oid(visit)}/reports/note")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Week 5: neck pain 3/10 on arrival" in words(text_of(response.content))
    draft = charting.start_visit(course["physio"], course["patient"], episode=course["episode"])
    refused = get(course["physio"], f"/visits/{oid(draft)}/reports/note")
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_available"
    assert "only a signed note can be downloaded" in refused.json()["detail"]


def test_refusals(course):
    episode = oid(course["episode"])
    not_discharged = get(course["physio"], f"/episodes/{episode}/reports/discharge")
    assert not_discharged.status_code == 409 and "has not been discharged" in not_discharged.json()["detail"]
    nothing_to_refer = get(course["physio"], f"/episodes/{episode}/reports/referral")
    assert nothing_to_refer.status_code == 409 and "nothing to refer" in nothing_to_refer.json()["detail"]
    assert get(course["physio"], f"/episodes/{episode}/reports/invoice").status_code == 404
    assert get(course["desk"], f"/episodes/{episode}/reports/progress").status_code == 403
    assert get(course["other"], f"/episodes/{episode}/reports/progress").status_code == 404
    assert get(course["other"], f"/visits/{oid(course['visits'][0])}/reports/note").status_code == 404
    assert get(course["admin"], f"/episodes/{episode}/reports/progress").status_code == 200
    assert not AuditEvent.objects.filter(action=Action.VIEW, actor__in=[course["desk"], course["other"]]).exists()
