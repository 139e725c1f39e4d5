"""The patient's pages for the online intake, the online consent and the questionnaires due. Thin:
parse, call the service (intake.py, econsent.py, questionnaires.py), render. Nothing here takes an
id from the URL: everything is the signed-in patient's own."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.explorer import bodymap
from needlechart.knowledge import load

from . import econsent, questionnaires
from . import intake as flow
from .access import patient_required
from .models import IntakeStatus, PortalAccount


def _ctx(account: PortalAccount, **extra: Any) -> dict[str, Any]:
    return {"account": account, "patient": account.patient, "clinic": account.clinic, **extra}


def _messages(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {k: " ".join(m for e in v for m in e.messages) for k, v in exc.error_dict.items()}
    return {"__all__": " ".join(exc.messages)}


def form_rows(form: questionnaires.Form, raw: dict[str, Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The rows of a questionnaire as shown: each with its field name, legend, options (and which is
    chosen), and its errors; the PSFS with an activity name per row."""
    rows = []

    def options(item: questionnaires.Item, key: str) -> list[tuple[int, str, bool]]:
        chosen = str(raw.get(key) or "")
        return [(v, label, chosen == str(v)) for v, label in item.options]

    def row(key: str, legend: str, item: questionnaires.Item, **extra: Any) -> dict[str, Any]:
        errs = [errors[k] for k in (key, extra.get("activity_key", "")) if k and k in errors]
        return {
            "key": key,
            "legend": legend,
            "item": item,
            "options": options(item, key),
            "errors": errs,
            "first": item.options[0][0],
            "last": item.options[-1][0],
            **extra,
        }

    if form.activities:
        for n in range(1, form.instrument.items.max + 1):
            optional = " (you may leave this out)" if n > form.instrument.items.min else ""
            rows.append(
                row(
                    f"item_{n}",
                    f"Activity {n}{optional}",
                    form.items[0],
                    activity_key=f"activity_{n}",
                    activity=raw.get(f"activity_{n}") or "",
                )
            )
    else:
        for n, item in enumerate(form.items, start=1):
            rows.append(row(f"item_{n}", item.text, item))
        for key, text in form.extra:
            rows.append(row(key, text, form.items[0]))
    return rows


def _urgent_context(urgent: flow.Urgent) -> dict[str, Any]:
    return {"urgent": urgent, "emergency_number": flow.emergency_number()}


# ------------------------------------------------------------------------------------ intake


