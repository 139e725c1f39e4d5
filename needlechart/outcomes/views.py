"""Outcomes pages: the plan of care and its revisions, entering a measurement (from the visit's "due
today" or the overview), acting on a flagged course, and discharge.

Thin: parse the form, call the service (which calls the core), render. A refused form is shown again
with everything typed and the service's message; nothing entered is lost.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from needlechart.accounts.permissions import clinic_staff_required
from needlechart.clinical import progress as core
from needlechart.common.opaque import decode
from needlechart.knowledge import load
from needlechart.patients import selectors as patient_selectors

from . import reviews, selectors, services
from .discharge import discharge_draft, discharge_episode
from .forms import DischargeForm, MeasurementForm, PlanForm, ReviewActionForm, RomForm
from .rom import record_rom
from .services import OutcomeError


def _episode(request, pk: int, episode_id: int):
    """The patient's episode, for the clinic's clinicians and admins (front desk: 403)."""
    patient = patient_selectors.get_patient(request.user, pk)
    episode = patient.episodes.filter(pk=episode_id).first()
    if episode is None:
        raise Http404("No such episode for this patient.")
    episode.patient = patient
    services.require_outcomes(request.user, episode)
    return patient, episode


def _refused(form, exc: OutcomeError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def plan_page(request, pk: int, episode_id: int):
    patient, episode = _episode(request, pk, episode_id)
    kb = load()
    condition = kb.conditions[episode.condition]
    rules = core.rules_of(kb)
    revision = services.current_plan(episode)
    default = core.default_plan(kb, episode.condition)
    initial = PlanForm.initial_from(
        revision,
        default_sessions=default.sessions,
        default_frequency=default.frequency_per_week,
        start=episode.started_on,
        icd10=[c.code for c in condition.icd10 if not c.side],
    )
    kwargs = {"condition": condition, "payers": rules.payers, "instruments": kb.instruments.values()}
    form = PlanForm(request.POST or None, initial=initial, **kwargs)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.revise_plan(
                request.user,
                episode,
                reason=d["reason"],
                icd10=d["icd10_list"],
                frequency_per_week=d["frequency_per_week"],
                sessions_planned=d["sessions_planned"],
                start=d["start"],
                goals=d["goals"],
                components=d["components"],
                payer=d["payer"],
                prior_visits_this_year=d["prior_visits_this_year"] or 0,
                based_on=d["based_on"],
                request=request,
            )
        except OutcomeError as exc:
            _refused(form, exc)
            # Shown again against the plan as it now stands: saving again is a deliberate choice.
            form.data = form.data.copy()
            form.data["based_on"] = str(revision.number if revision else 0)
        else:
            messages.success(request, "Plan of care saved." if revision is None else "Plan of care revised.")
            return redirect("outcomes:plan", pk=patient.pk, episode_id=episode.pk)
    services.open_outcomes(request.user, episode, request=request, summary="Opened the plan of care")
    status = 400 if request.method == "POST" else 200
    context = {
        "patient": patient,
        "episode": episode,
        "condition": condition,
        "form": form,
        "revision": revision,
        "default": default,
        "history": selectors.revisions_with_visits(episode),
        "plan": services.core_plan(episode, revision),
        "points": core.reassessment_points(
            kb,
            services.core_plan(episode, revision),
            sessions_done=services.sessions_done(episode),
            today=timezone.localdate(),
        ),
        "warnings": services.medicare_warnings(request.user, episode),
        "discharged": episode.status == "discharged",
    }
    return render(request, "outcomes/plan.html", context, status=status)


def _visit_of(episode, token: str):
    if not token:
        return None
    visit_id = decode("visit", token)
    visit = episode.visits.filter(pk=visit_id).first() if visit_id is not None else None
    if visit is None:
        raise Http404("No such visit in this episode.")
    return visit


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def measurement_new(request, pk: int, episode_id: int):
    patient, episode = _episode(request, pk, episode_id)
    kb = load()
    if episode.status == "discharged":
        # Back button or an old link: nothing can be added to a discharged episode.
        messages.error(request, "This episode is discharged: start a new episode of care to record measurements.")
        return redirect("outcomes:discharge", pk=patient.pk, episode_id=episode.pk)
    ident = request.POST.get("instrument") or request.GET.get("instrument", "")
    if ident == "rom":
        return _rom_new(request, patient, episode)
    instrument = kb.instruments.get(ident)
    if instrument is None:
        names = ", ".join(sorted([*kb.instruments, "rom"]))
        return HttpResponse(
            f"Unknown instrument '{ident[:40]}'; use one of: {names}", status=400, content_type="text/plain"
        )
    visit = _visit_of(episode, request.POST.get("visit") or request.GET.get("visit", ""))
    back = (
        reverse("charting:visit", args=[patient.pk, visit.pk])
        if visit
        else reverse("patients:detail", args=[patient.pk])
    )
    initial = {"taken_on": visit.visit_date if visit else timezone.localdate()}
    form = MeasurementForm(request.POST or None, initial=initial, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        extras = {k: v for k, v in form.extras().items() if v not in (None, "")}
        try:
            services.record_measurement(
                request.user,
                episode,
                instrument=instrument.id,
                answers=form.answers(),
                taken_on=form.cleaned_data["taken_on"],
                visit=visit,
                request=request,
                **extras,
            )
        except OutcomeError as exc:
            _refused(form, exc)
        else:
            messages.success(request, f"{instrument.abbreviation} recorded.")
            return redirect(back)
    context = {
        "patient": patient,
        "episode": episode,
        "instrument": instrument,
        "form": form,
        "visit": visit,
        "back": back,
        "licensed": instrument.item_text == "licensed",
    }
    return render(request, "outcomes/measurement_form.html", context, status=400 if request.method == "POST" else 200)


def _back(patient, visit) -> str:
    if visit is not None:
        return reverse("charting:visit", args=[patient.pk, visit.pk])
    return reverse("patients:detail", args=[patient.pk])


def _rom_new(request, patient, episode):
    """A range-of-motion reading, from the overview or a visit."""
    visit = _visit_of(episode, request.POST.get("visit") or request.GET.get("visit", ""))
    form = RomForm(request.POST or None, initial={"taken_on": visit.visit_date if visit else timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        joint, movement = form.parts()
        try:
            record_rom(
                request.user,
                episode,
                joint=joint,
                movement=movement,
                side=form.cleaned_data["side"] or None,
                value=form.cleaned_data["value"],
                taken_on=form.cleaned_data["taken_on"],
                visit=visit,
                request=request,
            )
        except OutcomeError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "Range of motion recorded.")
            return redirect(_back(patient, visit))
    context = {"patient": patient, "episode": episode, "form": form, "visit": visit, "back": _back(patient, visit)}
    return render(request, "outcomes/rom_form.html", context, status=400 if request.method == "POST" else 200)


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def review_page(request, pk: int, episode_id: int):
    """A flagged course: the core's reasons, drivers to examine and recommended actions, and the form
    to record what was done (or a link to revise the plan)."""
    patient, episode = _episode(request, pk, episode_id)
    try:
        progress, error = services.progress_for_episode(request.user, episode), ""
    except OutcomeError as exc:
        progress, error = None, str(exc)
    initial = {}
    if progress is not None and progress.referrals:
        # The core's most urgent referral, ready to record in one click.
        first = progress.referrals[0]
        initial = {"kind": "referral", "referred_to": first.to, "urgency": first.urgency}
    form = ReviewActionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            reviews.record_review_action(
                request.user,
                episode,
                kind=d["kind"],
                reason=d["reason"],
                referred_to=d["referred_to"],
                urgency=d["urgency"],
                request=request,
            )
        except OutcomeError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "Recorded. The flag is cleared until new measurements say otherwise.")
            return redirect("patients:detail", pk=patient.pk)
    groups: dict[tuple[str, str, str], list[str]] = {}
    for r in progress.referrals if progress else ():
        groups.setdefault((r.to, r.urgency, r.action), []).append(r.reason)
    services.open_outcomes(request.user, episode, request=request, summary="Opened the progress review")
    context = {
        "patient": patient,
        "episode": episode,
        "progress": progress,
        "error": error,
        "form": form,
        "referrals": [(to, urgency, action, reasons) for (to, urgency, action), reasons in groups.items()],
        "actions": list(episode.review_actions.select_related("acted_by").order_by("-acted_at")),
        "discharged": episode.status == "discharged",
    }
    return render(request, "outcomes/review.html", context, status=400 if request.method == "POST" else 200)


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def discharge_page(request, pk: int, episode_id: int):
    patient, episode = _episode(request, pk, episode_id)
    if not request.user.records_clinical_content:
        raise PermissionDenied("Only a clinician discharges an episode of care.")
    form = DischargeForm(request.POST or None, initial={"discharged_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            discharge_episode(
                request.user,
                episode,
                reason=d["reason"],
                discharged_on=d["discharged_on"],
                note=d["note"],
                request=request,
            )
        except OutcomeError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "Episode discharged. A return visit starts a new episode of care.")
            return redirect("patients:detail", pk=patient.pk)
    discharged = getattr(episode, "discharge", None) if episode.status == "discharged" else None
    services.open_outcomes(request.user, episode, request=request, summary="Opened the discharge")
    context = {
        "patient": patient,
        "episode": episode,
        "form": form,
        "draft": None if discharged else discharge_draft(request.user, episode),
        "discharge": discharged,
    }
    return render(request, "outcomes/discharge.html", context, status=400 if request.method == "POST" else 200)
