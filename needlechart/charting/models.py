"""The visit note and everything charted in it.

A signed note never changes. Python refuses (`Visit.save` and the children's `save`/`delete` check
the lock) and, because Python is not the only client of the database, triggers refuse too: no UPDATE
or DELETE of a signed visit, and no INSERT, UPDATE or DELETE of its needle log, palpation findings,
adverse events or exercises (migration 0002). After signing, only dated addenda are added.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class NoteLocked(Exception):
    """The note is signed (it can only be amended by an addendum) or discarded (void, kept as it was)."""

    def __init__(self, message: str = "This note is signed and locked; add a dated addendum instead.") -> None:
        super().__init__(message)


DISCARDED_MESSAGE = "This draft was discarded: it is kept as void and can no longer change."


class Modality(models.TextChoices):
    DRY_NEEDLING = "dry_needling", "Dry needling"
    ACUPUNCTURE = "acupuncture", "Acupuncture"
    ELECTRICAL_STIMULATION = "electrical_stimulation", "Electrical stimulation"


class AppendOnly(models.Model):
    """Refuses to change or delete a stored row (a trigger refuses too)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise NoteLocked(f"{type(self).__name__} records are append-only: record a new one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise NoteLocked(f"{type(self).__name__} records are append-only: record a new one instead.")


class Screening(AppendOnly):
    """One safety screening (intake or the per-visit re-screen), with the core's verdict as given.

    Append-only (a trigger refuses UPDATE and DELETE): a signed note rests on it. A re-screen with
    nothing changed is a new row with the same findings, `changed_since_last` false and the patient's
    confirmation."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="screenings")
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    performed_at = models.DateTimeField(default=timezone.now)
    age = models.PositiveSmallIntegerField()
    findings = models.JSONField(default=list)  # [{"code", "region", "side"}]
    modalities = models.JSONField(default=list)
    verdict = models.CharField(max_length=20)
    urgency = models.CharField(max_length=20, blank=True)
    result = models.JSONField(default=dict)  # the core's full result, for the record
    changed_since_last = models.BooleanField(default=True)
    patient_confirmed_unchanged = models.BooleanField(default=False)
    repeats = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-performed_at", "-id"]

    @property
    def may_needle(self) -> bool:
        return self.verdict in ("clear", "caution")


class Consent(AppendOnly):
    """Informed consent for one modality: the risks explained and the patient's answer.

    Append-only (a trigger refuses UPDATE and DELETE). The latest row per modality is the patient's
    current answer; a withdrawal is a new row (`withdrawal`, not agreed), never a change to an old one."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consents")
    modality = models.CharField(max_length=30, choices=Modality.choices)
    risks_explained = models.JSONField(default=list)
    agreed = models.BooleanField()
    withdrawal = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]


class VisitStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    DISCARDED = "discarded", "Discarded"


class LockedWithNote(models.Model):
    """Refuses save and delete once the stored visit it belongs to is signed (the triggers refuse too)."""

    class Meta:
        abstract = True

    def _locked_visit_id(self) -> int | None:
        raise NotImplementedError

    def _locked(self) -> bool:
        visit_id = self._locked_visit_id()
        return bool(visit_id) and (
            Visit.objects.filter(pk=visit_id)
            .filter(models.Q(signed_at__isnull=False) | models.Q(discarded_at__isnull=False))
            .exists()
        )

    def save(self, *args, **kwargs):
        if self._locked():
            raise NoteLocked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._locked():
            raise NoteLocked()
        return super().delete(*args, **kwargs)


class NoteStatus:
    """A note's status, read from when it was signed or discarded: for the visit row and for the lighter
    rows pages read of it (patients.selectors.VisitRow)."""

    __slots__ = ()
    signed_at: Any
    discarded_at: Any

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_discarded(self) -> bool:
        return self.discarded_at is not None

    @property
    def is_draft(self) -> bool:
        return not self.is_signed and not self.is_discarded

    @property
    def status(self) -> str:
        if self.is_signed:
            return VisitStatus.SIGNED
        return VisitStatus.DISCARDED if self.is_discarded else VisitStatus.DRAFT


class Visit(NoteStatus, LockedWithNote):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="visits")
    episode = models.ForeignKey("patients.Episode", on_delete=models.PROTECT, null=True, related_name="visits")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    visit_date = models.DateField()
    modality = models.CharField(max_length=30, choices=Modality.choices, default=Modality.DRY_NEEDLING)
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pain_drawing = models.JSONField(default=list, blank=True)  # [{"region", "side", "intensity"}]
    nprs_before = models.PositiveSmallIntegerField(null=True, blank=True)
    nprs_before_not_taken = models.TextField(blank=True)  # why no pain score before treatment
    nprs_after = models.PositiveSmallIntegerField(null=True, blank=True)
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    response = models.TextField(blank=True)
    needles_in = models.PositiveSmallIntegerField(null=True, blank=True)
    needles_out = models.PositiveSmallIntegerField(null=True, blank=True)
    count_discrepancy = models.TextField(blank=True)  # what happened and the action taken
    aftercare_given = models.BooleanField(default=False)
    # Acupuncture face-to-face time in segments, coded by the CPT time rule on the total:
    # [{"minutes", "electrical_stimulation", "reinserted"}]; "reinserted" is required after the first segment.
    increments = models.JSONField(default=list, blank=True)
    # Acupuncture: one retention time for the session (a needle's own retention is the exception),
    # and the optional TCM assessment.
    retention_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    tcm_pattern = models.TextField(blank=True)
    tcm_tongue = models.TextField(blank=True)
    tcm_pulse = models.TextField(blank=True)
    copied_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)
    # The version at which each draft field last changed: a save conflicts only when a field it
    # writes changed after the version the writer saw, so two sections never conflict.
    field_versions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    billing = models.JSONField(default=dict, blank=True)  # codes suggested by the core at signing
    # What the note rested on when signed (screening, consents, episode condition), copied in so that a
    # later change to any of them changes nothing signed.
    signed_record = models.JSONField(default=dict, blank=True)
    # A draft that should not exist is discarded, never deleted: kept, void, never billed or signed.
    discarded_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discard_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-visit_date", "-id"]
        indexes = [models.Index(fields=["patient", "-visit_date"])]

    def _locked_visit_id(self) -> int | None:
        return self.pk


