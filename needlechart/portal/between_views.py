"""The portal's between-visits pages: the aftercare sheet, the home exercises and their log, the
check-in after needling (and its urgent screen) and the pain diary. Thin: parse, call between.py,
render. Every page showing clinical content writes an audit row; every object is the patient's own."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.common import emergency, opaque, svgchart
from needlechart.knowledge import load

from . import between
from .access import patient_required
from .models import Bruising, CheckIn, ExerciseStatus, PortalAccount

EXAMPLE_EMERGENCY_NUMBERS = emergency.EXAMPLE_NUMBERS
emergency_number = emergency.local_number


def _base(account: PortalAccount, **extra: Any) -> dict[str, Any]:
    return {"account": account, "patient": account.patient, "clinic": account.clinic, **extra}


def _view(request: HttpRequest, account: PortalAccount, obj: Any, summary: str) -> None:
    record(request.user, Action.VIEW, obj, patient=account.patient, summary=summary, request=request)


# --- aftercare -------------------------------------------------------------------------------------


@never_cache
@patient_required
def aftercare(request: HttpRequest, account: PortalAccount, token: str = "") -> HttpResponse:
    visit = between.visit_of(account, token) if token else between.latest_signed_visit(account.patient)
    if token and visit is None:
        raise Http404("No such visit")
    context = _base(account, visit=visit)
    if visit is not None:
        care = between.aftercare_for(visit)
        check_in = CheckIn.objects.filter(visit=visit).first()
        earlier = list(between.signed_visits(account.patient).exclude(pk=visit.pk).order_by("-visit_date")[:5])
        context.update(
            care=care,
            check_in=check_in,
            check_in_state=between.check_in_state(check_in) if check_in else "",
            earlier=[(v, opaque.of(v)) for v in earlier],
            sources=_sources([*care.urgent, *care.routine]),
        )
        _view(request, account, visit, f"Opened the aftercare of the visit of {visit.visit_date.isoformat()}")
    return render(request, "portal/between/aftercare.html", context)


# --- home exercises --------------------------------------------------------------------------------


def _days(today: date) -> list[tuple[date, str]]:
    names = []
    for back in range(between.LOG_BACK_DAYS + 1):
        d = today - timedelta(days=back)
        label = "Today" if back == 0 else "Yesterday" if back == 1 else d.strftime("%A %-d %B")
        names.append((d, label))
    return names


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def exercises(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    today = between.local_day(account.clinic)
    visit, rows = between.programme(account.patient)
    errors: dict[str, dict[str, str]] = {}
    entered: dict[str, dict[str, str]] = {}
    if request.method == "POST":
        token = (request.POST.get("exercise") or "")[:40]
        day_text = (request.POST.get("day") or "")[:10]
        values = {
            "status": (request.POST.get("status") or "")[:10],
            "pain_during": (request.POST.get("pain_during") or "")[:4],
            "note": (request.POST.get("note") or "")[:2000],
            "day": day_text,
        }
        try:
            day = date.fromisoformat(day_text) if day_text else today
        except ValueError:
            errors[token] = {"day": "Choose the day from the list."}
        else:
            try:
                log, _created = between.log_exercise(
                    account=account,
                    assignment_token=token,
                    status=values["status"],
                    pain_during=values["pain_during"],
                    note=values["note"],
                    day=day,
                    request=request,
                )
            except between.BetweenError as exc:
                errors[token] = {exc.field: str(exc)}
            else:
                name = next((r.exercise.name for r in rows if r.assignment.pk == log.assignment_id), "Exercise")
                when = "today" if log.day == today else log.day.strftime("%A %-d %B")
                messages.success(request, f"Saved: {name}, {ExerciseStatus(log.status).label.lower()} {when}.")
                return redirect(f"{reverse('portal:exercises')}?saved={token}#ex-{token}")
        entered[token] = values
    logs = between.week_logs(account.patient, [r.assignment for r in rows], today)
    week = [today - timedelta(days=back) for back in range(6, -1, -1)]
    cards = []
    for r in rows:
        mine = logs.get(r.assignment.pk, {})
        cards.append(
            {
                "row": r,
                "token": r.token,
                "today": mine.get(today),
                "week": [(d, mine.get(d)) for d in week],
                "errors": errors.get(r.token, {}),
                "entered": entered.get(r.token, {}),
            }
        )
    if visit is not None:
        _view(request, account, visit, "Opened their home exercises")
    context = _base(
        account,
        visit=visit,
        cards=cards,
        days=_days(today),
        statuses=ExerciseStatus.choices,
        refused=next(iter(errors.values()), None),
        saved=(request.GET.get("saved") or "")[:40],
        sources=_sources([r.exercise for r in rows]),
    )
    return render(request, "portal/between/exercises.html", context, status=400 if errors else 200)


def _sources(exercises: list[Any]) -> list[str]:
    kb = load()
    seen: dict[str, str] = {}
    for e in exercises:
        for ref in e.sources:
            source = kb.sources.get(ref.id)
            if source is not None:
                seen.setdefault(ref.id, source.citation)
    return list(seen.values())


# --- check-in --------------------------------------------------------------------------------------


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, account: PortalAccount, token: str = "") -> HttpResponse:
    if token:
        found = between.check_in_of(account, token)
        if found is None:
            raise Http404("No such check-in")
    else:
        found = between.open_check_in(account.patient) or (
            CheckIn.objects.filter(patient=account.patient).select_related("visit").order_by("-due_at").first()
        )
        if found is None:
            return render(request, "portal/between/check_in_none.html", _base(account))
    token = opaque.of(found)
    offered = between.offered_items(found)
    errors: dict[str, str] = {}
    entered: dict[str, Any] = {"urgent": [], "soreness": "", "bruising": "", "other": ""}
    if request.method == "POST":
        entered = {
            "urgent": [u[:60] for u in request.POST.getlist("urgent")[:30]],
            "soreness": (request.POST.get("soreness") or "")[:4],
            "bruising": (request.POST.get("bruising") or "")[:10],
            "other": (request.POST.get("other") or "")[:5000],
        }
        try:
            result = between.answer_check_in(
                account=account,
                check_in=found,
                soreness=entered["soreness"],
                bruising=entered["bruising"],
                urgent=entered["urgent"],
                other=entered["other"],
                request=request,
            )
        except between.BetweenError as exc:
            errors[exc.field] = str(exc)
        else:
            if result.already:
                messages.info(request, "You had already answered this check-in; your first answer is kept.")
            if result.check_in.is_urgent:
                return redirect("portal:check_in_urgent", token)
            return redirect("portal:check_in", token)
    state = between.check_in_state(found)
    _view(request, account, found, f"Opened the check-in after the visit of {found.visit.visit_date.isoformat()}")
    kb = load()
    by_id = {i.id: i for i in kb.aftercare}
    context = _base(
        account,
        check_in=found,
        token=token,
        state=state,
        offered=offered,
        ticked=[by_id[i] for i in found.urgent if i in by_id],
        errors=errors,
        entered=entered,
        scale=range(11),
        bruising=Bruising.choices,
        expect=[by_id[i] for i in ("soreness", "aggravation") if i in by_id],
    )
    return render(request, "portal/between/check_in.html", context, status=400 if errors else 200)


@never_cache
@patient_required
def check_in_urgent(request: HttpRequest, account: PortalAccount, token: str) -> HttpResponse:
    """The whole-screen answer to an urgent check-in: call now, and what to do meanwhile."""
    found = between.check_in_of(account, token)
    if found is None or not found.is_urgent:
        raise Http404("No such check-in")
    by_id = {i.id: i for i in load().aftercare}
    _view(request, account, found, "Opened the urgent advice of their check-in")
    context = _base(
        account,
        check_in=found,
        token=token,
        ticked=[by_id[i] for i in found.urgent if i in by_id],
        emergency_number=emergency_number(),
        example_numbers=EXAMPLE_EMERGENCY_NUMBERS,
    )
    return render(request, "portal/between/urgent.html", context)


# --- pain diary ------------------------------------------------------------------------------------


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def diary(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    today = between.local_day(account.clinic)
    errors: dict[str, str] = {}
    entered = {"pain": "", "note": ""}
    if request.method == "POST":
        entered = {"pain": (request.POST.get("pain") or "")[:4], "note": (request.POST.get("note") or "")[:2000]}
        try:
            between.save_diary(account=account, pain=entered["pain"], note=entered["note"], request=request)
        except between.BetweenError as exc:
            errors[exc.field] = str(exc)
        else:
            messages.success(request, "Saved today's pain diary.")
            return redirect(f"{reverse('portal:diary')}?saved=1")
    entries = between.diary(account.patient, today)
    today_entry = next((e for e in entries if e.day == today), None)
    if not errors and today_entry is not None:
        entered = {"pain": str(today_entry.pain), "note": today_entry.note}
    chart = svgchart.line_chart(
        [svgchart.Series("Pain", "score", [(e.day, e.pain) for e in entries])],
        y_max=10,
        y_label="Pain 0–10",
        width=560,
        height=200,
        title="Your pain over the last 4 weeks",
    )
    _view(request, account, account.patient, "Opened their pain diary")
    context = _base(
        account,
        entries=list(reversed(entries)),
        today_entry=today_entry,
        chart=chart if len(entries) >= 2 else None,
        errors=errors,
        entered=entered,
        scale=range(11),
        saved=request.GET.get("saved") == "1",
    )
    return render(request, "portal/between/diary.html", context, status=400 if errors else 200)
