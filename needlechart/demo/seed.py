"""Seed the demo clinic: its staff (one per role) and a dozen patients across the knowledge base's
conditions, each with coded history, an episode of care and several weeks of signed visits charted
through the same services a clinician uses (screening, consent, needle log, counts, signing).
Idempotent: running it again changes nothing. The demo password works for the demo clinic only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from needlechart.accounts.models import Clinic, Profession, Role, User
from needlechart.charting import services as charting
from needlechart.charting.models import Visit
from needlechart.knowledge import load
from needlechart.patients.models import Episode, Patient, PatientFinding, Sex

from . import outcomes, portal

DEMO_CLINIC_SLUG = "demo"
DEMO_PASSWORD = "needlechart-demo"


@dataclass(frozen=True)
class Staff:
    username: str
    first_name: str
    last_name: str
    role: str
    profession: str = ""
    certification: str = ""
    certified_on: date | None = None


STAFF = (
    Staff(
        "physio",
        "Maya",
        "Okafor",
        Role.CLINICIAN,
        Profession.PHYSICAL_THERAPIST,
        "Trigger point dry needling, level 2 (54 h course)",
        date(2022, 3, 12),
    ),
    Staff("acupuncturist", "Daniel", "Reyes", Role.CLINICIAN, Profession.ACUPUNCTURIST),
    Staff("frontdesk", "Priya", "Shah", Role.FRONT_DESK),
    Staff("clinicadmin", "Tom", "Lindqvist", Role.CLINIC_ADMIN, Profession.PHYSICAL_THERAPIST),
)

# (first, last, born, sex, phone, condition, findings [(code, region, side)], medications)
PATIENTS = (
    ("Hannah", "Moreau", date(1988, 5, 14), Sex.FEMALE, "+44 7700 900101", "tension_type_headache", [], ""),
    (
        "James",
        "Whitaker",
        date(1975, 11, 2),
        Sex.MALE,
        "+44 7700 900102",
        "neck_pain",
        [("anticoagulant_therapy", "", "")],
        "Apixaban 5 mg twice daily",
    ),
    (
        "Sofia",
        "Lindgren",
        date(1992, 8, 23),
        Sex.FEMALE,
        "+44 7700 900103",
        "low_back_pain",
        [("pregnancy", "", "")],
        "Folic acid",
    ),
    (
        "Omar",
        "Haddad",
        date(1969, 2, 7),
        Sex.MALE,
        "+44 7700 900104",
        "shoulder_impingement",
        [("diabetes", "", "")],
        "Metformin 1 g twice daily",
    ),
    (
        "Grace",
        "Kim",
        date(1981, 12, 30),
        Sex.FEMALE,
        "+44 7700 900105",
        "lateral_epicondylalgia",
        [("lymphedema", "upper_arm_anterior", "right"), ("lymph_node_removal", "upper_arm_anterior", "right")],
        "Letrozole 2.5 mg daily",
    ),
    ("Lucas", "Ferreira", date(1996, 4, 18), Sex.MALE, "+44 7700 900106", "plantar_heel_pain", [], ""),
    (
        "Amara",
        "Nwosu",
        date(1958, 9, 9),
        Sex.FEMALE,
        "+44 7700 900107",
        "knee_pain",
        [("pacemaker", "", "")],
        "Bisoprolol 2.5 mg daily",
    ),
    ("Ethan", "Clarke", date(2009, 6, 1), Sex.MALE, "+44 7700 900108", "achilles_tendinopathy", [], ""),
    ("Mei", "Tanaka", date(1979, 3, 26), Sex.FEMALE, "+44 7700 900109", "temporomandibular_disorder", [], ""),
    ("Robert", "Novak", date(1964, 10, 11), Sex.MALE, "+44 7700 900110", "hip_pain", [], "Atorvastatin 20 mg"),
    (
        "Aisha",
        "Rahman",
        date(1985, 1, 19),
        Sex.FEMALE,
        "+44 7700 900111",
        "fibromyalgia",
        [("vasovagal_history", "", "")],
        "Amitriptyline 10 mg at night",
    ),
    ("Noah", "Schmidt", date(1990, 7, 4), Sex.MALE, "+44 7700 900112", "thoracic_back_pain", [], ""),
)


# Patients (by their place in PATIENTS) whose course is not the usual response: the overview and
# the patient list show the non-responders flagged (Novak; Rahman getting worse, to refer), Schmidt's
# flag acted on with a recorded reason, and Moreau's episode discharged.
PROFILES = {0: outcomes.DISCHARGED, 9: outcomes.NOT_RESPONDING, 10: outcomes.WORSENING, 11: outcomes.ACTED_ON}


@transaction.atomic
def seed(today: date | None = None) -> Clinic:
    today = today or date.today()
    clinic, _ = Clinic.objects.get_or_create(
        slug=DEMO_CLINIC_SLUG,
        defaults={
            "name": "Riverside Physio & Acupuncture",
            "time_zone": "Europe/London",
            "require_two_factor": False,
            # Made-up contact details (a drama-reserved phone number, an example.org address) for the reports.
            "address": "12 Riverside Walk\nLondon SE1 9ZZ",
            "phone": "020 7946 0321",
            "email": "reception@riverside-clinic.example.org",
        },
    )
    users = {}
    for s in STAFF:
        user, created = User.objects.get_or_create(
            username=s.username,
            defaults={
                "first_name": s.first_name,
                "last_name": s.last_name,
                "clinic": clinic,
                "role": s.role,
                "profession": s.profession,
                "dry_needling_certification": s.certification,
                "dry_needling_certified_on": s.certified_on,
                "is_staff": s.role == Role.CLINIC_ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[s.username] = user
    for n, (first, last, born, sex, phone, condition, findings, meds) in enumerate(PATIENTS):
        patient, created = Patient.objects.get_or_create(
            clinic=clinic,
            first_name=first,
            last_name=last,
            date_of_birth=born,
            defaults={
                "sex": sex,
                "phone": phone,
                "email": f"{first.lower()}.{last.lower()}@example.org",
                "medications": meds,
                "emergency_contact_name": "Next of kin",
                "emergency_contact_phone": phone,
            },
        )
        if not created:
            continue
        start = today - timedelta(weeks=6 + n % 4)
        for code, region, side in findings:
            PatientFinding.objects.create(patient=patient, code=code, region=region, side=side, noted_on=start)
        clinician = users["acupuncturist"] if n % 3 == 1 else users["physio"]
        episode = Episode.objects.create(
            patient=patient,
            condition=condition,
            onset_on=start - timedelta(weeks=10),
            started_on=start,
            goals="Reduce pain to 3/10 or less and return to usual activity within 12 weeks.",
            created_by=clinician,
        )
        profile = PROFILES.get(n, outcomes.RESPONDER)
        outcomes.plan_for(clinician, episode)
        pains = outcomes.COURSES[profile].pain
        visits = _chart_weeks(clinician, patient, episode, findings, start, weeks=4 + n % 3, pains=pains)
        outcomes.measure(clinician, episode, visits, profile)
        outcomes.settle(clinician, episode, profile)
    portal.seed_portal(clinic, users["physio"])
    from needlechart.selfcheck.demo import seed_requests

    seed_requests(clinic)  # two self-checks sent by the public, through the self-check's service
    return clinic


def _chart_weeks(clinician, patient, episode, findings, start: date, weeks: int, pains) -> list[Visit]:
    """Weekly signed visits with the course's pain scores, charted through the charting services; the
    first visit gives the condition's first two home exercises."""
    kb = load()
    condition = kb.conditions[episode.condition]
    acupuncture = clinician.profession == Profession.ACUPUNCTURIST
    modality = "acupuncture" if acupuncture else "dry_needling"
    reported = [{"code": c, "region": r, "side": s} if r else {"code": c} for c, r, s in findings]
    side = "right" if patient.pk % 2 else "left"
    drawing = [{"region": r, "side": side} for r in condition.regions[:2]]
    if acupuncture:
        targets = list(condition.distal_acupoints[:2] + condition.local_acupoints[:2])
    else:
        targets = list(condition.muscles[:3])
    charting.record_consent(clinician, patient, modality, charting.risks_for(modality, thorax=True), True)
    previous = None
    signed = []
    for week in range(weeks):
        visit = charting.start_visit(clinician, patient, episode=episode, modality=modality, copy_from=previous)
        day = start + timedelta(weeks=week)
        Visit.objects.filter(pk=visit.pk).update(visit_date=day)
        visit = Visit.objects.get(pk=visit.pk)
        at = timezone.make_aware(datetime.combine(day, time(9, 0)))
        if previous is None:
            screening = charting.screen_patient(clinician, patient, reported, [modality], performed_at=at)
            visit = charting.attach_screening(clinician, visit, screening)
        else:
            charting.rescreen_unchanged(clinician, visit, performed_at=at)
        if previous is not None:
            charting.confirm_all_planned(clinician, visit)
        else:
            for target in targets:
                point = kb.acupoints.get(target)
                data = {
                    "target": target,
                    "side": "midline" if point is not None and point.midline else side,
                    "depth_mm": within_safe_depth(kb, target, 15),
                    "retention_minutes": 20 if acupuncture else 0,
                    "technique": "de_qi" if acupuncture else "pistoning",
                    "twitch_responses": 0 if acupuncture else 2,
                }
                if any(h.kind == "lung" for h in kb.target(target).hazards):
                    data["lung_technique"] = "pincer"
                try:
                    charting.add_insertion(clinician, visit, data)
                except charting.ChartingError:
                    continue  # blocked for this patient: the demo clinician leaves it out
            for exercise in condition.exercises[:2]:
                charting.assign_exercise(clinician, visit, exercise)
        count = visit.insertions.count()
        before = pains[min(week, len(pains) - 1)]
        draft = {
            "pain_drawing": [{**d, "intensity": before} for d in drawing],
            "nprs_before": before,
            "nprs_after": max(1, before - 2),
            "needles_in": count,
            "needles_out": count,
            "subjective": f"Week {week + 1}: {condition.name.lower()}, pain {before}/10 on arrival.",
            "assessment": ("Improving." if before < pains[0] else "No change yet.")
            if week
            else "Findings consistent with the episode's condition.",
            "plan": "Weekly needling with home exercises; review at week 6.",
            # Two segments of attended time, new needles at the second: 30 min is 97810 + 97811.
            "increments": [
                {"minutes": 15, "electrical_stimulation": False},
                {"minutes": 15, "electrical_stimulation": False, "reinserted": True},
            ]
            if acupuncture
            else [],
            "aftercare_given": True,
        }
        charting.update_draft(clinician, visit, draft, visit.version)
        previous = charting.sign_visit(clinician, Visit.objects.get(pk=visit.pk))
        signed.append(previous)
    return signed


def within_safe_depth(kb, target: str, depth: int) -> int:
    """A demo needle's depth, kept under the target's recorded safe depth where it has one (rhomboids,
    GB21...): the demo clinic charts within the limits the needle log enforces."""
    limit = kb.target(target).max_depth_mm
    return min(depth, int(limit.value)) if limit is not None else depth


def logins() -> str:
    rows = "\n".join(f"  {s.username:<15} {dict(Role.choices)[s.role]}" for s in STAFF)
    return f"Demo clinic logins (password for all: {DEMO_PASSWORD}, demo clinic only):\n{rows}\n  {portal.logins()}"
