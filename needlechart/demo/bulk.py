"""Seed the demo clinic with a large, realistic caseload for load tests and benchmarks.

    needlechart manage seed_bulk --patients 2000 --visits-per-patient 20

Each patient gets a condition from the knowledge base, an episode of care, an intake screening (the
core's real verdict) and consent, and a run of weekly visits: a pain drawing over the condition's
regions, NPRS before and after treatment, 2-6 needles into the condition's muscles (acupoints for the
acupuncturist's patients), now and then a mild adverse event, and the core's billing codes. Every
visit is signed except, for one patient in ten, the latest one, which is still a draft.

Fast: on PostgreSQL the big tables (a screening per visit, the visits, their needles and events) go
in with COPY, their ids drawn from the tables' own sequences first; elsewhere (SQLite) with
`bulk_create` (batches of 5,000). Either way the rows are the same. Signed notes are locked the only
way the database allows: each visit is inserted as a draft, with its billing codes, and its needle log
added; then one UPDATE per batch (PostgreSQL) or per appointment slot (SQLite) signs them all at once;
after that the triggers refuse any change. The core's checks (needle limits, the sign rule, billing)
are judged once per distinct input. On a busy 2-core machine: about 22 s for the default 2,000 x 20
and 190 s for 2,000 x 200 (400,000 visits), where bulk_create took about 50 s and 18 minutes.

Deterministic: each patient's data comes from `random.Random(f"{seed}:{index}")`, so the same seed
gives the same rows whether seeded at once or topped up. Idempotent: bulk patients carry the `Bulk-`
surname prefix; a second run finds them and only tops up to the requested number. Works on SQLite and
PostgreSQL, all in one transaction, so an interrupted run leaves nothing behind; the tables are
ANALYZEd afterwards so the query planner knows their new size.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Cast
from django.utils import timezone

from needlechart.accounts.models import Clinic, User
from needlechart.charting.models import AdverseEvent, Consent, Insertion, Modality, Screening, Technique, Visit
from needlechart.charting.services import NEEDLE_NUMBERS, risks_for
from needlechart.clinical import billing
from needlechart.clinical import charting as rules
from needlechart.clinical.screening import PlannedTarget, ReportedFinding, ScreeningInput, screen
from needlechart.knowledge import load
from needlechart.knowledge.model import KnowledgeBase
from needlechart.patients.models import Episode, Patient, PatientFinding, Sex

from .seed import DEMO_CLINIC_SLUG, within_safe_depth
from .seed import seed as seed_demo

BATCH = 5000  # rows per INSERT
SIGN_BATCH = 1000  # rows per bulk_update (its SQL holds a CASE arm per row: keep it modest)
PREFIX = "Bulk-"

# fmt: off
FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace", "Freya",
    "Willow", "Emily", "Ella", "Poppy", "Evie", "Oliver", "George", "Noah", "Arthur", "Leo", "Muhammad", "Harry",
    "Oscar", "Archie", "Henry", "Theodore", "Freddie", "Jack", "Charlie", "Finley", "Aisha", "Chen", "Priya",
    "Mateo", "Sofia", "Lucas", "Yusuf", "Zara", "Omar", "Ines", "Kenji", "Amara", "Tomasz", "Elif", "Ravi",
    "Nadia", "Jonas", "Femi",
)
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Khan",
    "Lewis", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper", "Ward", "Nowak", "Okafor", "Rossi",
    "Garcia", "Novak", "Kowalski", "Nguyen", "Haddad", "Tanaka", "Lindqvist", "Murphy", "Kelly", "Reyes",
    "Fischer", "Singh",
)
# fmt: on
# Coded history that some patients carry: precautions that still allow needling (the screening verdict
# is taken from the core, and any target it blocks for the patient is left out of the plan).
HISTORY = ("diabetes", "anticoagulant_therapy", "vasovagal_history", "metal_allergy", "latex_allergy", "epilepsy")
SUBJECTIVE = (
    "Pain {trend} since last visit; sleep {sleep}.",
    "Reports pain {trend} this week; aggravated by {activity}.",
    "Pain {trend}. Managing {activity} with pacing.",
)
TRENDS = ("a little better", "much the same", "easing", "slightly worse after a busy week", "better overall")
SLEEPS = ("unchanged", "improved", "disturbed two nights")
ACTIVITIES = ("desk work", "lifting", "driving", "running", "housework", "gardening")


@dataclass
class BulkStats:
    patients: int = 0
    visits: int = 0
    signed: int = 0
    insertions: int = 0
    adverse_events: int = 0
    skipped: bool = False
    seconds: float = 0.0
    existing: int = 0

    def summary(self) -> str:
        if self.skipped:
            return f"Bulk data already present ({self.existing} patients); nothing to do."
        return (
            f"Seeded {self.patients} patients, {self.visits} visits ({self.signed} signed), "
            f"{self.insertions} needle insertions, {self.adverse_events} adverse events "
            f"in {self.seconds:.1f} s."
        )


@dataclass
class _Plan:
    """One patient's course of care, drawn before any row is written."""

    patient: Patient
    condition: str
    clinician: User
    modality: str
    findings: list[tuple[str, str, str]]
    screening: dict
    targets: list[tuple[str, str]]  # (target, side) that screening allows
    regions: list[tuple[str, str]]  # pain drawing (region, side)
    start: date
    slot: int  # the weekly appointment time, minutes past midnight
    visits: list[dict] = field(default_factory=list)


