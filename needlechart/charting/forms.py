"""Forms for the visit page. Each keeps what was typed when it fails and names the field at fault."""

from __future__ import annotations

from django import forms

from needlechart.clinical.charting import needle_problems
from needlechart.clinical.screening import finding_sides
from needlechart.common.opaque import IdField
from needlechart.knowledge import load

from .models import AdverseEvent, Insertion, LungTechnique, Modality, Palpation
from .services import RISK_LABELS

SIDE_CHOICES = [("left", "Left"), ("right", "Right"), ("midline", "Midline")]


class ScreeningForm(forms.Form):
    """The knowledge base's findings as checkboxes; site-scoped findings also ask where."""

    modalities = forms.MultipleChoiceField(choices=Modality.choices, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kb = load()
        regions = [("", "Region")] + sorted(((r.id, r.name) for r in kb.regions.values()), key=lambda r: r[1])
        self.groups: dict[str, list[tuple[object, object, object, object]]] = {}
        for finding in kb.findings.values():
            name = f"f_{finding.id}"
            self.fields[name] = forms.BooleanField(required=False, label=finding.question)
            region = side = None
            if finding.site_scoped:
                self.fields[f"{name}_region"] = forms.ChoiceField(choices=regions, required=False, label="Region")
                self.fields[f"{name}_side"] = forms.ChoiceField(
                    choices=[("", "Side")] + SIDE_CHOICES + [("both", "Both sides")], required=False, label="Side"
                )
                region, side = self[f"{name}_region"], self[f"{name}_side"]
            self.groups.setdefault(finding.kind, []).append((finding, self[name], region, side))

    def clean(self):
        data = super().clean()
        kb = load()
        for finding in kb.findings.values():
            name = f"f_{finding.id}"
            if finding.site_scoped and data.get(name):
                region, side = data.get(f"{name}_region"), data.get(f"{name}_side")
                if not region or not side:
                    self.add_error(f"{name}_region", f"{finding.name}: say where (region and side).")
                elif side not in finding_sides(kb, finding.id, region):
                    allowed = " or ".join(finding_sides(kb, finding.id, region))
                    self.add_error(f"{name}_side", f"{kb.regions[region].name} takes {allowed}.")
        return data

    def findings(self) -> list[dict[str, str]]:
        kb = load()
        out = []
        for finding in kb.findings.values():
            name = f"f_{finding.id}"
            if self.cleaned_data.get(name):
                item = {"code": finding.id}
                if finding.site_scoped:
                    item.update(region=self.cleaned_data[f"{name}_region"], side=self.cleaned_data[f"{name}_side"])
                out.append(item)
        return out

    @classmethod
    def initial_from(cls, screening) -> dict:
        if screening is None:
            return {"modalities": [Modality.DRY_NEEDLING]}
        initial = {"modalities": screening.modalities}
        for f in screening.findings:
            initial[f"f_{f['code']}"] = True
            if f.get("region"):
                initial[f"f_{f['code']}_region"] = f["region"]
                initial[f"f_{f['code']}_side"] = f["side"]
        return initial


class ConsentForm(forms.Form):
    modality = forms.ChoiceField(choices=Modality.choices)
    risks = forms.MultipleChoiceField(
        choices=list(RISK_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Risks explained",
    )
    agreed = forms.TypedChoiceField(
        choices=[("yes", "The patient agrees"), ("no", "The patient declines")],
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
        label="Answer",
    )


DE_QI_CHOICES = [("", "Not recorded"), ("yes", "Obtained"), ("no", "Not obtained")]


class InsertionForm(forms.ModelForm):
    """One needle. `editing` (a logged needle's id) corrects that needle; `planned` (a planned target's
    id) places that planned target with these values. The form shows the fields of the visit's
    modality: twitch responses for dry needling, de qi and depth in cun for acupuncture."""

    target = forms.CharField(help_text="Muscle or acupoint: name, synonym or code (e.g. upper trap, LI4).")
    editing = IdField("insertion")
    planned = IdField("planned")
    de_qi = forms.TypedChoiceField(
        choices=DE_QI_CHOICES,
        required=False,
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        label="De qi",
    )
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when screening blocks this target: why you needle it anyway.",
    )
    side = forms.ChoiceField(choices=SIDE_CHOICES)
    lung_technique = forms.ChoiceField(
        choices=[("", "Not over the lung")] + LungTechnique.choices, required=False, label="Lung-field technique"
    )

    class Meta:
        model = Insertion
        fields = (
            "target",
            "side",
            "gauge_mm",
            "length_mm",
            "depth_mm",
            "depth_cun",
            "technique",
            "twitch_responses",
            "de_qi",
            "es_frequency_hz",
            "es_pulse_width_ms",
            "es_intensity_ma",
            "es_minutes",
            "retention_minutes",
            "time_in",
            "time_out",
            "lung_technique",
        )
        widgets = {
            "time_in": forms.TimeInput(attrs={"type": "time"}),
            "time_out": forms.TimeInput(attrs={"type": "time"}),
        }
        labels = {
            "gauge_mm": "Gauge (mm)",
            "length_mm": "Length (mm)",
            "depth_mm": "Depth (mm)",
            "depth_cun": "Depth (cun)",
            "twitch_responses": "Local twitch responses",
            "es_frequency_hz": "ES frequency (Hz)",
            "es_pulse_width_ms": "ES pulse width (ms)",
            "es_intensity_ma": "ES intensity (mA)",
            "es_minutes": "ES duration (min)",
            "retention_minutes": "Retention (min)",
        }

    ACUPUNCTURE_ONLY = ("de_qi", "depth_cun")
    DRY_NEEDLING_ONLY = ("twitch_responses",)

    def __init__(self, *args, modality: str = "dry_needling", **kwargs):
        # Its own element IDs: the palpation form beside it also has a `side`, and the live target
        # check must read this form's side, not the palpation's.
        kwargs.setdefault("auto_id", "needle_%s")
        super().__init__(*args, **kwargs)
        # A dry-needling field: an acupuncture needle has no twitch count to give (empty means none).
        self.fields["twitch_responses"].required = False
        for name in self.ACUPUNCTURE_ONLY if modality != "acupuncture" else self.DRY_NEEDLING_ONLY:
            del self.fields[name]
        if modality == "acupuncture":
            self.fields["retention_minutes"].help_text = "Leave empty for the session's retention time."

    def clean_twitch_responses(self):
        value = self.cleaned_data.get("twitch_responses")
        return 0 if value is None else value

    def clean_target(self):
        from needlechart.knowledge import UnknownName, resolve_target

        try:
            return resolve_target(load(), self.cleaned_data["target"])
        except UnknownName as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        es = [data.get(f) for f in ("es_frequency_hz", "es_pulse_width_ms", "es_intensity_ma", "es_minutes")]
        if any(v is not None for v in es) and data.get("es_frequency_hz") is None:
            self.add_error("es_frequency_hz", "Give the frequency when recording electrical stimulation.")
        if data.get("time_in") and data.get("time_out") and data["time_out"] < data["time_in"]:
            self.add_error("time_out", "The needle came out before it went in: check the times.")
        for field, problem in needle_problems(load(), data).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, f"{problem}.")
        return data


