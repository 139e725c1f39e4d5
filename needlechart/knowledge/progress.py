"""The progress rules (data/progress.yaml) as typed, frozen records.

`needlechart.clinical.progress` reads an episode's outcome measures against these rules: when a
course can be judged, when to reassess, what makes a patient one to refer, the underlying drivers
to examine when a patient does not respond (each with what to check and what to do), payer limits
and each condition's default plan. Nothing clinical is written in the code; it is all here, with
its sources.

The file is one mapping of sections (not a list of entries like the other files). Every problem is
collected and reported at once as `progress.yaml: entry 'SECTION.ID': field 'F': ...`. References to
other files (findings, conditions, instruments, sources) are returned for the loader to check with
the rest of the knowledge base; references inside the file (a driver's actions) are checked here.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import where
from .reader import Reader
from .sourceref import SourceRef

FILE = "progress.yaml"
# How fast a referral must happen: the screening urgencies, and `routine` (a letter, no deadline).
URGENCIES = ("emergency", "urgent", "soon", "routine")
URGENCY_RANK = {u: i for i, u in enumerate(URGENCIES)}
ACTION_KINDS = ("change_plan", "stop_needling", "refer")
SECTIONS = (
    "judgement",
    "reassessment",
    "response",
    "worsening",
    "failure_to_improve",
    "stop_needling",
    "general_actions",
    "symptom_flags",
    "drivers",
    "actions",
    "payer_rules",
    "default_plans",
)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")

# (kind, id, file, entry, field): a reference the loader checks against the other files.
Reference = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class JudgementRule:
    """When a course can first be judged: after `percent_of_planned` % of the planned sessions or
    `weeks` weeks from the start, whichever comes first."""

    percent_of_planned: int
    weeks: int
    note: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class ReassessmentRule:
    """The plan's reassessment points: after these percentages of the planned sessions, and at these
    weeks from the start."""

    percent_of_planned: tuple[int, ...]
    weeks: tuple[int, ...]
    note: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class ResponseRule:
    """How the instruments decide: any deciding instrument reaching its minimal important change
    means responding. `supporting_only` instruments are reported but never decide."""

    rule: str
    supporting_only: tuple[str, ...]
    supporting_note: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class WorseningRule:
    """A deciding instrument worse by at least its minimal important change: refer."""

    refer_to: str
    urgency: str
    note: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class FailureToImproveRule:
    """A non-responder `after_weeks` weeks into care has, in screening's terms, the finding `finding`;
    screening decides whether it counts as a red flag for this patient."""

    finding: str
    after_weeks: int
    note: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class StopNeedlingRule:
    """When a non-responder's needling stops (the action `action`): at this share of the planned
    sessions or this many weeks, whichever comes first."""

    action: str
    at_percent_of_planned: int
    at_weeks: int
    note: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class SymptomFlag:
    """A symptom reported at a reassessment that means refer whatever the scores."""

    id: str
    name: str
    meaning: str
    refer_to: str
    urgency: str
    action: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class Sign:
    """A sign the clinician may record at a reassessment that points to one driver."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Driver:
    """An underlying driver of persistent pain to examine in a non-responder.

    `signs` (recorded at the reassessment) and `findings` (screening findings present at the
    re-screen) point to it; `conditions` are those where it is examined first.
    """

    id: str
    name: str
    why: str
    checks: tuple[str, ...]
    signs: tuple[Sign, ...]
    findings: tuple[str, ...]
    conditions: tuple[str, ...]
    actions: tuple[str, ...]
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class Action:
    """A recommended action: change the plan, stop needling, or refer (to whom, how urgently)."""

    id: str
    kind: str
    name: str
    text: str
    sources: tuple[SourceRef, ...]
    refer_to: str = ""
    urgency: str = ""


@dataclass(frozen=True, slots=True)
class PayerRule:
    """A payer's limit on a course: `initial_visits` in `initial_days`, `extra_visits` more only if the
    patient is improving, at most `annual_max` a year, for the listed conditions only."""

    id: str
    payer: str
    name: str
    conditions: tuple[str, ...]
    initial_visits: int
    initial_days: int
    extra_visits: int
    annual_max: int
    requirements: tuple[str, ...]
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class DefaultPlan:
    condition: str
    frequency_per_week: float
    sessions: int
    note: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True)
class ProgressRules:
    judgement: JudgementRule
    reassessment: ReassessmentRule
    response: ResponseRule
    worsening: WorseningRule
    failure_to_improve: FailureToImproveRule
    stop_needling: StopNeedlingRule
    general_actions: tuple[str, ...]
    symptom_flags: dict[str, SymptomFlag]
    drivers: dict[str, Driver]
    actions: dict[str, Action]
    payer_rules: dict[str, PayerRule]
    default_plans: dict[str, DefaultPlan]

    @property
    def signs(self) -> dict[str, tuple[Sign, Driver]]:
        """Every sign by ID, with the driver it points to."""
        return {s.id: (s, d) for d in self.drivers.values() for s in d.signs}

    @property
    def payers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rule.payer for rule in self.payer_rules.values()))


