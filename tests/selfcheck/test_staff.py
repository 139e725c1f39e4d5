"""The clinic's side: the list (open first, urgent first, newest first), one request, its status; each
clinic sees only its own; front desk sees who to call and the outcome, never the answers."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from needlechart.audit.models import AuditEvent
from needlechart.clinical import triage
from needlechart.clinical.locations import Pain
from needlechart.clinical.screening import ReportedFinding
from needlechart.selfcheck import services
from needlechart.selfcheck.models import SelfCheckRequest
from needlechart.selfcheck.templatetags.selfcheck_nav import selfcheck_link
from tests.selfcheck.conftest import KB

pytestmark = pytest.mark.django_db


def send(clinic, *codes, name="Sam Patel"):
    answers = triage.Answers(
        pains=(Pain("lumbar", "midline"),),
        duration="one_to_six_weeks",
        findings=tuple(ReportedFinding(c) for c in codes),
        age=40,
    )
    stored = {
        "pains": [{"region": "lumbar", "side": "midline"}],
        "duration": "one_to_six_weeks",
        "aggravating": [],
        "age": 40,
        "yes": [{"code": c, "region": "", "side": ""} for c in codes],
        "no": [],
    }
    item, new = services.submit_request(
        kb=KB,
        clinic=clinic,
        answers=answers,
        stored_answers=stored,
        contact=services.Contact(name, "sam@example.com", ""),
        submission_key=uuid.uuid4(),
        consent_version=services.CONSENT_VERSION,
    )
    assert new
    return item


def test_the_list_puts_open_urgent_requests_first_and_highlights_them(client, clinics, staff):
    riverside, _ = clinics
    older_suitable = send(riverside, name="Ann Suitable")
    urgent = send(riverside, "fever", name="Bob Urgent")
    newest_suitable = send(riverside, name="Cat Suitable")
    closed_emergency = send(riverside, "saddle_anesthesia", name="Dan Closed")
    services.set_status(actor=staff["physio"], item=closed_emergency, status="closed")
    client.force_login(staff["physio"])
    page = client.get("/self-check/requests/").content.decode()
    order = [page.index(n) for n in ("Bob Urgent", "Cat Suitable", "Ann Suitable", "Dan Closed")]
    assert order == sorted(order)
    assert page.count("sc-row-urgent") == 2 and "Urgent: See a doctor soon" in page
    assert "selfcheck/selfcheck.css" in page  # the highlight's styles
    assert older_suitable.public_id in page and newest_suitable.public_id in page and urgent.public_id in page


@pytest.mark.postgres
def test_another_clinics_staff_never_see_a_request(client, clinics, staff):
    riverside, hilltop = clinics
    item = send(riverside)
    client.force_login(staff["stranger"])
    assert item.name not in client.get("/self-check/requests/").content.decode()
    assert client.get(f"/self-check/requests/{item.public_id}/").status_code == 404
    response = client.post(f"/self-check/requests/{item.public_id}/status/", {"status": "closed"})
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == "new"
    assert AuditEvent.objects.filter(action="denied", actor=staff["stranger"]).exists()
    with pytest.raises(PermissionDenied):
        services.set_status(actor=staff["stranger"], item=item, status="closed")


def test_front_desk_sees_contact_and_outcome_but_not_the_answers(client, clinics, staff):
    riverside, _ = clinics
    item = send(riverside, "anticoagulant_therapy")
    client.force_login(staff["desk"])
    page = client.get(f"/self-check/requests/{item.public_id}/").content.decode()
    assert "sam@example.com" in page and "You could book an assessment" in page
    assert "Anticoagulant therapy" not in page and "Answered yes" not in page
    assert "Mark contacted" not in page
    assert client.post(f"/self-check/requests/{item.public_id}/status/", {"status": "contacted"}).status_code == 403
    item.refresh_from_db()
    assert item.status == "new"


@pytest.mark.parametrize("role", ["physio", "admin"])
def test_clinicians_and_clinic_admins_see_the_answers(client, clinics, staff, role):
    riverside, _ = clinics
    item = send(riverside, "anticoagulant_therapy")
    client.force_login(staff[role])
    page = client.get(f"/self-check/requests/{item.public_id}/").content.decode()
    assert "Anticoagulant therapy" in page and "Answered yes" in page
    assert AuditEvent.objects.filter(action="view", actor=staff[role], object_id=str(item.pk)).exists()


@pytest.mark.postgres
def test_a_clinician_marks_a_request_contacted_then_closed_with_audit_rows(client, clinics, staff):
    riverside, _ = clinics
    item = send(riverside)
    client.force_login(staff["physio"])
    url = f"/self-check/requests/{item.public_id}/status/"
    assert client.post(url, {"status": "contacted"}).status_code == 302
    assert client.post(url, {"status": "closed"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "closed" and item.status_changed_by == staff["physio"]
    changes = AuditEvent.objects.filter(action="change", object_id=str(item.pk)).order_by("at", "id")
    assert [e.detail["status"] for e in changes] == [["new", "contacted"], ["contacted", "closed"]]
    # A closed request cannot jump to contacted; an unknown status is named.
    response = client.post(url, {"status": "contacted"}, follow=True)
    assert "cannot become contacted" in response.content.decode()
    response = client.post(url, {"status": "lost"}, follow=True)
    assert "unknown status" in response.content.decode()
    assert client.get(url).status_code == 405


def test_staff_pages_need_a_sign_in(client, clinics):
    item = send(clinics[0])
    assert client.get("/self-check/requests/").status_code == 302
    assert client.get(f"/self-check/requests/{item.public_id}/").status_code == 302
    assert client.get("/self-check/requests/sr_notarealid/").status_code == 404


def test_the_navigation_count_is_one_query_and_only_for_staff(clinics, staff, rf):
    riverside, _ = clinics
    send(riverside)
    send(riverside)
    with CaptureQueriesContext(connection) as ctx:
        link = selfcheck_link({"user": staff["desk"]})
    assert "Self-checks (2 new)" in link and len(ctx.captured_queries) == 1
    assert "(" not in selfcheck_link({"user": staff["stranger"]})
    from django.contrib.auth.models import AnonymousUser

    with CaptureQueriesContext(connection) as ctx:
        assert selfcheck_link({"user": AnonymousUser()}) == ""
    assert len(ctx.captured_queries) == 0


def test_the_stored_outcome_is_the_cores(clinics):
    item = send(clinics[0], "needle_phobia")
    assert (item.outcome, item.outcome_rank) == ("not_suitable", 3)
    assert SelfCheckRequest.objects.get().reasons[0]["finding"] == "needle_phobia"


def test_the_demo_clinic_has_two_self_checks_and_seeding_again_adds_none(db):
    from needlechart.demo.seed import seed
    from needlechart.selfcheck.demo import seed_requests

    clinic = seed()
    rows = SelfCheckRequest.objects.filter(clinic=clinic).order_by("outcome_rank")
    assert [r.outcome for r in rows] == ["see_doctor", "suitable"]
    seed_requests(clinic)
    assert SelfCheckRequest.objects.filter(clinic=clinic).count() == 2


def test_the_new_count_in_the_navigation_follows_at_once_and_costs_no_query_when_kept(
    clinics, staff, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from needlechart.selfcheck import selectors

    riverside, _ = clinics
    physio = staff["physio"]
    assert selectors.new_count(physio) == 0
    with django_assert_num_queries(0):
        assert selectors.new_count(physio) == 0  # kept: no query on every page
    with django_capture_on_commit_callbacks(execute=True):
        item = send(riverside)
    assert selectors.new_count(physio) == 1  # a new request shows at once
    with django_capture_on_commit_callbacks(execute=True):
        services.set_status(actor=physio, item=item, status="contacted")
    assert selectors.new_count(physio) == 0  # and so does a change of status


def test_a_request_another_server_process_recorded_shows_within_the_kept_time(clinics, staff, monkeypatch):
    """The count is kept in each server process's own memory: a request that arrived through another
    process (whose commit dropped only that process's count) shows here within 15 seconds."""
    import time

    import django.core.cache.backends.locmem as locmem

    from needlechart.selfcheck import selectors

    riverside, _ = clinics
    physio = staff["physio"]
    assert selectors.new_count(physio) == 0
    send(riverside)  # its commit callback never runs here: this process's count is not dropped
    assert selectors.new_count(physio) == 0
    later = time.time() + 16
    monkeypatch.setattr(locmem.time, "time", lambda: later)
    assert selectors.new_count(physio) == 1
