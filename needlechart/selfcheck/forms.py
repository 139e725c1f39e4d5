"""The self-check's two forms: the answers (every question, posted back whole with every step) and the
contact details with consent. Parsing only: what the answers mean is the core's (clinical.triage)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from needlechart.accounts.models import Clinic
from needlechart.clinical import triage
from needlechart.clinical.locations import Pain
from needlechart.clinical.screening import ReportedFinding, finding_sides
from needlechart.explorer.bodymap import location_label
from needlechart.knowledge.model import KnowledgeBase

YES, NO = "yes", "no"
YES_NO = ((YES, "Yes"), (NO, "No"))
SITE_SIDES = (("left", "Left"), ("right", "Right"), ("both", "Both sides"), ("midline", "In the middle"))


def question_field(code: str) -> str:
    return f"q_{code}"


def where_fields(code: str) -> tuple[str, str]:
    return f"where_{code}_region", f"where_{code}_side"


def pain_choices(kb: KnowledgeBase) -> list[tuple[str, str]]:
    return [
        (f"{region.id}:{side}", location_label(kb, region.id, side))
        for region in kb.regions.values()
        for side in region.sides
    ]


class AnswersForm(forms.Form):
    """Every answer of the self-check. A yes to a finding that applies to one part of the body needs
    that part (region and side); the region list is the knowledge base's."""

    pain = forms.MultipleChoiceField(
        error_messages={
            "required": "Mark at least one place where it hurts, on the body map or in the list.",
            "invalid_choice": "'%(value)s' is not a place on the body map: choose the places again from the list.",
        },
    )
    duration = forms.ChoiceField(
        choices=list(triage.DURATIONS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how long you have had this pain."},
    )
    aggravating = forms.MultipleChoiceField(
        choices=list(triage.AGGRAVATING.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "'%(value)s' is not one of the choices: tick the boxes again."},
    )
    age = forms.IntegerField(
        min_value=triage.MIN_AGE,
        max_value=triage.MAX_AGE,
        error_messages={
            "required": "Give your age in whole years, for example 42.",
            "invalid": "Give your age as a number of years, for example 42.",
            "min_value": f"Give your age in whole years, from {triage.MIN_AGE} to {triage.MAX_AGE}.",
            "max_value": f"Give your age in whole years, from {triage.MIN_AGE} to {triage.MAX_AGE}.",
        },
    )

    def __init__(self, *args: Any, kb: KnowledgeBase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kb = kb
        self.fields["pain"].choices = pain_choices(kb)
        regions = [("", "Choose a part of the body"), *((r.id, r.name) for r in kb.regions.values())]
        for _group, findings in triage.questions(kb):
            for finding in findings:
                self.fields[question_field(finding.id)] = forms.ChoiceField(
                    choices=YES_NO,
                    widget=forms.RadioSelect,
                    label=finding.question,
                    error_messages={"required": "Answer yes or no."},
                )
                if finding.site_scoped:
                    region_field, side_field = where_fields(finding.id)
                    self.fields[region_field] = forms.ChoiceField(
                        choices=regions,
                        required=False,
                        label="Where?",
                        error_messages={"invalid_choice": "Choose a part of the body from the list."},
                    )
                    self.fields[side_field] = forms.ChoiceField(
                        choices=[("", "Choose a side"), *SITE_SIDES],
                        required=False,
                        label="Which side?",
                        error_messages={"invalid_choice": "Choose left, right, both sides or in the middle."},
                    )

    def clean_pain(self) -> list[str]:
        values = list(dict.fromkeys(self.cleaned_data["pain"]))
        if len(values) > triage.MAX_PAINS:
            raise ValidationError(f"Mark at most {triage.MAX_PAINS} places.")
        return values

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for _group, findings in triage.questions(self.kb):
            for finding in findings:
                if not finding.site_scoped or data.get(question_field(finding.id)) != YES:
                    continue
                region_field, side_field = where_fields(finding.id)
                region, side = data.get(region_field), data.get(side_field)
                if not region:
                    self.add_error(region_field, "You said yes: choose where on your body.")
                    continue
                if not side:
                    self.add_error(side_field, "You said yes: choose which side.")
                    continue
                allowed = finding_sides(self.kb, finding.id, region)
                if side not in allowed:
                    words = ", ".join(dict(SITE_SIDES)[s].lower() for s in allowed)
                    self.add_error(side_field, f"That part of the body has no such side: choose {words}.")
        return data

    def answers(self) -> triage.Answers:
        """The cleaned answers as the core takes them (call after is_valid)."""
        data = self.cleaned_data
        pains = tuple(Pain(*value.split(":", 1)) for value in data["pain"])
        findings = []
        for _group, group_findings in triage.questions(self.kb):
            for finding in group_findings:
                if data.get(question_field(finding.id)) != YES:
                    continue
                if finding.site_scoped:
                    region_field, side_field = where_fields(finding.id)
                    findings.append(ReportedFinding(finding.id, data[region_field], data[side_field]))
                else:
                    findings.append(ReportedFinding(finding.id))
        return triage.Answers(
            pains=pains,
            duration=data["duration"],
            aggravating=tuple(data["aggravating"]),
            findings=tuple(findings),
            age=data["age"],
        )

    def stored(self) -> dict[str, Any]:
        """The answers as the clinic keeps them (JSON): every question's answer, not only the yeses."""
        data = self.cleaned_data
        answers = self.answers()
        return {
            "pains": [{"region": p.region, "side": p.side} for p in answers.pains],
            "duration": answers.duration,
            "aggravating": list(answers.aggravating),
            "age": answers.age,
            "yes": [{"code": f.code, "region": f.region, "side": f.side} for f in answers.findings],
            "no": [
                f.id
                for _group, findings in triage.questions(self.kb)
                for f in findings
                if data.get(question_field(f.id)) == NO
            ],
        }

    def first_error_step(self) -> str:
        """The key of the first screen with an error (the browser opens it)."""
        if not self.errors:
            return ""
        fields = set(self.errors)
        for key, names in steps_fields(self.kb):
            if fields & set(names):
                return key
        return "where"


def steps_fields(kb: KnowledgeBase) -> list[tuple[str, list[str]]]:
    """Each screen's key and the form fields on it, in order."""
    steps: list[tuple[str, list[str]]] = [
        ("where", ["pain"]),
        ("how_long", ["duration"]),
        ("brings_on", ["aggravating"]),
        ("age", ["age"]),
    ]
    for group, findings in triage.questions(kb):
        names = []
        for finding in findings:
            names.append(question_field(finding.id))
            if finding.site_scoped:
                names.extend(where_fields(finding.id))
        steps.append((group.key, names))
    return steps


class ContactForm(forms.Form):
    """Who to contact, at which clinic, and the consent that lets the answers be stored."""

    name = forms.CharField(
        max_length=200,
        label="Your name",
        error_messages={
            "required": "Give your name, so the clinic knows who to ask for.",
            "max_length": "Your name is too long: use at most %(limit_value)d letters.",
        },
    )
    email = forms.EmailField(
        max_length=254,
        required=False,
        label="Email",
        error_messages={
            "invalid": "That is not an email address: check it, for example name@example.com.",
            "max_length": "That email address is too long: use at most %(limit_value)d characters.",
        },
    )
    phone = forms.CharField(
        max_length=40,
        required=False,
        label="Phone",
        error_messages={"max_length": "That phone number is too long: use at most %(limit_value)d characters."},
    )
    clinic = forms.ModelChoiceField(
        queryset=Clinic.objects.none(),
        to_field_name="slug",
        empty_label="Choose a clinic",
        label="Clinic",
        error_messages={
            "required": "Choose the clinic to send your answers to.",
            "invalid_choice": "That clinic is not on the list: choose one from the list.",
        },
    )
    consent = forms.BooleanField(
        label="I agree that the clinic may keep my answers and contact me about them.",
        error_messages={"required": "Tick the box to agree, or your answers cannot be sent."},
    )
    submission_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "The form was out of date and has been renewed: press Send again.",
            "invalid": "The form was out of date and has been renewed: press Send again.",
        },
    )

    def __init__(self, *args: Any, clinics: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and (sum(ch.isdigit() for ch in phone) < 6 or any(ch not in "0123456789 +-()." for ch in phone)):
            raise ValidationError(
                "That is not a phone number: use digits, spaces and + only, for example 07700 900123."
            )
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "email" in data and "phone" in data and not data.get("email") and not data.get("phone"):
            self.add_error("email", "Give an email address or a phone number, so the clinic can reach you.")
        return data
