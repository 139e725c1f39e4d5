"""Load and validate the knowledge base.

`load()` reads every data file, builds typed records and then checks every cross-reference
(regions, muscles, acupoints, conditions, findings, exercises, instruments, ROM norms, education
pages, sources). Any problem stops the load with a KnowledgeError that lists them all, each naming
file, entry and field.
The validated base is cached per data directory: it is immutable and loading it takes ~0.5 s.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

from .benchmarks import Benchmarks, parse_benchmarks
from .education import Education, parse_education
from .errors import KnowledgeError, where
from .instruments import parse_instruments
from .model import (
    COMPLEMENTARY_KINDS,
    DEPTHS,
    EXERCISE_KINDS,
    FINDING_EFFECTS,
    FINDING_KINDS,
    FINDING_SCOPES,
    HAZARD_KINDS,
    ICD10_SIDES,
    JOINTS,
    MERIDIANS,
    MODALITIES,
    PARTS,
    QUADRANTS,
    RESTRICTION_REASONS,
    SITE_EXTENTS,
    URGENCIES,
    VIEWS,
    Acupoint,
    AftercareItem,
    AftercareTrigger,
    BillingCode,
    BillingRule,
    Complementary,
    Condition,
    CountsWhen,
    Division,
    DryNeedlingCaution,
    Exercise,
    Finding,
    Hazard,
    Icd10,
    KnowledgeBase,
    MaxDepth,
    Muscle,
    NeedleLimit,
    NeverNeedle,
    Prevalence,
    Region,
    Restriction,
    Rule,
    Source,
    TargetGroup,
)
from .progress import ProgressRules, coverage_problems, parse_progress
from .reader import Reader
from .rom import RomNorms, parse_rom
from .sourceref import SourceRef

DATA_DIR = Path(__file__).parent / "data"
SOURCE_KINDS = ("book", "chapter", "article", "guideline", "regulation", "standard", "dataset", "website")
# Aftercare `when` keys, each with the qualifiers it may add: {hazard: organ, structure: kidney}.
AFTERCARE_TRIGGERS = {"always": (), "modality": (), "hazard": ("structure",), "finding": (), "condition": ()}


def _read_yaml(path: Path, problems: list[str]) -> list[Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        problems.append(f"{path.name}: file is missing")
        return []
    except yaml.YAMLError as exc:
        problems.append(f"{path.name}: is not valid YAML: {exc}")
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(f"{path.name}: must be a list of entries")
        return []
    return data


def _files(data_dir: Path, name: str) -> list[Path]:
    """A data set is either `name.yaml` or every YAML file in the folder `name/`."""
    folder = data_dir / name
    if folder.is_dir():
        return sorted(folder.glob("*.yaml"))
    return [data_dir / f"{name}.yaml"]


def _rel(path: Path, data_dir: Path) -> str:
    return str(path.relative_to(data_dir))


class _Refs:
    """Cross-references collected while reading, checked once every file is read."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str, str, str]] = []  # kind, id, file, entry, field

    def add(self, kind: str, ids: Any, reader: Reader, field: str) -> None:
        if isinstance(ids, str):
            ids = (ids,)
        for ident in ids:
            if ident:
                self.items.append((kind, ident, reader.file, reader.entry, field))

    def sources(self, refs: Any, reader: Reader, field: str = "sources") -> None:
        self.add("source", [ref.id for ref in refs], reader, field)


def _hazards(reader: Reader, refs: _Refs) -> tuple[Hazard, ...]:
    hazards = []
    for i, raw in enumerate(reader.items("hazards")):
        h = reader.sub(raw, f"hazards[{i}]")
        hazard = Hazard(
            kind=h.choice("kind", HAZARD_KINDS),
            structure=h.text("structure"),
            note=h.text("note", required=False),
        )
        h.finish()
        hazards.append(hazard)
    return tuple(hazards)


def _entries(data_dir: Path, name: str, problems: list[str], id_key: str = "id") -> Iterator[Reader]:
    """A Reader for each entry of a data set, in file order."""
    for path in _files(data_dir, name):
        for i, raw in enumerate(_read_yaml(path, problems)):
            yield Reader(raw, _rel(path, data_dir), i, problems, id_key=id_key)


