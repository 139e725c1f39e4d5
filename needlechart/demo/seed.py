"""Seed the demo clinic: its staff (one per role) and a dozen patients across the knowledge base's
conditions, with their coded history and an episode of care each. Idempotent: running it again
changes nothing. The demo password works for the demo clinic only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from needlechart.accounts.models import Clinic, Profession, Role, User
from needlechart.patients.models import Episode, Patient, PatientFinding, Sex

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


@transaction.atomic
def seed(today: date | None = None) -> Clinic:
    today = today or date.today()
    clinic, _ = Clinic.objects.get_or_create(slug=DEMO_CLINIC_SLUG, defaults={"name": "Riverside Physio & Acupuncture"})
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
        Episode.objects.create(
            patient=patient,
            condition=condition,
            onset_on=start - timedelta(weeks=10),
            started_on=start,
            goals="Reduce pain to 3/10 or less and return to usual activity within 12 weeks.",
            created_by=clinician,
        )
    return clinic


def logins() -> str:
    rows = "\n".join(f"  {s.username:<15} {dict(Role.choices)[s.role]}" for s in STAFF)
    return f"Demo clinic logins (password for all: {DEMO_PASSWORD}, demo clinic only):\n{rows}"
