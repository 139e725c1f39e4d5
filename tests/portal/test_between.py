"""Between visits: the check-in created at signing, answered once (urgent answers alert the clinic),
the exercise log (one a day, a second log updates it), the pain diary, the staff panel, the email
sweep, and every object the patient's own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import Action, AuditEvent
from needlechart.charting.models import ExerciseAssignment
from needlechart.clinical.aftercare import build_aftercare
from needlechart.common import opaque
from needlechart.notifications.models import Kind, OutboundEmail
from needlechart.portal import alerts, between, services
from needlechart.portal.models import AlertKind, CheckIn, DiaryEntry, ExerciseLog, PortalAlert
from tests import factories as f

from .between_support import signed_visit
from .conftest import deliver

pytestmark = pytest.mark.django_db


def staff(user):
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


@pytest.fixture
def visit(physio, active):
    return signed_visit(physio, active.patient)


@pytest.fixture
def due(visit):
    """The visit's check-in, fallen due (24 h after the needling)."""
    check_in = CheckIn.objects.get(visit=visit)
    CheckIn.objects.filter(pk=check_in.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    check_in.refresh_from_db()
    return check_in


def check_in_url(check_in) -> str:
    return reverse("portal:check_in", args=[opaque.of(check_in)])


# --- the check-in -----------------------------------------------------------------------------------


def test_signing_a_needled_visit_creates_its_check_in_with_the_sheets_urgent_items(visit, kb):
    check_in = CheckIn.objects.get(visit=visit)
    care = build_aftercare(kb, ["dry_needling"], [("upper_trapezius", "left"), ("rhomboids", "left")])
    assert check_in.offered == [i.id for i in care.urgent]
    assert "thorax_breathlessness" in check_in.offered  # rhomboids lie over the lung
    assert check_in.due_at - check_in.needled_at == timedelta(hours=24)
    assert check_in.closes_at - check_in.needled_at == timedelta(days=7)
    assert between.check_in_state(check_in) == "upcoming"


def test_a_visit_without_needles_has_no_check_in(physio, active):
    visit = signed_visit(physio, active.patient, targets=())
    assert not CheckIn.objects.filter(visit=visit).exists()


def test_a_note_signed_after_the_week_has_no_check_in(physio, active):
    visit = signed_visit(physio, active.patient, day=timezone.localdate() - timedelta(days=9))
    assert not CheckIn.objects.filter(visit=visit).exists()


def test_before_it_is_due_the_check_in_waits_and_refuses_an_answer(visit, patient_client):
    check_in = CheckIn.objects.get(visit=visit)
    page = patient_client.get(check_in_url(check_in))
    assert b"The questions open here on" in page.content and b'<form method="post" class="check-in"' not in page.content
    refused = patient_client.post(check_in_url(check_in), {"soreness": "2", "bruising": "none"})
    assert refused.status_code == 400 and b"opens on" in refused.content
    assert CheckIn.objects.get(pk=check_in.pk).answered_at is None


def test_a_due_check_in_heads_the_home_page(due, patient_client):
    home = patient_client.get(reverse("portal:home")).content.decode()
    assert "Due now" in home
    assert home.index("How are you feeling?") < home.index("After your visit on")
    page = patient_client.get(reverse("portal:check_in_current"))
    assert page.status_code == 200
    for item_id in due.offered:
        assert f'value="{item_id}"'.encode() in page.content


def test_a_plain_answer_is_kept_once_without_alerting(due, patient_client, active):
    response = patient_client.post(check_in_url(due), {"soreness": "4", "bruising": "small", "other": "Stiff."})
    assert response.status_code == 302 and response["Location"] == check_in_url(due)
    due.refresh_from_db()
    assert (due.soreness, due.bruising, due.urgent, due.other) == (4, "small", [], "Stiff.")
    assert not PortalAlert.objects.exists()
    assert AuditEvent.objects.filter(
        action=Action.CREATE, actor=active.user, patient=active.patient, object_type="portal.checkin"
    ).exists()
    page = patient_client.get(check_in_url(due)).content
    assert b"Thank you" in page and b"4 out of 10" in page and b"What to expect" in page
    assert b"Due now" not in patient_client.get(reverse("portal:home")).content


@pytest.mark.postgres
def test_an_urgent_answer_shows_the_urgent_screen_and_alerts_the_clinic(due, patient_client, physio, desk, active):
    response = patient_client.post(
        check_in_url(due), {"soreness": "3", "bruising": "none", "urgent": ["thorax_breathlessness"]}
    )
    urgent_url = reverse("portal:check_in_urgent", args=[opaque.of(due)])
    assert response.status_code == 302 and response["Location"] == urgent_url
    screen = patient_client.get(urgent_url).content.decode()
    assert "Get help now" in screen and 'class="call" href="tel:' in screen
    assert "short of breath" in screen  # the aftercare sheet's own advice for the symptom
    alert = PortalAlert.objects.get()
    assert alert.kind == AlertKind.URGENT_CHECK_IN and alert.patient == active.patient
    assert alert.source_type == "portal.checkin" and alert.source_id == str(due.pk)
    assert any("short of breath" in line for line in alert.detail["lines"])
    # It heads the clinic's patient list (for front desk too) until a clinician acknowledges it.
    for user in (physio, desk):
        assert b"Urgent from the patient portal (1)" in staff(user).get(reverse("patients:list")).content
    alerts.acknowledge(actor=physio, alert=alert, action_taken="Phoned: sent to the emergency department.")
    assert b"Urgent from the patient portal" not in staff(physio).get(reverse("patients:list")).content
    home = patient_client.get(reverse("portal:home")).content.decode()
    assert "You told us about warning signs" in home  # the reminder stays for two days


@pytest.mark.postgres
def test_a_second_submit_or_another_tab_keeps_the_first_answer(due, patient_client):
    first = {"soreness": "3", "bruising": "none", "urgent": ["thorax_breathlessness"]}
    assert patient_client.post(check_in_url(due), first).status_code == 302
    again = patient_client.post(check_in_url(due), {"soreness": "9", "bruising": "large"}, follow=True)
    assert b"your first answer is kept" in again.content
    due.refresh_from_db()
    assert due.soreness == 3 and due.urgent == ["thorax_breathlessness"]
    assert PortalAlert.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="portal.checkin", action=Action.CREATE).count() == 1