class _Collected:
    """Records read so far, each with its file, indexed by ID once all are read."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.records: list[tuple[Any, str]] = []

    def add(self, record: Any, reader: Reader) -> None:
        self.records.append((record, reader.file))

    def indexed(self, problems: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_file: dict[str, str] = {}
        for record, file in self.records:
            ident = getattr(record, self.key)
            if not ident:
                continue
            if ident in out:
                problems.append(
                    f"{file}: entry '{ident}': field '{self.key}': duplicate ID (also in {first_file[ident]})"
                )
                continue
            out[ident] = record
            first_file[ident] = file
        return out


def _read_sources(data_dir: Path, problems: list[str]) -> dict[str, Source]:
    collected = _Collected("id")
    for r in _entries(data_dir, "sources", problems):
        source = Source(
            id=r.text("id"),
            kind=r.choice("kind", SOURCE_KINDS),
            citation=r.text("citation"),
            url=r.text("url", required=False),
            doi=r.text("doi", required=False),
            note=r.text("note", required=False),
        )
        r.finish()
        collected.add(source, r)
    return collected.indexed(problems)


def _read_regions(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Region]:
    collected = _Collected("id")
    for r in _entries(data_dir, "regions", problems):
        midline = r.flag("midline", False)
        choir = r.mapping("choir")
        if set(choir) != {"left", "right"} or not all(isinstance(v, str) for v in choir.values()):
            r.problem("choir", "must map exactly 'left' and 'right' to CHOIR keys such as f01 or b12")
        region = Region(
            id=r.text("id"),
            name=r.text("name"),
            synonyms=r.texts("synonyms"),
            view=r.choice("view", VIEWS),
            part=r.choice("part", PARTS),
            midline=midline,
            choir={k: str(v) for k, v in choir.items()},
            adjacent=r.texts("adjacent"),
            sources=r.sources(),
            joint=r.choice("joint", JOINTS, required=False),
            quadrant=r.choice("quadrant", QUADRANTS, required=False),
        )
        r.finish()
        refs.add("region", region.adjacent, r, "adjacent")
        refs.sources(region.sources, r)
        collected.add(region, r)
    return collected.indexed(problems)


def _referral(r: Reader, refs: _Refs, field: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """primary, spillover and crosses_midline of one referral mapping (a muscle's or a division's)."""
    referral = r.sub(r.mapping(field), field)
    primary = referral.texts("primary", non_empty=True)
    spillover = referral.texts("spillover")
    crosses = referral.texts("crosses_midline")
    referral.finish()
    both = sorted(set(primary) & set(spillover))
    if both:
        r.problem(field, f"{', '.join(both)} listed as both primary and spillover")
    stray = sorted(set(crosses) - set(primary) - set(spillover))
    if stray:
        r.problem(field, f"crosses_midline lists {', '.join(stray)}, which is not one of its referral zones")
    refs.add("region", primary + spillover, r, field)
    return primary, spillover, crosses


def _prevalence(r: Reader, refs: _Refs) -> Prevalence | None:
    if "prevalence" not in r.raw:
        return None
    p = r.sub(r.mapping("prevalence"), "prevalence")
    prevalence = Prevalence(regions=p.texts("regions", required=True, non_empty=True), sources=p.sources())
    p.finish()
    refs.add("region", prevalence.regions, r, "prevalence")
    refs.sources(prevalence.sources, r, "prevalence")
    return prevalence


def _max_depth(r: Reader, refs: _Refs) -> MaxDepth | None:
    """`max_depth_mm: {value: 14, note: ..., sources: [...]}`: the deepest a needle may be charted at this
    target, with why (measured or derived) and where the figure comes from."""
    return _cited(r, refs, "max_depth_mm", lambda x: MaxDepth(_millimetres(x, "value"), x.text("note"), x.sources()))


def _millimetres(r: Reader, key: str) -> float:
    """A required depth in millimetres: a number above zero."""
    r.seen.add(key)
    value = r.raw.get(key)
    if value is None:
        r.problem(key, "is required: the depth in millimetres")
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        r.problem(key, f"must be a number of millimetres, not {value!r}")
        return 0.0
    if value <= 0:
        r.problem(key, f"must be more than 0 mm, not {value!r}")
        return 0.0
    return float(value)


def _read_muscles(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Muscle]:
    collected = _Collected("id")
    for r in _entries(data_dir, "muscles", problems):
        divisions: list[Division] = []
        if "divisions" in r.raw:
            if "referral" in r.raw:
                r.problem("referral", "give either referral or divisions (each with its own referral), not both")
            for j, raw in enumerate(r.items("divisions")):
                d = r.sub(raw, f"divisions[{j}]")
                name = d.text("name")
                primary, spillover, crosses = _referral(d, refs, "referral")
                d.finish()
                divisions.append(Division(name, primary, spillover, crosses))
            primary = tuple(dict.fromkeys(z for d in divisions for z in d.primary))
            spillover = tuple(dict.fromkeys(z for d in divisions for z in d.spillover if z not in primary))
            crosses = tuple(dict.fromkeys(z for d in divisions for z in d.crosses_midline))
        else:
            primary, spillover, crosses = _referral(r, refs, "referral")
        muscle = Muscle(
            id=r.text("id"),
            name=r.text("name"),
            synonyms=r.texts("synonyms"),
            regions=r.texts("regions", required=True, non_empty=True),
            primary=primary,
            spillover=spillover,
            conditions=r.texts("conditions"),
            hazards=_hazards(r, refs),
            depth=r.choice("depth", DEPTHS),
            compressible=r.flag("compressible", True),
            position=r.text("position"),
            needling=r.text("needling"),
            sources=r.sources(),
            crosses_midline=crosses,
            divisions=tuple(divisions),
            prevalence=_prevalence(r, refs),
            max_depth_mm=_max_depth(r, refs),
        )
        r.finish()
        refs.add("region", muscle.regions, r, "regions")
        refs.add("condition", muscle.conditions, r, "conditions")
        refs.sources(muscle.sources, r)
        collected.add(muscle, r)
    return collected.indexed(problems)


class _Cited(Protocol):
    """A record with its own sources (Restriction, NeverNeedle, MaxDepth...)."""

    @property
    def sources(self) -> tuple[SourceRef, ...]: ...


_C = TypeVar("_C", bound=_Cited)


def _cited(r: Reader, refs: _Refs, key: str, build: Callable[[Reader], _C]) -> _C | None:
    """An optional nested mapping with its own sources (`restricted:`, `never_needle:`...): built by
    `build` from a reader over it, its sources checked like the entry's."""
    if key not in r.raw:
        return None
    x = r.sub(r.mapping(key), key)
    record = build(x)
    x.finish()
    refs.sources(record.sources, r, key)
    return record


