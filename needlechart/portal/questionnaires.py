"""Questionnaires in the portal: their wording, which are due, answering them, and the reminders.

Wording. Free instruments (NPRS, PSFS, GROC) ship their wording in portal/data/questionnaires.yaml,
in our own words. A licensed instrument (NDI, ODI, QuickDASH, LEFS) is offered only when the clinic
has supplied its licensed text as `<instrument>.yaml` in the directory named by the setting
`NEEDLECHART_LICENSED_TEXT_DIR` (same format; README, "Licensed questionnaire text"). A file that
does not fit the knowledge base's instrument (wrong item count, a value out of range) is refused:
that instrument is not offered, and the refusal is logged. NeedleChart never invents the text.

Due. What is due is the core's rule (`clinical.due` through `outcomes.services.due_from_rows`) for
the patient's active episodes, limited to the instruments the portal can show. For the intake, before
the first visit, it is what the rule makes due at a first visit today (the baseline).

Answers are scored by the core (`clinical.instruments.score`) when sent and kept as a
`QuestionnaireResponse`; a clinician accepts it into the episode as a measurement dated the day the
patient answered (intake_review.accept_questionnaire). Until then it is not in the chart: a
patient-reported score is read by the clinic before it counts towards the episode's progress and
flags (a wrong-form answer, a misread scale, or a score that shows a red flag is caught first).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.clinical import due as schedule
from needlechart.clinical import instruments as scoring
from needlechart.knowledge import load
from needlechart.knowledge.instruments import Instrument
from needlechart.notifications.sweeps import sweep
from needlechart.patients.models import Episode, EpisodeStatus

from .models import PortalAccount, QuestionnaireReminder, QuestionnaireResponse

log = logging.getLogger(__name__)
FREE_FILE = Path(__file__).parent / "data" / "questionnaires.yaml"
MAX_ACTIVITY = 120


@dataclass(frozen=True)
class Item:
    text: str
    options: tuple[tuple[int, str], ...]  # (value, label), in the order shown
    low: str = ""
    high: str = ""


@dataclass(frozen=True)
class Form:
    instrument: Instrument
    title: str
    intro: str
    items: tuple[Item, ...]
    activities: bool = False
    extra: tuple[tuple[str, str], ...] = ()
    licensed: bool = False

    @property
    def id(self) -> str:
        return self.instrument.id


class FormFileError(ValueError):
    pass


def _scale(instrument: Instrument) -> tuple[tuple[int, str], ...]:
    low, high = int(instrument.item_min), int(instrument.item_max)
    return tuple((v, str(v)) for v in range(low, high + 1))


def _form(raw: Any, *, licensed: bool) -> Form:
    if not isinstance(raw, dict):
        raise FormFileError("a questionnaire is a mapping with instrument, title, intro and items")
    kb = load()
    ident = raw.get("instrument")
    instrument = kb.instruments.get(ident) if isinstance(ident, str) else None
    if not isinstance(instrument, Instrument):
        raise FormFileError(f"'{ident}' is not an instrument of the knowledge base")
    if licensed != (instrument.item_text == "licensed"):
        where = "the clinic's licensed-text directory" if licensed else "the shipped file"
        raise FormFileError(
            f"{instrument.abbreviation} does not belong in {where} (its item text is {instrument.item_text})"
        )
    items_raw = raw.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise FormFileError(f"{instrument.abbreviation}: items must be a non-empty list")
    activities = bool(raw.get("activities"))
    expected = 1 if activities else instrument.items.min
    if len(items_raw) != expected or (not activities and not instrument.items.fixed):
        raise FormFileError(
            f"{instrument.abbreviation}: {len(items_raw)} items, the instrument has {instrument.items.min}"
        )
    items = []
    for n, item in enumerate(items_raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            raise FormFileError(f"{instrument.abbreviation} item {n}: give its text")
        if "options" in item:
            options = []
            for option in item["options"] or []:
                value = option.get("value") if isinstance(option, dict) else None
                if isinstance(value, bool) or not isinstance(value, int):
                    raise FormFileError(f"{instrument.abbreviation} item {n}: each option needs a whole-number value")
                if not instrument.item_min <= value <= instrument.item_max:
                    raise FormFileError(
                        f"{instrument.abbreviation} item {n}: value {value} is outside "
                        f"{instrument.item_min:g} to {instrument.item_max:g}"
                    )
                options.append((value, str(option.get("label") or value)))
            if len({v for v, _ in options}) != len(options) or not options:
                raise FormFileError(f"{instrument.abbreviation} item {n}: options must have distinct values")
            items.append(Item(item["text"].strip(), tuple(options)))
        else:
            scale = item.get("scale") or {}
            items.append(
                Item(item["text"].strip(), _scale(instrument), str(scale.get("low", "")), str(scale.get("high", "")))
            )
    extra = tuple((e["key"], e["text"]) for e in raw.get("extra") or [] if e.get("key") in ("worst", "best"))
    return Form(
        instrument,
        str(raw.get("title") or instrument.name),
        str(raw.get("intro") or ""),
        tuple(items),
        activities,
        extra,
        licensed,
    )


def licensed_dir() -> Path | None:
    value = getattr(settings, "NEEDLECHART_LICENSED_TEXT_DIR", "") or ""
    return Path(value) if value else None


@lru_cache(maxsize=8)
def _forms_cached(directory: str) -> dict[str, Form]:
    forms: dict[str, Form] = {}
    for raw in yaml.safe_load(FREE_FILE.read_text(encoding="utf-8")):
        form = _form(raw, licensed=False)
        forms[form.id] = form
    if directory:
        for path in sorted(Path(directory).glob("*.yaml")):
            try:
                form = _form(yaml.safe_load(path.read_text(encoding="utf-8")), licensed=True)
                if path.stem != form.id:
                    raise FormFileError(f"the file for {form.id} must be named {form.id}.yaml")
            except (FormFileError, yaml.YAMLError, OSError) as exc:
                log.error("Licensed questionnaire text %s refused: %s", path, exc)
                continue
            forms[form.id] = form
    return forms


def forms() -> dict[str, Form]:
    """Every questionnaire the portal can show: the free ones, and the licensed ones the clinic supplied."""
    directory = licensed_dir()
    return _forms_cached(str(directory) if directory else "")


# ------------------------------------------------------------------------------------ what is due


@dataclass(frozen=True)
class DueForm:
    episode: Episode
    form: Form
    point: str
    since: date


def _taken(episode: Episode) -> dict[str, list[date]]:
    """Measurement dates per instrument: the chart's measurements and the portal answers waiting for review."""
    from needlechart.outcomes.services import measurements_of

    taken: dict[str, list[date]] = {}
    for m in measurements_of(episode):
        taken.setdefault(m.instrument, []).append(m.taken_on)
    for r in QuestionnaireResponse.objects.filter(episode=episode, left_at=None, measurement=None):
        taken.setdefault(r.instrument, []).append(r.taken_on)
    # Answered in an intake sent and not yet reviewed: not asked again meanwhile.
    from .models import Intake, IntakeStatus

    for intake in Intake.objects.filter(patient_id=episode.patient_id, status=IntakeStatus.SUBMITTED):
        for ident, given in (intake.answers.get("questionnaires") or {}).items():
            decided = (intake.review or {}).get(f"questionnaire:{ident}")  # accepted: a measurement; left: ask again
            if given.get("episode") == episode.pk and given.get("answered_at") and not decided:
                answered = timezone.localtime(datetime.fromisoformat(given["answered_at"])).date()
                taken.setdefault(ident, []).append(answered)
    return taken


