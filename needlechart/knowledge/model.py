"""Typed, frozen records for everything the knowledge base holds.

The loader builds these from the YAML files; the clinical core reads only these, never raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .sourceref import SourceRef

SIDES = ("left", "right", "midline")
VIEWS = ("front", "back")
PARTS = ("head", "neck", "shoulder", "upper_limb", "thorax", "abdomen", "lumbopelvic", "lower_limb")
HAZARD_KINDS = ("lung", "nerve", "artery", "vein", "organ", "spinal_canal")
DEPTHS = ("superficial", "intermediate", "deep")
MERIDIANS = ("LU", "LI", "ST", "SP", "HT", "SI", "BL", "KI", "PC", "TE", "GB", "LR", "GV", "CV", "EX")
MIDLINE_MERIDIANS = ("GV", "CV")
FINDING_KINDS = ("red_flag", "contraindication", "precaution")
FINDING_SCOPES = ("patient", "site", "modality", "targets")
URGENCIES = ("emergency", "urgent", "soon")
MODALITIES = ("dry_needling", "acupuncture", "electrical_stimulation")
TARGET_PROPERTIES = ("non_compressible", "pregnancy_caution")
EXERCISE_KINDS = ("stretch", "strengthen", "posture", "mobility")
COMPLEMENTARY_KINDS = ("exercise", "stretching", "posture", "heat", "education")


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    kind: str
    citation: str
    url: str = ""
    doi: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Hazard:
    kind: str
    structure: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    name: str
    synonyms: tuple[str, ...]
    view: str
    part: str
    midline: bool
    choir: dict[str, str]
    adjacent: tuple[str, ...]
    sources: tuple[SourceRef, ...]

    @property
    def sides(self) -> tuple[str, ...]:
        return SIDES if self.midline else ("left", "right")


@dataclass(frozen=True, slots=True)
class Muscle:
    id: str
    name: str
    synonyms: tuple[str, ...]
    regions: tuple[str, ...]
    primary: tuple[str, ...]
    spillover: tuple[str, ...]
    laterality: str
    conditions: tuple[str, ...]
    hazards: tuple[Hazard, ...]
    depth: str
    compressible: bool
    position: str
    needling: str
    sources: tuple[SourceRef, ...]

    kind = "muscle"

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Acupoint:
    code: str
    meridian: str
    pinyin: str
    english: str
    sources: tuple[SourceRef, ...]
    region: str = ""
    location: str = ""
    needling: str = ""
    hazards: tuple[Hazard, ...] = ()
    cautions: tuple[str, ...] = ()
    pregnancy_caution: bool = False
    compressible: bool = True
    distal_for: tuple[str, ...] = ()

    kind = "acupoint"

    @property
    def id(self) -> str:
        return self.code

    @property
    def midline(self) -> bool:
        return self.meridian in MIDLINE_MERIDIANS

    @property
    def detailed(self) -> bool:
        return bool(self.region)

    @property
    def regions(self) -> tuple[str, ...]:
        return (self.region,) if self.region else ()

    @property
    def label(self) -> str:
        english = f", {self.english}" if self.english else ""
        return f"{self.code} ({self.pinyin}{english})"


@dataclass(frozen=True, slots=True)
class Icd10:
    code: str
    title: str


@dataclass(frozen=True, slots=True)
class Complementary:
    kind: str
    advice: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    id: str
    name: str
    synonyms: tuple[str, ...]
    summary: str
    icd10: tuple[Icd10, ...]
    regions: tuple[str, ...]
    muscles: tuple[str, ...]
    local_acupoints: tuple[str, ...]
    distal_acupoints: tuple[str, ...]
    instruments: tuple[str, ...]
    complementary: tuple[Complementary, ...]
    exercises: tuple[str, ...]
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class CountsWhen:
    """A red flag that counts only in combination (e.g. cancer history with new night pain)."""

    with_any: tuple[str, ...] = ()
    age_at_least: int | None = None
    otherwise: str = "precaution"


@dataclass(frozen=True, slots=True)
class Effect:
    """What a finding changes.

    `action` is one of: refer, do_not_needle, caution, block_site, caution_site, block_modality,
    caution_modality, block_targets, caution_targets. `target` is the site extent
    (region | part), the modality, or the target property it acts on.
    """

    action: str
    target: str = ""

    @property
    def blocks(self) -> bool:
        return self.action.startswith("block_")


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    name: str
    kind: str
    question: str
    scope: str
    effect: Effect
    reason: str
    action: str
    sources: tuple[SourceRef, ...]
    urgency: str = ""
    counts_when: CountsWhen | None = None

    @property
    def site_scoped(self) -> bool:
        return self.scope == "site"


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str
    name: str
    kind: str
    muscles: tuple[str, ...]
    conditions: tuple[str, ...]
    steps: tuple[str, ...]
    dosage: str
    cautions: tuple[str, ...]
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class BillingCode:
    code: str
    system: str
    modality: str
    role: str
    description: str
    sources: tuple[SourceRef, ...]
    electrical_stimulation: bool = False


@dataclass(frozen=True, slots=True)
class AftercareItem:
    id: str
    applies_when: str
    text: str
    urgent: bool
    sources: tuple[SourceRef, ...]
    condition: str = ""


@dataclass(frozen=True, eq=False)
class KnowledgeBase:
    """The whole validated knowledge base, indexed by ID (hashed by identity, for per-base caches)."""

    sources: dict[str, Source]
    regions: dict[str, Region]
    muscles: dict[str, Muscle]
    acupoints: dict[str, Acupoint]
    conditions: dict[str, Condition]
    findings: dict[str, Finding]
    exercises: dict[str, Exercise]
    instruments: dict[str, object]
    billing: dict[str, BillingCode]
    aftercare: tuple[AftercareItem, ...]
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    def target(self, target_id: str) -> Muscle | Acupoint:
        """A needling target, muscle or acupoint, by exact ID."""
        if target_id in self.muscles:
            return self.muscles[target_id]
        return self.acupoints[target_id]