def _dry_needling_caution(r: Reader, refs: _Refs) -> DryNeedlingCaution | None:
    return _cited(r, refs, "dry_needling_caution", lambda x: DryNeedlingCaution(x.text("technique"), x.sources()))


def _never_needle(r: Reader, refs: _Refs) -> NeverNeedle | None:
    return _cited(r, refs, "never_needle", lambda x: NeverNeedle(x.text("note"), x.sources()))


def _restriction(r: Reader, refs: _Refs) -> Restriction | None:
    return _cited(
        r,
        refs,
        "restricted",
        lambda x: Restriction(
            reason=x.choice("reason", RESTRICTION_REASONS),
            note=x.text("note"),
            technique=x.text("technique"),
            sources=x.sources(),
        ),
    )


def _read_acupoints(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Acupoint]:
    collected = _Collected("code")
    for r in _entries(data_dir, "acupoints", problems, id_key="code"):
        region = r.text("region", required=True)
        described = "location" in r.raw or "needling" in r.raw
        point = Acupoint(
            code=r.text("code"),
            meridian=r.choice("meridian", MERIDIANS),
            pinyin=r.text("pinyin"),
            english=r.text("english", required=False),
            sources=r.sources(),
            region=region,
            location=r.text("location", required=described),
            needling=r.text("needling", required=described),
            hazards=_hazards(r, refs),
            cautions=r.texts("cautions"),
            pregnancy_caution=r.flag("pregnancy_caution", False),
            compressible=r.flag("compressible", True),
            distal_for=r.texts("distal_for"),
            on_midline=r.flag("midline", False),
            joint=r.choice("joint", JOINTS, required=False),
            depth=r.choice("depth", DEPTHS, required=False),
            restricted=_restriction(r, refs),
            prevalence=_prevalence(r, refs),
            never_needle=_never_needle(r, refs),
            dry_needling_caution=_dry_needling_caution(r, refs),
            max_depth_mm=_max_depth(r, refs),
        )
        r.finish()
        if not point.detailed and (point.distal_for or point.restricted or point.prevalence):
            r.problem("location", "a point used as a distal point, restricted or weighted needs location and needling")
        if point.on_midline and point.meridian != "EX":
            r.problem("midline", "GV and CV points lie on the midline already; the flag is for extra points")
        if point.code and point.meridian and point.meridian != "EX" and not point.code.startswith(point.meridian):
            r.problem("meridian", f"{point.meridian} does not match the code {point.code}")
        refs.add("region", (region,) + point.distal_for, r, "region/distal_for")
        refs.sources(point.sources, r)
        collected.add(point, r)
    return collected.indexed(problems)


_SIDE_WORDS = {side: re.compile(rf"\b{side}\b", re.IGNORECASE) for side in ICD10_SIDES}


def _icd10(r: Reader) -> list[Icd10]:
    """A condition's ICD-10-CM codes. A code's `side` must agree with its title, and the codes of one
    family (equal but for the last character) are either all side-specific or none, so that a title
    edited to another side, or a sided code entered without its side, fails the load."""
    icd = []
    for j, item in enumerate(r.items("icd10", required=True)):
        s = r.sub(item, f"icd10[{j}]")
        code = Icd10(code=s.text("code"), title=s.text("title"), side=s.choice("side", ICD10_SIDES, required=False))
        s.finish()
        said = {side for side, word in _SIDE_WORDS.items() if word.search(code.title)}
        # "Right temporomandibular joint disorder, unspecified": the disorder is unspecified, the side is not.
        if said & {"left", "right", "bilateral"}:
            said.discard("unspecified")
        if code.side and said != {code.side}:
            s.problem("side", f"is {code.side!r} but the title {code.title!r} does not say {code.side} (alone)")
        if not code.side and said - {"unspecified"}:
            s.problem("side", f"is missing: the title {code.title!r} names a side ({', '.join(sorted(said))})")
        icd.append(code)
    for family in sorted({c.family for c in icd}):
        members = [c for c in icd if c.family == family]
        if len(members) > 1 and len({bool(c.side) for c in members}) > 1:
            listed = ", ".join(c.code for c in members)
            r.problem("icd10", f"codes {listed} differ only in laterality: give each its side")
        sides = [c.side for c in members if c.side]
        if len(sides) != len(set(sides)):
            r.problem("icd10", f"codes {', '.join(c.code for c in members)} give the same side twice")
    return icd


