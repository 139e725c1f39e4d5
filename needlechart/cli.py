"""The `needlechart` command: the clinical core and the management tasks from a terminal.

    needlechart suggest --pain temple:left --pain posterior_neck:left [--condition C] [--modality M] [--top N] [--json]
    needlechart screen FILE.json [--json]
    needlechart score INSTRUMENT --answers 2,3,1,- [--unit kPa] [--json]
    needlechart codes FILE.json [--json]
    needlechart aftercare --modality dry_needling --target rhomboids:right [--finding F] [--condition C]
    needlechart reassess FILE.json [--json]
    needlechart kb check | sources | show ID
    needlechart manage COMMAND...      (Django management: migrate, runserver, ...)
    needlechart backup FILE | restore FILE   (the whole database, locks included; restore: empty target only)

Tables for people by default, stable JSON with --json. Bad input exits with status 2 and one line
naming the bad value and the closest valid ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from needlechart.knowledge import KnowledgeError, UnknownName, load, resolve
from needlechart.knowledge.lookup import normalise
from needlechart.knowledge.sourceref import SourceRef

EXIT_BAD_INPUT = 2
EXIT_BAD_DATA = 3


class BadInput(Exception):
    """User input the command cannot use; printed as one line, exit status 2."""


# ---------------------------------------------------------------- output helpers


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _print_json(data: Any) -> None:
    print(json.dumps(_jsonable(data), indent=2, sort_keys=True, ensure_ascii=False))


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None


def _cite(kb, refs: Sequence[SourceRef]) -> str:
    out = []
    for ref in refs:
        source = kb.sources[ref.id]
        short = source.citation.split(".")[0]
        out.append(f"{short}{' (' + ref.locator + ')' if ref.locator else ''} [{ref.id}]")
    return "; ".join(out)


# ---------------------------------------------------------------- suggest


def _parse_pain(kb, text: str):
    from needlechart.clinical.locations import PainInputError, parse_pain_text

    try:
        return parse_pain_text(kb, text)
    except PainInputError as exc:
        raise BadInput(f"--pain {text!r}: {exc}") from None


def closest_word(word: str, options: Sequence[str]) -> str:
    import difflib

    best = difflib.get_close_matches(word, options, n=len(options), cutoff=0)
    return ", ".join(best or options)


def cmd_suggest(args: argparse.Namespace) -> int:
    from needlechart.clinical.screening import ScreeningInputError, screening_input_from_dict
    from needlechart.clinical.suggestion import suggest

    kb = load()
    pains = [_parse_pain(kb, p) for p in args.pain]
    condition = resolve(kb, "condition", args.condition) if args.condition else ""
    screening = None
    if args.screening:
        try:
            screening = screening_input_from_dict(kb, _read_json(args.screening))
        except ScreeningInputError as exc:
            raise BadInput(f"{args.screening}: {exc}") from None
    if args.top < 1:
        raise BadInput(f"--top {args.top}: give a whole number of 1 or more")
    result = suggest(kb, pains, condition, screening, top=args.top, modality=args.modality or "")
    if args.json:
        _print_json(result)
        return 0
    where = ", ".join(f"{p.side} {kb.regions[p.region].name.lower()}" for p in pains)
    print(f"Pain: {where}" + (f"   Condition: {kb.conditions[condition].name}" if condition else ""))
    for title, items in (("Muscles", result.muscles), ("Acupoints", result.acupoints)):
        print(f"\n{title}")
        rows = [
            (
                n,
                f"{s.name} ({s.side})"
                if s.kind == "muscle"
                else (s.name if s.side == "midline" else f"{s.name} ({s.side})"),
                f"{s.score:.2f}",
                s.status,
                ", ".join(sorted({h.kind for h in s.hazards})) or "-",
                s.reason,
            )
            for n, s in enumerate(items, start=1)
        ]
        print(_table(rows, ("#", "target", "score", "status", "hazards", "why")) if rows else "  (none)")
        for n, s in enumerate(items, start=1):
            for reason in s.status_reasons if s.status != "ok" else ():
                print(f"  {n}. {reason}")
    return 0


# ---------------------------------------------------------------- screen


def cmd_screen(args: argparse.Namespace) -> int:
    from needlechart.clinical.screening import ScreeningInputError, screen, screening_input_from_dict

    kb = load()
    try:
        data = screening_input_from_dict(kb, _read_json(args.file))
        result = screen(kb, data)
    except ScreeningInputError as exc:
        raise BadInput(f"{args.file}: {exc}") from None
    if args.json:
        _print_json(result)
        return 0
    urgency = f" ({result.urgency})" if result.urgency else ""
    print(f"Verdict: {result.verdict.upper().replace('_', ' ')}{urgency}")
    if result.verdict == "refer":
        from needlechart.clinical.screening import URGENCY_ADVICE

        print(URGENCY_ADVICE[result.urgency])
    if result.findings:
        print("\nFindings")
        for f in result.findings:
            side = "left and right" if f.side == "both" else f.side
            where = f" [{side} {kb.regions[f.region].name.lower()}]" if f.region else ""
            derived = " (from the age)" if f.derived and not f.note else ""
            print(f"- {f.name}{where}: {f.kind.replace('_', ' ')}{derived}")
            if f.note:
                print(f"    {f.note}")
            print(f"    Why: {f.reason}")
            print(f"    Do: {f.action}")
            print(f"    Source: {_cite(kb, f.sources)}")
    for title, items in (("Planned targets", result.targets), ("Modalities", result.modalities)):
        if items:
            print(f"\n{title}")
            for s in items:
                side = f" ({s.side})" if s.side else ""
                print(f"- {s.item}{side}: {s.status}")
                for reason in s.reasons:
                    print(f"    {reason}")
    for note in result.plan_notes:
        print(f"\nNote: {note}")
    return 0


# ---------------------------------------------------------------- score


def _parse_answers(text: str) -> list[float | None]:
    answers: list[float | None] = []
    for n, bit in enumerate(text.split(","), start=1):
        bit = bit.strip()
        if bit in ("-", ""):
            answers.append(None)
            continue
        try:
            answers.append(float(bit) if "." in bit else int(bit))
        except ValueError:
            raise BadInput(f"--answers: item {n} is {bit!r}; give numbers, or - for an unanswered item") from None
    return answers


def cmd_score(args: argparse.Namespace) -> int:
    from needlechart.clinical import instruments as scoring

    kb = load()
    key = normalise(args.instrument).replace(" ", "")
    instrument = kb.instruments.get(key) or next(
        (i for i in kb.instruments.values() if normalise(i.abbreviation).replace(" ", "") == key), None
    )
    if instrument is None:
        options = closest_word(key, sorted(kb.instruments))
        raise BadInput(f"unknown instrument '{args.instrument}'; closest: {options}")
    try:
        result = scoring.score(instrument, _parse_answers(args.answers), unit=args.unit)
    except ValueError as exc:
        raise BadInput(f"{instrument.id}: {exc}") from None
    if args.json:
        _print_json(result)
        return 0
    print(scoring.describe(instrument, result))
    return 0


# ---------------------------------------------------------------- codes


def cmd_codes(args: argparse.Namespace) -> int:
    from needlechart.clinical.billing import BillingInputError, codes_from_dict

    kb = load()
    try:
        coding = codes_from_dict(kb, _read_json(args.file))
    except BillingInputError as exc:
        raise BadInput(f"{args.file}: {exc}") from None
    if args.json:
        # Each code's `rules` are IDs of cited rules; the rules themselves come along, sources included.
        used = dict.fromkeys(r for c in coding.procedures for r in c.rules)
        _print_json({**_jsonable(coding), "rules": {r: kb.billing_rules[r] for r in used if r in kb.billing_rules}})
        return 0
    print(f"Modality: {coding.modality.replace('_', ' ')}")
    if coding.procedures:
        print("\nProcedure codes (CPT)")
        rows = [(c.code, c.units, c.description) for c in coding.procedures]
        print(_table(rows, ("code", "units", "description")))
        for c in coding.procedures:
            print(f"\n  Why {c.code} x {c.units}: {c.reason}")
    if coding.diagnoses:
        print("\nDiagnosis codes (ICD-10-CM)")
        print(_table([(d.code, d.title) for d in coding.diagnoses], ("code", "title")))
    for note in coding.notes:
        print(f"\nNote: {note}")
    print("\nCPT is a registered trademark of the AMA; descriptions above are NeedleChart's own.")
    return 0


# ---------------------------------------------------------------- aftercare


def _parse_target(kb, text: str) -> tuple[str, str]:
    from needlechart.clinical.screening import target_sides
    from needlechart.knowledge import resolve_target

    name, _, side = text.rpartition(":")
    if not name:
        name, side = text, ""
    target = resolve_target(kb, name)
    allowed = target_sides(kb.target(target))
    side = side.strip().lower() or ("midline" if allowed == ("midline",) else "")
    if side not in allowed:
        raise BadInput(f"--target {text!r}: give the side as {' or '.join(allowed)}, e.g. {target}:{allowed[0]}")
    return target, side


def cmd_aftercare(args: argparse.Namespace) -> int:
    from needlechart.clinical.aftercare import build_aftercare

    kb = load()
    modalities = [m.strip().lower().replace(" ", "_") for m in args.modality]
    for m in modalities:
        if m not in ("dry_needling", "acupuncture", "electrical_stimulation"):
            raise BadInput(f"--modality '{m}': use dry_needling, acupuncture or electrical_stimulation")
    targets = [_parse_target(kb, t) for t in args.target]
    findings = [resolve(kb, "finding", f) for f in args.finding]
    condition = resolve(kb, "condition", args.condition) if args.condition else ""
    care = build_aftercare(kb, modalities, targets, findings, condition)
    if args.json:
        _print_json(care)
        return 0
    print("After your treatment")
    if care.treated:
        print(f"Treated today: {'; '.join(care.treated)}")
    if care.urgent:
        print("\nGet help straight away if:")
        for item in care.urgent:
            print(f"  ! {item.text}")
    print("\nWhat to expect and what helps:")
    for item in care.routine:
        print(f"  - {item.text}")
    if care.exercises:
        print("\nHome exercises:")
        for e in care.exercises:
            print(f"  - {e.name} ({e.kind}): {e.dosage}")
    return 0


# ---------------------------------------------------------------- reassess


def _isodates(value: Any) -> Any:
    """Dates as YYYY-MM-DD text, for JSON."""
    import datetime

    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _isodates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_isodates(v) for v in value]
    return value


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _mcid_text(row) -> str:
    if row.mcid is None:
        return "-"
    if row.mcid_kind == "threshold":
        return f"+{_num(row.mcid)} rating"
    unit = {"points": "pt", "percent": "%pt"}.get(row.unit, row.unit)
    text = f"{_num(row.mcid)} {unit}"
    if row.relative_percent is not None:
        text += f" or {_num(row.relative_percent)}%"
    return text + (" (MDC)" if row.mcid_kind == "mdc" else "")


def _progress_row(row) -> tuple[str, ...]:
    if row.direction == "rating_of_change":
        baseline, change = "-", "-"
    else:
        baseline = f"{_num(row.baseline)} ({row.baseline_date:%Y-%m-%d})"
        change = "-" if row.change is None else f"{row.change:+.1f}".replace(".0", "")
        if row.percent_change is not None:
            change += f" ({row.percent_change:+.0f}%)"
    met = "-" if row.met is None else "WORSE" if row.worsened else "yes" if row.met else "no"
    better = {"lower_is_better": "lower", "higher_is_better": "higher", "rating_of_change": "rating"}[row.direction]
    name = row.name if row.decides else f"{row.name} (supports)"
    return (name, better, baseline, f"{_num(row.latest)} ({row.latest_date:%Y-%m-%d})", change, _mcid_text(row), met)


def cmd_reassess(args: argparse.Namespace) -> int:
    import datetime

    from needlechart.clinical.progress import ProgressInputError, assess, progress_input_from_dict

    kb = load()
    try:
        data = progress_input_from_dict(kb, _read_json(args.file), fallback_today=datetime.date.today())
        result = assess(kb, data)
    except ProgressInputError as exc:
        raise BadInput(f"{args.file}: {exc}") from None
    if args.json:
        _print_json(_isodates(_jsonable(result)))
        return 0
    plan = result.plan
    frequency = "1 a week" if plan.frequency_per_week == 1 else f"{_num(plan.frequency_per_week)} a week"
    default = f" (default for {result.condition_name.lower()}: {', '.join(plan.defaults)})" if plan.defaults else ""
    print(
        f"{result.condition_name}: {data.sessions_done} of {plan.sessions_planned} sessions done, {frequency} "
        f"from {plan.start:%Y-%m-%d} (last planned {result.last_session_date:%Y-%m-%d}){default}"
    )
    print(f"Today {result.today:%Y-%m-%d}, day {result.days_since_start} of the plan")
    urgency = f" ({result.urgency})" if result.urgency else ""
    print(f"\nStatus: {result.status.upper().replace('_', ' ')}{urgency}")
    for reason in result.reasons:
        print(f"  - {reason}")
    if result.instruments:
        print("\nOutcome measures")
        headers = ("instrument", "better", "baseline", "latest", "change", "MCID", "met")
        print(_table([_progress_row(r) for r in result.instruments], headers))
        cited = {}
        for row in result.instruments:
            cited.setdefault(row.instrument, row.mcid_sources)
        for ident, refs in cited.items():
            if refs:
                print(f"  MCID {kb.instruments[ident].abbreviation}: {', '.join(ref.id for ref in refs)}")
    if result.referrals:
        print("\nRefer")
        for r in result.referrals:
            print(f"- [{r.urgency}] {r.reason}")
            print(f"    To: {r.to}")
            print(f"    Do: {r.action}")
            print(f"    Source: {_cite(kb, r.sources)}")
    if result.status == "not_yet" and not result.judgement.reached:
        print(f"\nWhen: {result.judgement.text}.")
    if result.drivers:
        print("\nUnderlying drivers to examine")
        for n, d in enumerate(result.drivers, start=1):
            flag = f"  [signs: {'; '.join(d.because)}]" if d.indicated else ""
            print(f"{n}. {d.name}{flag}")
            print(f"    Why: {d.why}")
            for check in d.checks:
                print(f"    Check: {check}")
    if result.actions:
        print("\nRecommended actions")
        for a in result.actions:
            kind = a.kind.replace("_", " ")
            label = f"{kind}, {a.urgency}" if a.urgency else kind
            when = "" if a.when == "now" else f" ({a.when})"
            print(f"- [{label}] {a.name}{when}: {a.text}")
            if a.refer_to:
                print(f"    To: {a.refer_to}")
            print(f"    For: {', '.join(a.because)}")
    print("\nReassessment points")
    rows = [(p.label, f"{p.date:%Y-%m-%d}", "reached" if p.reached else "due") for p in result.reassessment]
    print(_table(rows, ("point", "date", "status")))
    if result.payer_warnings:
        print(f"\nPayer ({plan.payer})")
        for w in result.payer_warnings:
            print(f"  ! {w.message}")
    for note in result.notes:
        print(f"\nNote: {note}")
    print(f"\nSources: {_cite(kb, result.sources)}")
    return 0


# ---------------------------------------------------------------- kb


def cmd_kb(args: argparse.Namespace) -> int:
    if args.action == "check":
        try:
            kb = load()
        except KnowledgeError as exc:
            print(f"needlechart: the knowledge base has {len(exc.problems)} problem(s):", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return EXIT_BAD_DATA
        detailed = sum(1 for p in kb.acupoints.values() if p.detailed)
        print(
            f"Knowledge base OK: {len(kb.regions)} regions, {len(kb.muscles)} muscles, "
            f"{len(kb.acupoints)} acupoints ({detailed} described in detail), {len(kb.conditions)} conditions, "
            f"{len(kb.findings)} screening findings, {len(kb.exercises)} exercises, "
            f"{len(kb.instruments)} instruments, {len(kb.sources)} sources."
        )
        return 0
    kb = load()
    if args.action == "sources":
        used: dict[str, int] = {}
        for ref in _all_refs(kb):
            used[ref.id] = used.get(ref.id, 0) + 1
        if args.json:
            _print_json([{**_jsonable(s), "cited_by": used.get(s.id, 0)} for s in kb.sources.values()])
            return 0
        for source in sorted(kb.sources.values(), key=lambda s: s.id):
            print(f"[{source.id}] ({source.kind}, cited {used.get(source.id, 0)}x)\n    {source.citation}")
            if source.url or source.doi:
                print(f"    {source.url or 'doi:' + source.doi}")
        return 0
    # show
    if not args.id:
        raise BadInput("kb show needs an ID, e.g. needlechart kb show upper_trapezius")
    category, ident = _find_any(kb, args.id)
    entry = {
        "region": kb.regions,
        "muscle": kb.muscles,
        "acupoint": kb.acupoints,
        "condition": kb.conditions,
        "finding": kb.findings,
        "exercise": kb.exercises,
    }[category][ident]
    if args.json:
        _print_json({"category": category, **_jsonable(entry)})
        return 0
    _show(kb, category, entry)
    return 0


def _all_refs(kb):
    for table in (
        kb.regions,
        kb.muscles,
        kb.acupoints,
        kb.conditions,
        kb.findings,
        kb.exercises,
        kb.billing,
        kb.billing_rules,
    ):
        for entry in table.values():
            yield from entry.sources
    for condition in kb.conditions.values():
        for care in condition.complementary:
            yield from care.sources
    for item in kb.aftercare:
        yield from item.sources
    for instrument in kb.instruments.values():
        yield from instrument.sources


def _find_any(kb, text: str) -> tuple[str, str]:
    suggestions: list[str] = []
    for category in ("muscle", "acupoint", "region", "condition", "finding", "exercise"):
        try:
            return category, resolve(kb, category, text)
        except UnknownName as exc:
            suggestions += exc.suggestions
    best = closest_word(normalise(text), suggestions)[:80] if suggestions else "see needlechart kb check"
    raise BadInput(f"unknown ID or name '{text}'; closest: {best}")


def _show(kb, category: str, entry: Any) -> None:
    name = getattr(entry, "name", None) or entry.label
    print(f"{name}  [{category} {entry.id}]")
    for field_name, value in asdict(entry).items():
        if field_name in ("id", "name", "sources") or value in ("", (), [], None, {}):
            continue
        label = field_name.replace("_", " ")
        if isinstance(value, list | tuple):
            if value and isinstance(value[0], dict):
                print(f"{label}:")
                for item in value:
                    print("  - " + "; ".join(f"{k}: {v}" for k, v in item.items() if v and k != "sources"))
            else:
                print(f"{label}: {', '.join(str(v) for v in value)}")
        elif isinstance(value, dict):
            print(f"{label}: " + ", ".join(f"{k} {v}" for k, v in value.items() if v not in ("", (), None)))
        else:
            print(f"{label}: {value}")
    print(f"sources: {_cite(kb, entry.sources)}")


# ---------------------------------------------------------------- manage


def cmd_manage(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "needlechart.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["needlechart manage", *args.rest])
    return 0


# ---------------------------------------------------------------- backup and restore


def cmd_backup_or_restore(args: argparse.Namespace) -> int:
    """`backup FILE` and `restore FILE`: the database's own copy (see needlechart.common.backup)."""
    import os

    # The settings are all a backup needs: no django.setup(), so no app starts (nor logs) in a cron job.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "needlechart.config.settings")
    from django.core.exceptions import ImproperlyConfigured

    from needlechart.common.backup import BackupError, backup, restore

    try:
        result = (backup if args.command == "backup" else restore)(path=Path(args.file))
    except (BackupError, ImproperlyConfigured) as exc:
        raise BadInput(str(exc)) from None
    print(result.summary())
    return 0


