"""Safety screening: the patient's findings in, a verdict and a status for every planned target out.

The verdict, strongest first:

- `refer`: a red flag that counts. Do not treat today; the urgency says how fast to refer.
- `do_not_needle`: a whole-patient absolute contraindication (needle phobia, no consent...).
- `caution`: precautions, or a contraindication that applies to one body site only
  (lymphoedema of the right arm blocks right-arm targets, not the neck or the left arm).
- `clear`: nothing found.

Every planned target and modality gets `ok`, `caution` or `blocked` with its reasons. Under `refer`
and `do_not_needle` everything is blocked: nothing may be needled today. Otherwise each counted
finding's rules (knowledge base, findings.yaml) act on the targets they name: a target group
(`abdominal`, `lung_field`, `into_joint`...), optionally at a depth or within the reported site; the
reported site at an extent (region, joint, near, part, quadrant, side); or a modality. The strongest
rule sets the status, and every rule that acts adds its reason with what to change.

Points for trained acupuncturists only (orbit, carotid sinus, trachea...) are a property of the
target, not of a finding: blocked when the visit is dry needling, a caution with the required
technique when it is acupuncture (or when the modality is not yet known).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from needlechart.knowledge.model import Acupoint, Finding, KnowledgeBase, Muscle, Rule
from needlechart.knowledge.sourceref import SourceRef

OK, CAUTION, BLOCKED = "ok", "caution", "blocked"
_STATUS_RANK = {OK: 0, CAUTION: 1, BLOCKED: 2}
URGENCY_RANK = {"emergency": 0, "urgent": 1, "soon": 2}
URGENCY_ADVICE = {
    "emergency": "Emergency: arrange immediate emergency care (emergency department or ambulance) now.",
    "urgent": "Urgent: the patient needs a medical assessment today.",
    "soon": "Refer to the patient's physician for assessment within days, before any needling.",
}
# Never needle both sides of the thorax in one session: a bilateral pneumothorax is life-threatening.
BILATERAL_THORAX_SOURCE = SourceRef("bn121", "§5.1")


class ScreeningInputError(ValueError):
    """Screening input that names something unknown or is malformed; the message says what and how to fix it."""


@dataclass(frozen=True, slots=True)
class ReportedFinding:
    """A finding as reported: its code and, for site-scoped findings, where (side may be `both`)."""

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
    stoppers = [r for r in results if r.kind == "contraindication" and kb.findings[r.id].effect == "do_not_needle"]
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
    targets = tuple(assess_target(kb, active, p.target, p.side, data.modalities) for p in data.planned)
    targets, notes = _bilateral_thorax(kb, targets)
    modalities = tuple(_assess_modality(active, m) for m in data.modalities)
    stopped = needling_blocked(modalities)
    if stopped:
        targets = tuple(_blocked_by_modality(t, stopped) for t in targets)
    return ScreeningResult(verdict, urgency, tuple(results), targets, modalities, notes)


NEEDLING_MODALITIES = ("dry_needling", "acupuncture")


def needling_blocked(modalities: Iterable[ItemStatus]) -> ItemStatus | None:
    """The blocked needling modality when every needling modality planned is blocked (dry needling in
    the first trimester, with no acupuncture planned): then no target can be needled today either."""
    needling = [m for m in modalities if m.item in NEEDLING_MODALITIES]
    if needling and all(m.status == BLOCKED for m in needling):
        return needling[0]
    return None


def _blocked_by_modality(target: ItemStatus, modality: ItemStatus) -> ItemStatus:
    return ItemStatus(
        target.item,
        target.side,
        BLOCKED,
        tuple(dict.fromkeys((*modality.reasons, *target.reasons))),
        tuple(dict.fromkeys((*modality.findings, *target.findings))),
    )


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
        if not finding.site_scoped and (reported.region or reported.side):
            raise ScreeningInputError(
                f"finding '{reported.code}' applies to the whole patient: leave out its region and side"
            )
        if reported.region:
            _check_site(kb, reported.region, reported.side, f"finding '{reported.code}'", reported.code)
    for planned in data.planned:
        target = _target(kb, planned.target)
        _check_target_side(target, planned.side)
    for modality in data.modalities:
        if modality not in ("dry_needling", "acupuncture", "electrical_stimulation"):
            raise ScreeningInputError(
                f"unknown modality '{modality}': use dry_needling, acupuncture or electrical_stimulation"
            )


def finding_sides(kb: KnowledgeBase, code: str, region: str) -> tuple[str, ...]:
    """The sides a finding may be reported with at a region: the region's sides, and for a site-scoped
    finding also `both` (peripheral vascular disease of both legs is one finding, not two)."""
    sides = kb.regions[region].sides
    return (*sides, "both") if kb.findings[code].site_scoped else sides


def _check_site(kb: KnowledgeBase, region: str, side: str, what: str, code: str) -> None:
    if region not in kb.regions:
        raise ScreeningInputError(f"{what}: unknown region '{region}'")
    allowed = finding_sides(kb, code, region)
    if side not in allowed:
        raise ScreeningInputError(f"{what}: side '{side}' is not valid for {region}; use {', '.join(allowed)}")


def _target(kb: KnowledgeBase, target_id: str) -> Muscle | Acupoint:
    try:
        return kb.target(target_id)
    except KeyError:
        raise ScreeningInputError(f"unknown target '{target_id}': give a muscle ID or an acupoint code") from None


def target_sides(target: Muscle | Acupoint) -> tuple[str, ...]:
    """The sides a target is needled on: a midline point on the midline, everything else left or right.
    The one rule for sides of a target: screening, billing, charting, the API and the CLI use it."""
    return ("midline",) if isinstance(target, Acupoint) and target.midline else ("left", "right")


def _check_target_side(target: Muscle | Acupoint, side: str) -> None:
    allowed = target_sides(target)
    if side not in allowed:
        raise ScreeningInputError(f"side '{side}' is not valid for {target.id}: use {' or '.join(allowed)}")


def _count_findings(kb: KnowledgeBase, data: ScreeningInput) -> list[FindingResult]:
    """Each reported finding as it counts, red flags checked against their required combination."""
    reported_codes = {f.code for f in data.findings}
    reported = list(data.findings)
    derived: set[str] = set()
    # Findings that follow from the age alone (a minor, an infant with open fontanelles).
    for finding in kb.findings.values():
        below = finding.age_below
        if below is not None and data.age is not None and data.age < below and finding.id not in reported_codes:
            reported.append(ReportedFinding(finding.id))
            derived.add(finding.id)
    # A finding that implies another (first trimester -> pregnancy) brings it along, once.
    implied_by: dict[str, str] = {}
    for item in list(reported):
        for code in kb.findings[item.code].implies:
            if code not in reported_codes and code not in implied_by:
                implied_by[code] = item.code
                reported.append(ReportedFinding(code))
                derived.add(code)
    reported_codes |= set(implied_by)
    results = []
    seen: set[tuple[str, str, str]] = set()
    for item in reported:
        key = (item.code, item.region, item.side)
        if key in seen:
            continue
        seen.add(key)
        finding = kb.findings[item.code]
        kind, urgency = finding.kind, finding.urgency
        note = f"counted because of {kb.findings[implied_by[item.code]].name}" if item.code in implied_by else ""
        rule = finding.counts_when
        if finding.kind == "red_flag" and rule is not None:
            partners = sorted(set(rule.with_any) & reported_codes)
            old_enough = rule.age_at_least is not None and data.age is not None and data.age >= rule.age_at_least
            age_unknown = rule.age_at_least is not None and data.age is None
            if partners:
                note = "counts as a red flag together with " + ", ".join(kb.findings[p].name for p in partners)
            elif old_enough:
                note = f"counts as a red flag at age {rule.age_at_least} or over"
            elif age_unknown and not partners:
                kind, urgency = rule.otherwise, ""
                note = (
                    f"the age is not known: give it, because at {rule.age_at_least} or over this is a red flag "
                    "(refer before needling)"
                )
                if kind == "none":
                    continue
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
    return finding_side == target_side or finding_side == "both" or "midline" in (finding_side, target_side)


def _site_regions(kb: KnowledgeBase, region_id: str, extent: str) -> frozenset[str] | None:
    """The regions a site rule reaches from the reported region at `extent` (None: the whole side)."""
    return _extent_index(kb)[(region_id, extent)]


@functools.cache
def _extent_index(kb: KnowledgeBase) -> dict[tuple[str, str], frozenset[str] | None]:
    """(reported region, extent) -> regions reached, built once per knowledge base."""
    regions = kb.regions
    out: dict[tuple[str, str], frozenset[str] | None] = {}
    for rid, region in regions.items():
        # A region that is no joint has no joint to enter: `joint` reaches nothing there, `near` the region.
        joint = frozenset(r for r, x in regions.items() if region.joint and x.joint == region.joint)
        part = frozenset(r for r, x in regions.items() if x.part == region.part)
        quadrant = frozenset(r for r, x in regions.items() if region.quadrant and x.quadrant == region.quadrant)
        around = joint or frozenset({rid})
        out[(rid, "region")] = frozenset({rid})
        out[(rid, "joint")] = joint
        out[(rid, "near")] = around | frozenset(a for r in around for a in regions[r].adjacent)
        out[(rid, "part")] = part
        out[(rid, "quadrant")] = quadrant or part
        out[(rid, "side")] = None
    return out


def _at_site(kb: KnowledgeBase, target: Muscle | Acupoint, result: FindingResult, extent: str) -> bool:
    reached = _site_regions(kb, result.region, extent)
    if reached is None:
        return True
    # A point whose needle enters a joint is at that joint wherever its skin region lies (SI19 and TE21
    # lie in front of the ear and enter the jaw joint).
    joint = kb.regions[result.region].joint
    if extent in ("joint", "near") and joint and isinstance(target, Acupoint) and target.joint == joint:
        return True
    return bool(reached.intersection(target.regions))


def _site_words(kb: KnowledgeBase, result: FindingResult, extent: str) -> str:
    """'the right upper limb quadrant', 'the left knee joint', 'the right side of the body'."""
    region = kb.regions[result.region]
    if extent == "side":
        return "both sides of the body" if result.side == "both" else f"the {result.side} side of the body"
    side = {"both": "left and right", "midline": "central"}.get(result.side, result.side)
    name, part = region.name.lower(), region.part.replace("_", " ")
    joint = f"{region.joint.replace('_', ' ')} joint" if region.joint else name
    word = {
        "region": name,
        "joint": joint,
        "near": f"{joint} and its surroundings",
        "part": part,
        "quadrant": f"{region.quadrant.replace('_', ' ')} quadrant" if region.quadrant else part,
    }[extent]
    return f"the {side} {word}"


def _rule_hits(
    kb: KnowledgeBase, target: Muscle | Acupoint, side: str, result: FindingResult, finding: Finding, rule: Rule
) -> str:
    """What this rule says about this target on this side, or "" when it does not act on it."""
    if rule.modality:
        return ""
    if finding.site_scoped and not _sides_meet(result.side, side):
        return ""
    if rule.site:
        return _site_words(kb, result, rule.site) if _at_site(kb, target, result, rule.site) else ""
    group = kb.groups[rule.group]
    if target.id not in group.members:
        return ""
    if rule.depth and getattr(target, "depth", "") != rule.depth:
        return ""
    if rule.within:
        if not _at_site(kb, target, result, rule.within):
            return ""
        preposition = "on" if rule.within == "side" else "at"
        return f"{group.name.lower()}, {preposition} {_site_words(kb, result, rule.within)}"
    return group.name.lower() + (f", {rule.depth} needling" if rule.depth else "")


def _reason(status: str, finding_name: str, what: str, change: str) -> str:
    label = "Blocked" if status == BLOCKED else "Caution"
    text = f"{label}: {finding_name} ({what})."
    return f"{text} {change}" if change else text


def _combine(item: str, side: str, hits: list[tuple[str, str, str]]) -> ItemStatus:
    """Combine what acts on one item (status, reason, finding ID): the strongest sets the status."""
    status = max((h[0] for h in hits), key=_STATUS_RANK.__getitem__, default=OK)
    reasons = tuple(dict.fromkeys(h[1] for h in hits))
    findings = tuple(dict.fromkeys(h[2] for h in hits if h[2]))
    return ItemStatus(item, side, status, reasons, findings)


def assess_target(
    kb: KnowledgeBase,
    active: list[tuple[FindingResult, Finding]],
    target_id: str,
    side: str,
    modalities: Iterable[str] = (),
) -> ItemStatus:
    """The status of one target on one side under the patient's counted findings and the modality."""
    target = kb.target(target_id)
    hits: list[tuple[str, str, str]] = []
    for result, finding in active:
        for rule in finding.rules:
            what = _rule_hits(kb, target, side, result, finding, rule)
            if what:
                hits.append((rule.status, _reason(rule.status, finding.name, what, rule.change), finding.id))
    if isinstance(target, Acupoint) and target.restricted is not None:
        hits.append(_restricted(target, tuple(modalities)))
    if isinstance(target, Acupoint) and target.dry_needling_caution is not None and "dry_needling" in modalities:
        technique = target.dry_needling_caution.technique
        hits.append((CAUTION, f"Caution: {target.code} for dry needling. {technique}", ""))
    if isinstance(target, Acupoint) and target.never_needle is not None:
        hits.append((BLOCKED, f"Blocked: {target.code} is never needled. {target.never_needle.note}", ""))
    return _combine(target_id, side, hits)