def _read_conditions(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Condition]:
    collected = _Collected("id")
    for r in _entries(data_dir, "conditions", problems):
        icd = _icd10(r)
        if not icd:
            r.problem("icd10", "must list at least one ICD-10-CM code")
        points = r.sub(r.mapping("acupoints"), "acupoints")
        local, distal = points.texts("local"), points.texts("distal")
        points.finish()
        complementary = []
        for j, item in enumerate(r.items("complementary", required=True)):
            s = r.sub(item, f"complementary[{j}]")
            care = Complementary(
                kind=s.choice("kind", COMPLEMENTARY_KINDS), advice=s.text("advice"), sources=s.sources()
            )
            s.finish()
            refs.sources(care.sources, r, f"complementary[{j}]")
            complementary.append(care)
        condition = Condition(
            id=r.text("id"),
            name=r.text("name"),
            synonyms=r.texts("synonyms"),
            summary=r.text("summary"),
            icd10=tuple(icd),
            regions=r.texts("regions", required=True, non_empty=True),
            muscles=r.texts("muscles", required=True, non_empty=True),
            local_acupoints=local,
            distal_acupoints=distal,
            instruments=r.texts("instruments", required=True, non_empty=True),
            complementary=tuple(complementary),
            exercises=r.texts("exercises"),
            sources=r.sources(),
        )
        r.finish()
        refs.add("region", condition.regions, r, "regions")
        refs.add("muscle", condition.muscles, r, "muscles")
        refs.add("acupoint", local + distal, r, "acupoints")
        refs.add("instrument", condition.instruments, r, "instruments")
        refs.add("exercise", condition.exercises, r, "exercises")
        refs.sources(condition.sources, r)
        collected.add(condition, r)
    return collected.indexed(problems)


GROUP_PROPERTIES = ("non_compressible", "pregnancy_caution", "enters_joint")
# Words in a finding's action that name a modality or a site extent; like a group's `mentions`, a
# precaution whose action uses them must have a rule acting on that modality or extent.
MODALITY_MENTIONS = {
    "electrical_stimulation": (
        "electrical stimulation",
        "electroacupuncture",
        "electro-acupuncture",
        "electrical dry needling",
        "e-stim",
        "electrotherapy",
        "tens",
        "current",
    ),
    "dry_needling": ("dry needling",),
}
EXTENT_MENTIONS = {"quadrant": ("limb", "quadrant", "arm", "leg")}
# A limb named in the text is acted on by a quadrant rule or by a group of limb targets.
LIMB_GROUPS = ("distal_lower_limb", "foot")
# "deep needling" is an instruction about depth: a rule with `depth`, or a group of deep targets.
DEPTH_MENTIONS = ("deep needling", "needling deep", "deep targets", "deep muscles")
DEPTH_GROUPS = ("non_compressible", "deep_lumbar")


def _rules(r: Reader, refs: _Refs) -> tuple[Rule, ...]:
    rules = []
    for j, raw in enumerate(r.items("rules")):
        field = f"rules[{j}]"
        if not (isinstance(raw, dict) and len([k for k in raw if k in ("blocked", "caution")]) == 1):
            r.problem(field, "each rule is {blocked: {...}} or {caution: {...}}, with an optional change: text")
            continue
        status = "blocked" if "blocked" in raw else "caution"
        x = r.sub(raw, field)
        x.seen.add(status)
        sel = x.sub(raw[status], f"{field}.{status}")
        rule = Rule(
            status=status,
            group=sel.text("group", required=False),
            modality=sel.choice("modality", MODALITIES, required=False),
            site=sel.choice("site", SITE_EXTENTS, required=False),
            within=sel.choice("within", SITE_EXTENTS, required=False),
            depth=sel.choice("depth", DEPTHS, required=False),
            change=x.text("change", required=status == "caution"),
        )
        sel.finish()
        x.finish()
        chosen = [k for k in ("group", "modality", "site") if getattr(rule, k)]
        if len(chosen) != 1:
            r.problem(field, "a rule acts on exactly one of: group, modality, site")
        if rule.within and not rule.group:
            r.problem(field, "within narrows a group rule to the reported site; give a group")
        if rule.depth and not rule.group:
            r.problem(field, "depth narrows a group rule; give a group")
        refs.add("group", rule.group, r, field)
        rules.append(rule)
    return tuple(rules)


def _mentions(text: str, words: tuple[str, ...]) -> str:
    import re

    for word in words:
        if re.search(rf"(?<![\w-]){re.escape(word.lower())}(?![\w-])", text.lower()):
            return word
    return ""