@never_cache
@patient_required
def intake_start(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    found = flow.current(account)
    if found is not None and found.status != IntakeStatus.DRAFT:
        record(
            request.user,
            Action.VIEW,
            found,
            patient=account.patient,
            summary="Opened the online intake (sent)",
            request=request,
        )
        return render(request, "portal/intake/sent.html", _ctx(account, intake=found))
    intake = found or flow.open_draft(account=account, request=request)
    missing = flow.missing_steps(intake)
    step = missing[0] if missing else "review"
    return redirect(f"portal:intake_{step}")


def _raw_of(ident: str, posted: Any) -> dict[str, Any]:
    prefix = f"{ident}-"
    return {k[len(prefix) :]: posted.get(k) for k in (posted or {}) if k.startswith(prefix)}


def _step_context(
    account: PortalAccount,
    intake: Any,
    step: str,
    values: dict[str, Any],
    errors: dict[str, str],
    values_posted: Any = None,
) -> dict[str, Any]:
    kb = load()
    steps = flow.steps_for(intake)
    index = steps.index(step)
    context = _ctx(
        account,
        intake=intake,
        step=step,
        title=flow.STEP_TITLES[step],
        number=index + 1,
        total=len(steps),
        percent=round(100 * index / (len(steps) - 1)) if len(steps) > 1 else 100,
        previous=steps[index - 1] if index else "",
        values=values,
        errors=errors,
        template=f"portal/intake/step_{step}.html",
        choices=[("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")],
    )
    if step == "contact":
        patient = account.patient
        current = {f: getattr(patient, f) or "" for f in (*flow.CONTACT_FIELDS, "email")}
        shown = {**current, **values}
        context["fields"] = [
            (f, flow.CONTACT_LABELS[f], shown.get(f, ""), errors.get(f, "")) for f in flow.CONTACT_FIELDS
        ]
        context["email"] = shown.get("email", "")
    elif step in ("history", "red_flags"):
        questions = flow.history_questions(kb) if step == "history" else flow.red_flag_questions(kb)
        given = (values.get("answers") or {}) if values else {}
        where = (values.get("where") or {}) if values else {}
        context["questions"] = [
            {
                "finding": f,
                "answer": given.get(f.id, ""),
                "where": where.get(f.id, ""),
                "error": errors.get(f.id, ""),
                "where_error": errors.get(f"{f.id}_where", ""),
            }
            for f in questions
        ]
        context["error_count"] = len(errors)
    elif step == "drawing":
        pains = (values or {}).get("pains") or []
        selected = {(p["region"], p["side"]) for p in pains if p["region"] in kb.regions}
        context["bodymap"] = bodymap.render(kb, interactive=True, selected=selected)
        context["pains"] = [(f"{r}:{s}", bodymap.location_label(kb, r, s)) for r, s in sorted(selected)]
    elif step == "questionnaires":
        given = values or {}
        context["forms"] = [
            {
                "due": d,
                "form": d.form,
                "prefix": f"{d.form.id}-",
                "rows": form_rows(
                    d.form,
                    (given.get(d.form.id) or {}).get("raw") or _raw_of(d.form.id, values_posted),
                    {k[len(d.form.id) + 1 :]: v for k, v in errors.items() if k.startswith(f"{d.form.id}-")},
                ),
            }
            for d in questionnaires.due_for_intake(account)
        ]
    elif step == "review":
        context["summary"] = _summary(kb, intake)
        context["missing"] = [flow.STEP_TITLES[s] for s in flow.missing_steps(intake)]
    return context


def _summary(kb: Any, intake: Any) -> list[tuple[str, str, list[str]]]:
    a = intake.answers
    out = []
    contact = a.get("contact") or {}
    out.append(
        (
            "contact",
            flow.STEP_TITLES["contact"],
            [f"{flow.CONTACT_LABELS[f]}: {contact.get(f) or '–'}" for f in flow.CONTACT_FIELDS]
            + [f"Email: {contact.get('email') or '–'}"],
        )
    )
    med = a.get("medicines") or {}
    out.append(
        ("medicines", flow.STEP_TITLES["medicines"], [med.get("text") or ("No medicines" if med.get("none") else "–")])
    )
    for step in ("history", "red_flags"):
        yes = [
            kb.findings[c].question
            for c, v in ((a.get(step) or {}).get("answers") or {}).items()
            if v in ("yes", "unsure") and c in kb.findings
        ]
        out.append(
            (
                step,
                flow.STEP_TITLES[step],
                [f"Yes or not sure: {q}" for q in yes] or ["You answered no to every question."],
            )
        )
    drawing = a.get("drawing") or {}
    out.append(
        (
            "drawing",
            flow.STEP_TITLES["drawing"],
            [
                bodymap.location_label(kb, p["region"], p["side"])
                for p in drawing.get("pains", [])
                if p["region"] in kb.regions
            ]
            or ["No areas marked."],
        )
    )
    if "questionnaires" in flow.steps_for(intake):
        q = a.get("questionnaires") or {}
        out.append(
            (
                "questionnaires",
                flow.STEP_TITLES["questionnaires"],
                [f"{questionnaires.forms()[i].title}: answered" for i in q if i in questionnaires.forms()] or ["–"],
            )
        )
    return out


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def intake_step(request: HttpRequest, account: PortalAccount, step: str) -> HttpResponse:
    latest = flow.current(account)
    if latest is not None and latest.status != IntakeStatus.DRAFT:
        return redirect("portal:intake")  # sent (or reviewed): it no longer changes
    intake = flow.open_draft(account=account, request=request)
    if intake.status != IntakeStatus.DRAFT:
        return redirect("portal:intake")
    steps = flow.steps_for(intake)
    if step not in steps:
        return redirect("portal:intake")
    if request.method == "POST":
        try:
            saved = flow.save_step(account=account, step=step, data=request.POST, request=request)
        except flow.IntakeClosed:
            return redirect("portal:intake")
        values = saved.intake.answers.get(step) or {}
        if saved.urgent is not None:
            context = _step_context(account, saved.intake, step, values, saved.errors)
            return render(request, "portal/intake/urgent.html", {**context, **_urgent_context(saved.urgent)})
        going_back = request.POST.get("go") == "back"
        index = steps.index(step)
        if going_back and index:
            return redirect(f"portal:intake_{steps[index - 1]}")
        if saved.errors:
            context = _step_context(account, saved.intake, step, values, saved.errors, request.POST)
            return render(request, "portal/intake/step.html", context, status=400)
        return redirect(f"portal:intake_{steps[min(index + 1, len(steps) - 1)]}")
    record(
        request.user,
        Action.VIEW,
        intake,
        patient=account.patient,
        summary=f"Opened the online intake: {flow.STEP_TITLES[step].lower()}",
        request=request,
    )
    values = intake.answers.get(step) or {}
    return render(request, "portal/intake/step.html", _step_context(account, intake, step, values, {}))


@never_cache
@patient_required
@require_POST
def intake_submit(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    try:
        intake, _sent = flow.submit(account=account, request=request)
    except ValidationError as exc:
        intake = flow.open_draft(account=account, request=request)
        context = _step_context(account, intake, "review", {}, {"__all__": " ".join(exc.messages)})
        return render(request, "portal/intake/step.html", context, status=400)
    return redirect("portal:intake")


# ------------------------------------------------------------------------------------ e-consent


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    patient = account.patient
    errors: dict[str, str] = {}
    posted_modality = ""
    typed = ""
    status = 200
    if request.method == "POST":
        posted_modality = (request.POST.get("modality") or "")[:40]
        typed = (request.POST.get("typed_name") or "")[:400]
        try:
            if request.POST.get("action") == "withdraw":
                econsent.withdraw(account=account, modality=posted_modality, request=request)
                messages.success(request, "Your online consent is withdrawn. Tell your clinician at your visit.")
            else:
                econsent.agree(
                    account=account,
                    modality=posted_modality,
                    typed_name=typed,
                    version=(request.POST.get("version") or "")[:64],
                    request=request,
                )
                messages.success(
                    request,
                    "Thank you. Your consent is recorded. Your clinician will go over it with you at your visit.",
                )
            return redirect("portal:consent")
        except ValidationError as exc:
            errors = _messages(exc)
            status = 400
    else:
        record(
            request.user, Action.VIEW, patient, patient=patient, summary="Opened the online consent", request=request
        )
    answers = econsent.current(patient)
    texts = [
        {
            "text": t,
            "answer": answers.get(t.modality),
            "errors": errors if t.modality == posted_modality else {},
            "typed": typed if t.modality == posted_modality else "",
        }
        for t in econsent.texts_for(patient)
    ]
    shown = {t["text"].modality for t in texts}
    stray = list(errors.values()) if errors and posted_modality not in shown else []
    return render(request, "portal/consent.html", _ctx(account, texts=texts, stray=stray), status=status)


# ------------------------------------------------------------------------------------ questionnaires


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    ident = (request.GET.get("instrument") or request.POST.get("instrument") or "")[:20]
    due = next((d for d in questionnaires.due_between_visits(account) if d.form.id == ident), None)
    if due is None:
        from django.utils import timezone

        from .models import QuestionnaireResponse

        answered = QuestionnaireResponse.objects.filter(
            patient=account.patient, instrument=ident, taken_on=timezone.localdate(), intake=None
        ).exists()
        if request.method == "POST" and answered:  # sent twice, or from a second tab: kept once
            messages.success(request, "Thank you: your answers are with the clinic.")
            return redirect(reverse("portal:home"))
        raise Http404("That questionnaire is not due.")
    errors: dict[str, str] = {}
    raw: dict[str, Any] = {}
    if request.method == "POST":
        raw = {k: request.POST.get(k) for k in request.POST if k.startswith(("item_", "activity_", "worst", "best"))}
        try:
            questionnaires.answer(account=account, due=due, data=request.POST, request=request)
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            messages.success(request, "Thank you: your answers are with the clinic.")
            return redirect("portal:home")
    else:
        record(
            request.user,
            Action.VIEW,
            account.patient,
            patient=account.patient,
            summary=f"Opened the {due.form.instrument.abbreviation} in the portal",
            request=request,
        )
        if due.form.activities:
            previous = _previous_activities(due)
            raw = {f"activity_{n}": a for n, a in enumerate(previous, start=1)}
    context = _ctx(account, f={"due": due, "form": due.form, "prefix": "", "rows": form_rows(due.form, raw, errors)})
    return render(request, "portal/questionnaire.html", context, status=400 if errors else 200)


def _previous_activities(due: questionnaires.DueForm) -> list[str]:
    """The PSFS activities named last time: a follow-up rates the same ones."""
    from needlechart.outcomes.services import measurements_of

    for m in reversed(measurements_of(due.episode)):
        if m.instrument == "psfs" and m.extra.get("activities"):
            return list(m.extra["activities"])
    return []
