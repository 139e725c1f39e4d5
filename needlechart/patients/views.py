"""Patient pages: list and search, register, chart overview, edit, episodes, audit trail."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from needlechart.accounts.permissions import clinic_staff_required, require_clinic_admin, require_clinical
from needlechart.audit.selectors import trail_for_patient
from needlechart.charting.selectors import current_precautions, folded_precaution_reads
from needlechart.clinical.charting import default_modality
from needlechart.common import opaque
from needlechart.common.compiled import CompiledQuery
from needlechart.explorer.fragments import FragmentCache
from needlechart.knowledge import load
from needlechart.outcomes.charts import instrument_charts
from needlechart.outcomes.reviews import flagged_reviews
from needlechart.outcomes.selectors import progress_of_episodes

from . import selectors, services
from .charts import nprs_course_chart
from .forms import EpisodeForm, HistoryFindingForm, PatientForm
from .models import Episode, PatientFinding

PAGE_SIZE = 25
VISITS_SHOWN = 52  # a year of weekly visits on the overview
# The overview's visit table, drawn once per list of visits as shown: reopening a chart whose visits
# have not changed reuses it.
VISIT_ROWS = FragmentCache("overview visit rows", maxsize=256)
# A page of the patient list (or of a search) as shown, drawn once per page of rows.
PATIENT_ROWS = FragmentCache("patient list pages", maxsize=256)
# The overview's reads of a fixed shape, compiled once.
EPISODES = CompiledQuery(lambda patient_id: Episode.objects.filter(patient_id=patient_id))
FINDINGS = CompiledQuery(lambda patient_id: PatientFinding.objects.filter(patient_id=patient_id))


@clinic_staff_required
def patient_list(request):
    query = request.GET.get("q", "")[:100]
    if query.strip():
        found = selectors.search(request.user, query).values_list(*selectors.LIST_FIELDS)
        page = selectors.page_of(found, PAGE_SIZE, request.GET.get("page"), filtered=True)
    else:
        page = selectors.list_page(request.user, PAGE_SIZE, request.GET.get("page"))
    shown = (tuple(page.object_list), page.number, page.paginator.num_pages, query)
    rows = PATIENT_ROWS.get(load(), shown, lambda: _patient_rows(page, query))
    if request.htmx:
        return HttpResponse(rows)
    # Courses not responding or to be referred, until acted on: first, for clinicians and admins.
    flagged = flagged_reviews(request.user)
    return render(request, "patients/list.html", {"rows": rows, "query": query, "flagged": flagged})


def _patient_rows(page, query: str) -> str:
    # Each row as the table shows it (a date of birth as Y-m-d is its ISO form).
    rows = [
        (reverse("patients:detail", args=[pk]), last, first, born.isoformat(), phone)
        for pk, last, first, born, phone in page
    ]
    return render_to_string("patients/_rows.html", {"page": page, "rows": rows, "query": query})


@clinic_staff_required
def patient_create(request):
    form = PatientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        patient = services.create_patient(request.user, form.cleaned_data, request=request)
        messages.success(request, f"{patient.full_name} is registered.")
        return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/form.html", {"form": form, "title": "Register a patient"})


@clinic_staff_required
def patient_detail(request, pk: int):
    patient = selectors.get_overview_patient(request.user, pk)
    services.open_chart(request.user, patient, request=request)
    context = {"patient": patient}
    if request.user.sees_clinical_content:
        kb = load()
        episodes = EPISODES.all(patient.pk)
        context["episodes"] = [(e, kb.conditions.get(e.condition)) for e in episodes]
        # Each episode with a plan or measurements: the core's progress and what is due (a fixed number of
        # queries, however many measurements); the ones not responding or to be referred are flagged on top.
        # Nothing to read when no episode has a plan, a measurement or a range of motion (read with the
        # patient; the patient is the user's clinic's and the user sees clinical content, so the
        # outcome checks pass).
        has_outcomes = getattr(patient, "folded_has_outcomes", True)
        progress = progress_of_episodes(request.user, patient, episodes) if has_outcomes and episodes else []
        context["progress"] = [(p, instrument_charts(p.progress, p.series) if p.progress else []) for p in progress]
        context["progress_flags"] = [p for p in progress if p.flagged]
        # Read once (and only when there is any): the precautions and the history both show them.
        reads = folded_precaution_reads(patient)
        findings = reads.pop("findings", None)
        if findings is None:
            findings = FINDINGS.all(patient.pk)
        context["precautions"] = current_precautions(kb, patient, findings=findings, **reads)
        context["history"] = [(f, kb.findings.get(f.code)) for f in findings]
        visits = selectors.visit_rows(patient, VISITS_SHOWN)
        # The rows as shown (the visit's address, date, modality, clinician, scores, needles, status).
        shown = tuple(
            (v.pk, v.visit_date, v.modality, v.clinician_name, v.nprs_before, v.nprs_after, v.needles, v.status)
            for v in visits
        )
        context["visit_rows"] = VISIT_ROWS.get(load(), (patient.pk, shown), lambda: _visit_rows(patient, visits))
        # A follow-up starts from the latest signed visit (never a draft or a discarded note).
        follow_up_from = next((v for v in visits if v.is_signed), None)
        context["follow_up_from"] = follow_up_from
        context["follow_up_token"] = opaque.encode("visit", follow_up_from.pk) if follow_up_from else ""
        context["modalities"] = [("dry_needling", "Dry needling"), ("acupuncture", "Acupuncture")]
        context["default_modality"] = default_modality(request.user.profession)
        context["nprs_chart"] = nprs_course_chart(patient, reversed(visits))
        context["adverse_events"] = selectors.adverse_events(patient)
    return render(request, "patients/detail.html", context)


def _visit_rows(patient, visits) -> str:
    rows = [
        (
            reverse("charting:visit", args=[patient.pk, v.pk]),
            v.visit_date.isoformat(),  # as |date:"Y-m-d" writes a date
            v.modality_label,
            v.clinician_name,
            v,
        )
        for v in visits
    ]
    return render_to_string("patients/_visit_rows.html", {"visits": rows})


@clinic_staff_required
def patient_edit(request, pk: int):
    patient = selectors.get_patient(request.user, pk)
    # The form shows the record (clinical fields too, for clinicians): opening it is recorded.
    services.open_chart(request.user, patient, request=request, summary="Opened the record to edit it")
    form = PatientForm(request.POST or None, instance=patient, user=request.user)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            version = int(request.POST.get("version", "0"))
        except ValueError:
            version = 0
        try:
            services.update_patient(request.user, patient, form.cleaned_data, version, request=request)
        except services.VersionConflict as exc:
            conflict = exc.current
            messages.error(
                request,
                "Someone else saved this record while you were editing. Your changes are kept "
                "below beside the saved version: merge them and save again.",
            )
        else:
            messages.success(request, "Saved.")
            return redirect("patients:detail", pk=patient.pk)
    version = conflict.version if conflict else patient.version
    conflict_rows = [(form[name].label, getattr(conflict, name)) for name in form.fields] if conflict else []
    return render(
        request,
        "patients/form.html",
        {
            "form": form,
            "patient": patient,
            "version": version,
            "conflict": conflict,
            "conflict_rows": conflict_rows,
            "title": f"Edit {patient.full_name}",
        },
    )


@clinic_staff_required
def episode_create(request, pk: int):
    patient = selectors.get_patient(request.user, pk)
    require_clinical(request.user)
    if not request.user.records_clinical_content:
        messages.error(request, "Only a clinician opens an episode of care.")
        return redirect("patients:detail", pk=patient.pk)
    # "Start a new episode" after a discharge names the condition: the form starts from it.
    initial = {"condition": request.GET.get("condition", "")[:60]}
    form = EpisodeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.start_episode(request.user, patient, form.cleaned_data, request=request)
        messages.success(request, "Episode of care started.")
        return redirect("patients:detail", pk=patient.pk)
    return render(
        request,
        "patients/form.html",
        {"form": form, "patient": patient, "title": f"New episode for {patient.full_name}"},
    )


@clinic_staff_required
def audit_trail(request, pk: int):
    patient = selectors.get_patient(request.user, pk)
    require_clinic_admin(request.user)
    page = Paginator(trail_for_patient(request.user, patient), 50).get_page(request.GET.get("page"))
    return render(request, "patients/audit.html", {"patient": patient, "page": page})


@clinic_staff_required
def history_add(request, pk: int):
    patient = selectors.get_patient(request.user, pk)
    require_clinical(request.user)
    form = HistoryFindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_history_finding(request.user, patient, form.cleaned_data, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Added to the history.")
            return redirect("patients:detail", pk=patient.pk)
    return render(
        request,
        "patients/form.html",
        {"form": form, "patient": patient, "title": f"Add to {patient.full_name}'s history"},
    )


@clinic_staff_required
def history_resolve(request, pk: int, finding_id: int):
    patient = selectors.get_patient(request.user, pk)
    require_clinical(request.user)
    if request.method != "POST":
        return redirect("patients:detail", pk=patient.pk)
    try:
        services.resolve_history_finding(request.user, patient, finding_id, date.today(), request=request)
    except PatientFinding.DoesNotExist:
        raise Http404("No such finding") from None
    messages.success(request, "Marked as resolved.")
    return redirect("patients:detail", pk=patient.pk)
