"""Between visits: the patient's exercise log, the check-in after needling, and the daily pain diary.

Each is the patient's own record: one exercise log per prescribed exercise per day (a second log the
same day updates that day's entry, audited), one check-in per signed visit where needles were placed
(created when the note is signed; answered once), one diary entry per day (editable that day only).
Imported by models.py so that Django finds them.
"""

from __future__ import annotations

from django.db import models


class ExerciseStatus(models.TextChoices):
    DONE = "done", "Done"
    PARTLY = "partly", "Partly"
    NOT = "not", "Not today"


class Bruising(models.TextChoices):
    NONE = "none", "No bruise"
    SMALL = "small", "A small bruise"
    LARGE = "large", "A large bruise"


class ExerciseLog(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="exercise_logs")
    assignment = models.ForeignKey("charting.ExerciseAssignment", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()  # the patient's day, in the clinic's time zone
    status = models.CharField(max_length=10, choices=ExerciseStatus.choices)
    pain_during = models.PositiveSmallIntegerField(null=True, blank=True)  # 0-10
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "id"]
        constraints = [models.UniqueConstraint(fields=["assignment", "day"], name="exercise_log_once_a_day")]
        indexes = [models.Index(fields=["patient", "-day"])]


class CheckIn(models.Model):
    """How the patient is 24-48 hours after a needling session. `offered` are the aftercare sheet's
    urgent items (their knowledge-base IDs) when the note was signed: the check-in asks about those."""

    visit = models.OneToOneField("charting.Visit", on_delete=models.PROTECT, related_name="check_in")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="check_ins")
    needled_at = models.DateTimeField()
    due_at = models.DateTimeField()  # the needling + 24 h (never before the note was signed)
    closes_at = models.DateTimeField()  # the needling + 7 days
    offered = models.JSONField(default=list)
    answered_at = models.DateTimeField(null=True, blank=True)
    soreness = models.PositiveSmallIntegerField(null=True, blank=True)  # 0-10
    bruising = models.CharField(max_length=10, choices=Bruising.choices, blank=True)
    urgent = models.JSONField(default=list, blank=True)  # the urgent items ticked (IDs)
    other = models.TextField(blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-due_at"]),
            models.Index(fields=["email_sent_at", "due_at"]),
        ]

    @property
    def is_urgent(self) -> bool:
        return bool(self.urgent)


class DiaryEntry(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="diary_entries")
    day = models.DateField()
    pain = models.PositiveSmallIntegerField()  # 0-10
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["patient", "day"], name="diary_once_a_day")]
