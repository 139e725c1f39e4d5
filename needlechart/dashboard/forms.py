"""The dashboard's filters: a date range (default the last 90 days in the clinic's time zone), a
condition of the knowledge base and a clinician of the user's clinic (by opaque id). The page, the
CSV files and the API read them through this one form, so a bad value gets the same message
everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils import timezone

from needlechart.accounts.models import Role, User
from needlechart.common import opaque
from needlechart.knowledge import load

DEFAULT_DAYS = 90
MAX_DAYS = 5 * 366  # a wider range is refused: say which years, and read them one at a time


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    condition: str  # "" for every condition
    clinician: User | None

    @property
    def clinician_token(self) -> str:
        return opaque.of(self.clinician) if self.clinician is not None else ""

    def as_dict(self) -> dict[str, str]:
        """The filters as given back to a reader (the CSV columns, the audit row, the API)."""
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "condition": self.condition,
            "clinician": self.clinician_token,
        }

    def describe(self) -> str:
        kb = load()
        parts = [f"{self.date_from.isoformat()} to {self.date_to.isoformat()}"]
        if self.condition:
            parts.append(kb.conditions[self.condition].name.lower())
        if self.clinician is not None:
            parts.append(f"clinician {self.clinician.display_name}")
        return ", ".join(parts)


def clinicians_of(clinic_id: int) -> list[User]:
    """The clinic's clinicians, the people whose signed visits the dashboard counts."""
    return list(User.objects.filter(clinic_id=clinic_id, role=Role.CLINICIAN).order_by("last_name", "username"))


class DashboardFilterForm(forms.Form):
    date_from = forms.DateField(required=False, label="From", input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(required=False, label="To", input_formats=["%Y-%m-%d"])
    condition = forms.ChoiceField(required=False, label="Condition")
    clinician = forms.ChoiceField(required=False, label="Clinician")

    def __init__(self, data, *, clinic_id: int, today: date | None = None) -> None:
        super().__init__(data)
        self.today = today or timezone.localdate()
        self.staff = clinicians_of(clinic_id)
        kb = load()
        self.fields["condition"].choices = [("", "All conditions")] + [
            (c.id, c.name) for c in sorted(kb.conditions.values(), key=lambda c: c.name)
        ]
        self.fields["clinician"].choices = [("", "All clinicians")] + [
            (opaque.of(u), u.display_name) for u in self.staff
        ]
        for name, message in (
            ("date_from", "Enter the first day as YYYY-MM-DD, e.g. 2026-01-31."),
            ("date_to", "Enter the last day as YYYY-MM-DD, e.g. 2026-03-31."),
        ):
            self.fields[name].error_messages["invalid"] = message
        self.fields["condition"].error_messages["invalid_choice"] = (
            "Unknown condition '%(value)s': choose one from the list."
        )
        self.fields["clinician"].error_messages["invalid_choice"] = (
            "No clinician '%(value)s' in this clinic: choose one from the list."
        )
        for name in ("date_from", "date_to"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"})

    def clean(self):
        data = super().clean()
        if "date_from" in self.errors or "date_to" in self.errors:
            return data  # each date's own message says what is wrong with it
        date_to = data.get("date_to") or self.today
        date_from = data.get("date_from") or (date_to - timedelta(days=DEFAULT_DAYS - 1))
        if date_from > date_to:
            raise forms.ValidationError(
                f"The range starts ({date_from.isoformat()}) after it ends ({date_to.isoformat()}): swap the dates."
            )
        if (date_to - date_from).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"The range is longer than {MAX_DAYS} days: choose at most five years at once.")
        data["date_from"], data["date_to"] = date_from, date_to
        return data

    def filters(self) -> Filters:
        """The cleaned filters (call after is_valid())."""
        token = self.cleaned_data.get("clinician") or ""
        clinician = next((u for u in self.staff if opaque.of(u) == token), None) if token else None
        return Filters(
            self.cleaned_data["date_from"],
            self.cleaned_data["date_to"],
            self.cleaned_data.get("condition") or "",
            clinician,
        )

    def messages(self) -> list[str]:
        """Every problem as one sentence naming its field."""
        out = []
        for field, errors in self.errors.items():
            label = self.fields[field].label if field in self.fields else ""
            out.extend(f"{label}: {e}" if label else str(e) for e in errors)
        return out
