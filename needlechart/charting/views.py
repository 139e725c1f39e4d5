"""The visit page and its actions. Each action posts one form; success redirects back to the page,
failure re-renders it with that form bound, so nothing typed is lost."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import CharField
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from needlechart.accounts.permissions import clinic_staff_required, require_clinical
from needlechart.clinical.aftercare import build_aftercare
from needlechart.clinical.screening import ReportedFinding, ScreeningInput, ScreeningInputError
from needlechart.clinical.suggestion import Pain, suggest
from needlechart.explorer import bodymap
from needlechart.knowledge import UnknownName, load, resolve_target
from needlechart.patients.selectors import get_patient

from . import services, soap
from .forms import (
    AddendumForm,
    AdverseEventForm,
    ConsentForm,
    ExerciseForm,
    InsertionForm,
    NoteForm,
    PalpationForm,
    ScreeningForm,
    SegmentsForm,
)
from .models import NoteLocked, Visit
from .selectors import current_precautions


def _visit(request, pk: int, visit_id: int) -> Visit:
    patient = get_patient(request.user, pk)
    require_clinical(request.user)
    try:
        return (
            Visit.objects.select_related("patient", "episode", "screening", "clinician", "signed_by")
            .prefetch_related("insertions", "palpations", "adverseevents", "exerciseassignments")
            .get(pk=visit_id, patient=patient)
        )
    except Visit.DoesNotExist:
        raise Http404("No such visit") from None


def _pains(visit: Visit) -> list[Pain]:
    kb = load()
    return [
        Pain(p["region"], p["side"], p.get("intensity"))
        for p in visit.pain_drawing
        if p.get("region") in kb.regions and p.get("side") in kb.regions[p["region"]].sides
    ]


def _context(request, visit: Visit, **forms) -> dict:
    """What the visit page shows. A signed note needs only its record; the forms, the body map and the
    suggestions are built for drafts alone."""
    kb = load()
    patient = visit.patient
    condition = visit.episode.condition if visit.episode else ""
    first = (
        Visit.objects.filter(episode=visit.episode).order_by("visit_date", "id").first() if visit.episode_id else None
    )
    pains = _pains(visit)
    context = {
        "kb": kb,
        "patient": patient,
        "visit": visit,
        "screening": visit.screening,
        "precautions": current_precautions(kb, patient),
        "pains": [(p, bodymap.location_label(kb, p.region, p.side)) for p in pains],
        "insertions": [
            (i, kb.target(i.target))
            for i in visit.insertions.all()
            if i.target in kb.muscles or i.target in kb.acupoints
        ],
        "adverse_events": list(visit.adverseevents.all()),
        "palpations": list(visit.palpations.all()),
        "exercises": [(a, kb.exercises.get(a.exercise)) for a in visit.exerciseassignments.all()],
        "soap": soap.compose(kb, visit, first),
        "addenda": list(visit.addenda.select_related("author")),
        "addendum_form": forms.get("addendum_form") or AddendumForm(),
        "error": forms.get("error", ""),
        "is_author": visit.clinician_id == request.user.pk,
    }
    if visit.is_signed:
        return context
    screening = visit.screening or patient.screenings.first()
    screening_input = None
    if visit.screening is not None:
        screening_input = ScreeningInput(
            visit.screening.age,
            tuple(ReportedFinding(f["code"], f.get("region", ""), f.get("side", "")) for f in visit.screening.findings),
            (),
            (visit.modality,),
        )
    suggestions = (
        suggest(kb, pains, condition, screening_input, top=8, modality=visit.modality) if (pains or condition) else None
    )
    consents = services.current_consents(patient)
    context.update(
        {
            "consents": consents,
            "consent_for_modality": consents.get(visit.modality),
            "intensity_range": range(11),
            "bodymap": bodymap.render(kb, interactive=True, selected={(p.region, p.side) for p in pains}),
            "suggestions": suggestions,
            "suggestion_groups": [("Muscles", suggestions.muscles), ("Acupoints", suggestions.acupoints)]
            if suggestions
            else [],
            "reconciled": services.counts_reconciled(visit),
            "screening_form": forms.get("screening_form")
            or ScreeningForm(initial=ScreeningForm.initial_from(screening)),
            "consent_form": forms.get("consent_form") or ConsentForm(initial={"modality": visit.modality}),
            "insertion_form": forms.get("insertion_form") or InsertionForm(initial=_insertion_initial(request)),
            "palpation_form": forms.get("palpation_form") or PalpationForm(),
            "exercise_form": forms.get("exercise_form") or ExerciseForm(condition=condition),
            "ae_form": forms.get("ae_form") or AdverseEventForm(),
            "note_form": forms.get("note_form") or NoteForm(initial=_note_initial(visit)),
            "segments_form": forms.get("segments_form") or SegmentsForm(initial=SegmentsForm.initial_from(visit)),
            "conflict": forms.get("conflict"),
        }
    )
    return context


def _insertion_initial(request) -> dict:
    return {k: request.GET[k] for k in ("target", "side") if k in request.GET}


NOTE_FIELDS = tuple(name for name in NoteForm.base_fields if name != "version")


def _note_initial(visit: Visit) -> dict:
    return {"version": visit.version, **{f: getattr(visit, f) for f in NOTE_FIELDS}}


def _note_data(form: NoteForm) -> dict:
    """The note form's fields for update_draft; empty text fields are stored as empty strings."""
    data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    for name, field in NoteForm.base_fields.items():
        if isinstance(field, CharField):
            data[name] = data.get(name) or ""
    return data


