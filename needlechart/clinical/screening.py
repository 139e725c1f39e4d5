"""Safety screening: the patient's findings in, a verdict and a status for every planned target out.

The verdict, strongest first:

- `refer`: a red flag that counts. Do not treat today; the urgency says how fast to refer.
- `do_not_needle`: a whole-patient absolute contraindication (needle phobia, no consent...).
- `caution`: precautions, or a contraindication that applies to one body site only
  (lymphoedema of the right arm blocks right-arm targets, not the neck or the left arm).
- `clear`: nothing found.

Every planned target and modality gets `ok`, `caution` or `blocked` with its reasons. Under `refer`
and `do_not_needle` everything is blocked: nothing may be needled today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from needlechart.knowledge.model import Acupoint, Finding, KnowledgeBase, Muscle
from needlechart.knowledge.sourceref import SourceRef

OK, CAUTION, BLOCKED = "ok", "caution", "blocked"
_STATUS_RANK = {OK: 0, CAUTION: 1, BLOCKED: 2}
URGENCY_RANK = {"emergency": 0, "urgent": 1, "soon": 2}
URGENCY_ADVICE = {
    "emergency": "Emergency: arrange immediate emergency care (emergency department or ambulance) now.",
    "urgent": "Urgent: the patient needs a medical assessment today.",
    "soon": "Refer to the patient's physician for assessment within days, before any needling.",
}
MINOR_AGE = 18
# Never needle both sides of the thorax in one session: a bilateral pneumothorax is life-threatening.
BILATERAL_THORAX_SOURCE = SourceRef("bn121", "§5.1")


class ScreeningInputError(ValueError):
    """Screening input that names something unknown or is malformed; the message says what and how to fix it."""


@dataclass(frozen=True, slots=True)
class ReportedFinding:
    """A finding as reported: its code and, for site-scoped findings, where."""

    code: str
    region: str = ""
    side: str = ""


@dataclass(frozen=True, slots=True)
class PlannedTarget:
    target: str
    side: str


@dataclass(frozen=True, slots=True)
class ScreeningInput:
    age: int | None = None
    findings: tuple[ReportedFinding, ...] = ()
    planned: tuple[PlannedTarget, ...] = ()
    modalities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FindingResult:
    """One finding as it counts for this patient."""

    id: str
    name: str
    kind: str  # the kind as it counts: a red flag without its combination counts as a precaution
    reason: str
    action: str
    sources: tuple[SourceRef, ...]
    urgency: str = ""
    region: str = ""
    side: str = ""
    note: str = ""
    derived: bool = False  # added by the engine (e.g. `minor` from the age), not reported


@dataclass(frozen=True, slots=True)
class ItemStatus:
    """The status of one planned target (with its side) or one modality."""

    item: str
    side: str
    status: str
    reasons: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningResult:
    verdict: str
    urgency: str
    findings: tuple[FindingResult, ...]
    targets: tuple[ItemStatus, ...]
    modalities: tuple[ItemStatus, ...]
    plan_notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def may_needle(self) -> bool:
        return self.verdict in ("clear", "caution")

    def status_of(self, item: str, side: str = "") -> ItemStatus | None:
        for status in self.targets + self.modalities:
            if status.item == item and (not side or status.side == side):
                return status
        return None


def screen(kb: KnowledgeBase, data: ScreeningInput) -> ScreeningResult:
    """Screen a patient: every finding with its reason, the verdict, and the status of each planned item."""
    _validate(kb, data)
    results = _count_findings(kb, data)
    red_flags = [r for r in results if r.kind == "red_flag"]
    stoppers = [
        r for r in results if r.kind == "contraindication" and kb.findings[r.id].effect.action == "do_not_needle"
    ]
    if red_flags:
        verdict = "refer"
        urgency = min((r.urgency for r in red_flags), key=URGENCY_RANK.__getitem__)
    elif stoppers:
        verdict, urgency = "do_not_needle", ""
    elif results:
        verdict, urgency = "caution", ""
    else:
        verdict, urgency = "clear", ""

    if verdict in ("refer", "do_not_needle"):
        why = _stop_reason(verdict, urgency, red_flags or stoppers)
        ids = tuple(r.id for r in (red_flags or stoppers))
        targets = tuple(ItemStatus(p.target, p.side, BLOCKED, (why,), ids) for p in data.planned)
        modalities = tuple(ItemStatus(m, "", BLOCKED, (why,), ids) for m in data.modalities)
        return ScreeningResult(verdict, urgency, tuple(results), targets, modalities)

    active = [(r, kb.findings[r.id]) for r in results]
    targets = tuple(assess_target(kb, active, p.target, p.side) for p in data.planned)
    targets, notes = _bilateral_thorax(kb, targets)
    modalities = tuple(_assess_modality(active, m) for m in data.modalities)
    return ScreeningResult(verdict, urgency, tuple(results), targets, modalities, notes)


def _validate(kb: KnowledgeBase, data: ScreeningInput) -> None:
    if data.age is not None and not 0 <= data.age <= 120:
        raise ScreeningInputError(f"age {data.age} is out of range: give whole years from 0 to 120")
    for reported in data.findings:
        finding = kb.findings.get(reported.code)
        if finding is None:
            raise ScreeningInputError(f"unknown finding '{reported.code}'")
        if finding.site_scoped and not (reported.region and reported.side):
            raise ScreeningInputError(
                f"finding '{reported.code}' applies to one body site: give its region and side, "
                f'e.g. {{"code": "{reported.code}", "region": "upper_arm_anterior", "side": "right"}}'
            )
        if reported.region:
            _check_site(kb, reported.region, reported.side, f"finding '{reported.code}'")
    for planned in data.planned:
        target = _target(kb, planned.target)
        _check_target_side(target, planned.side)
    for modality in data.modalities:
        if modality not in ("dry_needling", "acupuncture", "electrical_stimulation"):
            raise ScreeningInputError(
                f"unknown modality '{modality}': use dry_needling, acupuncture or electrical_stimulation"
            )


def _check_site(kb: KnowledgeBase, region: str, side: str, what: str) -> None:
    if region not in kb.regions:
        raise ScreeningInputError(f"{what}: unknown region '{region}'")
    allowed = kb.regions[region].sides
    if side not in allowed:
        raise ScreeningInputError(f"{what}: side '{side}' is not valid for {region}; use {', '.join(allowed)}")


def _target(kb: KnowledgeBase, target_id: str) -> Muscle | Acupoint:
    try:
        return kb.target(target_id)
    except KeyError:
        raise ScreeningInputError(f"unknown target '{target_id}': give a muscle ID or an acupoint code") from None


def _check_target_side(target: Muscle | Acupoint, side: str) -> None:
    allowed = ("midline",) if isinstance(target, Acupoint) and target.midline else ("left", "right")
    if side not in allowed:
        raise ScreeningInputError(f"side '{side}' is not valid for {target.id}: use {' or '.join(allowed)}")


def _count_findings(kb: KnowledgeBase, data: ScreeningInput) -> list[FindingResult]:
    """Each reported finding as it counts, red flags checked against their required combination."""
    reported_codes = {f.code for f in data.findings}
    reported = list(data.findings)
    derived: set[str] = set()
    if data.age is not None and data.age < MINOR_AGE and "minor" in kb.findings and "minor" not in reported_codes:
        reported.append(ReportedFinding("minor"))
        derived.add("minor")
    results = []
    seen: set[tuple[str, str, str]] = set()
    for item in reported:
        key = (item.code, item.region, item.side)
        if key in seen:
            continue
        seen.add(key)
        finding = kb.findings[item.code]
        kind, urgency, note = finding.kind, finding.urgency, ""
        rule = finding.counts_when
        if finding.kind == "red_flag" and rule is not None:
            partners = sorted(set(rule.with_any) & reported_codes)
            old_enough = rule.age_at_least is not None and data.age is not None and data.age >= rule.age_at_least
            if partners:
                note = "counts as a red flag together with " + ", ".join(kb.findings[p].name for p in partners)
            elif old_enough:
                note = f"counts as a red flag at age {rule.age_at_least} or over"
            else:
                kind, urgency = rule.otherwise, ""
                needs = [kb.findings[p].name for p in rule.with_any]
                if rule.age_at_least is not None:
                    needs.append(f"age {rule.age_at_least} or over")
                note = "on its own a precaution; it becomes a red flag with " + " or ".join(needs)
                if kind == "none":
                    continue
        results.append(
            FindingResult(
                id=finding.id,
                name=finding.name,
                kind=kind,
                reason=finding.reason,
                action=finding.action,
                sources=finding.sources,
                urgency=urgency,
                region=item.region,
                side=item.side,
                note=note,
                derived=item.code in derived,
            )
        )
    order = {"red_flag": 0, "contraindication": 1, "precaution": 2}
    results.sort(key=lambda r: (order[r.kind], URGENCY_RANK.get(r.urgency, 9), r.name))
    return results


def _stop_reason(verdict: str, urgency: str, causes: Iterable[FindingResult]) -> str:
    names = ", ".join(c.name for c in causes)
    if verdict == "refer":
        return f"Refer, do not needle today ({names}). {URGENCY_ADVICE[urgency]}"
    return f"Do not needle: absolute contraindication ({names})."


def _sides_meet(finding_side: str, target_side: str) -> bool:
    return finding_side == target_side or "midline" in (finding_side, target_side)


def _in_site(kb: KnowledgeBase, target: Muscle | Acupoint, side: str, result: FindingResult, extent: str) -> bool:
    if not _sides_meet(result.side, side):
        return False
    if extent == "region":
        return result.region in target.regions
    part = kb.regions[result.region].part
    return any(kb.regions[r].part == part for r in target.regions)


def _has_property(target: Muscle | Acupoint, prop: str) -> bool:
    if prop == "non_compressible":
        return not target.compressible
    if prop == "pregnancy_caution":
        return isinstance(target, Acupoint) and target.pregnancy_caution
    raise ValueError(f"unknown target property {prop}")


def _status_of(item: str, side: str, hits: list[tuple[Finding, str]]) -> ItemStatus:
    """Combine the findings that act on one item: the strongest effect sets the status."""
    status = OK
    for finding, _text in hits:
        new = BLOCKED if finding.effect.blocks else CAUTION
        if _STATUS_RANK[new] > _STATUS_RANK[status]:
            status = new
    reasons = tuple(f"{'Blocked' if f.effect.blocks else 'Caution'}: {text}." for f, text in hits)
    return ItemStatus(item, side, status, reasons, tuple(f.id for f, _ in hits))


def assess_target(
    kb: KnowledgeBase, active: list[tuple[FindingResult, Finding]], target_id: str, side: str
) -> ItemStatus:
    """The status of one target on one side under the patient's counted findings."""
    target = kb.target(target_id)
    hits: list[tuple[Finding, str]] = []
    for result, finding in active:
        effect = finding.effect
        if effect.action in ("block_site", "caution_site"):
            if _in_site(kb, target, side, result, effect.target):
                region = kb.regions[result.region]
                site = region.name.lower() if effect.target == "region" else region.part.replace("_", " ")
                hits.append((finding, f"{finding.name} on the {result.side} {site}"))
        elif effect.action in ("block_targets", "caution_targets") and _has_property(target, effect.target):
            why = {
                "non_compressible": "a deep target where pressure cannot stop bleeding",
                "pregnancy_caution": "a point traditionally avoided in pregnancy",
            }[effect.target]
            hits.append((finding, f"{finding.name}: {why}"))
    return _status_of(target_id, side, hits)