def _check_words_and_rules(findings: dict[str, Finding], groups: dict[str, TargetGroup], problems: list[str]) -> None:
    """A precaution's action may only name the groups, modalities and extents its rules act on.

    Red flags and whole-patient contraindications stop all needling, so they cover everything.
    """
    for finding in findings.values():
        if finding.effect != "caution":
            continue
        acted = {rule.group for rule in finding.rules} | {rule.modality for rule in finding.rules}
        acted |= {rule.site for rule in finding.rules} | {rule.within for rule in finding.rules}
        named = [(g.id, _mentions(finding.action, g.mentions)) for g in groups.values()]
        named += [(m, _mentions(finding.action, words)) for m, words in MODALITY_MENTIONS.items()]
        named += [(e, _mentions(finding.action, words)) for e, words in EXTENT_MENTIONS.items()]
        if any(rule.depth or rule.group in DEPTH_GROUPS for rule in finding.rules):
            acted.add("depth")
        if any(rule.group in LIMB_GROUPS for rule in finding.rules):
            acted.add("quadrant")
        named.append(("depth", _mentions(finding.action, DEPTH_MENTIONS)))
        for thing, word in named:
            if word and thing not in acted:
                key = "modality" if thing in MODALITY_MENTIONS else "site" if thing in EXTENT_MENTIONS else "group"
                example = "{depth: deep, group: G}" if thing == "depth" else f"{{{key}: {thing}}}"
                problems.append(
                    f"findings.yaml: entry '{finding.id}': field 'action': the text names '{word}' ({thing}) but "
                    f"no rule acts on {thing}: add a rule such as {{caution: {example}, change: ...}} "
                    "or reword the action"
                )


def _read_findings(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Finding]:
    collected = _Collected("id")
    for r in _entries(data_dir, "findings", problems):
        kind = r.choice("kind", FINDING_KINDS)
        scope = r.choice("scope", FINDING_SCOPES)
        effect = r.choice("effect", FINDING_EFFECTS)
        urgency = r.choice("urgency", URGENCIES, required=kind == "red_flag")
        counts_when = None
        if "counts_when" in r.raw:
            c = r.sub(r.mapping("counts_when"), "counts_when")
            counts_when = CountsWhen(
                with_any=c.texts("with_any"),
                age_at_least=c.integer("age_at_least"),
                otherwise=c.choice("otherwise", ("precaution", "none"), False, "precaution"),
            )
            c.finish()
            refs.add("finding", counts_when.with_any, r, "counts_when")
            if kind != "red_flag":
                r.problem("counts_when", "only red flags count in combination")
        finding = Finding(
            id=r.text("id"),
            name=r.text("name"),
            kind=kind,
            question=r.text("question"),
            scope=scope,
            effect=effect,
            reason=r.text("reason"),
            action=r.text("action"),
            sources=r.sources(),
            urgency=urgency,
            counts_when=counts_when,
            rules=_rules(r, refs),
            implies=r.texts("implies"),
            age_below=r.integer("age_below"),
        )
        r.finish()
        refs.add("finding", finding.implies, r, "implies")
        if finding.id in finding.implies:
            r.problem("implies", "a finding cannot imply itself")
        if kind != "red_flag" and urgency:
            r.problem("urgency", "only red flags carry an urgency")
        if (kind == "red_flag") != (effect == "refer"):
            r.problem("effect", "red flags, and only red flags, have the effect 'refer'")
        if effect == "do_not_needle" and kind != "contraindication":
            r.problem("effect", "only contraindications stop needling altogether")
        if effect != "caution" and finding.rules:
            r.problem("rules", f"a finding with the effect '{effect}' stops all needling: its rules would never apply")
        site_rules = [x for x in finding.rules if x.site or x.within]
        if site_rules and scope != "site":
            r.problem("scope", "rules with site or within act on the reported site: the scope must be 'site'")
        if scope == "site" and not site_rules:
            r.problem("scope", "a site-scoped finding needs a rule with site or within that acts on the reported site")
        if kind == "contraindication" and effect == "caution" and not any(x.blocks for x in finding.rules):
            r.problem("rules", "a contraindication that does not stop all needling must block something")
        refs.sources(finding.sources, r)
        collected.add(finding, r)
    return collected.indexed(problems)


NEEDLE_FIELDS = (
    "gauge_mm",
    "length_mm",
    "depth_mm",
    "depth_cun",
    "retention_minutes",
    "twitch_responses",
    "es_frequency_hz",
    "es_pulse_width_ms",
    "es_intensity_ma",
    "es_minutes",
)


def _number(r: Reader, key: str) -> float:
    r.seen.add(key)
    value = r.raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        r.problem(key, f"must be a number, not {value!r}")
        return 0.0
    return float(value)


def _read_needle_limits(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, NeedleLimit]:
    collected = _Collected("id")
    for r in _entries(data_dir, "needle_limits", problems):
        limit = NeedleLimit(
            id=r.text("id"),
            field=r.choice("field", NEEDLE_FIELDS),
            name=r.text("name"),
            unit=r.text("unit"),
            min=_number(r, "min"),
            max=_number(r, "max"),
            note=r.text("note"),
            sources=r.sources(),
            at_most_field=r.choice("at_most_field", NEEDLE_FIELDS, required=False),
        )
        r.finish()
        if limit.min > limit.max:
            r.problem("max", f"{limit.max} is below min {limit.min}")
        refs.sources(limit.sources, r)
        collected.add(limit, r)
    return collected.indexed(problems)


