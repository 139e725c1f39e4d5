"""The self-check's pages. Thin: parse the form, ask the core (clinical.triage) or a service, render.

Public pages (no sign-in): the questions, the answer, sending it to a clinic. Nothing is stored on the
server until the person consents and presses Send: every answer travels with each form post (and the
browser keeps a copy in sessionStorage, so a reload or a dropped connection loses nothing).

Staff pages: the clinic's requests, one request, and its status.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.accounts.models import Clinic
from needlechart.accounts.permissions import clinic_staff_required
from needlechart.clinical import triage
from needlechart.common import emergency
from needlechart.explorer import bodymap
from needlechart.explorer.selectors import regions_by_part
from needlechart.knowledge import load
from needlechart.knowledge.model import KnowledgeBase
from needlechart.knowledge.sourceref import SourceRef

from . import selectors, services
from .forms import AnswersForm, ContactForm, question_field, steps_fields, where_fields
from .models import Status

EXAMPLE_EMERGENCY_NUMBERS = emergency.EXAMPLE_NUMBERS
LEARN = {
    triage.EMERGENCY: ("when-to-get-help",),
    triage.SEE_DOCTOR: ("when-to-get-help",),
    triage.SUITABLE: ("what-a-session-feels-like", "dry-needling", "acupuncture", "risks"),
    triage.NOT_SUITABLE: ("exercise", "risks", "when-to-get-help"),
}


emergency_number = emergency.local_number


def _kb() -> KnowledgeBase:
    return load()


def _answer_field_names(kb: KnowledgeBase) -> list[str]:
    return [name for _key, names in steps_fields(kb) for name in names]


def _hidden_answers(kb: KnowledgeBase, data: Any) -> list[tuple[str, str]]:
    """Every answer as (name, value) pairs, to post back with the next form."""
    pairs = []
    for name in _answer_field_names(kb):
        for value in data.getlist(name):
            pairs.append((name, value))
    return pairs


def _clinic_slug(data: Any) -> str:
    slug = str(data.get("clinic", "") or "").strip()[:80]
    return slug if Clinic.objects.filter(slug=slug).exists() else ""


def _value(form: AnswersForm | None, name: str) -> str:
    if form is None or not form.is_bound:
        return ""
    return str(form.data.get(name, ""))[:300]


def _values(form: AnswersForm | None, name: str) -> list[str]:
    if form is None or not form.is_bound:
        return []
    return [str(v) for v in form.data.getlist(name)][: triage.MAX_PAINS + 5]


def _errors(form: AnswersForm | None, show: bool, name: str) -> list[str]:
    if form is None or not show:
        return []
    return list(form.errors.get(name, []))


def _steps(kb: KnowledgeBase, form: AnswersForm | None, show_errors: bool) -> list[dict[str, Any]]:
    """The screens, in order, each with its questions, current values and errors."""
    set(_values(form, "pain"))
    regions = [(r.id, r.name) for r in kb.regions.values()]
    steps: list[dict[str, Any]] = [
        {"key": "where", "kind": "where", "title": "Where does it hurt?", "errors": _errors(form, show_errors, "pain")},
        {
            "key": "how_long",
            "kind": "how_long",
            "title": "How long have you had this pain?",
            "choices": [(k, v, _value(form, "duration") == k) for k, v in triage.DURATIONS.items()],
            "errors": _errors(form, show_errors, "duration"),
        },
        {
            "key": "brings_on",
            "kind": "brings_on",
            "title": "What makes it worse?",
            "choices": [(k, v, k in _values(form, "aggravating")) for k, v in triage.AGGRAVATING.items()],
            "errors": _errors(form, show_errors, "aggravating"),
        },
        {
            "key": "age",
            "kind": "age",
            "title": "How old are you?",
            "value": _value(form, "age"),
            "errors": _errors(form, show_errors, "age"),
        },
    ]
    for group, findings in triage.questions(kb):
        questions = []
        for finding in findings:
            name = question_field(finding.id)
            item: dict[str, Any] = {
                "code": finding.id,
                "name": name,
                "question": finding.question,
                "value": _value(form, name),
                "errors": _errors(form, show_errors, name),
                "site": finding.site_scoped,
            }
            if finding.site_scoped:
                region_field, side_field = where_fields(finding.id)
                item.update(
                    region_field=region_field,
                    side_field=side_field,
                    region_value=_value(form, region_field),
                    side_value=_value(form, side_field),
                    where_errors=_errors(form, show_errors, region_field) + _errors(form, show_errors, side_field),
                )
            questions.append(item)
        steps.append(
            {
                "key": group.key,
                "kind": "questions",
                "title": group.title,
                "intro": group.intro,
                "questions": questions,
                "regions": regions,
                "errors": [],
            }
        )
    for number, step in enumerate(steps, start=1):
        step["number"] = number
        step["has_errors"] = bool(step["errors"]) or any(
            q["errors"] or q.get("where_errors") for q in step.get("questions", ())
        )
    return steps


def _questionnaire(
    request: HttpRequest, kb: KnowledgeBase, form: AnswersForm | None, *, show_errors: bool, clinic: str
) -> HttpResponse:
    steps = _steps(kb, form, show_errors)
    pains = _values(form, "pain")
    selected = {tuple(p.split(":", 1)) for p in pains if ":" in p}
    context = {
        "steps": steps,
        "total": len(steps),
        "pains": set(pains),
        "pain_groups": [
            (part, [(r, [(f"{r.id}:{s}", bodymap.location_label(kb, r.id, s)) for s in r.sides]) for r in regions])
            for part, regions in regions_by_part(kb)
        ],
        "bodymap": bodymap.render(kb, interactive=True, selected=selected),
        "clinic": clinic,
        "bound": form is not None and form.is_bound,
        "error_step": form.first_error_step() if form is not None and show_errors else "",
        "error_count": sum(1 for s in steps if s["has_errors"]),
        "form_errors": list(form.non_field_errors()) if form is not None and show_errors else [],
        "emergency_number": emergency_number(),
        "example_numbers": EXAMPLE_EMERGENCY_NUMBERS,
    }
    return render(request, "selfcheck/questions.html", context)


@sensitive_post_parameters()  # health answers and contact details never reach an error report
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The questions. A POST (from "Change my answers") opens them with every answer filled in."""
    kb = _kb()
    source = request.POST if request.method == "POST" else request.GET
    form = AnswersForm(request.POST, kb=kb) if request.method == "POST" else None
    return _questionnaire(request, kb, form, show_errors=False, clinic=_clinic_slug(source))