# ---------------------------------------------------------------- reading


class _Context:
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.refs: list[Reference] = []

    def ref(self, kind: str, ids: Iterable[str], r: Reader, field: str) -> None:
        for ident in ids:
            if ident:
                self.refs.append((kind, ident, r.file, r.entry, field))

    def sources(self, r: Reader, field: str = "sources") -> tuple[SourceRef, ...]:
        refs = r.sources(field)
        self.ref("source", [ref.id for ref in refs], r, field)
        return refs


def _reader(raw: Any, section: str, index: int, ctx: _Context, *, entry: bool = True) -> Reader:
    """A reader whose problems name `SECTION.ID` (list sections) or `SECTION` (mapping sections)."""
    r = Reader(raw, FILE, index, ctx.problems)
    r.entry = f"{section}.{r.entry}" if entry else section
    return r


def _whole(r: Reader, key: str, low: int, high: int | None = None) -> int:
    value = r.integer(key, required=True)
    if value is None:
        return low
    if value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"of {low} or more"
        r.problem(key, f"must be a whole number {limit}, not {value}")
        return low
    return value


def _wholes(r: Reader, key: str, low: int, high: int | None = None) -> tuple[int, ...]:
    values = r.items(key, required=True)
    out: list[int] = []
    for value in values:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
        if not ok or (high is not None and value > high):
            limit = f"from {low} to {high}" if high is not None else f"of {low} or more"
            r.problem(key, f"each item must be a whole number {limit}, not {value!r}")
            continue
        out.append(value)
    if not values:
        r.problem(key, "must list at least one item")
    if out != sorted(set(out)):
        r.problem(key, f"must be in ascending order without repeats, not {out}")
    return tuple(out)


def _id(r: Reader, key: str = "id") -> str:
    ident = r.text(key)
    if ident and not _ID.match(ident):
        r.problem(key, f"'{ident}' must be lower snake_case")
    return ident


def _section(data: dict[str, Any], name: str, ctx: _Context) -> Any:
    if name not in data or data[name] is None:
        ctx.problems.append(f"{where(FILE, None, name)}: is required")
        return None
    return data[name]


def _mapping_section(data: dict[str, Any], name: str, ctx: _Context) -> Reader:
    raw = _section(data, name, ctx)
    if raw is not None and not isinstance(raw, dict):
        ctx.problems.append(f"{where(FILE, None, name)}: must be a mapping")
        raw = {}
    return _reader(raw if raw is not None else {}, name, 0, ctx, entry=False)


def _list_section(data: dict[str, Any], name: str, ctx: _Context) -> list[Any]:
    raw = _section(data, name, ctx)
    if raw is not None and not isinstance(raw, list):
        ctx.problems.append(f"{where(FILE, None, name)}: must be a list of entries")
        return []
    return raw or []


def _refer(r: Reader, required: bool) -> tuple[str, str]:
    refer_to = r.text("refer_to", required=required)
    urgency = r.choice("urgency", URGENCIES, required=required)
    return refer_to, urgency


def _judgement(data: dict[str, Any], ctx: _Context) -> JudgementRule:
    r = _mapping_section(data, "judgement", ctx)
    rule = JudgementRule(
        _whole(r, "percent_of_planned", 1, 100), _whole(r, "weeks", 1, 52), r.text("note"), ctx.sources(r)
    )
    r.finish()
    return rule


def _reassessment(data: dict[str, Any], ctx: _Context) -> ReassessmentRule:
    r = _mapping_section(data, "reassessment", ctx)
    rule = ReassessmentRule(
        _wholes(r, "percent_of_planned", 1, 100), _wholes(r, "weeks", 1, 52), r.text("note"), ctx.sources(r)
    )
    r.finish()
    return rule


def _response(data: dict[str, Any], ctx: _Context) -> ResponseRule:
    r = _mapping_section(data, "response", ctx)
    supporting = r.texts("supporting_only")
    ctx.ref("instrument", supporting, r, "supporting_only")
    rule = ResponseRule(
        r.text("rule"), supporting, r.text("supporting_note", required=bool(supporting)), ctx.sources(r)
    )
    r.finish()
    return rule


def _worsening(data: dict[str, Any], ctx: _Context) -> WorseningRule:
    r = _mapping_section(data, "worsening", ctx)
    refer_to, urgency = _refer(r, True)
    rule = WorseningRule(refer_to, urgency, r.text("note"), ctx.sources(r))
    r.finish()
    return rule