RESTRICTION_WORDS = {
    "orbit": "lies in the orbit, beside the eyeball",
    "carotid_sinus": "lies over the carotid artery and its sinus",
    "great_vessels": "lies over the great vessels of the neck",
    "trachea": "lies over the trachea",
    "suprasternal_notch": "lies in the suprasternal notch, above the trachea and great vessels",
    "lung_apex": "lies over the apex of the lung",
    "pleura": "lies over the pleura",
    "nerve_trunk": "lies over a major nerve trunk",
    "brainstem": "lies over the brainstem and upper spinal cord",
}


def _restricted(point: Acupoint, modalities: tuple[str, ...]) -> tuple[str, str, str]:
    restriction = point.restricted
    assert restriction is not None
    where = RESTRICTION_WORDS[restriction.reason]
    if "dry_needling" in modalities:
        return (
            BLOCKED,
            f"Blocked: {point.code} {where}; it is for trained acupuncturists only, never for dry needling.",
            "",
        )
    scope = "" if "acupuncture" in modalities else " (blocked for dry needling)"
    return (
        CAUTION,
        f"Caution: {point.code} {where}; for trained acupuncturists only{scope}. {restriction.technique}",
        "",
    )


def _assess_modality(active: list[tuple[FindingResult, Finding]], modality: str) -> ItemStatus:
    hits = [
        (rule.status, _reason(rule.status, finding.name, modality.replace("_", " "), rule.change), finding.id)
        for _result, finding in active
        for rule in finding.rules
        if rule.modality == modality
    ]
    return _combine(modality, "", hits)