def _due(episode: Episode, *, on: date, first_visit_today: bool) -> list[DueForm]:
    from needlechart.outcomes.services import core_plan, current_plan, scheduled_instruments

    kb = load()
    revision = current_plan(episode)
    names = [n for n in scheduled_instruments(episode, revision) if n in forms()]
    visit_dates = list(
        episode.visits.filter(discarded_at__isnull=True, visit_date__lte=on)
        .order_by("visit_date", "id")
        .values_list("visit_date", flat=True)
    )
    if first_visit_today and not visit_dates:
        visit_dates = [on]
    points = schedule.due_points(kb, core_plan(episode, revision), visit_dates, on)
    found = schedule.due_now(kb, names, points, _taken(episode))
    return [DueForm(episode, forms()[d.instrument], d.point, d.since) for d in found]


def active_episodes(account: PortalAccount) -> list[Episode]:
    return list(account.patient.episodes.filter(status=EpisodeStatus.ACTIVE).order_by("-started_on", "-id"))


def due_between_visits(account: PortalAccount, *, on: date | None = None) -> list[DueForm]:
    """The questionnaires due now for the patient's active episodes (after the first visit)."""
    on = on or timezone.localdate()
    out: list[DueForm] = []
    for episode in active_episodes(account):
        if episode.visits.filter(discarded_at__isnull=True).exists():
            out.extend(_due(episode, on=on, first_visit_today=False))
    return out


def due_for_intake(account: PortalAccount, *, on: date | None = None) -> list[DueForm]:
    """What a first visit today would make due (the baseline): the intake's questionnaires."""
    on = on or timezone.localdate()
    episodes = active_episodes(account)
    return _due(episodes[0], on=on, first_visit_today=True) if episodes else []


# ------------------------------------------------------------------------------------ answers