def _failure(data: dict[str, Any], ctx: _Context) -> FailureToImproveRule:
    r = _mapping_section(data, "failure_to_improve", ctx)
    finding = r.text("finding")
    ctx.ref("finding", [finding], r, "finding")
    rule = FailureToImproveRule(finding, _whole(r, "after_weeks", 1, 52), r.text("note"), ctx.sources(r))
    r.finish()
    return rule


def _stop(data: dict[str, Any], ctx: _Context) -> StopNeedlingRule:
    r = _mapping_section(data, "stop_needling", ctx)
    rule = StopNeedlingRule(
        r.text("action"),
        _whole(r, "at_percent_of_planned", 1, 100),
        _whole(r, "at_weeks", 1, 52),
        r.text("note"),
        ctx.sources(r),
    )
    r.finish()
    return rule


def _indexed(records: list[tuple[Any, Reader]], key: str, ctx: _Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for record, r in records:
        ident = getattr(record, key)
        if not ident:
            continue
        if ident in out:
            r.problem(key, "duplicate ID")
            continue
        out[ident] = record
    return out


def _symptom_flags(data: dict[str, Any], ctx: _Context) -> dict[str, SymptomFlag]:
    records = []
    for i, raw in enumerate(_list_section(data, "symptom_flags", ctx)):
        r = _reader(raw, "symptom_flags", i, ctx)
        ident, name, meaning = _id(r), r.text("name"), r.text("meaning")
        refer_to, urgency = _refer(r, True)
        flag = SymptomFlag(ident, name, meaning, refer_to, urgency, r.text("action"), ctx.sources(r))
        r.finish()
        records.append((flag, r))
    return _indexed(records, "id", ctx)


def _signs(r: Reader) -> tuple[Sign, ...]:
    signs = []
    for j, raw in enumerate(r.items("signs", required=True)):
        s = r.sub(raw, f"signs[{j}]")
        sign = Sign(_id(s), s.text("name"))
        s.finish()
        signs.append(sign)
    if not signs:
        r.problem("signs", "must list at least one sign the clinician can record")
    return tuple(signs)


def _drivers(data: dict[str, Any], ctx: _Context) -> tuple[dict[str, Driver], list[tuple[Driver, Reader]]]:
    records = []
    for i, raw in enumerate(_list_section(data, "drivers", ctx)):
        r = _reader(raw, "drivers", i, ctx)
        driver = Driver(
            id=_id(r),
            name=r.text("name"),
            why=r.text("why"),
            checks=r.texts("checks", required=True, non_empty=True),
            signs=_signs(r),
            findings=r.texts("findings"),
            conditions=r.texts("conditions"),
            actions=r.texts("actions", required=True, non_empty=True),
            sources=ctx.sources(r),
        )
        r.finish()
        ctx.ref("finding", driver.findings, r, "findings")
        ctx.ref("condition", driver.conditions, r, "conditions")
        records.append((driver, r))
    return _indexed(records, "id", ctx), records


def _actions(data: dict[str, Any], ctx: _Context) -> dict[str, Action]:
    records = []
    for i, raw in enumerate(_list_section(data, "actions", ctx)):
        r = _reader(raw, "actions", i, ctx)
        ident, kind, name, text = _id(r), r.choice("kind", ACTION_KINDS), r.text("name"), r.text("text")
        refer_to, urgency = _refer(r, kind == "refer")
        if kind and kind != "refer" and (refer_to or urgency):
            r.problem("refer_to", "only a refer action names whom to refer to and how urgently")
        action = Action(ident, kind, name, text, ctx.sources(r), refer_to, urgency)
        r.finish()
        records.append((action, r))
    return _indexed(records, "id", ctx)


def _frequency(r: Reader) -> float:
    r.seen.add("frequency_per_week")
    value = r.raw.get("frequency_per_week")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        r.problem("frequency_per_week", f"must be a number of sessions a week, not {value!r}")
        return 1.0
    if not 0 < value <= 7:
        r.problem("frequency_per_week", f"must be above 0 and at most 7, not {value!r}")
        return 1.0
    return float(value)


def _payer_rules(data: dict[str, Any], ctx: _Context) -> dict[str, PayerRule]:
    records = []
    for i, raw in enumerate(_list_section(data, "payer_rules", ctx)):
        r = _reader(raw, "payer_rules", i, ctx)
        rule = PayerRule(
            id=_id(r),
            payer=_id(r, "payer"),
            name=r.text("name"),
            conditions=r.texts("conditions", required=True, non_empty=True),
            initial_visits=_whole(r, "initial_visits", 1),
            initial_days=_whole(r, "initial_days", 1),
            extra_visits=_whole(r, "extra_visits", 0),
            annual_max=_whole(r, "annual_max", 1),
            requirements=r.texts("requirements"),
            sources=ctx.sources(r),
        )
        r.finish()
        if rule.initial_visits + rule.extra_visits > rule.annual_max:
            r.problem("annual_max", f"{rule.annual_max} is below initial_visits + extra_visits")
        ctx.ref("condition", rule.conditions, r, "conditions")
        records.append((rule, r))
    return _indexed(records, "id", ctx)


def _default_plans(data: dict[str, Any], ctx: _Context) -> dict[str, DefaultPlan]:
    records = []
    for i, raw in enumerate(_list_section(data, "default_plans", ctx)):
        r = Reader(raw, FILE, i, ctx.problems, id_key="condition")
        r.entry = f"default_plans.{r.entry}"
        plan = DefaultPlan(
            condition=r.text("condition"),
            frequency_per_week=_frequency(r),
            sessions=_whole(r, "sessions", 1, 100),
            note=r.text("note", required=False),
            sources=ctx.sources(r),
        )
        r.finish()
        ctx.ref("condition", [plan.condition], r, "condition")
        records.append((plan, r))
    return _indexed(records, "condition", ctx)


def _check_action_ids(ids: Iterable[str], actions: dict[str, Action], problem: Any, field: str) -> None:
    for ident in ids:
        if ident not in actions:
            close = difflib.get_close_matches(ident, list(actions), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            problem(field, f"unknown action '{ident}'{hint}")


def parse_progress(raw: object, problems: list[str]) -> tuple[ProgressRules | None, list[Reference]]:
    """Validate progress.yaml and return its rules with the references the loader must check.

    Problems are appended to `problems` (file, entry, field); the rules are None only when the file
    is not a mapping at all.
    """
    ctx = _Context(problems)
    if not isinstance(raw, dict):
        problems.append(f"{FILE}: must be a mapping of sections ({', '.join(SECTIONS)})")
        return None, []
    for key in sorted(set(raw) - set(SECTIONS)):
        problems.append(f"{where(FILE, None, str(key))}: is not a known section (use {', '.join(SECTIONS)})")
    judgement = _judgement(raw, ctx)
    reassessment = _reassessment(raw, ctx)
    response = _response(raw, ctx)
    worsening = _worsening(raw, ctx)
    failure = _failure(raw, ctx)
    stop = _stop(raw, ctx)
    flags = _symptom_flags(raw, ctx)
    drivers, driver_readers = _drivers(raw, ctx)
    actions = _actions(raw, ctx)
    payers = _payer_rules(raw, ctx)
    plans = _default_plans(raw, ctx)

    general = _list_section(raw, "general_actions", ctx)
    if not all(isinstance(g, str) for g in general):
        problems.append(f"{where(FILE, None, 'general_actions')}: must be a list of action IDs")
        general = []

    def section_problem(section: str) -> Any:
        return lambda field, message: problems.append(f"{where(FILE, None, section)}: {message}")

    _check_action_ids(general, actions, section_problem("general_actions"), "general_actions")
    stop_problem = section_problem("stop_needling")
    _check_action_ids([stop.action] if stop.action else [], actions, stop_problem, "action")
    if stop.action in actions and actions[stop.action].kind != "stop_needling":
        stop_problem("action", f"'{stop.action}' is a {actions[stop.action].kind} action, not stop_needling")
    for driver, r in driver_readers:
        _check_action_ids(driver.actions, actions, r.problem, "actions")
    seen: dict[str, str] = {}
    for driver, r in driver_readers:
        for sign in driver.signs:
            if sign.id in seen and seen[sign.id] != driver.id:
                r.problem("signs", f"sign '{sign.id}' is also a sign of '{seen[sign.id]}': a sign points to one driver")
            seen.setdefault(sign.id, driver.id)
    clash = sorted(set(seen) & set(flags))
    if clash:
        problems.append(f"{where(FILE, None, 'drivers')}: {', '.join(clash)} is both a sign and a symptom flag")

    rules = ProgressRules(
        judgement=judgement,
        reassessment=reassessment,
        response=response,
        worsening=worsening,
        failure_to_improve=failure,
        stop_needling=stop,
        general_actions=tuple(general),
        symptom_flags=flags,
        drivers=drivers,
        actions=actions,
        payer_rules=payers,
        default_plans=plans,
    )
    return rules, ctx.refs


def coverage_problems(rules: ProgressRules, conditions: Iterable[str]) -> list[str]:
    """Every condition needs a default plan, so a plan can always be proposed."""
    missing = [c for c in conditions if c not in rules.default_plans]
    return [
        f"{where(FILE, None, 'default_plans')}: no default plan for condition '{c}': add "
        f"{{condition: {c}, frequency_per_week: ..., sessions: ..., sources: [...]}}"
        for c in missing
    ]
