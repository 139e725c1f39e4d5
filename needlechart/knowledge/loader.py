"""Load and validate the knowledge base.

`load()` reads every data file, builds typed records and then checks every cross-reference
(regions, muscles, acupoints, conditions, findings, exercises, instruments, sources). Any problem
stops the load with a KnowledgeError that lists them all, each naming file, entry and field.
The validated base is cached per data directory: it is immutable and loading it takes ~0.5 s.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .errors import KnowledgeError, where
from .instruments import parse_instruments
from .model import (
    COMPLEMENTARY_KINDS,
    DEPTHS,
    EXERCISE_KINDS,
    FINDING_KINDS,
    FINDING_SCOPES,
    HAZARD_KINDS,
    MERIDIANS,
    MODALITIES,
    PARTS,
    TARGET_PROPERTIES,
    URGENCIES,
    VIEWS,
    Acupoint,
    AftercareItem,
    BillingCode,
    Complementary,
    Condition,
    CountsWhen,
    Effect,
    Exercise,
    Finding,
    Hazard,
    Icd10,
    KnowledgeBase,
    Muscle,
    Region,
    Source,
)
from .reader import Reader

DATA_DIR = Path(__file__).parent / "data"
SOURCE_KINDS = ("book", "chapter", "article", "guideline", "regulation", "standard", "dataset", "website")
AFTERCARE_TRIGGERS = ("always", "modality", "hazard", "finding", "condition")


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
        )
        r.finish()
        refs.add("region", region.adjacent, r, "adjacent")
        refs.sources(region.sources, r)
        collected.add(region, r)
    return collected.indexed(problems)


def _read_muscles(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Muscle]:
    collected = _Collected("id")
    for r in _entries(data_dir, "muscles", problems):
        referral = r.sub(r.mapping("referral"), "referral")
        primary = referral.texts("primary", non_empty=True)
        spillover = referral.texts("spillover")
        referral.finish()
        both = sorted(set(primary) & set(spillover))
        if both:
            r.problem("referral", f"{', '.join(both)} listed as both primary and spillover")
        muscle = Muscle(
            id=r.text("id"),
            name=r.text("name"),
            synonyms=r.texts("synonyms"),
            regions=r.texts("regions", required=True, non_empty=True),
            primary=primary,
            spillover=spillover,
            laterality=r.choice("laterality", ("ipsilateral", "bilateral"), False, "ipsilateral"),
            conditions=r.texts("conditions"),
            hazards=_hazards(r, refs),
            depth=r.choice("depth", DEPTHS),
            compressible=r.flag("compressible", True),
            position=r.text("position"),
            needling=r.text("needling"),
            sources=r.sources(),
        )
        r.finish()
        refs.add("region", muscle.regions, r, "regions")
        refs.add("region", muscle.primary + muscle.spillover, r, "referral")
        refs.add("condition", muscle.conditions, r, "conditions")
        refs.sources(muscle.sources, r)
        collected.add(muscle, r)
    return collected.indexed(problems)


def _read_acupoints(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Acupoint]:
    collected = _Collected("code")
    for r in _entries(data_dir, "acupoints", problems, id_key="code"):
        region = r.text("region", required=False)
        point = Acupoint(
            code=r.text("code"),
            meridian=r.choice("meridian", MERIDIANS),
            pinyin=r.text("pinyin"),
            english=r.text("english", required=False),
            sources=r.sources(),
            region=region,
            location=r.text("location", required=bool(region)),
            needling=r.text("needling", required=bool(region)),
            hazards=_hazards(r, refs),
            cautions=r.texts("cautions"),
            pregnancy_caution=r.flag("pregnancy_caution", False),
            compressible=r.flag("compressible", True),
            distal_for=r.texts("distal_for"),
        )
        r.finish()
        if not region and (point.location or point.hazards or point.distal_for or point.pregnancy_caution):
            r.problem("region", "a point with location, hazards, distal use or cautions needs its region")
        if point.code and point.meridian and point.meridian != "EX" and not point.code.startswith(point.meridian):
            r.problem("meridian", f"{point.meridian} does not match the code {point.code}")
        refs.add("region", (region,) + point.distal_for, r, "region/distal_for")
        refs.sources(point.sources, r)
        collected.add(point, r)
    return collected.indexed(problems)


def _read_conditions(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Condition]:
    collected = _Collected("id")
    for r in _entries(data_dir, "conditions", problems):
        icd = []
        for j, item in enumerate(r.items("icd10", required=True)):
            s = r.sub(item, f"icd10[{j}]")
            icd.append(Icd10(code=s.text("code"), title=s.text("title")))
            s.finish()
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


_EFFECT_TARGETS = {
    "refer": (),
    "do_not_needle": (),
    "caution": (),
    "block_site": ("region", "part"),
    "caution_site": ("region", "part"),
    "block_modality": MODALITIES,
    "caution_modality": MODALITIES,
    "block_targets": TARGET_PROPERTIES,
    "caution_targets": TARGET_PROPERTIES,
}
_SCOPE_OF_EFFECT = {
    "block_site": "site",
    "caution_site": "site",
    "block_modality": "modality",
    "caution_modality": "modality",
    "block_targets": "targets",
    "caution_targets": "targets",
}


def _effect(r: Reader) -> Effect:
    r.seen.add("effect")
    raw = r.raw.get("effect")
    if isinstance(raw, str) and _EFFECT_TARGETS.get(raw) == ():
        return Effect(raw)
    if isinstance(raw, dict) and len(raw) == 1:
        ((action, target),) = raw.items()
        if action in _EFFECT_TARGETS and target in _EFFECT_TARGETS[action]:
            return Effect(action, target)
    r.problem(
        "effect",
        f"{raw!r} is not an effect: use refer, do_not_needle, caution, or one of "
        + ", ".join(f"{{{a}: {'|'.join(t)}}}" for a, t in _EFFECT_TARGETS.items() if t),
    )
    return Effect("caution")


def _read_findings(data_dir: Path, problems: list[str], refs: _Refs) -> dict[str, Finding]:
    collected = _Collected("id")
    for r in _entries(data_dir, "findings", problems):
        kind = r.choice("kind", FINDING_KINDS)
        scope = r.choice("scope", FINDING_SCOPES)
        effect = _effect(r)
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
        )
        r.finish()
        if kind != "red_flag" and urgency:
            r.problem("urgency", "only red flags carry an urgency")
        if (kind == "red_flag") != (effect.action == "refer"):
            r.problem("effect", "red flags, and only red flags, have the effect 'refer'")
        if effect.action == "do_not_needle" and kind != "contraindication":
            r.problem("effect", "only contraindications stop needling altogether")
        expected_scope = _SCOPE_OF_EFFECT.get(effect.action, "patient")
        if scope and scope != expected_scope:
            r.problem("scope", f"the effect {effect.action} acts on scope '{expected_scope}', not '{scope}'")
        refs.sources(finding.sources, r)
        collected.add(finding, r)
    return collected.indexed(problems)


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


def _read_aftercare(data_dir: Path, problems: list[str], refs: _Refs) -> tuple[AftercareItem, ...]:
    items, seen = [], set()
    for r in _entries(data_dir, "aftercare", problems):
        trigger = r.mapping("when")
        kind, value = next(iter(trigger.items())) if len(trigger) == 1 else ("", "")
        if kind not in AFTERCARE_TRIGGERS:
            r.problem("when", f"must be one of {{{'|'.join(AFTERCARE_TRIGGERS)}: value}}, not {trigger!r}")
        item = AftercareItem(
            id=r.text("id"),
            applies_when=f"{kind}:{value}",
            text=r.text("text"),
            urgent=r.flag("urgent", False),
            sources=r.sources(),
        )
        r.finish()
        if item.id in seen:
            r.problem("id", "duplicate ID")
        seen.add(item.id)
        if kind == "modality" and value not in MODALITIES:
            r.problem("when", f"unknown modality {value!r}")
        if kind == "hazard" and value not in HAZARD_KINDS:
            r.problem("when", f"unknown hazard kind {value!r}")
        if kind == "finding":
            refs.add("finding", str(value), r, "when")
        if kind == "condition":
            refs.add("condition", str(value), r, "when")
        refs.sources(item.sources, r)
        items.append(item)
    return tuple(items)


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
    return _load(Path(data_dir or os.environ.get("NEEDLECHART_KNOWLEDGE_DIR") or DATA_DIR))


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
    aftercare = _read_aftercare(data_dir, problems, refs)
    instruments: dict[str, Any] = {}
    instrument_file = data_dir / "instruments.yaml"
    try:
        instruments = parse_instruments(_read_yaml(instrument_file, problems), "instruments.yaml")
    except KnowledgeError as exc:
        problems.extend(exc.problems)
    for instrument in instruments.values():
        for ref in getattr(instrument, "sources", ()):
            refs.items.append(("source", ref.id, "instruments.yaml", instrument.id, "sources"))

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
    }
    _check_references(ids, refs, problems)
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
    )


load.cache_clear = _load.cache_clear  # type: ignore[attr-defined]