def parse_answers(form: Form, data: Any) -> tuple[list[float | None], dict[str, Any], dict[str, str]]:
    """The answers posted for `form` (`item_<n>`, PSFS `activity_<n>`, NPRS `worst`/`best`):
    (answers, extra, errors by field). Nothing is lost: the caller shows the form again with them."""
    errors: dict[str, str] = {}
    answers: list[float | None] = []
    extra: dict[str, Any] = {}

    def value(field: str, item: Item, *, required: bool) -> int | None:
        text = (data.get(field) or "").strip()
        if not text:
            if required:
                errors[field] = "Choose an answer."
            return None
        allowed = {str(v): v for v, _ in item.options}
        if text not in allowed:
            errors[field] = "Choose one of the answers shown."
            return None
        return allowed[text]

    if form.activities:
        names = []
        for n in range(1, form.instrument.items.max + 1):
            name = (data.get(f"activity_{n}") or "").strip()[:MAX_ACTIVITY]
            rating = value(f"item_{n}", form.items[0], required=bool(name))
            if rating is not None and not name:
                errors[f"activity_{n}"] = "Name the activity you rated."
            if name:
                names.append(name)
                answers.append(rating)
        if len(names) < form.instrument.items.min and not errors:
            errors["activity_1"] = f"Name at least {form.instrument.items.min} activities and rate each one."
        extra["activities"] = names
    else:
        for n, item in enumerate(form.items, start=1):
            answers.append(value(f"item_{n}", item, required=not form.licensed))
        for key, _ in form.extra:
            found = value(key, form.items[0], required=False)
            if found is not None:
                extra[key] = found
    if not errors:
        try:
            result = scoring.score(form.instrument, [None if a is None else float(a) for a in answers])
        except ValueError as exc:
            errors["item_1"] = str(exc)
        else:
            if not result.scorable:
                errors["item_1"] = f"Please answer more of the questions: {result.reason}."
    return answers, extra, errors


def score_of(form: Form, answers: list[float | None]) -> dict[str, Any]:
    return asdict(scoring.score(form.instrument, [None if a is None else float(a) for a in answers]))


def answer(*, account: PortalAccount, due: DueForm, data: Any, request: Any = None) -> QuestionnaireResponse:
    """Keep the patient's answers to a questionnaire due between visits (scored by the core), once:
    the same questionnaire sent twice on one day (a double click, a second tab) is kept once."""
    answers, extra, errors = parse_answers(due.form, data)
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    try:
        with transaction.atomic():
            existing = QuestionnaireResponse.objects.filter(
                episode=due.episode, instrument=due.form.id, taken_on=today, intake=None
            ).first()
            if existing is not None:
                return existing
            response = QuestionnaireResponse.objects.create(
                account=account,
                patient=account.patient,
                episode=due.episode,
                instrument=due.form.id,
                point=due.point,
                answers=[None if a is None else float(a) for a in answers],
                extra=extra,
                result=score_of(due.form, answers),
                taken_on=today,
            )
            record(
                account.user,
                Action.CREATE,
                response,
                patient=account.patient,
                summary=f"Answered the {due.form.instrument.abbreviation} in the portal ({due.point})",
                request=request,
            )
    except IntegrityError:  # the other tab's answer won the race: that one is kept
        return QuestionnaireResponse.objects.get(
            episode=due.episode, instrument=due.form.id, taken_on=today, intake=None
        )
    return response


# ------------------------------------------------------------------------------------ reminders


@sweep("portal.questionnaire_reminders")
def due_questionnaire_reminders(now: Any = None) -> int:
    """Email each active portal account once for every questionnaire that became due and was not yet
    reminded (one row per episode, instrument and schedule point). Safe to run as often as wanted:
    a reminder already sent is never sent again. Returns how many emails were sent."""
    from . import mail

    now = now or timezone.now()
    sent = 0
    accounts = (
        PortalAccount.objects.select_related("patient", "clinic", "user")
        .filter(disabled_at=None, activated_at__isnull=False, patient__episodes__status=EpisodeStatus.ACTIVE)
        .distinct()
    )
    for account in accounts:
        on = timezone.localdate(now)
        fresh = []
        for due in due_between_visits(account, on=on):
            try:
                with transaction.atomic():
                    _, created = QuestionnaireReminder.objects.get_or_create(
                        episode=due.episode,
                        instrument=due.form.id,
                        point=due.point,
                        due_since=due.since,
                        defaults={"account": account, "sent_at": now},
                    )
            except IntegrityError:
                created = False  # another sweep got there first
            if created:
                fresh.append(due)
        if fresh:
            key = "questionnaire-reminder:" + ":".join(sorted(f"{d.episode.pk}.{d.form.id}.{d.point}" for d in fresh))
            mail.send_questionnaire_reminder(account=account, titles=[d.form.title for d in fresh], key=key[:120])
            sent += 1
    return sent