class VisitPart(LockedWithNote):
    """Something charted inside a visit: locked with it."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="%(class)ss")

    class Meta:
        abstract = True

    def _locked_visit_id(self) -> int | None:
        return self.visit_id


class Technique(models.TextChoices):
    STATIC = "static", "Static"
    PISTONING = "pistoning", "Pistoning (fast in and out)"
    WINDING = "winding", "Winding / rotation"
    DE_QI = "de_qi", "De qi sought"


class LungTechnique(models.TextChoices):
    RIB_BRACKETING = "rib_bracketing", "Rib bracketing (fingers over the ribs either side)"
    PINCER = "pincer", "Pincer grip, needle into the lifted muscle"
    TANGENTIAL = "tangential", "Tangential angle, away from the chest wall"
    ULTRASOUND = "ultrasound", "Ultrasound-guided"
    SUPERFICIAL = "superficial", "Superficial needling only"


class NeedleParameters(VisitPart):
    """What a needle is: target, side and the parameters a plan carries forward."""

    target = models.CharField(max_length=40)  # muscle ID or acupoint code
    side = models.CharField(max_length=10)
    gauge_mm = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    length_mm = models.PositiveSmallIntegerField(null=True, blank=True)
    depth_mm = models.PositiveSmallIntegerField(null=True, blank=True)
    depth_cun = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    technique = models.CharField(max_length=20, choices=Technique.choices, default=Technique.STATIC)
    es_frequency_hz = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    es_pulse_width_ms = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    es_intensity_ma = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    es_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    # Empty: the session's retention (acupuncture) or none given.
    retention_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    lung_technique = models.CharField(max_length=20, choices=LungTechnique.choices, blank=True)

    PLAN_FIELDS = (
        "target",
        "side",
        "gauge_mm",
        "length_mm",
        "depth_mm",
        "depth_cun",
        "technique",
        "es_frequency_hz",
        "es_pulse_width_ms",
        "es_intensity_ma",
        "es_minutes",
        "retention_minutes",
        "lung_technique",
    )

    class Meta:
        abstract = True
        ordering = ["id"]

    @property
    def electrical_stimulation(self) -> bool:
        return self.es_frequency_hz is not None

    def plan_values(self) -> dict:
        return {name: getattr(self, name) for name in self.PLAN_FIELDS}


class Insertion(NeedleParameters):
    """One row of the needle log: a needle placed at this visit."""

    twitch_responses = models.PositiveSmallIntegerField(default=0)  # dry needling
    de_qi = models.BooleanField(null=True, blank=True)  # acupuncture: obtained or not; empty = not recorded
    time_in = models.TimeField(null=True, blank=True)
    time_out = models.TimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)  # required when screening blocked the target
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class PlannedNeedle(NeedleParameters):
    """A target carried forward from an earlier visit's needle log: a plan, not a needle. It becomes a
    logged needle only when the clinician confirms it at this visit (through the full needle gate); a
    note with a planned target neither confirmed nor removed does not sign."""

    planned_from = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]


class Palpation(VisitPart):
    muscle = models.CharField(max_length=40)
    side = models.CharField(max_length=10)
    taut_band = models.BooleanField(default=False)
    tender_spot = models.BooleanField(default=False)
    referred_pain_recognised = models.BooleanField(default=False)
    twitch_response = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]


class AdverseEventCode(models.TextChoices):
    BRUISING = "bruising", "Bruising"
    BLEEDING = "bleeding", "Bleeding"
    PAIN_DURING = "pain_during", "Pain during treatment"
    SORENESS_AFTER = "soreness_after", "Soreness after treatment"
    FAINTING = "fainting", "Fainting"
    NAUSEA = "nausea", "Nausea"
    DROWSINESS = "drowsiness", "Drowsiness"
    AGGRAVATION = "aggravation", "Aggravation of symptoms"
    PNEUMOTHORAX = "suspected_pneumothorax", "Suspected pneumothorax"
    NERVE_INJURY = "suspected_nerve_injury", "Suspected nerve injury"
    RETAINED_NEEDLE = "broken_or_retained_needle", "Broken or retained needle"


class Severity(models.TextChoices):
    MILD = "mild", "Mild (short, reversible)"
    SIGNIFICANT = "significant", "Significant (needs care or limits activity)"
    SERIOUS = "serious", "Serious (admission, lasting harm)"


class AdverseEvent(VisitPart):
    code = models.CharField(max_length=40, choices=AdverseEventCode.choices)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    action_taken = models.TextField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]


class ExerciseAssignment(VisitPart):
    exercise = models.CharField(max_length=60)
    dosage = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]


class Addendum(models.Model):
    """A dated amendment to a signed note, by the note's author. Append-only."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise NoteLocked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise NoteLocked()