def _bilateral_thorax(
    kb: KnowledgeBase, targets: tuple[ItemStatus, ...]
) -> tuple[tuple[ItemStatus, ...], tuple[str, ...]]:
    """Lung-field targets on both sides in one session: mark them all, so the clinician picks one side.

    A blocked target still counts towards its side: a block can be overridden in writing, and a
    finding added to the screening must never lift the caution from the other side.
    """

    def over_lung(t: ItemStatus) -> bool:
        target = kb.target(t.item)
        if isinstance(target, Acupoint) and target.never_needle is not None:
            return False  # never needled, not even by override: it is no side of the thorax
        return t.side != "midline" and any(h.kind == "lung" for h in target.hazards)

    lung_sides = {t.side for t in targets if over_lung(t)}
    if lung_sides != {"left", "right"}:
        return targets, ()
    note = (
        "Lung-field targets are planned on both sides of the thorax: needle one side only in this session, "
        "so that a pneumothorax, if it happened, could not be bilateral (BN121 §5.1)."
    )
    marked = []
    for t in targets:
        if over_lung(t):
            status = BLOCKED if t.status == BLOCKED else CAUTION
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

    def side_of(value: object, what: str, both: bool = False) -> str:
        side = str(value or "").strip().lower()
        allowed = ("left", "right", "midline", "both") if both else ("left", "right", "midline")
        if side not in allowed:
            raise ScreeningInputError(f"{what}: side {value!r} is not valid; use {', '.join(allowed)}")
        return side

    try:
        findings = []
        for item in _list(raw, "findings"):
            if isinstance(item, str):
                findings.append(ReportedFinding(resolve(kb, "finding", item)))
            elif isinstance(item, dict) and "code" in item:
                _known_keys(item, ("code", "region", "side"), f"finding {item['code']!r}")
                code = resolve(kb, "finding", str(item["code"]))
                if not kb.findings[code].site_scoped and (item.get("region") or item.get("side")):
                    raise ScreeningInputError(
                        f"finding '{code}' applies to the whole patient: leave out its region and side"
                    )
                region = resolve(kb, "region", str(item["region"])) if item.get("region") else ""
                side = side_of(item.get("side"), f"finding '{code}'", both=True) if item.get("side") else ""
                findings.append(ReportedFinding(code, region, side))
            else:
                raise ScreeningInputError(f'each finding is a code or {{"code", "region", "side"}}, not {item!r}')
        planned = []
        for item in _list(raw, "planned"):
            if not isinstance(item, dict) or "target" not in item:
                raise ScreeningInputError(f'each planned item is {{"target": ..., "side": ...}}, not {item!r}')
            _known_keys(item, ("target", "side"), f"planned target {item['target']!r}")
            target = resolve_target(kb, str(item["target"]))
            default_side = "midline" if target in kb.acupoints and kb.acupoints[target].midline else None
            side = side_of(item.get("side", default_side), f"target '{target}'")
            planned.append(PlannedTarget(target, side))
    except UnknownName as exc:
        raise ScreeningInputError(str(exc)) from None
    modalities = tuple(str(m).strip().lower().replace(" ", "_") for m in _list(raw, "modalities"))
    return ScreeningInput(age, tuple(findings), tuple(planned), modalities)


def _known_keys(item: dict[str, object], allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        raise ScreeningInputError(f"{what}: unknown key(s) {', '.join(unknown)}; use {', '.join(allowed)}")


def _list(raw: dict[str, object], key: str) -> list[object]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ScreeningInputError(f"'{key}' must be a list, not {value!r}")
    return value
