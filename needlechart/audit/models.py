"""The audit trail: one row per access or change, never updated, never deleted.

Append-only is enforced twice: here (save refuses an existing row, delete refuses always) and in
the database by triggers (see the migration), so no code path, raw SQL included, can rewrite history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    VIEW = "view", "Opened"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    REMOVE = "remove", "Removed"
    DISCARD = "discard", "Discarded"
    SIGN = "sign", "Signed"
    ADDENDUM = "addendum", "Addendum"
    OVERRIDE = "override", "Override"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Signed out"
    DENIED = "denied", "Access denied"


class AuditEvent(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, null=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)  # kept even if the account is renamed
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, related_name="+")
    summary = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"]), models.Index(fields=["clinic", "-at"])]

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only and cannot be deleted.")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type} {self.object_id}"