def _read_groups(data_dir: Path, problems: list[str], refs: _Refs) -> list[tuple[Reader, dict[str, Any]]]:
    """Target groups as read; their members are resolved once muscles and acupoints are known."""
    specs = []
    for r in _entries(data_dir, "target_groups", problems):
        spec = {
            "id": r.text("id"),
            "name": r.text("name"),
            "mentions": r.texts("mentions", required=True, non_empty=True),
            "regions": r.texts("regions"),
            "parts": r.texts("parts"),
            "hazards": r.texts("hazards"),
            "property": r.choice("property", GROUP_PROPERTIES, required=False),
            "members": r.texts("members"),
            "sources": r.sources(),
        }
        r.finish()
        for part in spec["parts"]:
            if part not in PARTS:
                r.problem("parts", f"unknown part '{part}': use {', '.join(PARTS)}")
        for kind in spec["hazards"]:
            if kind not in HAZARD_KINDS:
                r.problem("hazards", f"unknown hazard kind '{kind}': use {', '.join(HAZARD_KINDS)}")
        if not (spec["regions"] or spec["parts"] or spec["hazards"] or spec["property"] or spec["members"]):
            r.problem("regions", "a group needs regions, parts, hazards, property or members")
        refs.add("region", spec["regions"], r, "regions")
        refs.add("target", spec["members"], r, "members")
        refs.sources(spec["sources"], r)
        specs.append((r, spec))
    return specs


def _resolve_groups(
    specs: list[tuple[Reader, dict[str, Any]]],
    regions: dict[str, Region],
    muscles: dict[str, Muscle],
    acupoints: dict[str, Acupoint],
    problems: list[str],
) -> dict[str, TargetGroup]:
    targets: list[Muscle | Acupoint] = [*muscles.values(), *acupoints.values()]
    groups: dict[str, TargetGroup] = {}
    for r, spec in specs:
        parts = set(spec["parts"])
        in_regions = set(spec["regions"]) | {rid for rid, reg in regions.items() if reg.part in parts}
        members = set(spec["members"])
        for t in targets:
            by_place = in_regions & set(t.regions) or {h.kind for h in t.hazards} & set(spec["hazards"])
            if by_place or (spec["property"] and _has_property(t, spec["property"])):
                members.add(t.id)
        if spec["id"] in groups:
            r.problem("id", "duplicate ID")
        groups[spec["id"]] = TargetGroup(
            spec["id"], spec["name"], spec["mentions"], frozenset(members), spec["sources"]
        )
    return groups


def _has_property(target: Muscle | Acupoint, prop: str) -> bool:
    if prop == "non_compressible":
        return not target.compressible
    if prop == "pregnancy_caution":
        return isinstance(target, Acupoint) and target.pregnancy_caution
    return isinstance(target, Acupoint) and bool(target.joint)  # enters_joint


def _read_exercises(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Exercise]:
    collected = _Collected("id")
    for r in _entries(data_dir, "exercises", problems):
        exercise = Exercise(
            id=r.text("id"),
            name=r.text("name"),
            kind=r.choice("kind", EXERCISE_KINDS),
            muscles=r.texts("muscles"),
            conditions=r.texts("conditions"),
            steps=r.texts("steps", required=True, non_empty=True),
            dosage=r.text("dosage"),
            cautions=r.texts("cautions"),
            sources=r.sources(),
        )
        r.finish()
        if not exercise.muscles and not exercise.conditions:
            r.problem("muscles", "an exercise must be linked to at least one muscle or condition")
        refs.add("muscle", exercise.muscles, r, "muscles")
        refs.add("condition", exercise.conditions, r, "conditions")
        refs.sources(exercise.sources, r)
        collected.add(exercise, r)
    return collected.indexed(problems)


def _read_billing(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, BillingCode]:
    collected = _Collected("code")
    for r in _entries(data_dir, "billing", problems, id_key="code"):
        code = BillingCode(
            code=r.text("code"),
            system=r.choice("system", ("CPT",)),
            modality=r.choice("modality", ("dry_needling", "acupuncture")),
            role=r.choice("role", ("one_or_two_muscles", "three_or_more_muscles", "initial", "additional")),
            description=r.text("description"),
            sources=r.sources(),
            electrical_stimulation=r.flag("electrical_stimulation", False),
        )
        r.finish()
        refs.sources(code.sources, r)
        collected.add(code, r)
    return collected.indexed(problems)


def _read_billing_rules(
    data_dir: Path, problems: list[str], refs: _Refs, billing: dict[str, BillingCode]
) -> dict[str, BillingRule]:
    """The cited coding rules (billing_rules.yaml) that the billing module names in its reasons."""
    collected = _Collected("id")
    for r in _entries(data_dir, "billing_rules", problems):
        rule = BillingRule(
            id=r.text("id"),
            name=r.text("name"),
            codes=r.texts("codes", required=True),
            rule=r.text("rule"),
            cited_as=r.text("cited_as"),
            sources=r.sources(),
        )
        r.finish()
        unknown = [c for c in rule.codes if c not in billing]
        if unknown:
            r.problem("codes", f"unknown code(s) {', '.join(unknown)}: list codes from billing.yaml")
        refs.sources(rule.sources, r)
        collected.add(rule, r)
    return collected.indexed(problems)