def _assess_modality(active: list[tuple[FindingResult, Finding]], modality: str) -> ItemStatus:
    hits = [
        (finding, finding.name)
        for _result, finding in active
        if finding.effect.action in ("block_modality", "caution_modality") and finding.effect.target == modality
    ]
    return _status_of(modality, "", hits)


def _bilateral_thorax(
    kb: KnowledgeBase, targets: tuple[ItemStatus, ...]
) -> tuple[tuple[ItemStatus, ...], tuple[str, ...]]:
    """Lung-field targets on both sides in one session: mark them all, so the clinician picks one side.

    Blocked targets will not be needled, so they do not count towards a side.
    """

    def over_lung(t: ItemStatus) -> bool:
        return t.side != "midline" and any(h.kind == "lung" for h in kb.target(t.item).hazards)

    lung_sides = {t.side for t in targets if over_lung(t) and t.status != BLOCKED}
    if lung_sides != {"left", "right"}:
        return targets, ()
    note = (
        "Lung-field targets are planned on both sides of the thorax: needle one side only in this session, "
        "so that a pneumothorax, if it happened, could not be bilateral (BN121 §5.1)."
    )
    marked = []
    for t in targets:
        if over_lung(t) and t.status != BLOCKED:
            status = CAUTION
            t = ItemStatus(t.item, t.side, status, (*t.reasons, f"Caution: {note}"), t.findings)
        marked.append(t)
    return tuple(marked), (note,)