@clinic_staff_required
def visit_start(request, pk: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    patient = get_patient(request.user, pk)
    require_clinical(request.user)
    copy_from = None
    if request.POST.get("copy_from"):
        copy_from = Visit.objects.filter(patient=patient, pk=request.POST["copy_from"]).first()
    episode = patient.episodes.filter(status="active").first()
    visit = services.start_visit(
        request.user,
        patient,
        episode=episode,
        copy_from=copy_from,
        modality=request.POST.get("modality", "dry_needling"),
        request=request,
    )
    return redirect("charting:visit", pk=patient.pk, visit_id=visit.pk)


@clinic_staff_required
def visit_page(request, pk: int, visit_id: int):
    visit = _visit(request, pk, visit_id)
    services.open_visit(request.user, visit, request=request)
    return render(request, "charting/visit.html", _context(request, visit))


def _fail(request, visit, message: str | None = None, **forms):
    if message:
        forms["error"] = message
    return render(request, "charting/visit.html", _context(request, visit, **forms), status=400)


def _done(visit, anchor: str):
    response = redirect("charting:visit", pk=visit.patient_id, visit_id=visit.pk)
    response["Location"] += f"#{anchor}"
    return response


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def visit_action(request, pk: int, visit_id: int, action: str):
    visit = _visit(request, pk, visit_id)
    if request.method == "GET":
        # A form that failed validation is shown at its POST address; a link followed from there
        # (or a reload) must land on the note again with its query kept, never on a blank 405.
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(reverse("charting:visit", args=[visit.patient_id, visit.pk]) + query)
    user = request.user
    try:
        if action == "screen":
            form = ScreeningForm(request.POST)
            if not form.is_valid():
                return _fail(request, visit, "Check the screening answers marked below.", screening_form=form)
            screening = services.screen_patient(
                user, visit.patient, form.findings(), form.cleaned_data["modalities"], request=request
            )
            services.attach_screening(user, visit, screening, request=request)
            return _done(visit, "screening")
        if action == "consent":
            form = ConsentForm(request.POST)
            if not form.is_valid():
                return _fail(request, visit, "Complete the consent form.", consent_form=form)
            services.record_consent(
                user,
                visit.patient,
                form.cleaned_data["modality"],
                form.cleaned_data["risks"],
                form.cleaned_data["agreed"],
                request=request,
            )
            return _done(visit, "consent")
        if action == "drawing":
            kb = load()
            drawing = []
            for value in request.POST.getlist("pain"):
                region, _, side = value.partition(":")
                if region in kb.regions and side in kb.regions[region].sides:
                    raw = request.POST.get(f"intensity_{region}_{side}", "")
                    intensity = int(raw) if raw.isdigit() and 0 <= int(raw) <= 10 else None
                    drawing.append({"region": region, "side": side, "intensity": intensity})
            services.update_draft(
                user, visit, {"pain_drawing": drawing}, int(request.POST.get("version", 0)), request=request
            )
            return _done(visit, "drawing")
        if action == "needle":
            form = InsertionForm(request.POST)
            if not form.is_valid():
                return _fail(request, visit, "Check the needle fields marked below.", insertion_form=form)
            data = {k: v for k, v in form.cleaned_data.items() if k != "override_reason" and v not in (None, "")}
            services.add_insertion(
                user, visit, data, override_reason=form.cleaned_data["override_reason"], request=request
            )
            return _done(visit, "needles")
        if action == "segments":
            form = SegmentsForm(request.POST)
            if not form.is_valid():
                return _fail(request, visit, "Check the acupuncture time marked below.", segments_form=form)
            services.update_draft(
                user, visit, {"increments": form.segments()}, form.cleaned_data["version"], request=request
            )
            return _done(visit, "segments")
        if action == "palpation":
            form = PalpationForm(request.POST)
            if not form.is_valid():
                return _fail(request, visit, "Check the palpation fields marked below.", palpation_form=form)
            services.add_palpation(user, visit, form.cleaned_data, request=request)
            return _done(visit, "palpation")
        if action == "exercise":
            condition = visit.episode.condition if visit.episode else ""
            form = ExerciseForm(request.POST, condition=condition)
            if not form.is_valid():
                return _fail(request, visit, "Choose an exercise from the library.", exercise_form=form)
            services.assign_exercise(
                user, visit, form.cleaned_data["exercise"], form.cleaned_data["dosage"], request=request
            )
            return _done(visit, "exercises")
        if action == "adverse-event":
            form = AdverseEventForm(request.POST)
            if not form.is_valid():
                return _fail(request, visit, "Check the adverse event fields.", ae_form=form)
            services.add_adverse_event(user, visit, form.cleaned_data, request=request)
            return _done(visit, "adverse-events")
        if action == "note":
            form = NoteForm(request.POST)
            if not form.is_valid():
                return _fail(request, visit, "Check the note fields marked below.", note_form=form)
            data = _note_data(form)
            services.update_draft(user, visit, data, form.cleaned_data["version"], request=request)
            messages.success(request, "Draft saved.")
            return _done(visit, "note")
        if action == "autosave":
            return _autosave(request, visit)
        if action == "sign":
            services.sign_visit(user, visit, request=request)
            messages.success(request, "Signed. The note is locked; add an addendum to amend it.")
            return _done(visit, "top")
        if action == "addendum":
            form = AddendumForm(request.POST)
            if not form.is_valid():
                return _fail(request, visit, "Write the addendum text.", addendum_form=form)
            services.add_addendum(user, visit, form.cleaned_data["text"], request=request)
            return _done(visit, "addenda")
    except services.DraftConflict as exc:
        form = NoteForm(request.POST) if action == "note" else None
        return _fail(
            request,
            visit,
            "Someone saved this draft since you opened it. Your text is kept below beside "
            "the saved version; merge and save again.",
            note_form=form,
            conflict=exc.current,
        )
    except NoteLocked as exc:
        return _fail(request, visit, str(exc))
    except (ValidationError, PermissionDenied) as exc:
        bound = {
            "needle": ("insertion_form", InsertionForm),
            "consent": ("consent_form", ConsentForm),
            "note": ("note_form", NoteForm),
            "addendum": ("addendum_form", AddendumForm),
            "segments": ("segments_form", SegmentsForm),
        }.get(action)
        forms = {}
        if bound:
            form = bound[1](request.POST)
            form.is_valid()
            forms[bound[0]] = form
        if isinstance(exc, PermissionDenied):
            raise
        return _fail(request, visit, _message(exc), **forms)
    raise Http404("Unknown action")


def _autosave(request, visit: Visit):
    """Save the note in the background while the clinician types. Answers a one-line status and the new
    version for the form; on a conflict or an error it saves nothing and the typed text stays put."""
    form = NoteForm(request.POST)
    if not form.is_valid():
        fields = ", ".join(form[name].label for name in form.errors)
        return render(request, "charting/_autosave.html", {"error": f"Not saved yet: check {fields}."})
    data = _note_data(form)
    try:
        saved = services.update_draft(request.user, visit, data, form.cleaned_data["version"], request=request)
    except services.DraftConflict as exc:
        return render(
            request,
            "charting/_autosave.html",
            {
                "error": f"Not saved: someone else saved this draft (version {exc.current.version}). "
                "Your text is still here; press Save draft to compare both side by side.",
            },
        )
    return render(request, "charting/_autosave.html", {"saved": saved})


@clinic_staff_required
def target_info(request, pk: int, visit_id: int):
    """As the clinician types a target: what it is, its hazards and its screening status for this patient."""
    visit = _visit(request, pk, visit_id)
    kb = load()
    text, side = request.GET.get("target", "").strip(), request.GET.get("side", "")
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
                    context["status"] = services.screen_target(kb, visit, target.id, side)[0]
                except ScreeningInputError as exc:
                    context["error"] = str(exc)
    return render(request, "charting/_target_info.html", context)


@clinic_staff_required
def aftercare_sheet(request, pk: int, visit_id: int):
    visit = _visit(request, pk, visit_id)
    kb = load()
    findings = [f["code"] for f in visit.screening.findings] if visit.screening else []
    modalities = [visit.modality] + (
        ["electrical_stimulation"] if any(i.electrical_stimulation for i in visit.insertions.all()) else []
    )
    care = build_aftercare(
        kb,
        modalities,
        [(i.target, i.side) for i in visit.insertions.all()],
        findings,
        visit.episode.condition if visit.episode else "",
    )
    assigned = [(a, kb.exercises[a.exercise]) for a in visit.exerciseassignments.all() if a.exercise in kb.exercises]
    return render(
        request,
        "charting/aftercare.html",
        {"visit": visit, "patient": visit.patient, "care": care, "assigned": assigned},
    )