def _read_aftercare(data_dir: Path, problems: list[str], refs: _Refs, targets: list[Any]) -> tuple[AftercareItem, ...]:
    """`when` is one trigger mapping or a list of them (the item applies if any does). `targets` are the
    muscles and acupoints already read: a hazard trigger's structure words must name at least one of
    their hazards, so a misspelt word cannot leave a warning that never fires."""
    hazards = [h for t in targets for h in t.hazards]
    items, seen = [], set()
    for r in _entries(data_dir, "aftercare", problems):
        if isinstance(r.raw.get("when"), list):
            specs = r.items("when", required=True)
            if not specs:
                r.problem("when", "must list at least one trigger")
        else:
            spec = r.mapping("when")
            specs = [spec] if isinstance(r.raw.get("when"), dict) else []
        triggers = tuple(t for t in (_aftercare_trigger(r, spec, hazards, refs) for spec in specs) if t)
        item = AftercareItem(
            id=r.text("id"),
            when=triggers,
            text=r.text("text"),
            urgent=r.flag("urgent", False),
            sources=r.sources(),
        )
        r.finish()
        if item.id in seen:
            r.problem("id", "duplicate ID")
        seen.add(item.id)
        refs.sources(item.sources, r)
        items.append(item)
    return tuple(items)


def _aftercare_trigger(r: Reader, spec: Any, hazards: list[Hazard], refs: _Refs) -> AftercareTrigger | None:
    keys = [k for k in spec if k in AFTERCARE_TRIGGERS] if isinstance(spec, dict) else []
    qualifiers = AFTERCARE_TRIGGERS[keys[0]] if len(keys) == 1 else ()
    if len(keys) != 1 or set(spec) - {keys[0], *qualifiers}:
        r.problem(
            "when",
            f"must be {{{'|'.join(AFTERCARE_TRIGGERS)}: value}} (hazard may add structure: word or [words]), "
            f"not {spec!r}",
        )
        return None
    kind, value = keys[0], spec[keys[0]]
    if kind == "always" and value is not True:
        r.problem("when", f"always must be true, not {value!r}")
    if kind != "always" and not (isinstance(value, str) and value):
        r.problem("when", f"{kind} must be an ID, not {value!r}")
        return None
    if kind == "modality" and value not in MODALITIES:
        r.problem("when", f"unknown modality {value!r}")
    if kind == "hazard" and value not in HAZARD_KINDS:
        r.problem("when", f"unknown hazard kind {value!r}")
    if kind in ("finding", "condition"):
        refs.add(kind, value, r, "when")
    words = spec.get("structure", ())
    words = [words] if isinstance(words, str) else words
    if "structure" in spec and (
        not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words)
    ):
        r.problem("when", f"structure must be a word or a list of words, not {spec['structure']!r}")
        words = []
    trigger = AftercareTrigger(kind, str(value), tuple(w.strip() for w in words))
    for word in trigger.structure:
        if hazards and not any(AftercareTrigger(kind, trigger.value, (word,)).matches_hazard(h) for h in hazards):
            r.problem("when", f"structure {word!r} names no {trigger.value} hazard of any muscle or acupoint")
    return trigger


_Parsed = TypeVar("_Parsed")


def _read_mapping_file(
    data_dir: Path,
    name: str,
    parse: Callable[[object, list[str]], tuple[_Parsed | None, list[Any]]],
    problems: list[str],
    refs: _Refs,
) -> _Parsed | None:
    """A YAML file parsed by its own module's `parse(raw, problems) -> (value, references)`; its
    references join the cross-reference check. None when the file is missing or not YAML."""
    path = data_dir / name
    try:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except FileNotFoundError:
        problems.append(f"{path.name}: file is missing")
        return None
    except yaml.YAMLError as exc:
        problems.append(f"{path.name}: is not valid YAML: {exc}")
        return None
    value, found = parse(raw, problems)
    refs.items.extend(found)
    return value


def _read_progress(data_dir: Path, problems: list[str], refs: _Refs) -> ProgressRules | None:
    """progress.yaml: one mapping of sections (see knowledge/progress.py)."""
    return _read_mapping_file(data_dir, "progress.yaml", parse_progress, problems, refs)


def _read_benchmarks(data_dir: Path, problems: list[str], refs: _Refs) -> Benchmarks | None:
    """benchmarks.yaml: one mapping of sections (see knowledge/benchmarks.py)."""
    return _read_mapping_file(data_dir, "benchmarks.yaml", parse_benchmarks, problems, refs)


def _read_rom(data_dir: Path, problems: list[str], refs: _Refs) -> RomNorms | None:
    """rom.yaml: joints and their movements' norms (see knowledge/rom.py)."""
    return _read_mapping_file(data_dir, "rom.yaml", parse_rom, problems, refs)