def _sources(kb: KnowledgeBase, refs: tuple[SourceRef, ...]) -> list[dict[str, str]]:
    out = []
    for ref in refs:
        source = kb.sources.get(ref.id)
        if source is not None:
            out.append({"citation": source.citation, "locator": ref.locator, "url": source.url})
    return out


def _learn_links(outcome: str) -> list[tuple[str, str]]:
    pages = load().education.pages if load().education else {}
    links = []
    for slug in LEARN[outcome]:
        if slug in pages:
            with contextlib.suppress(NoReverseMatch):
                links.append((reverse("learn:page", args=[slug]), pages[slug].title))
    return links


def _result_context(
    kb: KnowledgeBase, request: HttpRequest, form: AnswersForm, result: triage.Triage, contact: ContactForm | None
) -> dict[str, Any]:
    clinics = selectors.public_clinics()
    slug = _clinic_slug(request.POST)
    only = list(clinics[:2])
    if contact is None:
        initial = {"submission_key": uuid.uuid4()}
        if slug:
            initial["clinic"] = slug
        elif len(only) == 1:
            initial["clinic"] = only[0].slug
        contact = ContactForm(initial=initial, clinics=clinics)
    chosen = slug or (only[0].slug if len(only) == 1 else "")
    key = contact.initial.get("submission_key") if not contact.is_bound else contact.data.get("submission_key")
    if contact.is_bound and contact.errors.get("submission_key"):
        key = uuid.uuid4()  # a key that is not one cannot be fixed by the person: start a fresh one
    return {
        "submission_key": key,
        "key_errors": contact.errors.get("submission_key", []) if contact.is_bound else [],
        "result": result,
        "reasons": [{"r": r, "sources": _sources(kb, r.sources)} for r in result.reasons],
        "precautions": [{"r": r, "sources": _sources(kb, r.sources)} for r in result.precautions],
        "hidden": _hidden_answers(kb, request.POST),
        "contact": contact,
        "fixed_clinic": Clinic.objects.filter(slug=chosen).first() if chosen else None,
        "clinic": slug,
        "consent_text": services.CONSENT_TEXT,
        "consent_version": services.CONSENT_VERSION,
        "emergency_number": emergency_number(),
        "example_numbers": EXAMPLE_EMERGENCY_NUMBERS,
        "learn_links": _learn_links(result.outcome),
        "pains": [bodymap.location_label(kb, p.region, p.side) for p in form.answers().pains],
        "duration": triage.DURATIONS[form.answers().duration],
        "age": form.answers().age,
    }


def _parsed(request: HttpRequest, kb: KnowledgeBase) -> tuple[AnswersForm, triage.Triage | None]:
    form = AnswersForm(request.POST, kb=kb)
    if not form.is_valid():
        return form, None
    try:
        return form, triage.triage(kb, form.answers())
    except triage.TriageInputError as exc:
        form.add_error(None, str(exc))
        return form, None


