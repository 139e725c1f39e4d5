"""The visit page and its actions.

Each action posts one form. With htmx (the normal case) the answer is the note's live parts, swapped in
place: the read-only views every action can change, and the form that was posted (fresh after success,
bound with its errors after a refusal), never another form the clinician may be typing in. Without
JavaScript, success redirects back to the note and a refusal re-renders it with the form bound. Either
way the address stays the note's own and nothing typed is lost.

The note's text and numbers are autosaved field by field (`autosave`, JSON): a bad value is refused
beside its field while every other field saves.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.forms import CharField
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from needlechart.accounts.permissions import clinic_staff_required, require_clinical
from needlechart.audit.services import record_denied
from needlechart.clinical.aftercare import build_aftercare
from needlechart.clinical.charting import default_modality
from needlechart.clinical.locations import drawing_pains
from needlechart.clinical.screening import ScreeningInputError
from needlechart.clinical.suggestion import suggest
from needlechart.common import opaque
from needlechart.common.compiled import CompiledQuery
from needlechart.explorer import bodymap
from needlechart.explorer.fragments import FragmentCache, zone_key
from needlechart.knowledge import UnknownName, load, resolve_target
from needlechart.outcomes.services import due_measurements, measurements_of
from needlechart.patients.selectors import get_patient

from . import services, soap
from .forms import (
    AddendumForm,
    AdverseEventForm,
    ConsentForm,
    DiscardForm,
    ExerciseForm,
    InsertionForm,
    NoteForm,
    PalpationForm,
    ScreeningForm,
    SegmentsForm,
)
from .models import (
    Addendum,
    AdverseEvent,
    Consent,
    ExerciseAssignment,
    Insertion,
    Modality,
    NoteLocked,
    Palpation,
    PlannedNeedle,
    Screening,
    Visit,
)
from .selectors import current_precautions, folded_precaution_reads, latest_screening_reads

# The read-only parts of a draft that any action may change: re-rendered after every action.
VIEWS = (
    "precautions_view",
    "screening_view",
    "consent_view",
    "suggestions_view",
    "planned_view",
    "needle_view",
    "palpation_view",
    "ae_view",
    "exercise_view",
    "readiness_view",
)
# The form each action posts, re-rendered only after that action.
ACTION_FORM = {
    "screen": "screening_form",
    "consent": "consent_form",
    "needle": "needle_form",
    "segments": "segments_form",
    "palpation": "palpation_form",
    "exercise": "exercise_form",
    "adverse-event": "ae_form",
    "drawing": "drawing_form",
}


# A note's parts: each related name (as prefetch_related and `visit.<part>.all()` know it), its model.
PART_MODELS = {
    "insertions": Insertion,
    "plannedneedles": PlannedNeedle,
    "palpations": Palpation,
    "adverseevents": AdverseEvent,
    "exerciseassignments": ExerciseAssignment,
}
PARTS = tuple(PART_MODELS)


def _page_visit(request, pk: int, visit_id: int) -> Visit:
    """The note the page shows, read with its patient in one query; its parts are read by `_context`,
    and only when the page draws them (a signed note's record is usually drawn already). Anything but
    the clinic's own patient's own visit takes `_visit`'s way: the same 404s and refusals recorded."""
    user = request.user
    found = PAGE_VISIT.all(visit_id, pk, user.clinic_id) if user.clinic_id is not None else []
    if len(found) != 1:
        return _visit(request, pk, visit_id)
    require_clinical(user)
    return found[0]


def _page_reads() -> dict:
    """What the page reads besides the note, folded into the note's query, each an index lookup:
    whether the note has addenda and which of its parts have rows (an empty part is not read), the
    patient's latest screening (often the note's own, then not read again), and for a draft the
    episode's first signed visit (the SOAP note's course of pain)."""
    note = OuterRef("pk")
    first_signed = Visit.objects.filter(episode_id=OuterRef("episode_id"), signed_at__isnull=False).order_by(
        "visit_date", "id"
    )
    latest = Screening.objects.filter(patient_id=OuterRef("patient_id")).order_by("-performed_at", "-id")
    return {
        "folded_has_addenda": Exists(Addendum.objects.filter(visit_id=note)),
        **{f"folded_has_{name}": Exists(model.objects.filter(visit_id=note)) for name, model in PART_MODELS.items()},
        "folded_latest_screening_id": Subquery(latest.values("id")[:1]),
        "folded_first_signed_id": Subquery(first_signed.values("id")[:1]),
        "folded_first_signed_date": Subquery(first_signed.values("visit_date")[:1]),
        "folded_first_signed_nprs": Subquery(first_signed.values("nprs_before")[:1]),
    }


# The page's note with its patient, episode, screening and people, in one query compiled once (the
# ORM spends more writing it than the database spends answering it, and on PostgreSQL the statement
# is prepared, so it is planned once per connection too). Folded in: `_page_reads`, what the
# precautions read, and the patient's portal account if any (what the portal adds to the page is
# read only for a patient who has one).
PAGE_VISIT = CompiledQuery(
    lambda visit_id, patient_id, clinic_id: (
        Visit.objects.select_related(
            "patient", "patient__portal_account", "episode", "screening", "clinician", "signed_by"
        )
        .annotate(**_page_reads())
        .annotate(**latest_screening_reads("patient_id"))
        .filter(pk=visit_id, patient_id=patient_id, patient__clinic_id=clinic_id)
        .order_by()
    )
)


def _visit(request, pk: int, visit_id: int) -> Visit:
    patient = get_patient(request.user, pk)
    require_clinical(request.user)
    try:
        return (
            Visit.objects.select_related("patient", "episode", "screening", "clinician", "signed_by")
            .prefetch_related(*PARTS)
            .get(pk=visit_id, patient=patient)
        )
    except Visit.DoesNotExist:
        record_denied(request.user, "charting.visit", visit_id, request=request)
        raise Http404("No such visit") from None


def _target_label(kb, target_id: str) -> str:
    target = kb.target(target_id)
    return target.name if target.kind == "muscle" else target.label


FIRST_SIGNED = CompiledQuery(
    lambda episode_id: Visit.objects.filter(episode_id=episode_id, signed_at__isnull=False).order_by(
        "visit_date", "id"
    )[:1]
)


def _first_signed_visit(visit: Visit) -> Visit | None:
    """The episode's first signed visit, as it stood when this note was signed: a draft or a discarded
    note never counts, and a later signature never rewrites a signed note's course."""
    if not visit.episode_id:
        return None
    if not visit.is_signed and hasattr(visit, "folded_first_signed_id"):
        if visit.folded_first_signed_id is None:
            return None
        # Read with the note: what the SOAP note's course uses of it (its id, date and first NPRS).
        return Visit(
            pk=visit.folded_first_signed_id,
            visit_date=visit.folded_first_signed_date,
            nprs_before=visit.folded_first_signed_nprs,
        )
    if not visit.is_signed:
        return next(iter(FIRST_SIGNED.all(visit.episode_id)), None)
    visits = Visit.objects.filter(episode=visit.episode, signed_at__isnull=False)
    if visit.is_signed:
        visits = visits.filter(signed_at__lte=visit.signed_at)
    return visits.order_by("visit_date", "id").first()


def _condition(visit: Visit) -> str:
    """The condition the note is for: as signed once signed (the episode may change later), else the
    episode's."""
    if visit.is_signed and visit.signed_record.get("episode"):
        return visit.signed_record["episode"]["condition"]
    return visit.episode.condition if visit.episode else ""


# The actions the note's templates post to or fetch (`{{ act.withdraw_consent }}`).
ACTIONS = frozenset(
    {
        "addendum",
        "adverse-event",
        "autosave",
        "confirm",
        "confirm-all",
        "consent",
        "discard",
        "drawing",
        "edit",
        "exercise",
        "needle",
        "note",
        "palpation",
        "remove",
        "rescreen",
        "screen",
        "segments",
        "sign",
        "withdraw-consent",
    }
)


class ActionUrls:
    """The addresses of one note's actions, reversed once per page instead of once per link:
    `{{ act.withdraw_consent }}` in a template is `{% url 'charting:action' patient.pk visit.pk
    'withdraw-consent' %}` (template names use "_" where the action has "-"). An unknown action is
    a KeyError, so a template that names one renders nothing rather than a wrong address."""

    def __init__(self, patient_id: int, visit_id: int):
        first = reverse("charting:action", args=[patient_id, visit_id, "note"])
        self._base = first.removesuffix("note/")

    def __getitem__(self, name: str) -> str:
        action = name.replace("_", "-")
        if action not in ACTIONS:
            raise KeyError(name)
        return f"{self._base}{action}/"


# Markup drawn once per distinct input and reused (see needlechart.explorer.fragments): a signed note's
# record (the database refuses any change to it), the fields of each unbound form on a draft (a pure
# function of the form's options and initial values) and a draft's suggested targets.
RECORDS = FragmentCache("signed note records", maxsize=256)
FORM_FIELDS = FragmentCache("note form fields", maxsize=512)
SUGGESTIONS = FragmentCache("note suggestions", maxsize=256)


def _record_key(visit: Visit) -> tuple:
    """What a signed note's record is drawn from, besides its parts (locked with it): the note's row,
    as a digest (it is locked too, so this only guards against a reused id), the signer's name as it
    reads today and the clinic's time zone (the signing time is shown in it)."""
    row = json.dumps(
        [
            visit.pk,
            visit.version,
            str(visit.signed_at),
            str(visit.updated_at),
            visit.patient_id,
            visit.episode_id,
            visit.screening_id,
            visit.clinician_id,
            visit.modality,
            str(visit.visit_date),
            visit.billing,
            visit.signed_record,
            visit.nprs_before,
            visit.nprs_after,
            visit.needles_in,
            visit.needles_out,
        ],
        sort_keys=True,
        default=str,
    )
    signer = visit.signed_by.display_name if visit.signed_by_id else ""
    return (visit.pk, hashlib.sha256(row.encode()).hexdigest(), signer, zone_key())


# Each part of a note, as `visit.<part>.all()` reads it, compiled once.
PART_QUERIES = {
    name: CompiledQuery(lambda visit_id, model=model: model.objects.filter(visit_id=visit_id))
    for name, model in PART_MODELS.items()
}
CONSENTS = CompiledQuery(lambda patient_id: Consent.objects.filter(patient_id=patient_id))
LATEST_SCREENING = CompiledQuery(
    lambda patient_id: Screening.objects.filter(patient_id=patient_id).order_by("-performed_at", "-id")[:1]
)


def _latest_screening(visit: Visit) -> Screening | None:
    """The patient's latest screening: the note's own when the page's query found it is the latest
    (read with the note), else read."""
    if hasattr(visit, "folded_latest_screening_id"):
        if visit.folded_latest_screening_id is None:
            return None
        if visit.folded_latest_screening_id == visit.screening_id:
            return visit.screening
    return next(iter(LATEST_SCREENING.all(visit.patient_id)), None)


def _prefetched(instance, name: str, rows: list, field: str) -> None:
    """`rows` kept as what `instance.<name>.all()` answers, as prefetch_related keeps them."""
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    queryset = getattr(instance, name).get_queryset()
    remote = queryset.model._meta.get_field(field)
    for row in rows:
        remote.set_cached_value(row, instance)
    queryset._result_cache = rows
    queryset._prefetch_done = True
    cache[name] = queryset


def _read_parts(visit: Visit) -> None:
    """The note's parts, each read once (a part already read is kept)."""
    cache = getattr(visit, "_prefetched_objects_cache", {})
    for name, query in PART_QUERIES.items():
        if name not in cache:
            has_rows = getattr(visit, f"folded_has_{name}", True)  # folded into the page's query
            _prefetched(visit, name, query.all(visit.pk) if has_rows else [], "visit")


def _record_parts(kb, visit: Visit) -> dict:
    """The note's parts as its record and a draft's views show them (read once, with the note)."""
    _read_parts(visit)
    return {
        "insertions": [
            (i, kb.target(i.target))
            for i in visit.insertions.all()
            if i.target in kb.muscles or i.target in kb.acupoints
        ],
        "planned": [
            (p, kb.target(p.target))
            for p in visit.plannedneedles.all()
            if p.target in kb.muscles or p.target in kb.acupoints
        ],
        "adverse_events": list(visit.adverseevents.all()),
        "palpations": list(visit.palpations.all()),
        "exercises": [(a, kb.exercises.get(a.exercise)) for a in visit.exerciseassignments.all()],
        "soap": soap.compose(kb, visit, _first_signed_visit(visit)),
    }


class _UnboundForm:
    """An unbound form of the note whose fields' markup comes from the cache. Outside its fields the
    page asks an unbound form only whether it has errors (no), which row it corrects (none) and, for
    the note, its version field: those answers are kept with the markup. Anything else builds the real
    form and asks it."""

    def __init__(self, build, answers: dict):
        self._build = build
        self._answers = answers
        self._form = None

    def _real(self):
        if self._form is None:
            self._form = self._build()
        return self._form

    def __getitem__(self, name):
        if name in self._answers:
            return self._answers[name]
        return self._real()[name]

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._answers:
            return self._answers[name]
        return getattr(self._real(), name)

    def __iter__(self):
        return iter(self._real())


def _answers(form) -> dict:
    answers: dict = {"errors": {}}
    for name in ("editing", "planned"):
        if name in form.fields:
            answers[name] = {"value": form[name].value()}
    if "version" in form.fields:
        answers["version"] = mark_safe(str(form["version"]))
    return answers


def _freeze(value):
    """A form's initial values as a cache key."""
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _form(kb, name: str, given, build, key: tuple, template: str):
    """The form for the page and its fields' markup. A form handed in (bound after a refusal, or filled
    from a row to correct) is drawn as it is; the page's own unbound form is drawn once per key."""
    if given is not None:
        return given, render_to_string(template, {name: given})

    def draw():
        form = build()
        return render_to_string(template, {name: form}), _answers(form)

    fields, answers = FORM_FIELDS.get(kb, (name, key), draw)
    return _UnboundForm(build, answers), fields


@lru_cache(maxsize=32)
def _suggested(kb, pains: tuple, condition: str, screening_input, modality: str):
    return suggest(kb, pains, condition, screening_input, top=8, modality=modality)


def _context(request, visit: Visit, **forms) -> dict:
    """What the visit page shows. A signed, discarded or read-only note needs only its record; the
    forms, the body map and the suggestions are built for the author's draft alone."""
    kb = load()
    patient = visit.patient
    refusal = services.edit_refusal(request.user, visit)
    context = {
        "kb": kb,
        "patient": patient,
        "visit": visit,
        "screening": visit.screening,
        "error": forms.get("error", ""),
        "errors": forms.get("errors", []),
        "is_author": visit.clinician_id == request.user.pk,
        "refusal": refusal,
        "editable": not refusal,
        "acupuncture": visit.modality == Modality.ACUPUNCTURE,
        "act": ActionUrls(patient.pk, visit.pk),
    }
    if visit.is_signed:
        # The record is drawn once: the parts are read only to draw it (or when asked for).
        context["precautions"] = current_precautions(kb, patient, **folded_precaution_reads(visit))
        has_addenda = getattr(visit, "folded_has_addenda", True)
        context["addenda"] = list(visit.addenda.select_related("author")) if has_addenda else []
        context["addendum_form"], context["addendum_fields"] = _form(
            kb, "addendum_form", forms.get("addendum_form"), AddendumForm, (), "charting/_fields_addendum.html"
        )
        drawn: dict = {}

        def draw_record():
            drawn.update(_record_parts(kb, visit))
            return render_to_string("charting/_signed_record.html", {**context, **drawn})

        context["signed_record"] = RECORDS.get(kb, _record_key(visit), draw_record)
        context.update(drawn)
        if "soap" not in drawn:
            context["soap"] = SimpleLazyObject(lambda: _record_parts(kb, visit)["soap"])
        return context
    context.update(_record_parts(kb, visit))
    if refusal:
        context["precautions"] = current_precautions(kb, patient, **folded_precaution_reads(visit))
        return context
    if visit.episode_id is not None and visit.episode.patient_id == patient.pk:
        visit.episode.patient = patient  # read with the note: the outcome checks need not read it again
    if visit.episode_id is not None and visit.episode.status != "discharged":
        # What the plan's schedule makes due at this visit, each one click from its form.
        # The episode's measurements, read once: what is due, and those taken at this visit (a
        # measurement is linked only to a visit of its own episode, and a note keeps its episode).
        rows = measurements_of(visit.episode)
        context["due_today"] = due_measurements(request.user, visit.episode, on=visit.visit_date, rows=rows)
        # Each due instrument's form, linked to this visit: the address reversed once for all of them.
        measure = reverse("outcomes:measure", args=[patient.pk, visit.episode_id])
        context["due_today_url"] = f"{measure}?{urlencode({'visit': opaque.of(visit)})}&instrument="
        context["taken_here"] = sorted((m for m in rows if m.visit_id == visit.pk), key=lambda m: m.recorded_at)
    condition = _condition(visit)
    # After a refused drawing save, the regions the clinician clicked are shown, not the saved ones.
    pains = drawing_pains(kb, forms.get("drawing_posted", visit.pain_drawing))
    screening = visit.screening
    last_screening = _latest_screening(visit)
    context["precautions"] = current_precautions(
        kb, patient, latest=last_screening, **folded_precaution_reads(visit, latest=False)
    )
    suggestions = None
    if pains or condition:
        screening_input = services.screening_input(screening, modalities=(visit.modality,)) if screening else None
        key = (tuple(pains), condition, screening_input, visit.modality)
        suggestions = _suggested(kb, *key)
        groups = [("Muscles", suggestions.muscles), ("Acupoints", suggestions.acupoints)]
        context["suggestions_html"] = SUGGESTIONS.get(
            kb, key, lambda: render_to_string("charting/_suggestions.html", {"suggestion_groups": groups})
        )
    if "consents" not in getattr(patient, "_prefetched_objects_cache", {}):
        # Read twice: the consent view and the sign check.
        _prefetched(patient, "consents", CONSENTS.all(patient.pk), "patient")
    consents = services.current_consents(patient)
    modality = visit.modality
    initial = ScreeningForm.initial_from(last_screening)
    needle = _insertion_initial(request)
    note = _note_initial(visit)
    segments = SegmentsForm.initial_from(visit)
    # Each form: how the page builds it, what its unbound markup depends on, its name in the templates.
    page_forms = {
        "screening": (lambda: ScreeningForm(initial=initial), _freeze(initial), "screening_form"),
        "consent": (lambda: ConsentForm(initial={"modality": modality}), (modality,), "consent_form"),
        "insertion": (
            lambda: InsertionForm(initial=needle, modality=modality),
            (modality, _freeze(needle)),
            "insertion_form",
        ),
        "palpation": (PalpationForm, (), "palpation_form"),
        "exercise": (lambda: ExerciseForm(condition=condition), (condition,), "exercise_form"),
        "ae": (AdverseEventForm, (), "ae_form"),
        "note": (lambda: NoteForm(initial=note, modality=modality), (modality, _freeze(note)), "note_form"),
        "segments": (lambda: SegmentsForm(initial=segments), _freeze(segments), "segments_form"),
        "discard": (DiscardForm, (), "discard_form"),
    }
    for name, (build, key, form_name) in page_forms.items():
        form, fields = _form(kb, form_name, forms.get(form_name), build, key, f"charting/_fields_{name}.html")
        context[form_name] = form
        context[f"{name}_fields"] = fields
    context.update(
        {
            "consents": consents,
            "consent_for_modality": consents.get(visit.modality),
            "last_screening": last_screening,
            "screened_today": screening is not None
            and timezone.localtime(screening.performed_at).date() == visit.visit_date,
            "pains": [
                (p, bodymap.location_label(kb, p.region, p.side), _intensity_select(p.region, p.side, p.intensity))
                for p in pains
            ],
            "bodymap": bodymap.render(kb, interactive=True, selected={(p.region, p.side) for p in pains}),
            "suggestions": suggestions,
            "reconciled": services.counts_reconciled(visit),
            "sign_problems": services.sign_problems(request.user, visit),
            "conflict": forms.get("conflict"),
        }
    )
    return context


@lru_cache(maxsize=1024)
def _intensity_select(region: str, side: str, intensity: int | None) -> str:
    """A marked area's pain intensity (0-10) as a select, drawn once per area and value (eleven
    options per area cost more to draw in a template than the rest of the drawing form)."""
    options = "".join(
        format_html('<option value="{}"{}>{}</option>', n, mark_safe(" selected") if intensity == n else "", n)
        for n in range(11)
    )
    return format_html(
        '<select id="int-{0}-{1}" name="intensity_{0}_{1}"><option value="">intensity</option>{2}</select>',
        region,
        side,
        mark_safe(options),
    )


def _insertion_initial(request) -> dict:
    return {k: request.GET[k] for k in ("target", "side") if k in request.GET}


def _note_fields(visit: Visit) -> tuple[str, ...]:
    return _note_field_names(visit.modality)


@lru_cache(maxsize=8)
def _note_field_names(modality: str) -> tuple[str, ...]:
    return tuple(n for n in NoteForm(modality=modality).fields if n != "version")


def _note_initial(visit: Visit) -> dict:
    return {"version": visit.version, **{f: getattr(visit, f) for f in _note_fields(visit)}}


def _posted_note_data(form: NoteForm, posted: set[str]) -> dict:
    """The valid note fields that were posted (an autosave sends only what changed)."""
    data = {}
    for name in posted:
        if name == "version" or name not in form.fields or name in form.errors:
            continue
        value = form.cleaned_data.get(name)
        data[name] = (value or "") if isinstance(form.fields[name], CharField) else value
    return data


@clinic_staff_required
def visit_start(request, pk: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    patient = get_patient(request.user, pk)
    require_clinical(request.user)
    copy_from = None
    if "copy_from" in request.POST:
        raw = request.POST["copy_from"]
        copy_id = opaque.decode("visit", raw)
        copy_from = Visit.objects.filter(patient=patient, pk=copy_id).first() if copy_id else None
        if copy_from is None:
            messages.error(request, "That visit is not this patient's: start the follow-up from the visit list.")
            return redirect("patients:detail", pk=patient.pk)
    modality = request.POST.get("modality") or default_modality(request.user.profession)
    if copy_from is not None:
        modality = copy_from.modality  # a follow-up keeps the modality of the visit it follows up
    try:
        visit = services.start_visit(request.user, patient, copy_from=copy_from, modality=modality, request=request)
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return redirect("patients:detail", pk=patient.pk)
    return redirect("charting:visit", pk=patient.pk, visit_id=visit.pk)


@clinic_staff_required
def visit_page(request, pk: int, visit_id: int):
    visit = _page_visit(request, pk, visit_id)
    services.open_visit(request.user, visit, request=request)
    return render(request, "charting/visit.html", _context(request, visit))


def _reloaded(visit: Visit) -> Visit:
    return (
        Visit.objects.select_related("patient", "episode", "screening", "clinician", "signed_by")
        .prefetch_related(*PARTS)
        .get(pk=visit.pk)
    )


def _live(request, visit: Visit, action: str, *, failed: bool = False, **forms):
    """The htmx answer: every read-only view, the posted form, and the note's version."""
    visit = _reloaded(visit)
    context = _context(request, visit, **forms)
    if not context["editable"]:
        # Signed meanwhile (another tab), discarded, or not this user's: the whole page, read only.
        response = render(request, "charting/visit.html", context)
        response["HX-Refresh"] = "true"
        return response
    services.open_visit(request.user, visit, request=request, summary="Viewed the note's updated sections")
    parts = list(VIEWS)
    form = ACTION_FORM.get(action)
    if form:
        parts.append(form)
    context.update({"live_parts": parts, "failed": failed, "focus": ACTION_FORM.get(action, "")})
    return render(request, "charting/_live.html", context)


def _fail(request, visit, action: str, message: str | list[str] | None = None, **forms):
    if isinstance(message, list):
        forms["errors"] = message
    elif message:
        forms["error"] = message
    if request.htmx:
        return _live(request, visit, action, failed=True, **forms)
    return render(request, "charting/visit.html", _context(request, _reloaded(visit), **forms), status=400)


def _done(request, visit, action: str, anchor: str):
    if request.htmx:
        return _live(request, visit, action)
    response = redirect("charting:visit", pk=visit.patient_id, visit_id=visit.pk)
    response["Location"] += f"#{anchor}"
    return response


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _is_id(value: object) -> bool:
    """A row id as a form may send it: 1 to 18 ASCII digits ("²" is a digit to str.isdigit, not to int)."""
    return isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value) is not None


def _int(value: str | None) -> int:
    if not _is_id(value):
        raise services.ChartingError("That row is not on this note: reload the note.")
    return int(value)


# The kinds of row a note's forms name (`kind=`), and the kind of their opaque ids.
ROW_KINDS = {
    "insertion": "insertion",
    "planned": "planned",
    "palpation": "palpation",
    "adverse-event": "adverse_event",
    "exercise": "exercise",
}


def _row_id(kind: str, token: str | None) -> int:
    """The row id behind a posted token of a part of this note (refused when it is not one)."""
    row_id = opaque.decode(ROW_KINDS[kind], token) if kind in ROW_KINDS else None
    if row_id is None:
        raise services.ChartingError("That row is not on this note: reload the note.")
    return row_id


FORMS = {
    "note": ("note_form", NoteForm),
    "needle": ("insertion_form", InsertionForm),
    "consent": ("consent_form", ConsentForm),
    "screen": ("screening_form", ScreeningForm),
    "addendum": ("addendum_form", AddendumForm),
    "segments": ("segments_form", SegmentsForm),
    "palpation": ("palpation_form", PalpationForm),
    "adverse-event": ("ae_form", AdverseEventForm),
    "discard": ("discard_form", DiscardForm),
}


def _bound(action: str, visit: Visit, data) -> dict:
    """The posted form bound again, so a refusal shows it with everything typed (the drawing: the
    regions clicked, not the saved ones)."""
    if action == "drawing":
        return {"drawing_posted": _posted_drawing(data)}
    if action not in FORMS:
        return {}
    name, form_class = FORMS[action]
    takes_modality = form_class in (InsertionForm, NoteForm)
    form = form_class(data, modality=visit.modality) if takes_modality else form_class(data)
    form.is_valid()
    return {name: form}


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def visit_action(request, pk: int, visit_id: int, action: str):
    visit = _visit(request, pk, visit_id)
    if request.method == "GET":
        if action == "edit" and request.htmx:
            return _edit_form(request, visit)
        # A form that failed validation is shown at its POST address; a link followed from there
        # (or a reload) must land on the note again with its query kept, never on a blank 405.
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(reverse("charting:visit", args=[visit.patient_id, visit.pk]) + query)
    if action == "autosave":
        return _autosave(request, visit)
    try:
        return _act(request, visit, action)
    except services.DraftConflict as exc:
        return _fail(
            request,
            visit,
            action,
            "Someone saved this part of the draft since you opened it. Your input is kept; compare and save again.",
            conflict=exc.current,
            **_bound(action, visit, request.POST),
        )
    except NoteLocked as exc:
        return _fail(request, visit, action, str(exc))
    except services.SignRefused as exc:
        return _fail(request, visit, action, list(exc.messages))
    except (ValidationError, ScreeningInputError) as exc:
        return _fail(request, visit, action, _message(exc), **_bound(action, visit, request.POST))


def _act(request, visit: Visit, action: str):  # noqa: C901 - one branch per action, each two lines
    user, post = request.user, request.POST
    if action == "screen":
        form = ScreeningForm(post)
        if not form.is_valid():
            return _fail(request, visit, action, "Check the screening answers marked below.", screening_form=form)
        with transaction.atomic():  # a screening that cannot be attached is not kept either
            screening = services.screen_patient(
                user, visit.patient, form.findings(), form.cleaned_data["modalities"], request=request
            )
            services.attach_screening(user, visit, screening, request=request)
        return _done(request, visit, action, "screening")
    if action == "rescreen":
        services.rescreen_unchanged(user, visit, request=request)
        return _done(request, visit, action, "screening")
    if action == "consent":
        form = ConsentForm(post)
        if not form.is_valid():
            return _fail(request, visit, action, "Complete the consent form.", consent_form=form)
        data = form.cleaned_data
        services.record_consent(user, visit.patient, data["modality"], data["risks"], data["agreed"], request=request)
        return _done(request, visit, action, "consent")
    if action == "withdraw-consent":
        services.withdraw_consent(user, visit.patient, post.get("modality", ""), request=request)
        return _done(request, visit, action, "consent")
    if action == "drawing":
        drawing = _posted_drawing(post)
        services.update_draft(user, visit, {"pain_drawing": drawing}, _int(post.get("version")), request=request)
        return _done(request, visit, action, "drawing")
    if action == "needle":
        form = InsertionForm(post, modality=visit.modality)
        if not form.is_valid():
            return _fail(request, visit, action, "Check the needle fields marked below.", insertion_form=form)
        extra = {"override_reason", "editing", "planned"}
        data = {k: v for k, v in form.cleaned_data.items() if k not in extra and v not in (None, "")}
        reason = form.cleaned_data["override_reason"]
        if form.cleaned_data.get("editing"):
            services.update_insertion(
                user, visit, form.cleaned_data["editing"], _with_empties(form), override_reason=reason, request=request
            )
        elif form.cleaned_data.get("planned"):
            services.confirm_planned(
                user, visit, form.cleaned_data["planned"], _with_empties(form), override_reason=reason, request=request
            )
        else:
            services.add_insertion(user, visit, data, override_reason=reason, request=request)
        return _done(request, visit, action, "needles")
    if action == "confirm":
        services.confirm_planned(user, visit, _row_id("planned", post.get("planned")), request=request)
        return _done(request, visit, action, "needles")
    if action == "confirm-all":
        services.confirm_all_planned(user, visit, request=request)
        return _done(request, visit, action, "needles")
    if action == "remove":
        kind = post.get("kind", "")
        services.remove_part(user, visit, kind, _row_id(kind, post.get("id")), request=request)
        return _done(request, visit, action, "needles")
    if action == "segments":
        form = SegmentsForm(post)
        if not form.is_valid():
            return _fail(request, visit, action, "Check the acupuncture time marked below.", segments_form=form)
        services.update_draft(
            user, visit, {"increments": form.segments()}, form.cleaned_data["version"], request=request
        )
        return _done(request, visit, action, "segments")
    if action == "palpation":
        form = PalpationForm(post)
        if not form.is_valid():
            return _fail(request, visit, action, "Check the palpation fields marked below.", palpation_form=form)
        _add_or_correct(request, visit, form, services.add_palpation, services.update_palpation)
        return _done(request, visit, action, "palpation")
    if action == "exercise":
        form = ExerciseForm(post, condition=_condition(visit))
        if not form.is_valid():
            return _fail(request, visit, action, "Choose an exercise from the library.", exercise_form=form)
        data = form.cleaned_data
        if data.get("editing"):
            services.update_exercise(user, visit, data["editing"], data["dosage"], request=request)
        else:
            services.assign_exercise(user, visit, data["exercise"], data["dosage"], request=request)
        return _done(request, visit, action, "exercises")
    if action == "adverse-event":
        form = AdverseEventForm(post)
        if not form.is_valid():
            return _fail(request, visit, action, "Check the adverse event fields.", ae_form=form)
        _add_or_correct(request, visit, form, services.add_adverse_event, services.update_adverse_event)
        return _done(request, visit, action, "adverse-events")
    if action == "note":
        return _save_note(request, visit)
    if action == "sign":
        services.sign_visit(user, visit, request=request)
        messages.success(request, "Signed. The note is locked; add an addendum to amend it.")
        if request.htmx:
            response = render(request, "charting/_autosave.html", {})
            response["HX-Redirect"] = reverse("charting:visit", args=[visit.patient_id, visit.pk])
            return response
        return redirect("charting:visit", pk=visit.patient_id, visit_id=visit.pk)
    if action == "discard":
        form = DiscardForm(post)
        if not form.is_valid():
            return _fail(request, visit, action, "Say why the draft is discarded.", discard_form=form)
        services.discard_visit(user, visit, form.cleaned_data["reason"], request=request)
        messages.success(request, "Draft discarded: kept as void, never billed.")
        return redirect("patients:detail", pk=visit.patient_id)
    if action == "addendum":
        form = AddendumForm(post)
        if not form.is_valid():
            return _fail(request, visit, action, "Write the addendum text.", addendum_form=form)
        services.add_addendum(user, visit, form.cleaned_data["text"], request=request)
        return redirect(reverse("charting:visit", args=[visit.patient_id, visit.pk]) + "#addenda")
    raise Http404("Unknown action")


def _posted_drawing(post) -> list[dict]:
    """The pain drawing as the body map posts it: `pain` = "region:side", with `intensity_region_side`."""
    drawing = []
    for value in post.getlist("pain"):
        region, _, side = value.partition(":")
        drawing.append({"region": region, "side": side, "intensity": post.get(f"intensity_{region}_{side}") or None})
    return drawing


def _add_or_correct(request, visit: Visit, form, add, correct) -> None:
    """A palpation finding or adverse event: recorded, or (the form's `editing` row) corrected."""
    data = {k: v for k, v in form.cleaned_data.items() if k != "editing"}
    if form.cleaned_data.get("editing"):
        correct(request.user, visit, form.cleaned_data["editing"], data, request=request)
    else:
        add(request.user, visit, data, request=request)


def _with_empties(form: InsertionForm) -> dict:
    """A corrected needle's fields as posted: an emptied field is cleared, not kept."""
    skip = {"override_reason", "editing", "planned"}
    return {k: v for k, v in form.cleaned_data.items() if k not in skip and k in form.fields}


def _save_note(request, visit: Visit):
    """The Save button (and the no-JavaScript path): the posted note fields through the versioned path."""
    form = NoteForm(request.POST, modality=visit.modality)
    if not form.is_valid():
        return _fail(request, visit, "note", "Check the note fields marked below.", note_form=form)
    data = _posted_note_data(form, set(form.fields))
    services.update_draft(request.user, visit, data, form.cleaned_data["version"], request=request)
    messages.success(request, "Draft saved.")
    return redirect(reverse("charting:visit", args=[visit.patient_id, visit.pk]) + "#note")


def _autosave(request, visit: Visit):
    """Save the note fields the page sends while the clinician types. Answers JSON: the new version,
    the time, and an error for each field it could not save (every other field is saved)."""
    posted = {k for k in request.POST if k != "csrfmiddlewaretoken"}
    form = NoteForm(request.POST, modality=visit.modality)
    form.is_valid()
    if "version" in form.errors or "version" not in request.POST:
        return JsonResponse({"ok": False, "error": "Reload the note: the page did not say which version it saw."})
    errors = {name: " ".join(form.errors[name]) for name in form.errors if name in posted}
    data = _posted_note_data(form, posted)
    version = form.cleaned_data["version"]
    conflict: list[str] = []
    try:
        try:
            saved = services.update_draft(request.user, visit, data, version, request=request) if data else visit
        except services.DraftConflict as exc:
            # The fields changed elsewhere are not written; every other field still saves.
            conflict = exc.fields or sorted(data)
            data = {k: v for k, v in data.items() if k not in conflict}
            saved = services.update_draft(request.user, visit, data, version, request=request) if data else exc.current
    except services.DraftConflict as exc:
        conflict, data, saved = sorted(set(conflict) | set(exc.fields)), {}, exc.current
    except NoteLocked as exc:
        return JsonResponse({"ok": False, "locked": True, "error": str(exc)})
    except ValidationError as exc:
        return JsonResponse({"ok": False, "error": _message(exc), "errors": errors})
    problems = services.sign_problems(request.user, _reloaded(saved))
    answer = {
        "ok": not errors and not conflict,
        "version": saved.version,
        "saved_at": timezone.localtime(saved.updated_at).strftime("%H:%M:%S"),
        "saved": sorted(data),
        "errors": errors,
        "sign_problems": list(problems),
    }
    if conflict:
        answer["conflict"] = conflict
        answer["error"] = (
            "Not saved: someone else changed "
            + ", ".join(str(form[f].label) for f in conflict if f in form.fields)
            + " meanwhile. Your text is still here; copy it, reload and merge."
        )
    return JsonResponse(answer)


def _edit_form(request, visit: Visit):
    """A form filled from a row of the draft, swapped into the page: a logged needle to correct, a
    planned target to place with changes, a palpation finding, adverse event or exercise dosage to
    correct (`kind=none`: back to an empty needle form)."""
    if services.edit_refusal(request.user, visit):
        raise PermissionDenied(services.edit_refusal(request.user, visit))
    kind, row_id = request.GET.get("kind", ""), request.GET.get("id", "")
    if kind == "none":
        return _one_part(request, visit, "needle_form")
    rows = {
        "insertion": visit.insertions,
        "planned": visit.plannedneedles,
        "palpation": visit.palpations,
        "adverse-event": visit.adverseevents,
        "exercise": visit.exerciseassignments,
    }
    row_pk = opaque.decode(ROW_KINDS[kind], row_id) if kind in rows else None
    if row_pk is None:
        raise Http404("No such row")
    row = rows[kind].filter(pk=row_pk).first()
    if row is None:
        raise Http404("No such row")
    services.open_visit(request.user, visit, request=request, summary=f"Opened a {kind} row to correct it")
    if kind == "exercise":
        initial = {"exercise": row.exercise, "dosage": row.dosage, "editing": row.pk}
        form = ExerciseForm(initial=initial, condition=_condition(visit))
        return _one_part(request, visit, "exercise_form", exercise_form=form)
    if kind in ("palpation", "adverse-event"):
        form_class, part = (PalpationForm, "palpation_form") if kind == "palpation" else (AdverseEventForm, "ae_form")
        initial = {f: getattr(row, f) for f in form_class().fields if hasattr(row, f)}
        initial["editing"] = row.pk
        return _one_part(request, visit, part, **{part: form_class(initial=initial)})
    initial = {name: getattr(row, name) for name in InsertionForm(modality=visit.modality).fields if hasattr(row, name)}
    initial["editing" if kind == "insertion" else "planned"] = row.pk
    if kind == "insertion":
        initial["override_reason"] = row.override_reason
        initial["de_qi"] = {True: "yes", False: "no"}.get(row.de_qi, "")
    form = InsertionForm(initial=initial, modality=visit.modality)
    return _one_part(request, visit, "needle_form", insertion_form=form)


def _one_part(request, visit: Visit, part: str, **forms):
    """One form of the note, out of band, with the cursor placed in it."""
    context = _context(request, _reloaded(visit), **forms)
    context.update({"live_parts": [part], "failed": False, "focus": part})
    return render(request, "charting/_live.html", context)


@clinic_staff_required
def target_info(request, pk: int, visit_id: int):
    """As the clinician types a target: what it is, its hazards and its screening status for this patient."""
    visit = _visit(request, pk, visit_id)
    kb = load()
    text, side = request.GET.get("target", "").strip()[:100], request.GET.get("side", "")
    es = request.GET.get("es_frequency_hz", "").strip() != ""
    context: dict = {"query": text}
    if text:
        try:
            target = kb.target(resolve_target(kb, text))
        except UnknownName as exc:
            context["error"] = str(exc)
        else:
            context["target"] = target
            context["over_lung"] = any(h.kind == "lung" for h in target.hazards)
            if visit.screening is not None and side in ("left", "right", "midline"):
                try:
                    status, result = services.screen_target(kb, visit, target.id, side, es=es)
                    context["status"] = status
                    es_status = result.status_of("electrical_stimulation") if es else None
                    context["es_status"] = es_status if es_status is not None and es_status.status != "ok" else None
                except ScreeningInputError as exc:
                    context["error"] = str(exc)
    if "status" in context:  # this patient's screening status for the target: clinical content
        services.open_visit(
            request.user,
            visit,
            request=request,
            summary=f"Checked {context['target'].id} ({side}) against the screening",
        )
    return render(request, "charting/_target_info.html", context)


@clinic_staff_required
def aftercare_sheet(request, pk: int, visit_id: int):
    visit = _visit(request, pk, visit_id)
    kb = load()
    findings = [f["code"] for f in visit.screening.findings] if visit.screening else []
    modalities = [visit.modality] + (["electrical_stimulation"] if services.electrical_stimulation_used(visit) else [])
    targets = [(i.target, i.side) for i in visit.insertions.all()]
    care = build_aftercare(kb, modalities, targets, findings, _condition(visit))
    assigned = [(a, kb.exercises[a.exercise]) for a in visit.exerciseassignments.all() if a.exercise in kb.exercises]
    services.open_visit(request.user, visit, request=request, summary="Opened the aftercare sheet")
    return render(
        request,
        "charting/aftercare.html",
        {"visit": visit, "patient": visit.patient, "care": care, "assigned": assigned},
    )