@pytest.mark.postgres
def test_a_stale_object_answered_meanwhile_is_not_overwritten(due, active):
    stale = CheckIn.objects.get(pk=due.pk)
    between.answer_check_in(account=active, check_in=due, soreness=2, bruising="none", urgent=[])
    result = between.answer_check_in(account=active, check_in=stale, soreness=8, bruising="large", urgent=[])
    assert result.already
    assert CheckIn.objects.get(pk=due.pk).soreness == 2


def test_a_bad_answer_names_the_problem_and_keeps_everything_entered(due, patient_client):
    response = patient_client.post(
        check_in_url(due),
        {"soreness": "11", "bruising": "small", "urgent": ["infection_signs"], "other": "It throbs at night."},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose how sore you are" in page
    assert 'value="small" checked' in page and 'value="infection_signs" checked' in page
    assert "It throbs at night." in page
    assert CheckIn.objects.get(pk=due.pk).answered_at is None and not PortalAlert.objects.exists()


def test_a_symptom_that_is_not_on_the_check_in_is_refused(due, patient_client):
    response = patient_client.post(check_in_url(due), {"soreness": "2", "bruising": "none", "urgent": ["eye_warning"]})
    assert response.status_code == 400 and b"not on this check-in" in response.content
    assert CheckIn.objects.get(pk=due.pk).answered_at is None


def test_a_closed_check_in_refuses_and_says_to_call(due, patient_client):
    CheckIn.objects.filter(pk=due.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    page = patient_client.get(check_in_url(due))
    assert b"This check-in closed" in page.content
    refused = patient_client.post(check_in_url(due), {"soreness": "2", "bruising": "none"})
    assert refused.status_code == 400 and b"call the clinic" in refused.content


# --- the email --------------------------------------------------------------------------------------


def test_the_sweep_emails_a_due_check_in_once_in_the_clinics_name(visit, active, django_capture_on_commit_callbacks):
    check_in = CheckIn.objects.get(visit=visit)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert between.due_check_in_emails(timezone.now()) == 0  # not due yet
    later = check_in.due_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert between.due_check_in_emails(later) == 1
        assert between.due_check_in_emails(later) == 0  # idempotent
    assert deliver() == 1 and len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"] and active.clinic.name in message.from_email
    assert check_in_url(check_in) in message.body and "emergency services" in message.body
    assert CheckIn.objects.get(pk=check_in.pk).email_sent_at == later


def test_no_email_for_an_answered_check_in_or_a_turned_off_account(
    due, active, physio, django_capture_on_commit_callbacks
):
    between.answer_check_in(account=active, check_in=due, soreness=1, bruising="none", urgent=[])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert between.due_check_in_emails(timezone.now()) == 0
    other = f.patient(active.clinic, "Grace", "Hopper", email="grace@example.com")
    services.invite_patient(actor=physio, patient=other)
    visit = signed_visit(physio, other)
    CheckIn.objects.filter(visit=visit).update(due_at=timezone.now() - timedelta(minutes=1))
    services.disable_access(actor=physio, patient=other)
    with django_capture_on_commit_callbacks(execute=True):
        assert between.due_check_in_emails(timezone.now()) == 0
    assert not OutboundEmail.objects.filter(kind=Kind.CHECK_IN).exists()


# --- exercises --------------------------------------------------------------------------------------


def test_the_exercises_page_shows_steps_dosage_and_cautions(visit, patient_client, kb):
    page = patient_client.get(reverse("portal:exercises")).content.decode()
    chin = kb.exercises["chin_tuck"]
    assert chin.name in page and chin.steps[0] in page and chin.dosage in page and chin.cautions[0] in page
    assert AuditEvent.objects.filter(summary="Opened their home exercises").exists()


@pytest.mark.postgres
def test_logging_an_exercise_twice_a_day_updates_that_days_entry(visit, patient_client, active):
    assignment = ExerciseAssignment.objects.filter(visit=visit, exercise="chin_tuck").get()
    token = opaque.of(assignment)
    url = reverse("portal:exercises")
    first = patient_client.post(url, {"exercise": token, "status": "partly", "pain_during": "3"})
    assert first.status_code == 302
    second = patient_client.post(url, {"exercise": token, "status": "done", "pain_during": ""})
    assert second.status_code == 302
    log = ExerciseLog.objects.get()
    assert (log.status, log.pain_during, log.day) == ("done", None, between.local_day(active.clinic))
    actions = list(AuditEvent.objects.filter(object_type="portal.exerciselog").values_list("action", flat=True))
    assert sorted(actions) == [Action.CHANGE, Action.CREATE]
    assert patient_client.post(url, {"exercise": token, "status": "done"}).status_code == 302  # the same again
    assert AuditEvent.objects.filter(object_type="portal.exerciselog").count() == 2  # nothing changed
    page = patient_client.get(url).content.decode()
    assert (
        "Today: Done" in page and "1 of 2 logged today" in patient_client.get(reverse("portal:home")).content.decode()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "maybe"}, "Choose Done, Partly or Not today."),
        ({"status": "done", "pain_during": "11"}, "Pain during is a whole number from 0 to 10"),
        ({"status": "done", "pain_during": "a lot"}, "Pain during is a whole number from 0 to 10"),
        ({"status": "done", "note": "x" * 301}, "Keep the note to 300 characters"),
        ({"status": "done", "day": "2999-01-01"}, "has not happened yet"),
        ({"status": "done", "day": "yesterday"}, "Choose the day from the list."),
    ],
)
def test_a_bad_log_is_refused_with_what_to_fix_and_keeps_the_entries(visit, patient_client, data, message):
    token = opaque.of(ExerciseAssignment.objects.filter(visit=visit).first())
    response = patient_client.post(reverse("portal:exercises"), {"exercise": token, "note": "after work", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    if "note" not in data:
        assert 'value="after work"' in response.content.decode()
    assert not ExerciseLog.objects.exists()


def test_a_day_before_the_week_is_refused(visit, patient_client, active):
    token = opaque.of(ExerciseAssignment.objects.filter(visit=visit).first())
    old = (between.local_day(active.clinic) - timedelta(days=7)).isoformat()
    response = patient_client.post(reverse("portal:exercises"), {"exercise": token, "status": "done", "day": old})
    assert response.status_code == 400 and not ExerciseLog.objects.exists()


# --- the diary --------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_diary_keeps_one_entry_a_day_and_draws_the_trend(visit, patient_client, active):
    url = reverse("portal:diary")
    assert patient_client.post(url, {"pain": "5", "note": "bad morning"}).status_code == 302
    assert patient_client.post(url, {"pain": "4", "note": "better by noon"}).status_code == 302
    entry = DiaryEntry.objects.get()
    assert (entry.pain, entry.note) == (4, "better by noon")
    DiaryEntry.objects.create(patient=active.patient, day=entry.day - timedelta(days=3), pain=6)
    page = patient_client.get(url).content.decode()
    assert '<svg class="chart"' in page and "better by noon" in page
    bad = patient_client.post(url, {"pain": "12", "note": "keep me"})
    assert (
        bad.status_code == 400
        and "from 0 (no pain) to 10" in bad.content.decode()
        and "keep me" in bad.content.decode()
    )
    assert DiaryEntry.objects.get(day=entry.day).pain == 4


# --- the patient's own objects only -----------------------------------------------------------------


@pytest.fixture
def grace(physio, clinic):
    other = f.patient(clinic, "Grace", "Hopper", email="grace@example.com")
    services.invite_patient(actor=physio, patient=other)
    visit = signed_visit(physio, other, targets=(("gastrocnemius", "left"),), exercises=("calf_stretch",))
    return other, visit


def test_another_patients_objects_are_404_or_refused(visit, grace, patient_client):
    other, other_visit = grace
    other_check_in = CheckIn.objects.get(visit=other_visit)
    assert patient_client.get(check_in_url(other_check_in)).status_code == 404
    assert patient_client.post(check_in_url(other_check_in), {"soreness": "2", "bruising": "none"}).status_code == 404
    urgent = reverse("portal:check_in_urgent", args=[opaque.of(other_check_in)])
    assert patient_client.get(urgent).status_code == 404
    aftercare = reverse("portal:aftercare_visit", args=[opaque.of(other_visit)])
    assert patient_client.get(aftercare).status_code == 404
    assert patient_client.get(reverse("portal:aftercare_visit", args=["vi_nonsense"])).status_code == 404
    other_assignment = ExerciseAssignment.objects.get(visit=other_visit)
    response = patient_client.post(
        reverse("portal:exercises"), {"exercise": opaque.of(other_assignment), "status": "done"}
    )
    assert response.status_code == 400 and b"not in your programme" in response.content
    assert not ExerciseLog.objects.exists()
    for path in ("/portal/", "/portal/aftercare/", "/portal/exercises/", "/portal/check-in/", "/portal/diary/"):
        page = patient_client.get(path)
        assert page.status_code == 200 and b"Hopper" not in page.content and b"Calf stretch" not in page.content, path


def test_the_aftercare_page_shows_the_sheet_urgent_first(visit, patient_client, kb):
    page = patient_client.get(reverse("portal:aftercare")).content.decode()
    assert page.index("Get help straight away if") < page.index("What to expect and what helps")
    assert next(i for i in kb.aftercare if i.id == "thorax_breathlessness").text in page
    assert "Left upper trapezius" in page
    assert AuditEvent.objects.filter(object_type="charting.visit", summary__startswith="Opened the aftercare").exists()


# --- the staff side ---------------------------------------------------------------------------------


def test_the_clinician_sees_adherence_check_ins_and_diary_front_desk_does_not(
    due, active, physio, desk, django_assert_max_num_queries
):
    assignment = ExerciseAssignment.objects.filter(visit=due.visit, exercise="chin_tuck").get()
    between.log_exercise(account=active, assignment_token=opaque.of(assignment), status="done", pain_during=2)
    between.answer_check_in(account=active, check_in=due, soreness=5, bruising="small", urgent=["infection_signs"])
    between.save_diary(account=active, pain=4, note="")
    page = staff(physio).get(reverse("patients:detail", args=[active.patient.pk])).content.decode()
    assert "Between visits" in page and "Chin tuck" in page and "100%" in page
    assert "5/10" in page and "A small bruise" in page and "Urgent:" in page
    front = staff(desk).get(reverse("patients:detail", args=[active.patient.pk])).content.decode()
    assert "Between visits" not in front and "Chin tuck" not in front


def test_the_panel_reads_a_fixed_number_of_rows_sets(physio, active, django_assert_max_num_queries):
    from needlechart.portal.templatetags.portal_between import _context

    visit = signed_visit(physio, active.patient, day=between.local_day(active.clinic) - timedelta(days=6))
    between.save_diary(account=active, pain=3)
    for a in ExerciseAssignment.objects.filter(visit=visit):
        for back in range(5):
            between.log_exercise(
                account=active,
                assignment_token=opaque.of(a),
                status="done",
                day=between.local_day(active.clinic) - timedelta(days=back),
            )
    with django_assert_max_num_queries(4):
        context = _context(active.patient, timezone.localdate())
    data = context["data"]
    assert len(data.exercises) == 2 and data.exercises[0].last7.logged == 5
    # chin tuck "3 to 5 times a day": 7 days prescribed, 5 done; the stretch "twice a day": the same
    assert data.exercises[0].last7.percent == 71 and data.overall(7) == 71
    assert len(data.check_ins) == 1 and len(data.diary) == 1


def test_a_day_before_the_exercise_was_given_is_refused(visit, active):
    token = opaque.of(ExerciseAssignment.objects.filter(visit=visit).first())
    with pytest.raises(between.BetweenError, match="before your clinician gave you"):
        between.log_exercise(
            account=active, assignment_token=token, status="done", day=visit.visit_date - timedelta(days=1)
        )
