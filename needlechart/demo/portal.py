"""The demo clinic's patient portal between visits: one patient (Omar Haddad) with a portal account,
a follow-up needling visit two days ago with his home exercises, a few days of exercise logs and pain
diary, and his check-in answered. Charted and logged through the same services the pages use.
Idempotent: a patient who already has a portal account is left as he is."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.charting.models import ExerciseAssignment, Visit
from needlechart.common import opaque
from needlechart.patients.models import Patient
from needlechart.portal import between, services
from needlechart.portal.models import CheckIn, PortalAccount

PATIENT = ("Omar", "Haddad")
PASSWORD = "needlechart-demo"


def email() -> str:
    return f"{PATIENT[0].lower()}.{PATIENT[1].lower()}@example.org"


def seed_portal(clinic, physio) -> PortalAccount | None:
    """On the real clock (the check-in and the logs are relative to now, whatever day the rest of the
    demo was seeded for)."""
    today = between.local_day(clinic)
    patient = Patient.objects.filter(clinic=clinic, first_name=PATIENT[0], last_name=PATIENT[1]).first()
    if patient is None or PortalAccount.objects.filter(patient=patient).exists():
        return None
    account = services.invite_patient(actor=physio, patient=patient).account
    account.user.set_password(PASSWORD)
    account.user.save(update_fields=["password"])
    account.activated_at = timezone.now()
    account.save(update_fields=["activated_at"])

    previous = signed_visits(patient).first()
    day = today - timedelta(days=2)
    episode = previous.episode if previous and previous.episode and previous.episode.status != "discharged" else None
    visit = charting.start_visit(physio, patient, episode=episode, modality="dry_needling", copy_from=previous)
    Visit.objects.filter(pk=visit.pk).update(visit_date=day)
    visit = Visit.objects.get(pk=visit.pk)
    charting.rescreen_unchanged(
        physio, visit, performed_at=timezone.make_aware(datetime.combine(day, time(9, 0)), between.zone_of(clinic))
    )
    charting.confirm_all_planned(physio, visit)
    if not visit.exerciseassignments.exists():
        for exercise in ("doorway_pec_stretch", "sleeper_stretch"):
            try:
                charting.assign_exercise(physio, visit, exercise)
            except charting.ChartingError:
                continue
    count = visit.insertions.count()
    visit = Visit.objects.get(pk=visit.pk)
    charting.update_draft(
        physio,
        visit,
        {
            "nprs_before": 4,
            "nprs_after": 2,
            "needles_in": count,
            "needles_out": count,
            "subjective": "Shoulder easier this week; sleeping better.",
            "assessment": "Improving.",
            "plan": "Continue weekly needling and the home programme.",
            "aftercare_given": True,
        },
        visit.version,
    )
    visit = charting.sign_visit(physio, Visit.objects.get(pk=visit.pk))

    # The portal side, as Omar would have done it.
    assignments = list(ExerciseAssignment.objects.filter(visit=visit).order_by("id"))
    statuses = {0: ["done", "done", "partly"], 1: ["done", "not", "done"]}
    for n, assignment in enumerate(assignments[:2]):
        for back, status in enumerate(statuses[n]):
            between.log_exercise(
                account=account,
                assignment_token=opaque.of(assignment),
                status=status,
                pain_during=[2, 3, 2][back],
                day=today - timedelta(days=back),
            )
    for back, pain in ((6, 5), (5, 5), (4, 4), (3, 4), (2, 4), (1, 3), (0, 3)):
        between.save_diary(account=account, pain=pain, day=today - timedelta(days=back))
    check_in = CheckIn.objects.filter(visit=visit).first()
    if check_in is not None:
        between.answer_check_in(
            account=account,
            check_in=check_in,
            soreness=3,
            bruising="small",
            urgent=[],
            other="A little sore the first evening, fine now.",
            now=max(check_in.due_at, timezone.now() - timedelta(hours=12)),
        )
    return account


def signed_visits(patient):
    return Visit.objects.filter(patient=patient, signed_at__isnull=False).order_by("-visit_date", "-id")


def logins() -> str:
    return (
        f"Patient portal (http://127.0.0.1:8000/portal/): {email()}, password {PASSWORD} "
        f"({PATIENT[0]} {PATIENT[1]}: aftercare, exercises, check-in and pain diary)"
    )