# ---------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2
        self.exit(EXIT_BAD_INPUT, f"needlechart: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="needlechart", description="NeedleChart: dry needling and acupuncture clinical core.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("suggest", help="rank muscles and acupoints for a pain drawing")
    p.add_argument(
        "--pain",
        action="append",
        required=True,
        metavar="REGION:SIDE[:INTENSITY]",
        help="a painful region and side (repeat for each), e.g. temple:left or lumbar:right:7",
    )
    p.add_argument("--condition", help="the episode's condition, e.g. tension_type_headache")
    p.add_argument("--screening", metavar="FILE", help="screening JSON (as for `screen`) to mark unsafe targets")
    p.add_argument("--top", type=int, default=10, help="how many of each to show (default 10)")
    p.add_argument(
        "--modality",
        choices=("dry_needling", "acupuncture"),
        help="the visit's modality: dry needling never gets points for trained acupuncturists only",
    )
    p.add_argument("--json", action="store_true", help="stable JSON output")
    p.set_defaults(func=cmd_suggest)

    p = sub.add_parser("screen", help="screen a patient before needling")
    p.add_argument("file", metavar="FILE.json", help="screening input (- for standard input)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_screen)

    p = sub.add_parser("score", help="score an outcome instrument")
    p.add_argument("instrument", help="nprs, vas, ppt, psfs, groc, ndi, odi, lefs or quickdash")
    p.add_argument("--answers", required=True, help="item scores in form order, - for unanswered: 2,3,1,-")
    p.add_argument("--unit", help="for ppt: kg/cm2, N/cm2 or kPa")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("codes", help="billing codes for a session")
    p.add_argument("file", metavar="FILE.json", help="session facts (- for standard input)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_codes)

    p = sub.add_parser("aftercare", help="patient aftercare instructions for a session")
    p.add_argument(
        "--modality", action="append", required=True, help="dry_needling, acupuncture, electrical_stimulation"
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="TARGET:SIDE",
        help="a needled muscle or acupoint with its side, e.g. rhomboids:right or GV14",
    )
    p.add_argument("--finding", action="append", default=[], help="a screening finding of the patient")
    p.add_argument("--condition", help="the episode's condition (adds its home exercises)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_aftercare)

    p = sub.add_parser("reassess", help="progress of an episode of care: responding, not yet, not responding, refer")
    p.add_argument("file", metavar="FILE.json", help="plan, sessions done and measurements (- for standard input)")
    p.add_argument("--json", action="store_true", help="stable JSON output")
    p.set_defaults(func=cmd_reassess)

    p = sub.add_parser("kb", help="check, list sources of, or show the knowledge base")
    p.add_argument("action", choices=("check", "sources", "show"))
    p.add_argument("id", nargs="?", help="for show: a muscle, acupoint, region, condition, finding or exercise")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_kb)

    p = sub.add_parser("manage", help="Django management commands (migrate, runserver, ...)", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)

    p = sub.add_parser("backup", help="copy the whole database, locks included, to FILE (safe while running)")
    p.add_argument("file", metavar="FILE", help="the backup file to write (replaced only once complete)")
    p.set_defaults(func=cmd_backup_or_restore)

    p = sub.add_parser("restore", help="restore a backup FILE into the configured database, which must be empty")
    p.add_argument("file", metavar="FILE", help="a file written by `needlechart backup`")
    p.set_defaults(func=cmd_backup_or_restore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (BadInput, UnknownName) as exc:
        print(f"needlechart: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KnowledgeError as exc:
        print(
            f"needlechart: the knowledge base is invalid ({len(exc.problems)} problem(s)); run `needlechart kb check`",
            file=sys.stderr,
        )
        return EXIT_BAD_DATA
    except BrokenPipeError:
        # The reader went away (`needlechart suggest ... | head`): stop quietly, as other tools do.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
