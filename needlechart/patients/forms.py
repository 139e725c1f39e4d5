"""Patient and episode forms. A form that fails keeps every value and marks each field at fault."""

from __future__ import annotations

from datetime import date

from django import forms

from needlechart.knowledge import load

from .models import Episode, Patient
from .services import CLINICAL_FIELDS, DEMOGRAPHIC_FIELDS


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = DEMOGRAPHIC_FIELDS + CLINICAL_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "address": forms.Textarea(attrs={"rows": 2}),
            "medications": forms.Textarea(attrs={"rows": 3}),
            "history_notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"phone": "Any format; search finds it by its digits."}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not user.sees_clinical_content:
            for name in CLINICAL_FIELDS:
                del self.fields[name]

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > date.today():
            raise forms.ValidationError("The date of birth is in the future: check the year.")
        if born.year < 1900:
            raise forms.ValidationError("The date of birth is before 1900: check the year.")
        return born


class EpisodeForm(forms.ModelForm):
    condition = forms.ChoiceField(choices=())

    class Meta:
        model = Episode
        fields = ("condition", "onset_on", "started_on", "goals")
        widgets = {
            "onset_on": forms.DateInput(attrs={"type": "date"}),
            "started_on": forms.DateInput(attrs={"type": "date"}),
            "goals": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"onset_on": "Onset", "started_on": "Episode starts"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kb = load()
        self.fields["condition"].choices = [("", "Choose a condition")] + sorted(
            ((c.id, c.name) for c in kb.conditions.values()), key=lambda c: c[1]
        )
        self.fields["started_on"].initial = date.today()

    def clean(self):
        data = super().clean()
        onset, start = data.get("onset_on"), data.get("started_on")
        if onset and start and onset > start:
            self.add_error("onset_on", "The onset is after the episode's start: check both dates.")
        return data


class HistoryFindingForm(forms.Form):
    code = forms.ChoiceField(label="Finding")
    region = forms.ChoiceField(required=False, help_text="For findings at one body site (lymphoedema, surgery...).")
    side = forms.ChoiceField(
        required=False,
        choices=[("", "–"), ("left", "Left"), ("right", "Right"), ("midline", "Midline"), ("both", "Both sides")],
    )
    noted_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), initial=date.today)
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kb = load()
        order = {"red_flag": 0, "contraindication": 1, "precaution": 2}
        findings = sorted(kb.findings.values(), key=lambda f: (order[f.kind], f.name))
        self.fields["code"].choices = [(f.id, f"{f.name} ({f.kind.replace('_', ' ')})") for f in findings]
        self.fields["region"].choices = [("", "–")] + sorted(
            ((r.id, r.name) for r in kb.regions.values()), key=lambda r: r[1]
        )