def screening_input_from_dict(kb: KnowledgeBase, raw: object) -> ScreeningInput:
    """Build a ScreeningInput from JSON-shaped data, accepting names and synonyms in any case.

    `{"age": 42, "findings": ["anticoagulant_therapy", {"code": "lymphedema", "region": "upper arm",
    "side": "right"}], "planned": [{"target": "upper trap", "side": "left"}], "modalities": [...]}`
    """
    from needlechart.knowledge.lookup import UnknownName, resolve, resolve_target

    if not isinstance(raw, dict):
        raise ScreeningInputError("screening input must be a JSON object with age, findings, planned, modalities")
    unknown = set(raw) - {"age", "findings", "planned", "modalities"}
    if unknown:
        raise ScreeningInputError(
            f"unknown key(s) {', '.join(sorted(unknown))}: use age, findings, planned, modalities"
        )
    age = raw.get("age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool)):
        raise ScreeningInputError(f"age must be whole years, not {age!r}")

    def side_of(value: object, what: str) -> str:
        side = str(value or "").strip().lower()
        if side not in ("left", "right", "midline"):
            raise ScreeningInputError(f"{what}: side {value!r} is not valid; use left, right or midline")
        return side

    try:
        findings = []
        for item in _list(raw, "findings"):
            if isinstance(item, str):
                findings.append(ReportedFinding(resolve(kb, "finding", item)))
            elif isinstance(item, dict) and "code" in item:
                code = resolve(kb, "finding", str(item["code"]))
                region = resolve(kb, "region", str(item["region"])) if item.get("region") else ""
                side = side_of(item.get("side"), f"finding '{code}'") if item.get("side") else ""
                findings.append(ReportedFinding(code, region, side))
            else:
                raise ScreeningInputError(f'each finding is a code or {{"code", "region", "side"}}, not {item!r}')
        planned = []
        for item in _list(raw, "planned"):
            if not isinstance(item, dict) or "target" not in item:
                raise ScreeningInputError(f'each planned item is {{"target": ..., "side": ...}}, not {item!r}')
            target = resolve_target(kb, str(item["target"]))
            default_side = "midline" if target in kb.acupoints and kb.acupoints[target].midline else None
            side = side_of(item.get("side", default_side), f"target '{target}'")
            planned.append(PlannedTarget(target, side))
    except UnknownName as exc:
        raise ScreeningInputError(str(exc)) from None
    modalities = tuple(str(m).strip().lower().replace(" ", "_") for m in _list(raw, "modalities"))
    return ScreeningInput(age, tuple(findings), tuple(planned), modalities)


def _list(raw: dict, key: str) -> list:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ScreeningInputError(f"'{key}' must be a list, not {value!r}")
    return value
