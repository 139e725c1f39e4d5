"""An episode's plan of care and its outcome measurements.

Both are append-only, in Python (`AppendOnly`) and in the database (triggers, migration 0001):

- A plan change is a new `PlanRevision` with its reason, never an overwrite; the current plan is the
  latest revision (the highest `number`).
- A `Measurement` keeps the answers as entered and the core's score of them at the time
  (`needlechart.clinical.instruments`); a form that cannot be scored is kept with the reason. A
  measurement entered in error is voided by a `MeasurementVoid` row (who, when, why), never changed
  or deleted: a correction is a void and a new measurement.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from needlechart.charting.models import AppendOnly


class PlanRevision(AppendOnly):
    episode = models.ForeignKey("patients.Episode", on_delete=models.PROTECT, related_name="plan_revisions")
    number = models.PositiveIntegerField()  # 1 is the first plan; each revision the next number
    revised_at = models.DateTimeField(default=timezone.now)
    revised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)  # required from the second revision on
    icd10 = models.JSONField(default=list)  # ICD-10-CM codes, e.g. ["M54.2"]
    frequency_per_week = models.FloatField()
    sessions_planned = models.PositiveSmallIntegerField()
    start = models.DateField()
    # [{"kind": "instrument", "instrument", "target_score", "by_date"}
    #  | {"kind": "psfs", "activity", "target", "by_date"}]
    goals = models.JSONField(default=list)
    components = models.JSONField(default=list)  # complementary care kinds of the condition: exercise, stretching...
    payer = models.CharField(max_length=20, blank=True)  # "" or a payer of the progress rules ("medicare")
    prior_visits_this_year = models.PositiveSmallIntegerField(default=0)  # counts towards a payer's annual limit
    defaults = models.JSONField(default=list)  # the fields taken from the condition's default plan

    class Meta:
        ordering = ["episode", "-number"]
        constraints = [models.UniqueConstraint(fields=["episode", "number"], name="outcomes_plan_revision_number")]

    def __str__(self) -> str:
        return f"Plan revision {self.number} of episode {self.episode_id}"


class Measurement(AppendOnly):
    episode = models.ForeignKey("patients.Episode", on_delete=models.PROTECT, related_name="measurements")
    visit = models.ForeignKey(
        "charting.Visit", on_delete=models.PROTECT, null=True, blank=True, related_name="measurements"
    )
    instrument = models.CharField(max_length=20)  # a knowledge-base instrument ID
    taken_on = models.DateField()
    answers = models.JSONField(default=list)  # item answers as entered (null: unanswered); one for single ratings
    unit = models.CharField(max_length=10, blank=True)  # the unit the answers were entered in (PPT)
    score = models.FloatField(null=True, blank=True)  # in the instrument's score unit (PPT: kPa)
    scorable = models.BooleanField()
    reason = models.TextField(blank=True)  # why the form could not be scored
    result = models.JSONField(default=dict)  # the core's Score, as computed when recorded
    # NPRS: {"best", "worst"} over 24 h; PPT: {"site", "side"}; PSFS: {"activities"}
    extra = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["taken_on", "recorded_at", "id"]
        indexes = [models.Index(fields=["episode", "instrument", "taken_on"])]

    def __str__(self) -> str:
        return f"{self.instrument} on {self.taken_on}"


class MeasurementVoid(AppendOnly):
    """A measurement entered in error: it stays, marked void, and no longer counts."""

    measurement = models.OneToOneField(Measurement, on_delete=models.PROTECT, related_name="void")
    reason = models.TextField()
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    voided_at = models.DateTimeField(default=timezone.now)


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    PLATEAU = "plateau", "Plateau: no further gain expected"
    REFERRED = "referred", "Referred on"
    PATIENT_CHOICE = "patient_choice", "Patient's choice"
    DID_NOT_RETURN = "did_not_return", "Did not return"


class Discharge(AppendOnly):
    """The end of an episode of care: why, the final outcomes against baseline as the core read them
    on the day, and the home programme to continue. Append-only, and the discharged episode is locked
    by a trigger (migration 0002): a discharge is undone only by starting a new episode."""

    episode = models.OneToOneField("patients.Episode", on_delete=models.PROTECT, related_name="discharge")
    reason = models.CharField(max_length=20, choices=DischargeReason.choices)
    discharged_on = models.DateField()
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20)  # the core's progress status on the day
    # The core's instrument rows on the day: [{"instrument", "facet", "name", "unit", "baseline",
    # "baseline_date", "latest", "latest_date", "change", "improvement", "mcid", "met", "worsened", "reading"}]
    final_outcomes = models.JSONField(default=list)
    # [{"exercise": knowledge-base exercise ID, "name", "dosage"}]
    home_programme = models.JSONField(default=list)
    discharged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    discharged_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Discharge of episode {self.episode_id}"


class ReviewActionKind(models.TextChoices):
    REFERRAL = "referral", "Referral made"
    REASON = "reason", "Reason recorded for going on"


class ReviewAction(AppendOnly):
    """What the clinician did about a course flagged as not responding or to refer: a referral (to
    whom, how urgently) or the reason for carrying on. A plan revision also counts as acting on it."""

    episode = models.ForeignKey("patients.Episode", on_delete=models.PROTECT, related_name="review_actions")
    kind = models.CharField(max_length=10, choices=ReviewActionKind.choices)
    status = models.CharField(max_length=20)  # the core's status that was acted on
    referred_to = models.CharField(max_length=200, blank=True)
    urgency = models.CharField(max_length=20, blank=True)  # a knowledge-base urgency ID, for referrals
    reason = models.TextField()
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["episode", "acted_at", "id"]


class EpisodeReview(models.Model):
    """The core's latest reading of one episode, kept so that a clinic's list can put flagged courses
    first without assessing every episode on every request. Derived, never edited by hand: rewritten in
    the same transaction as every change to what it depends on (a measurement, a void, a plan revision,
    a review action, a signed visit, a discharge), and read again once `recheck_on` comes (a course can
    become judgeable by the date alone)."""

    episode = models.OneToOneField(
        "patients.Episode", on_delete=models.CASCADE, primary_key=True, related_name="review"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20)
    urgency = models.CharField(max_length=20, blank=True)
    flagged = models.BooleanField(default=False)  # not responding or to refer, and not yet acted on
    reasons = models.JSONField(default=list)
    computed_on = models.DateField()
    recheck_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "flagged"]),
            models.Index(fields=["clinic", "recheck_on"]),
        ]


class RangeOfMotion(AppendOnly):
    """One range-of-motion measurement: a joint's movement on one side (none for a midline movement),
    in degrees (mm for mouth opening), read by the core against its norm (`needlechart.clinical.rom`).
    Append-only like every measurement; a reading entered in error is voided, never changed."""

    episode = models.ForeignKey("patients.Episode", on_delete=models.PROTECT, related_name="rom_measurements")
    visit = models.ForeignKey("charting.Visit", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    joint = models.CharField(max_length=30)
    movement = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True)
    value = models.FloatField()
    unit = models.CharField(max_length=10)
    taken_on = models.DateField()
    result = models.JSONField(default=dict)  # the core's reading when recorded (percent of normal, its norm)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["taken_on", "recorded_at", "id"]
        indexes = [models.Index(fields=["episode", "joint", "movement", "side", "taken_on"])]


class RangeOfMotionVoid(AppendOnly):
    """A range-of-motion reading entered in error: it stays, marked void, and no longer counts."""

    reading = models.OneToOneField(RangeOfMotion, on_delete=models.PROTECT, related_name="void")
    reason = models.TextField()
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    voided_at = models.DateTimeField(default=timezone.now)
