"""Typed, frozen records for everything the knowledge base holds.

The loader builds these from the YAML files; the clinical core reads only these, never raw YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from .benchmarks import Benchmarks
from .education import Education
from .progress import ProgressRules
from .rom import RomNorms
from .sourceref import SourceRef

SIDES = ("left", "right", "midline")
ICD10_SIDES = ("left", "right", "bilateral", "unspecified")  # laterality of a side-specific code
VIEWS = ("front", "back")
PARTS = ("head", "neck", "shoulder", "upper_limb", "thorax", "abdomen", "lumbopelvic", "lower_limb")
HAZARD_KINDS = ("lung", "nerve", "artery", "vein", "organ", "spinal_canal")
DEPTHS = ("superficial", "intermediate", "deep")
MERIDIANS = ("LU", "LI", "ST", "SP", "HT", "SI", "BL", "KI", "PC", "TE", "GB", "LR", "GV", "CV", "EX")
MIDLINE_MERIDIANS = ("GV", "CV")
FINDING_KINDS = ("red_flag", "contraindication", "precaution")
FINDING_SCOPES = ("patient", "site")  # site: reported with a region and a side
FINDING_EFFECTS = ("refer", "do_not_needle", "caution")  # what a counted finding does to the visit's verdict
RULE_STATUSES = ("blocked", "caution")
# How far a site-scoped rule reaches from the reported region, on the reported side:
# region itself; joint (every region of the same joint, else the region); near (the joint or region and
# its neighbours); part (every region of the same body part); quadrant (the limb's whole quadrant,
# shoulder or hip girdle included, else the part); side (anywhere on that side of the body).
SITE_EXTENTS = ("region", "joint", "near", "part", "quadrant", "side")
JOINTS = ("temporomandibular", "shoulder", "elbow", "wrist", "hip", "knee", "ankle")
QUADRANTS = ("upper_limb", "lower_limb")
RESTRICTION_REASONS = (
    "orbit",
    "carotid_sinus",
    "great_vessels",
    "trachea",
    "suprasternal_notch",
    "lung_apex",
    "pleura",
    "nerve_trunk",
    "brainstem",
)
URGENCIES = ("emergency", "urgent", "soon")
MODALITIES = ("dry_needling", "acupuncture", "electrical_stimulation")
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
    joint: str = ""  # the joint this region covers (knee_anterior -> knee), for surgery and joint rules
    quadrant: str = ""  # the limb quadrant it belongs to (upper_limb | lower_limb), girdle included

    @property
    def sides(self) -> tuple[str, ...]:
        return SIDES if self.midline else ("left", "right")


@dataclass(frozen=True, slots=True)
class Division:
    """A part of a muscle whose trigger points have their own referral (SCM: sternal and clavicular)."""

    name: str
    primary: tuple[str, ...]
    spillover: tuple[str, ...]
    crosses_midline: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prevalence:
    """Regions where this target is among the commonest sources of pain (or most used points), with
    the source: the clinical weight that breaks a tie in suggestion instead of the alphabet."""

    regions: tuple[str, ...]
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class MaxDepth:
    """The deepest a needle may be charted at a target, in millimetres along the needle (`max_depth_mm:`),
    from a depth study: a measured depth or a limit derived from one. The charting check refuses a deeper
    needle. `note` says why and whether the figure is measured or derived; its first sentence is the
    short reason the refusal quotes. It is a ceiling, not a recommended depth."""

    value: float
    note: str
    sources: tuple[SourceRef, ...]

    @property
    def reason(self) -> str:
        """The note's first sentence, without its full stop."""
        return re.split(r"(?<=[.!?])\s+(?=[A-Z])", self.note, maxsplit=1)[0].rstrip(".")


@dataclass(frozen=True, slots=True)
class Muscle:
    id: str
    name: str
    synonyms: tuple[str, ...]
    regions: tuple[str, ...]
    primary: tuple[str, ...]
    spillover: tuple[str, ...]
    conditions: tuple[str, ...]
    hazards: tuple[Hazard, ...]
    depth: str
    compressible: bool
    position: str
    needling: str
    sources: tuple[SourceRef, ...]
    crosses_midline: tuple[str, ...] = ()  # referral zones that reach both sides of the body
    divisions: tuple[Division, ...] = ()  # parts with their own zones; primary/spillover are their union
    prevalence: Prevalence | None = None
    max_depth_mm: MaxDepth | None = None

    kind: ClassVar[Literal["muscle"]] = "muscle"

    @property
    def label(self) -> str:
        return self.name

    @property
    def laterality(self) -> str:
        """'ipsilateral', or 'crosses the midline in ...' for the explorer's referral line."""
        if not self.crosses_midline:
            return "ipsilateral"
        return "ipsilateral; crosses the midline in " + ", ".join(r.replace("_", " ") for r in self.crosses_midline)