def bulk_patients(clinic: Clinic):
    return Patient.objects.filter(clinic=clinic, last_name__startswith=PREFIX)


def seed_bulk(
    patients: int = 2000,
    visits_per_patient: int = 20,
    seed: int = 1,
    today: date | None = None,
    progress=None,
) -> BulkStats:
    """Create `patients` bulk patients (with `visits_per_patient` visits each) in the demo clinic."""
    started = time.perf_counter()
    today = today or date.today()
    seed_demo(today)
    clinic = Clinic.objects.get(slug=DEMO_CLINIC_SLUG)
    stats = BulkStats(existing=bulk_patients(clinic).count())
    if stats.existing >= patients:
        stats.skipped = True
        return stats
    kb = load()
    staff = {u.username: u for u in User.objects.filter(clinic=clinic, username__in=("physio", "acupuncturist"))}
    per_chunk = max(1, BATCH // max(1, visits_per_patient))
    with transaction.atomic():
        for first in range(stats.existing, patients, per_chunk):
            indices = range(first, min(patients, first + per_chunk))
            plans = [
                _plan(kb, clinic, staff, random.Random(f"{seed}:{i}"), i, visits_per_patient, today) for i in indices
            ]
            _write(kb, plans, stats)
            if progress:
                progress(f"{first + len(plans)}/{patients} patients, {stats.visits} visits")
    _analyze()
    stats.seconds = time.perf_counter() - started
    return stats


# ------------------------------------------------------------------------------------ planning


def _plan(kb: KnowledgeBase, clinic, staff, rng: random.Random, index: int, n_visits: int, today: date) -> _Plan:
    condition = kb.conditions[rng.choice(sorted(kb.conditions))]
    first = rng.choice(FIRST_NAMES)
    last = PREFIX + rng.choice(SURNAMES)
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
    phone = f"+44 7700 {900000 + index:06d}"
    patient = Patient(
        clinic=clinic,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        sex=rng.choice((Sex.FEMALE, Sex.MALE, Sex.FEMALE, Sex.MALE, Sex.OTHER)),
        phone=phone,
        phone_digits="".join(ch for ch in phone if ch.isdigit()),  # save() is bypassed by bulk_create
        email=f"bulk.{index:05d}@example.org",
        address=f"{rng.randrange(1, 200)} {rng.choice(SURNAMES)} Road",
        emergency_contact_name=f"{rng.choice(FIRST_NAMES)} {last[len(PREFIX) :]}",
        emergency_contact_phone=phone,
    )
    acupuncture = rng.random() < 0.25 and (condition.local_acupoints or condition.distal_acupoints)
    clinician = staff["acupuncturist"] if acupuncture else staff["physio"]
    modality = Modality.ACUPUNCTURE if acupuncture else Modality.DRY_NEEDLING
    sides = rng.choice((["left"], ["right"], ["left", "right"]))
    regions = [(r, rng.choice(sides)) for r in rng.sample(condition.regions, min(len(condition.regions), 3))]
    if acupuncture:
        points = list(condition.local_acupoints) + list(condition.distal_acupoints)
        candidates = [(p, "midline" if kb.acupoints[p].midline else s) for p in points for s in sides]
    else:
        candidates = [(m, s) for m in condition.muscles for s in sides]
    candidates = list(dict.fromkeys(candidates))
    findings = []
    if rng.random() < 0.2:
        findings.append((rng.choice(HISTORY), "", ""))
    age = patient.age_on(today)
    result = screen(
        kb,
        ScreeningInput(
            age,
            tuple(ReportedFinding(*f) for f in findings),
            tuple(PlannedTarget(t, s) for t, s in candidates),
            (modality,),
        ),
    )
    if not result.may_needle:  # not expected for HISTORY, but never chart needles the core forbids
        findings = []
        result = screen(kb, ScreeningInput(age, (), tuple(PlannedTarget(t, s) for t, s in candidates), (modality,)))
    allowed = [(t, s) for t, s in candidates if (st := result.status_of(t, s)) is None or st.status != "blocked"]
    screening = {
        "age": age,
        "findings": [{"code": c, "region": r, "side": s} for c, r, s in findings],
        "modalities": [modality],
        "verdict": result.verdict,
        "urgency": result.urgency,
        "result": {
            "findings": [asdict(f) for f in result.findings],
            "modalities": [asdict(m) for m in result.modalities],
        },
    }
    last_visit = today - timedelta(days=rng.randrange(7))
    start = last_visit - timedelta(weeks=n_visits - 1)
    slot = 8 * 60 + 30 * rng.randrange(19)  # 08:00 to 17:00
    plan = _Plan(patient, condition.id, clinician, modality, findings, screening, allowed, regions, start, slot)
    pain = rng.randint(5, 9)
    draft_last = rng.random() < 0.1
    for n in range(n_visits):
        pain = max(0, min(10, pain + rng.choice((-1, -1, 0, 0, 1)) - (1 if n % 4 == 3 else 0)))
        relief = rng.randint(0, 3)
        chosen = rng.sample(allowed, min(len(allowed), rng.randint(2, 6))) if allowed else []
        # One side of the thorax per session (the core's lung-field rule): lung targets of the first
        # lung side chosen stay, the other side's go.
        lung_sides = [side for t, side in chosen if _over_lung(kb, t) and side in ("left", "right")]
        if lung_sides:
            chosen = [(t, side) for t, side in chosen if not _over_lung(kb, t) or side == lung_sides[0]]
        plan.visits.append(
            {
                "visit_date": start + timedelta(weeks=n),
                "nprs_before": pain,
                "nprs_after": max(0, pain - relief),
                "targets": chosen,
                "subjective": rng.choice(SUBJECTIVE).format(
                    trend=rng.choice(TRENDS), sleep=rng.choice(SLEEPS), activity=rng.choice(ACTIVITIES)
                ),
                "adverse": rng.random() < 0.05,
                "signed": not (draft_last and n == n_visits - 1),
                "rng": random.Random(rng.getrandbits(64)),
            }
        )
    return plan


def _insertion(kb: KnowledgeBase, visit_pk: int, modality: str, target: str, side: str, rng: random.Random) -> dict:
    """One needle of the log, as the field values of its row."""
    hazards = kb.target(target).hazards
    lung = any(h.kind == "lung" for h in hazards)
    if modality == Modality.ACUPUNCTURE:
        return {
            "visit_id": visit_pk,
            "target": target,
            "side": side,
            "gauge_mm": Decimal("0.25"),
            "length_mm": 25,
            "depth_mm": within_safe_depth(kb, target, rng.randint(5, 15)),
            "technique": Technique.DE_QI,
            "retention_minutes": 20,
            "lung_technique": _lung_technique(kb, modality, target) if lung else "",
        }
    muscle = kb.muscles[target]
    deep = muscle.depth != "superficial"
    return {
        "visit_id": visit_pk,
        "target": target,
        "side": side,
        "gauge_mm": Decimal("0.30") if deep else Decimal("0.25"),
        "length_mm": 60 if deep else 40,
        "depth_mm": within_safe_depth(kb, target, rng.randint(25, 50) if deep else rng.randint(8, 25)),
        "technique": Technique.PISTONING,
        "twitch_responses": rng.randint(0, 4),
        "retention_minutes": rng.choice((0, 0, 5, 10)),
        "lung_technique": _lung_technique(kb, modality, target) if lung else "",
    }


def _sign_problems(kb: KnowledgeBase, plan: _Plan, v: dict, increments, cache: dict) -> tuple[str, ...]:
    """The core's sign rule for a bulk visit, as the note's Sign button runs it. Notes with the same
    targets under the same plan are judged once (the rule depends on nothing else that varies)."""
    key = (id(plan), tuple(v["targets"]))
    if key not in cache:
        risks = tuple(risks_for(plan.modality, any(_over_lung(kb, t) for t, _ in plan.targets)))
        findings = tuple(ReportedFinding(c, r, s) for c, r, s in plan.findings)
        needles = tuple(
            rules.Needle(
                t,
                s,
                lung_technique=_lung_technique(kb, plan.modality, t) if _over_lung(kb, t) else "",
            )
            for t, s in v["targets"]
        )
        count = len(needles)
        note = rules.NoteForSigning(
            gate=rules.Gate(
                modality=plan.modality,
                screening=ScreeningInput(plan.screening["age"], findings),
                verdict=plan.screening["verdict"],
                consents={plan.modality: rules.ConsentOnFile(plan.modality, risks)},
                clinician=rules.Clinician(plan.clinician.profession, plan.clinician.certified_for_dry_needling),
            ),
            screened_on=v["visit_date"],
            visit_date=v["visit_date"],
            needles=needles,
            nprs_before=v["nprs_before"],
            needles_in=count,
            needles_out=count,
            face_to_face_minutes=sum(i["minutes"] for i in increments),
        )
        cache[key] = rules.sign_problems(kb, note)
    return cache[key]


def _lung_technique(kb: KnowledgeBase, modality: str, target: str) -> str:
    """The safe technique a bulk needle over the lung records: `_insertion` writes it, the sign check
    judges it."""
    if modality == Modality.ACUPUNCTURE:
        return "superficial"
    return "pincer" if kb.muscles[target].compressible else "rib_bracketing"


def _billing(kb: KnowledgeBase, plan: _Plan, targets, increments, cache: dict) -> dict:
    """The core's billing codes for a bulk visit; visits with the same inputs are coded once (the codes
    depend on nothing else)."""
    key = (plan.modality, plan.condition, tuple(plan.regions), tuple(targets), json.dumps(increments))
    if key not in cache:
        cache[key] = _codes(kb, plan, targets, increments)
    return cache[key]


def _codes(kb: KnowledgeBase, plan: _Plan, targets, increments) -> dict:
    if plan.modality == Modality.ACUPUNCTURE:
        coding = billing.acupuncture_codes(kb, billing.parse_increments(increments), plan.condition, pains=plan.regions)
    else:
        insertions = [billing.Insertion(t, s) for t, s in targets]
        coding = billing.dry_needling_codes(kb, insertions, plan.condition, plan.regions)
    return {
        "procedures": [asdict(p) for p in coding.procedures],
        "diagnoses": [asdict(d) for d in coding.diagnoses],
        "notes": list(coding.notes),
    }


# ------------------------------------------------------------------------------------ writing


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, clock(minute // 60, minute % 60), tzinfo=UTC)


def _on_the_day(minute: int):
    """The visit's own date at `minute` past midnight (UTC), as SQL."""
    return ExpressionWrapper(
        Cast("visit_date", DateTimeField()) + Value(timedelta(minutes=minute)), output_field=DateTimeField()
    )


def _write(kb: KnowledgeBase, plans: list[_Plan], stats: BulkStats) -> None:
    Patient.objects.bulk_create([p.patient for p in plans], batch_size=BATCH)  # ids come back (RETURNING)
    PatientFinding.objects.bulk_create(
        [
            PatientFinding(patient=p.patient, code=c, region=r, side=s, noted_on=p.start)
            for p in plans
            for c, r, s in p.findings
        ],
        batch_size=BATCH,
    )
    episodes = Episode.objects.bulk_create(
        [
            Episode(
                patient=p.patient,
                condition=p.condition,
                onset_on=p.start - timedelta(weeks=8),
                started_on=p.start,
                goals="Reduce pain to 3/10 or less and return to usual activity within 12 weeks.",
                created_by=p.clinician,
            )
            for p in plans
        ],
        batch_size=BATCH,
    )
    screenings = Screening.objects.bulk_create(
        [
            Screening(patient=p.patient, performed_by=p.clinician, performed_at=_at(p.start, 8 * 60), **p.screening)
            for p in plans
        ],
        batch_size=BATCH,
    )
    Consent.objects.bulk_create(
        [
            Consent(
                patient=p.patient,
                modality=p.modality,
                risks_explained=risks_for(p.modality, any(_over_lung(kb, t) for t, _ in p.targets)),
                agreed=True,
                recorded_by=p.clinician,
                recorded_at=_at(p.start, 8 * 60),
            )
            for p in plans
        ],
        batch_size=BATCH,
    )
    # auto_now_add stamped the episodes "now": date them to the start of care. Screenings and consents
    # are append-only, so they were dated as they were written.
    for p, ep in zip(plans, episodes, strict=True):
        ep.created_at = _at(p.start, 8 * 60)
    Episode.objects.bulk_update(episodes, ["created_at"], batch_size=SIGN_BATCH)

    # Every visit is screened on its day: the intake, then the patient confirming nothing has changed
    # (what the note's one-click re-screen records), as the core's sign rule requires.
    visit_screenings = [
        {
            "patient_id": p.patient.pk,
            "performed_by_id": p.clinician.pk,
            "performed_at": _at(v["visit_date"], p.slot),
            "changed_since_last": False,
            "patient_confirmed_unchanged": True,
            "repeats_id": intake.pk,
            **p.screening,
        }
        for p, intake in zip(plans, screenings, strict=True)
        for v in p.visits
    ]
    screening_ids = iter(_insert(Screening, visit_screenings))

    # Visits go in as drafts so that their needle logs may be written; a visit to be signed carries its
    # billing codes already (the core's, judged by its sign rule first).
    checked: dict[tuple, tuple[str, ...]] = {}
    coded: dict[tuple, dict] = {}
    visits, facts = [], []
    for p, episode in zip(plans, episodes, strict=True):
        for v in p.visits:
            # 15 min, then 12 min after new needles: 27 min is two units, 97810 + 97811.
            increments = (
                [
                    {"minutes": 15, "electrical_stimulation": False},
                    {"minutes": 12, "electrical_stimulation": False, "reinserted": True},
                ]
                if p.modality == Modality.ACUPUNCTURE
                else []
            )
            billing = {}
            if v["signed"]:
                problems = _sign_problems(kb, p, v, increments, checked)
                if problems:  # a seeder bug: never sign a note the core would refuse
                    raise RuntimeError(f"bulk visit of {v['visit_date']} would not sign: {'; '.join(problems)}")
                billing = _billing(kb, p, v["targets"], increments, coded)
            count = len(v["targets"])
            visits.append(
                {
                    "patient_id": p.patient.pk,
                    "episode_id": episode.pk,
                    "clinician_id": p.clinician.pk,
                    "visit_date": v["visit_date"],
                    "modality": p.modality,
                    "screening_id": next(screening_ids),
                    "pain_drawing": [{"region": r, "side": s, "intensity": v["nprs_before"]} for r, s in p.regions],
                    "nprs_before": v["nprs_before"],
                    "nprs_after": v["nprs_after"] if v["signed"] else None,
                    "subjective": v["subjective"],
                    "objective": "Taut bands with tender spots in the treated muscles; active range slightly limited.",
                    "assessment": "Myofascial pain consistent with the working diagnosis; responding to treatment.",
                    "plan": "Continue weekly treatment with the home programme.",
                    "response": "Tolerated well." if v["signed"] else "",
                    "needles_in": count if v["signed"] else None,
                    "needles_out": count if v["signed"] else None,
                    "aftercare_given": v["signed"],
                    "increments": increments,
                    "billing": billing,
                    "created_at": _at(v["visit_date"], p.slot),  # seen at the appointment
                }
            )
            facts.append((p, v))
    visit_ids = _insert(Visit, visits)
    insertions = [
        _insertion(kb, visit_pk, p.modality, t, s, v["rng"])
        for visit_pk, (p, v) in zip(visit_ids, facts, strict=True)
        for t, s in v["targets"]
    ]
    judged: set[tuple] = set()
    unset = {k: Insertion._meta.get_field(k).get_default() for k in NEEDLE_NUMBERS}
    for needle in insertions:  # the core's plausibility limits, as the needle form applies them
        numbers = tuple((k, needle.get(k, unset[k])) for k in NEEDLE_NUMBERS)
        if (needle["target"], numbers) in judged:
            continue
        if problems := rules.needle_problems(kb, {**dict(numbers), "target": needle["target"]}):
            raise RuntimeError(f"bulk needle {needle['target']} is implausible: {'; '.join(problems.values())}")
        judged.add((needle["target"], numbers))
    _insert(Insertion, insertions, ids=False)
    events = [
        {
            "visit_id": visit_pk,
            "code": "soreness_after",
            "severity": "mild",
            "action_taken": "Reassured; heat and gentle movement advised.",
        }
        for visit_pk, (_, v) in zip(visit_ids, facts, strict=True)
        if v["adverse"]
    ]
    _insert(AdverseEvent, events, ids=False)

    # ...then signed, at the end of the appointment, by the clinician: from here on the database
    # refuses any change.
    signed = _sign([(visit_pk, p.slot, v["signed"]) for visit_pk, (p, v) in zip(visit_ids, facts, strict=True)])

    stats.patients += len(plans)
    stats.visits += len(visits)
    stats.signed += len(signed)
    stats.insertions += len(insertions)
    stats.adverse_events += len(events)


# ------------------------------------------------------------------------------------ rows in


def _copy_available() -> bool:
    return connection.vendor == "postgresql"


def _insert(model: type[models.Model], rows: list[dict], *, ids: bool = True) -> list[int]:
    """Insert rows given as field values (attnames); answer their ids in order (`ids=False`: nothing).
    PostgreSQL: one COPY, the ids drawn from the table's sequence first. Elsewhere: `bulk_create`."""
    if not rows:
        return []
    if not _copy_available():
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects, batch_size=BATCH)
        return [o.pk for o in objects]
    meta = model._meta
    now = timezone.now()
    fields = [f for f in meta.concrete_fields if ids or not f.primary_key]
    # What bulk_create gives a field the row leaves out: "now" for the time stamps, else its default
    # (an empty string for a text field, None for a nullable one).
    defaults = {
        f.attname: now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        for f in fields
        if not f.primary_key
    }
    # The columns in this order: the id (when drawn here), the plain fields, the JSON fields.
    plain_fields = [f for f in fields if not f.primary_key and not isinstance(f, models.JSONField)]
    json_fields = [f for f in fields if isinstance(f, models.JSONField)]
    plain = [f.attname for f in plain_fields]
    as_json = [f.attname for f in json_fields]
    columns = ", ".join(
        connection.ops.quote_name(f.column) for f in [*([meta.pk] if ids else []), *plain_fields, *json_fields]
    )
    dumped: dict[int, str] = {}  # JSON shared by many rows (a plan's screening result) is written once

    def dump(value) -> str:
        if id(value) not in dumped:
            dumped[id(value)] = json.dumps(value)
        return dumped[id(value)]

    pks: list[int] = []
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            pks = sorted(r[0] for r in cursor.fetchall())
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for n, row in enumerate(rows):
                values = [row[a] if a in row else defaults[a] for a in plain]
                values += [dump(row[a] if a in row else defaults[a]) for a in as_json]
                copy.write_row([pks[n], *values] if ids else values)
    return pks


def _sign(visits: list[tuple[int, int, bool]]) -> list[int]:
    """Sign the visits (id, appointment slot, to be signed) that are to be signed, 50 minutes into their
    appointment, as their clinician; answer their ids."""
    signed = [visit_pk for visit_pk, _, is_signed in visits if is_signed]
    if _copy_available():
        # Each visit's created_at is the start of its appointment.
        with connection.cursor() as cursor:
            for start in range(0, len(signed), BATCH):
                cursor.execute(
                    "UPDATE charting_visit SET updated_at = created_at + interval '50 minutes',"
                    " signed_at = created_at + interval '50 minutes', signed_by_id = clinician_id"
                    " WHERE id = ANY(%s)",
                    [signed[start : start + BATCH]],
                )
        return signed
    # Elsewhere bulk_create stamped the visits "now": one UPDATE per appointment slot dates each to its
    # appointment, and signs it.
    slots: dict[tuple[int, bool], list[int]] = {}
    for visit_pk, slot, is_signed in visits:
        slots.setdefault((slot, is_signed), []).append(visit_pk)
    for (slot, is_signed), ids in sorted(slots.items()):
        seen = _on_the_day(slot)
        for start in range(0, len(ids), BATCH):
            chunk = Visit.objects.filter(pk__in=ids[start : start + BATCH])
            if is_signed:
                done = _on_the_day(slot + 50)
                chunk.update(created_at=seen, updated_at=done, signed_at=done, signed_by=F("clinician"))
            else:
                chunk.update(created_at=seen)
    return signed


def _analyze() -> None:
    """Fresh planner statistics for the tables just filled. Autovacuum would get there in a minute or
    so; until then PostgreSQL guesses row counts and can pick a scan of every visit for one patient's."""
    models = (Patient, PatientFinding, Episode, Screening, Consent, Visit, Insertion, AdverseEvent)
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _over_lung(kb: KnowledgeBase, target: str) -> bool:
    return any(h.kind == "lung" for h in kb.target(target).hazards)
