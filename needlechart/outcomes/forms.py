"""Forms of the outcomes pages: they parse what was typed; every rule is the services' and the core's.

A measurement form is built per instrument from the knowledge base (how many items, their range,
the units): the licensed questionnaires show item numbers and answer ranges only, never item text.
"""

from __future__ import annotations

from typing import Any

from django import forms

from needlechart.knowledge import load
from needlechart.knowledge.instruments import Instrument
from needlechart.knowledge.progress import URGENCIES

from .models import DischargeReason, ReviewActionKind

SIDES = [("", "—"), ("left", "Left"), ("right", "Right"), ("midline", "Midline")]
GOAL_ROWS = 4
PSFS_ROWS = 5
PPT_TRIALS = 3


def _whole_choices(low: float, high: float, blank: str = "not answered") -> list[tuple[str, str]]:
    return [("", blank)] + [(str(v), str(v)) for v in range(int(low), int(high) + 1)]


class PlanForm(forms.Form):
    icd10 = forms.CharField(
        label="ICD-10-CM codes", max_length=200, required=False, help_text="Separated by commas, e.g. M54.2, M79.12"
    )
    frequency_per_week = forms.FloatField(label="Sessions a week", min_value=0.1, max_value=7)
    sessions_planned = forms.IntegerField(label="Sessions planned", min_value=1, max_value=100)
    start = forms.DateField(label="Plan starts", widget=forms.DateInput(attrs={"type": "date"}))
    components = forms.MultipleChoiceField(label="Combined with", required=False, widget=forms.CheckboxSelectMultiple)
    payer = forms.ChoiceField(label="Payer rules", required=False)
    prior_visits_this_year = forms.IntegerField(
        label="Visits already this year",
        min_value=0,
        max_value=366,
        initial=0,
        required=False,
        help_text="Count towards the payer's annual limit",
    )
    reason = forms.CharField(
        label="Reason for the revision", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The revision the form was made from: a plan revised meanwhile is never revised unseen.
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, condition, payers, instruments, **kwargs):
        super().__init__(*args, **kwargs)
        kb = load()
        advice: dict[str, str] = {}
        for care in condition.complementary:
            advice.setdefault(care.kind, care.advice)
        self.fields["components"].choices = [(kind, kind.replace("_", " ")) for kind in advice]
        self.exercises_by_kind: dict[str, list[str]] = {}
        for e in condition.exercises:
            if e in kb.exercises:
                self.exercises_by_kind.setdefault(kb.exercises[e].kind, []).append(kb.exercises[e].name)
        self.fields["payer"].choices = [("", "None")] + [(p, p.replace("_", " ").title()) for p in payers]
        choices = [("", "—")] + [(i.id, i.abbreviation) for i in instruments if i.id != "psfs"]
        for n in range(1, GOAL_ROWS + 1):
            self.fields[f"goal_{n}_kind"] = forms.ChoiceField(
                label=f"Goal {n}",
                required=False,
                choices=[("", "—"), ("instrument", "A score to reach"), ("psfs", "A PSFS activity")],
            )
            self.fields[f"goal_{n}_instrument"] = forms.ChoiceField(label="Instrument", required=False, choices=choices)
            self.fields[f"goal_{n}_target"] = forms.FloatField(label="Target", required=False)
            self.fields[f"goal_{n}_activity"] = forms.CharField(label="Activity", required=False, max_length=120)
            self.fields[f"goal_{n}_by"] = forms.DateField(
                label="By", required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

    def goal_rows(self):
        """The goal fields grouped per row, for the template."""
        return [
            [self[f"goal_{n}_{part}"] for part in ("kind", "instrument", "target", "activity", "by")]
            for n in range(1, GOAL_ROWS + 1)
        ]

    def plain_fields(self):
        return [self[name] for name in self.fields if not name.startswith("goal_") and name != "based_on"]

    def clean(self):
        data = super().clean()
        goals: list[dict[str, Any]] = []
        for n in range(1, GOAL_ROWS + 1):
            kind = data.get(f"goal_{n}_kind")
            if not kind:
                continue
            by = data.get(f"goal_{n}_by")
            target = data.get(f"goal_{n}_target")
            if kind == "instrument":
                goal = {"kind": kind, "instrument": data.get(f"goal_{n}_instrument") or "", "target_score": target}
                if not goal["instrument"]:
                    self.add_error(f"goal_{n}_instrument", f"Goal {n}: choose the instrument whose score to reach.")
            else:
                goal = {"kind": kind, "activity": data.get(f"goal_{n}_activity") or "", "target": target}
            if target is None:
                self.add_error(f"goal_{n}_target", f"Goal {n}: give the score to reach.")
            if by is None:
                self.add_error(f"goal_{n}_by", f"Goal {n}: give the date to reach it by.")
            goal["by_date"] = by
            goals.append(goal)
        data["goals"] = goals
        data["icd10_list"] = [c for c in (data.get("icd10") or "").replace(";", ",").split(",") if c.strip()]
        return data

    @staticmethod
    def initial_from(revision, *, default_sessions, default_frequency, start, icd10) -> dict[str, Any]:
        if revision is None:
            return {
                "based_on": 0,
                "icd10": ", ".join(icd10),
                "frequency_per_week": default_frequency,
                "sessions_planned": default_sessions,
                "start": start,
                "prior_visits_this_year": 0,
            }
        initial: dict[str, Any] = {
            "based_on": revision.number,
            "icd10": ", ".join(revision.icd10),
            "frequency_per_week": revision.frequency_per_week,
            "sessions_planned": revision.sessions_planned,
            "start": revision.start,
            "components": list(revision.components),
            "payer": revision.payer,
            "prior_visits_this_year": revision.prior_visits_this_year,
        }
        for n, goal in enumerate(revision.goals[:GOAL_ROWS], start=1):
            initial[f"goal_{n}_kind"] = goal["kind"]
            initial[f"goal_{n}_instrument"] = goal.get("instrument", "")
            initial[f"goal_{n}_target"] = goal.get("target_score", goal.get("target"))
            initial[f"goal_{n}_activity"] = goal.get("activity", "")
            initial[f"goal_{n}_by"] = goal["by_date"]
        return initial


class MeasurementForm(forms.Form):
    """One instrument's form. `answers()` gives the service's answers list (None: unanswered)."""

    taken_on = forms.DateField(label="Taken on", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, instrument: Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = i = instrument
        low, high = i.item_min, i.item_max
        if i.id == "nprs":
            self.fields["current"] = forms.TypedChoiceField(
                label="Pain now (0–10)", choices=_whole_choices(low, high, "—"), coerce=int
            )
            self.fields["best"] = forms.TypedChoiceField(
                label="Best in the last 24 h",
                required=False,
                choices=_whole_choices(low, high, "—"),
                coerce=int,
                empty_value=None,
            )
            self.fields["worst"] = forms.TypedChoiceField(
                label="Worst in the last 24 h",
                required=False,
                choices=_whole_choices(low, high, "—"),
                coerce=int,
                empty_value=None,
            )
        elif i.id == "ppt":
            for n in range(1, PPT_TRIALS + 1):
                self.fields[f"trial_{n}"] = forms.FloatField(
                    label=f"Trial {n}", required=n == 1, min_value=0, widget=forms.NumberInput(attrs={"step": "0.01"})
                )
            self.fields["unit"] = forms.ChoiceField(label="Unit", choices=[(u, u) for u in i.input_units])
            kb = load()
            sites = sorted(((m.id, m.name) for m in kb.muscles.values()), key=lambda s: s[1])
            self.fields["site"] = forms.ChoiceField(label="Site", choices=[("", "—")] + sites)
            self.fields["side"] = forms.ChoiceField(label="Side", choices=SIDES, required=False)
        elif i.id == "psfs":
            for n in range(1, PSFS_ROWS + 1):
                self.fields[f"activity_{n}"] = forms.CharField(
                    label=f"Activity {n}", required=n <= i.items.min, max_length=120
                )
                self.fields[f"rating_{n}"] = forms.TypedChoiceField(
                    label=f"Ability {n} (0–10)",
                    required=n <= i.items.min,
                    choices=_whole_choices(low, high, "—"),
                    coerce=int,
                    empty_value=None,
                )
        elif i.items.max == 1:
            if i.integer_items:
                self.fields["rating"] = forms.TypedChoiceField(
                    label=f"{i.abbreviation} ({low:g} to {high:g})", choices=_whole_choices(low, high, "—"), coerce=int
                )
            else:
                self.fields["rating"] = forms.FloatField(
                    label=f"{i.abbreviation} ({low:g} to {high:g} {i.score.unit})", min_value=low, max_value=high
                )
        else:
            for n in range(1, i.items.max + 1):
                self.fields[f"item_{n}"] = forms.TypedChoiceField(
                    label=f"Item {n}", required=False, choices=_whole_choices(low, high), coerce=int, empty_value=None
                )

    def answers(self) -> list[float | None]:
        d, i = self.cleaned_data, self.instrument
        if i.id == "nprs":
            return [d["current"]]
        if i.id == "ppt":
            return [d[f"trial_{n}"] for n in range(1, PPT_TRIALS + 1) if d.get(f"trial_{n}") is not None]
        if i.id == "psfs":
            return [d[f"rating_{n}"] for n in range(1, PSFS_ROWS + 1) if d.get(f"activity_{n}")]
        if "rating" in self.fields:
            return [d["rating"]]
        return [d.get(f"item_{n}") for n in range(1, i.items.max + 1)]

    def extras(self) -> dict[str, Any]:
        d, i = self.cleaned_data, self.instrument
        if i.id == "nprs":
            return {"best": d.get("best"), "worst": d.get("worst")}
        if i.id == "ppt":
            return {"unit": d["unit"], "site": d["site"], "side": d.get("side", "")}
        if i.id == "psfs":
            return {"activities": [d[f"activity_{n}"] for n in range(1, PSFS_ROWS + 1) if d.get(f"activity_{n}")]}
        return {}

    def clean(self):
        data = super().clean()
        i = self.instrument
        if i.id == "psfs":
            for n in range(1, PSFS_ROWS + 1):
                if data.get(f"activity_{n}") and data.get(f"rating_{n}") is None:
                    self.add_error(f"rating_{n}", f"Rate activity {n} from 0 to 10, or leave the activity empty.")
                if data.get(f"rating_{n}") is not None and not data.get(f"activity_{n}"):
                    self.add_error(f"activity_{n}", f"Name activity {n}, or leave its rating empty.")
        return data


class DischargeForm(forms.Form):
    reason = forms.ChoiceField(label="Reason", choices=[("", "—")] + list(DischargeReason.choices))
    discharged_on = forms.DateField(label="Discharged on", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="Note", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewActionForm(forms.Form):
    kind = forms.ChoiceField(label="What was done", choices=list(ReviewActionKind.choices), widget=forms.RadioSelect)
    referred_to = forms.CharField(
        label="Referred to", required=False, max_length=200, help_text="For a referral: e.g. GP, spinal surgeon"
    )
    urgency = forms.ChoiceField(
        label="Urgency", required=False, choices=[("", "—")] + [(u, u.replace("_", " ")) for u in URGENCIES]
    )
    reason = forms.CharField(label="Why", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class RomForm(forms.Form):
    """One range-of-motion reading: the movement (grouped by joint), the side, the value."""

    taken_on = forms.DateField(label="Taken on", widget=forms.DateInput(attrs={"type": "date"}))
    movement = forms.ChoiceField(label="Joint and movement")
    side = forms.ChoiceField(
        label="Side", choices=SIDES[:3], required=False, help_text="Leave empty for a midline movement"
    )
    value = forms.FloatField(label="Range (degrees; mm for mouth opening)", min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rom = load().rom
        groups = []
        for joint in rom.joints.values() if rom else ():
            groups.append(
                (
                    joint.name,
                    [
                        (f"{joint.id}:{m.id}", f"{m.name} (normal {m.normal:g} {'mm' if m.unit == 'mm' else '°'})")
                        for m in joint.movements.values()
                    ],
                )
            )
        self.fields["movement"].choices = [("", "—")] + groups

    def parts(self) -> tuple[str, str]:
        joint, _, movement = self.cleaned_data["movement"].partition(":")
        return joint, movement