@dataclass(frozen=True, slots=True)
class Restriction:
    """A point for trained acupuncturists only: why, and the technique that makes it acceptable."""

    reason: str  # one of RESTRICTION_REASONS
    note: str
    technique: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class DryNeedlingCaution:
    """A point a dry needler treats with caution (the lung apex at GB21, the median nerve at PC6):
    a caution with its technique limit when the visit is dry needling."""

    technique: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class NeverNeedle:
    """A point over a site that is never needled (the nipple, the umbilicus): blocked for everyone."""

    note: str
    sources: tuple[SourceRef, ...]


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
    on_midline: bool = False  # an extra point on the midline (EX-HN3 Yintang): one point, not a pair
    joint: str = ""  # the joint the needle enters (ST35 and EX-LE4 enter the knee)
    depth: str = ""  # superficial | intermediate | deep, where it matters (abdominal points)
    restricted: Restriction | None = None
    prevalence: Prevalence | None = None
    never_needle: NeverNeedle | None = None
    dry_needling_caution: DryNeedlingCaution | None = None
    max_depth_mm: MaxDepth | None = None

    kind: ClassVar[Literal["acupoint"]] = "acupoint"

    @property
    def id(self) -> str:
        return self.code

    @property
    def midline(self) -> bool:
        return self.meridian in MIDLINE_MERIDIANS or self.on_midline

    @property
    def detailed(self) -> bool:
        """Described in full (location and needling), so it may be suggested; every point has a region."""
        return bool(self.location)

    @property
    def regions(self) -> tuple[str, ...]:
        return (self.region,) if self.region else ()

    @property
    def label(self) -> str:
        english = f", {self.english}" if self.english else ""
        return f"{self.code} ({self.pinyin}{english})"


@dataclass(frozen=True, slots=True)
class Icd10:
    """An ICD-10-CM code a condition suggests. `side` is set for side-specific codes only (one of
    ICD10_SIDES); the loader checks it against the words of the title so the two cannot drift."""

    code: str
    title: str
    side: str = ""

    @property
    def family(self) -> str:
        """Codes that differ only in the last character, the one that carries laterality in the
        codes used here (M25.551 right hip, M25.552 left, M25.559 unspecified: family M25.55)."""
        return self.code[:-1]


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
class Rule:
    """What a finding does to one kind of target or to a modality, applied by screening.

    Exactly one selector is set: `group` (a target group from target_groups.yaml), `modality`, or
    `site` (the reported site at that extent, for site-scoped findings). `within` narrows a group rule
    of a site-scoped finding to the reported site at that extent; `depth` narrows it to targets at that
    depth. `change` says what the clinician must do differently (shown with every caution).
    """

    status: str  # blocked | caution
    group: str = ""
    modality: str = ""
    site: str = ""
    within: str = ""
    depth: str = ""
    change: str = ""

    @property
    def blocks(self) -> bool:
        return self.status == "blocked"


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    name: str
    kind: str
    question: str
    scope: str
    effect: str  # refer | do_not_needle | caution: what the counted finding does to the verdict
    reason: str
    action: str
    sources: tuple[SourceRef, ...]
    urgency: str = ""
    counts_when: CountsWhen | None = None
    rules: tuple[Rule, ...] = ()
    implies: tuple[str, ...] = ()  # findings that also hold whenever this one does
    age_below: int | None = None  # counted from the age alone when the patient is younger (minor: 18)

    @property
    def site_scoped(self) -> bool:
        return self.scope == "site"


@dataclass(frozen=True, slots=True)
class TargetGroup:
    """A named set of targets that findings act on ("abdominal", "lung_field", "into_joint").

    `members` is resolved at load time from the group's regions, parts, hazard kinds, joint flag and
    explicit members; `mentions` are the words in a finding's action that name the group, so the
    loader can refuse a finding that names a group it does not act on.
    """

    id: str
    name: str
    mentions: tuple[str, ...]
    members: frozenset[str]
    sources: tuple[SourceRef, ...]


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
class BillingRule:
    """A coding rule the billing module applies, with its sources; `cited_as` is the short
    attribution the output names after the rule (e.g. "AAC Info Network")."""

    id: str
    name: str
    codes: tuple[str, ...]
    rule: str
    cited_as: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class AftercareTrigger:
    """One case in which an aftercare item applies: `kind` is always|modality|hazard|finding|condition
    and `value` the modality, hazard kind, finding or condition ID. A hazard trigger may name
    `structure` words: it then fires only for hazards of that kind whose structure names one of them
    (case-insensitive whole words or phrases), e.g. organ + ("kidney",) for the kidney warning."""

    kind: str
    value: str
    structure: tuple[str, ...] = ()

    def matches_hazard(self, hazard: Hazard) -> bool:
        if self.kind != "hazard" or hazard.kind != self.value:
            return False
        return not self.structure or any(
            re.search(rf"\b{re.escape(word)}\b", hazard.structure, re.IGNORECASE) for word in self.structure
        )


@dataclass(frozen=True, slots=True)
class AftercareItem:
    id: str
    when: tuple[AftercareTrigger, ...]  # the item applies if any of them does
    text: str
    urgent: bool
    sources: tuple[SourceRef, ...]
    condition: str = ""


@dataclass(frozen=True, slots=True)
class NeedleLimit:
    """A plausibility limit on one field of a charted needle (needle_limits.yaml)."""

    id: str
    field: str
    name: str
    unit: str
    min: float
    max: float
    note: str
    sources: tuple[SourceRef, ...]
    at_most_field: str = ""  # capped by another field of the same needle (depth by length)


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
    groups: dict[str, TargetGroup] = field(default_factory=dict)
    needle_limits: dict[str, NeedleLimit] = field(default_factory=dict)
    billing_rules: dict[str, BillingRule] = field(default_factory=dict)
    progress: ProgressRules | None = None  # progress.yaml; always set by the loader
    benchmarks: Benchmarks | None = None  # benchmarks.yaml; always set by the loader
    rom: RomNorms | None = None  # rom.yaml; always set by the loader
    education: Education | None = None  # education.yaml (the /learn/ pages); always set by the loader

    def target(self, target_id: str) -> Muscle | Acupoint:
        """A needling target, muscle or acupoint, by exact ID."""
        if target_id in self.muscles:
            return self.muscles[target_id]
        return self.acupoints[target_id]