class PalpationForm(forms.ModelForm):
    muscle = forms.CharField(help_text="Name or synonym, e.g. upper trap, QL.")
    side = forms.ChoiceField(choices=SIDE_CHOICES[:2])
    editing = IdField("palpation")  # a recorded finding corrected

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "palpation_%s")
        super().__init__(*args, **kwargs)

    class Meta:
        model = Palpation
        fields = ("muscle", "side", "taut_band", "tender_spot", "referred_pain_recognised", "twitch_response")
        labels = {"referred_pain_recognised": "Recognised referred pain", "twitch_response": "Local twitch response"}

    def clean_muscle(self):
        from needlechart.knowledge import UnknownName, resolve

        try:
            return resolve(load(), "muscle", self.cleaned_data["muscle"])
        except UnknownName as exc:
            raise forms.ValidationError(str(exc)) from None


class ExerciseForm(forms.Form):
    exercise = forms.ChoiceField(choices=())
    dosage = forms.CharField(required=False, help_text="Leave empty for the library's dosage.")
    editing = IdField("exercise")  # an assigned exercise's dosage

    def __init__(self, *args, condition: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        kb = load()
        suggested = set(kb.conditions[condition].exercises) if condition in kb.conditions else set()
        ordered = sorted(kb.exercises.values(), key=lambda e: (e.id not in suggested, e.name))
        self.fields["exercise"].choices = [
            (e.id, f"{e.name} ({e.kind}){' · for this condition' if e.id in suggested else ''}") for e in ordered
        ]


class AdverseEventForm(forms.ModelForm):
    editing = IdField("adverse_event")  # a recorded event corrected

    class Meta:
        model = AdverseEvent
        fields = ("code", "severity", "action_taken", "note")
        widgets = {"action_taken": forms.Textarea(attrs={"rows": 2}), "note": forms.Textarea(attrs={"rows": 2})}
        labels = {"code": "Event"}


class NoteForm(forms.Form):
    """The draft's free text and numbers, autosaved field by field; `version` is the version the page
    last saw (a field changed by someone else since then is a conflict, the others save)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    nprs_before = forms.IntegerField(min_value=0, max_value=10, required=False, label="NPRS before (0-10)")
    nprs_before_not_taken = forms.CharField(
        required=False, max_length=500, label="No NPRS before? Why not", help_text="e.g. the patient declined"
    )
    nprs_after = forms.IntegerField(min_value=0, max_value=10, required=False, label="NPRS after (0-10)")
    subjective = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    objective = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    assessment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    plan = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    response = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Patient's response")
    needles_in = forms.IntegerField(min_value=0, max_value=1000, required=False, label="Needles in")
    needles_out = forms.IntegerField(min_value=0, max_value=1000, required=False, label="Needles out")
    count_discrepancy = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="If the counts differ: what happened and the action taken",
    )
    aftercare_given = forms.BooleanField(required=False, label="Aftercare handed out")
    retention_minutes = forms.IntegerField(
        min_value=0, max_value=240, required=False, label="Retention for the session (min)"
    )
    tcm_pattern = forms.CharField(required=False, max_length=5000, label="TCM pattern")
    tcm_tongue = forms.CharField(required=False, max_length=5000, label="Tongue")
    tcm_pulse = forms.CharField(required=False, max_length=5000, label="Pulse")

    ACUPUNCTURE_ONLY = ("retention_minutes", "tcm_pattern", "tcm_tongue", "tcm_pulse")

    def __init__(self, *args, modality: str = "dry_needling", **kwargs):
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)
        if modality != "acupuncture":
            for name in self.ACUPUNCTURE_ONLY:
                del self.fields[name]


class DiscardForm(forms.Form):
    reason = forms.CharField(max_length=2000, label="Why discard this draft", help_text="Kept as void, never billed.")


class AddendumForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Addendum")


class SegmentsForm(forms.Form):
    """Acupuncture face-to-face time as segments, in order. Billing turns the total into units by the
    CPT time rule; each unit after the first needs new needles, so every segment after the first says
    whether needles were re-inserted (unticked means they were not: billing never assumes it)."""

    ROWS = 4  # rows shown for a new note
    MAX_ROWS = 20  # as many as the API accepts, so a save on the page never drops a segment

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One empty row more than the segments already recorded (or posted), at least ROWS.
        posted = [int(k[1:].split("_")[0]) for k in (self.data or {}) if k.startswith("s") and k.endswith("_minutes")]
        initial = [int(k[1:].split("_")[0]) for k in self.initial if k.startswith("s") and k.endswith("_minutes")]
        self.row_count = min(self.MAX_ROWS, max([self.ROWS, *posted, *(n + 1 for n in initial)]))
        for n in range(1, self.row_count + 1):
            self.fields[f"s{n}_minutes"] = forms.IntegerField(
                min_value=1, max_value=120, required=False, label=f"Segment {n}: face-to-face minutes"
            )
            self.fields[f"s{n}_es"] = forms.BooleanField(required=False, label="Electrical stimulation")
            if n > 1:
                self.fields[f"s{n}_reinserted"] = forms.BooleanField(
                    required=False,
                    label="Needles re-inserted",
                    help_text="New needles inserted at the start of this segment.",
                )

    @property
    def rows(self) -> list[tuple[int, object, object, object]]:
        return [
            (n, self[f"s{n}_minutes"], self[f"s{n}_es"], self[f"s{n}_reinserted"] if n > 1 else None)
            for n in range(1, self.row_count + 1)
        ]

    def clean(self):
        data = super().clean()
        gap = False
        for n in range(1, self.row_count + 1):
            filled = data.get(f"s{n}_minutes") is not None
            if filled and gap:
                self.add_error(f"s{n}_minutes", "Fill the segments in order, without an empty one before this.")
            ticked = data.get(f"s{n}_es") or data.get(f"s{n}_reinserted")
            if ticked and not filled:
                self.add_error(f"s{n}_minutes", f"Segment {n} is ticked but has no minutes.")
            gap = gap or not filled
        return data

    def segments(self) -> list[dict]:
        out = []
        for n in range(1, self.row_count + 1):
            minutes = self.cleaned_data.get(f"s{n}_minutes")
            if minutes is None:
                break
            segment = {"minutes": minutes, "electrical_stimulation": bool(self.cleaned_data.get(f"s{n}_es"))}
            if n > 1:
                segment["reinserted"] = bool(self.cleaned_data.get(f"s{n}_reinserted"))
            out.append(segment)
        return out

    @classmethod
    def initial_from(cls, visit) -> dict:
        initial: dict = {"version": visit.version}
        for n, segment in enumerate(visit.increments[: cls.MAX_ROWS], start=1):
            if not isinstance(segment, dict):
                continue
            initial[f"s{n}_minutes"] = segment.get("minutes")
            initial[f"s{n}_es"] = bool(segment.get("electrical_stimulation"))
            if n > 1:
                initial[f"s{n}_reinserted"] = bool(segment.get("reinserted"))
        return initial