@sensitive_post_parameters()  # health answers and contact details never reach an error report
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest) -> HttpResponse:
    """The core's answer to the posted answers; a fault sends the person back to its screen."""
    if request.method == "GET":
        return redirect("selfcheck:start")  # a reload or a bookmark: the browser still has the answers
    kb = _kb()
    form, result = _parsed(request, kb)
    if result is None:
        return _questionnaire(request, kb, form, show_errors=True, clinic=_clinic_slug(request.POST))
    return render(request, "selfcheck/answer.html", _result_context(kb, request, form, result, None))


@sensitive_post_parameters()  # health answers and contact details never reach an error report
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest) -> HttpResponse:
    """Store the self-check for the chosen clinic, with consent; a fault keeps every answer."""
    if request.method == "GET":
        return redirect("selfcheck:start")
    kb = _kb()
    form, result = _parsed(request, kb)
    if result is None:
        return _questionnaire(request, kb, form, show_errors=True, clinic=_clinic_slug(request.POST))
    clinics = selectors.public_clinics()
    data = request.POST.copy()
    only = list(clinics[:2])
    if not data.get("clinic") and len(only) == 1:
        data["clinic"] = only[0].slug
    contact = ContactForm(data, clinics=clinics)
    if not contact.is_valid():
        context = _result_context(kb, request, form, result, contact)
        return render(request, "selfcheck/answer.html", context, status=200)
    if request.POST.get("consent_version") != services.CONSENT_VERSION:
        contact.add_error("consent", "The wording you agreed to has changed: read it again and tick the box.")
        return render(request, "selfcheck/answer.html", _result_context(kb, request, form, result, contact))
    values = contact.cleaned_data
    try:
        item, _new = services.submit_request(
            kb=kb,
            clinic=values["clinic"],
            answers=form.answers(),
            stored_answers=form.stored(),
            contact=services.Contact(values["name"].strip(), values["email"].strip(), values["phone"]),
            submission_key=values["submission_key"],
            consent_version=services.CONSENT_VERSION,
            request=request,
        )
    except services.Throttled as exc:
        contact.add_error(None, str(exc))
        context = _result_context(kb, request, form, result, contact)
        return render(request, "selfcheck/answer.html", context, status=429)
    context = {
        "item": item,
        "result": result,
        "clinic": item.clinic,
        "emergency_number": emergency_number(),
        "example_numbers": EXAMPLE_EMERGENCY_NUMBERS,
    }
    return render(request, "selfcheck/sent.html", context)


# --- staff ------------------------------------------------------------------------------------------


@clinic_staff_required
def request_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.requests_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "selfcheck/request_list.html", {"page": page, "items": page.object_list})


def _shown_answers(kb: KnowledgeBase, answers: dict[str, Any]) -> dict[str, Any]:
    """The stored answers in words (a finding or region the knowledge base no longer has is shown by
    its code, never dropped)."""

    def region(code: str) -> str:
        return kb.regions[code].name if code in kb.regions else code

    yes = []
    for item in answers.get("yes", []):
        code = item.get("code", "")
        finding = kb.findings.get(code)
        where = f"{region(item['region'])}, {item.get('side', '')}" if item.get("region") else ""
        yes.append(
            {"name": finding.name if finding else code, "question": finding.question if finding else "", "where": where}
        )
    return {
        "pains": [
            f"{p.get('side', '').capitalize()} {region(p.get('region', '')).lower()}" for p in answers.get("pains", [])
        ],
        "duration": triage.DURATIONS.get(answers.get("duration", ""), answers.get("duration", "")),
        "aggravating": [triage.AGGRAVATING.get(a, a) for a in answers.get("aggravating", [])],
        "age": answers.get("age"),
        "yes": yes,
        "no_count": len(answers.get("no", [])),
    }


@clinic_staff_required
def request_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    item = selectors.get_request(request.user, public_id)
    services.open_request(actor=request.user, item=item, request=request)
    clinical = request.user.sees_clinical_content
    context = {
        "item": item,
        "clinical": clinical,
        "answers": _shown_answers(_kb(), item.answers) if clinical else None,
        "may_change": services.may_change_status(request.user),
        "transitions": [(s, Status(s).label) for s in services.TRANSITIONS[Status(item.status)]],
    }
    return render(request, "selfcheck/request_detail.html", context)


@require_POST
@clinic_staff_required
def request_status(request: HttpRequest, public_id: str) -> HttpResponse:
    item = selectors.get_request(request.user, public_id)
    try:
        services.set_status(actor=request.user, item=item, status=request.POST.get("status", ""), request=request)
    except ValueError as exc:
        messages.error(request, f"Not changed: {exc}.")
        return redirect("selfcheck:request", public_id=item.public_id)
    messages.success(request, "Saved.")
    return redirect("selfcheck:request", public_id=item.public_id)