def _read_education(data_dir: Path, problems: list[str], refs: _Refs) -> Education | None:
    """education.yaml: the public patient education pages (see knowledge/education.py)."""
    return _read_mapping_file(data_dir, "education.yaml", parse_education, problems, refs)


def _check_references(kb_sets: dict[str, set[str]], refs: _Refs, problems: list[str]) -> None:
    import difflib

    for kind, ident, file, entry, field in refs.items:
        known = kb_sets[kind]
        if ident not in known:
            close = difflib.get_close_matches(ident, known, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            problems.append(f"{where(file, entry, field)}: unknown {kind} '{ident}'{hint}")


def _check_symmetry(regions: dict[str, Region], problems: list[str]) -> None:
    for region in regions.values():
        for other in region.adjacent:
            if other in regions and region.id not in regions[other].adjacent:
                problems.append(
                    f"regions.yaml: entry '{region.id}': field 'adjacent': lists '{other}', "
                    f"but '{other}' does not list '{region.id}'"
                )


def load(data_dir: Path | str | None = None) -> KnowledgeBase:
    """Read, validate and index the whole knowledge base (cached: the result is immutable).

    The data folder is `data_dir`, else $NEEDLECHART_KNOWLEDGE_DIR, else the package's own data.
    """
    if data_dir is None:
        # The common call, many times a request: answered from the last result while the folder it
        # was read from is still the one asked for (no Path to build and hash each time).
        env = os.environ.get("NEEDLECHART_KNOWLEDGE_DIR")
        last = _last_default
        if last is not None and last[0] == env:
            return last[1]
        kb = _load(Path(env or DATA_DIR))
        globals()["_last_default"] = (env, kb)
        return kb
    return _load(Path(data_dir))


_last_default: tuple[str | None, KnowledgeBase] | None = None


def _cache_clear() -> None:
    globals()["_last_default"] = None
    _load.cache_clear()


@functools.cache
def _load(data_dir: Path) -> KnowledgeBase:
    problems: list[str] = []
    refs = _Refs()
    sources = _read_sources(data_dir, problems)
    regions = _read_regions(data_dir, problems, refs)
    muscles = _read_muscles(data_dir, problems, refs)
    acupoints = _read_acupoints(data_dir, problems, refs)
    conditions = _read_conditions(data_dir, problems, refs)
    findings = _read_findings(data_dir, problems, refs)
    exercises = _read_exercises(data_dir, problems, refs)
    billing = _read_billing(data_dir, problems, refs)
    billing_rules = _read_billing_rules(data_dir, problems, refs, billing)
    group_specs = _read_groups(data_dir, problems, refs)
    needle_limits = _read_needle_limits(data_dir, problems, refs)
    aftercare = _read_aftercare(data_dir, problems, refs, [*muscles.values(), *acupoints.values()])
    instruments: dict[str, Any] = {}
    instrument_file = data_dir / "instruments.yaml"
    try:
        instruments = parse_instruments(_read_yaml(instrument_file, problems), "instruments.yaml")
    except KnowledgeError as exc:
        problems.extend(exc.problems)
    for instrument in instruments.values():
        for ref in getattr(instrument, "sources", ()):
            refs.items.append(("source", ref.id, "instruments.yaml", instrument.id, "sources"))
    progress = _read_progress(data_dir, problems, refs)
    if progress is not None:
        problems.extend(coverage_problems(progress, conditions))
    benchmarks = _read_benchmarks(data_dir, problems, refs)
    rom = _read_rom(data_dir, problems, refs)
    education = _read_education(data_dir, problems, refs)

    _check_symmetry(regions, problems)
    ids = {
        "source": set(sources),
        "region": set(regions),
        "muscle": set(muscles),
        "acupoint": set(acupoints),
        "condition": set(conditions),
        "finding": set(findings),
        "exercise": set(exercises),
        "instrument": set(instruments),
        "target": set(muscles) | set(acupoints),
        "group": {spec["id"] for _r, spec in group_specs},
    }
    _check_references(ids, refs, problems)
    groups = _resolve_groups(group_specs, regions, muscles, acupoints, problems)
    _check_words_and_rules(findings, groups, problems)
    # Names and synonyms must point to one thing only, or a clinician's typed "trapezius" would be ambiguous.
    from .lookup import build_names

    names = build_names(regions, muscles, acupoints, conditions, findings, exercises, problems)
    if problems:
        raise KnowledgeError(problems)
    return KnowledgeBase(
        sources=sources,
        regions=regions,
        muscles=muscles,
        acupoints=acupoints,
        conditions=conditions,
        findings=findings,
        exercises=exercises,
        instruments=instruments,
        billing=billing,
        aftercare=aftercare,
        names=names,
        groups=groups,
        billing_rules=billing_rules,
        needle_limits=needle_limits,
        progress=progress,
        benchmarks=benchmarks,
        rom=rom,
        education=education,
    )


load.cache_clear = _cache_clear  # type: ignore[attr-defined]
