"""Read-only queries over the knowledge base for the explorer's pages.

Views stay thin: they parse the request, call these and the clinical core, and render.
"""

from __future__ import annotations

from dataclasses import dataclass

from needlechart.knowledge.model import Acupoint, Condition, KnowledgeBase, Muscle, Region, Source
from needlechart.knowledge.sourceref import SourceRef


@dataclass(frozen=True)
class Citation:
    source: Source
    locator: str


def citations(kb: KnowledgeBase, refs: tuple[SourceRef, ...]) -> list[Citation]:
    """Each cited source once per locator, in the order first cited."""
    unique = dict.fromkeys((r.id, r.locator) for r in refs)
    return [Citation(kb.sources[ident], locator) for ident, locator in unique]


def muscles_referring_to(kb: KnowledgeBase, region: str) -> tuple[list[Muscle], list[Muscle]]:
    primary = [m for m in kb.muscles.values() if region in m.primary]
    spillover = [m for m in kb.muscles.values() if region in m.spillover]
    return sorted(primary, key=lambda m: m.name), sorted(spillover, key=lambda m: m.name)


def muscles_in(kb: KnowledgeBase, region: str) -> list[Muscle]:
    return sorted((m for m in kb.muscles.values() if region in m.regions), key=lambda m: m.name)


def points_in(kb: KnowledgeBase, region: str) -> list[Acupoint]:
    return sorted((p for p in kb.acupoints.values() if p.region == region), key=lambda p: p.code)


def distal_points_for(kb: KnowledgeBase, region: str) -> list[Acupoint]:
    return sorted((p for p in kb.acupoints.values() if region in p.distal_for), key=lambda p: p.code)


def conditions_of_region(kb: KnowledgeBase, region: str) -> list[Condition]:
    return [c for c in kb.conditions.values() if region in c.regions]


def conditions_of_muscle(kb: KnowledgeBase, muscle: Muscle) -> list[Condition]:
    ids = dict.fromkeys(list(muscle.conditions) + [c.id for c in kb.conditions.values() if muscle.id in c.muscles])
    return [kb.conditions[c] for c in ids]


def conditions_of_point(kb: KnowledgeBase, code: str) -> list[Condition]:
    return [c for c in kb.conditions.values() if code in c.local_acupoints or code in c.distal_acupoints]


def exercises_for_muscle(kb: KnowledgeBase, muscle_id: str):
    return [e for e in kb.exercises.values() if muscle_id in e.muscles]


def regions_by_part(kb: KnowledgeBase) -> list[tuple[str, list[Region]]]:
    groups: dict[str, list[Region]] = {}
    for region in kb.regions.values():
        groups.setdefault(region.part.replace("_", " ").capitalize(), []).append(region)
    return list(groups.items())


MERIDIAN_NAMES = {
    "LU": "Lung",
    "LI": "Large intestine",
    "ST": "Stomach",
    "SP": "Spleen",
    "HT": "Heart",
    "SI": "Small intestine",
    "BL": "Bladder",
    "KI": "Kidney",
    "PC": "Pericardium",
    "TE": "Triple energizer",
    "GB": "Gallbladder",
    "LR": "Liver",
    "GV": "Governor vessel",
    "CV": "Conception vessel",
    "EX": "Extra points",
}


def points_by_meridian(kb: KnowledgeBase) -> list[tuple[str, str, list[Acupoint]]]:
    groups: dict[str, list[Acupoint]] = {}
    for point in kb.acupoints.values():
        groups.setdefault(point.meridian, []).append(point)
    order = list(MERIDIAN_NAMES)
    return [(m, MERIDIAN_NAMES[m], groups[m]) for m in sorted(groups, key=order.index)]


def cited_by(kb: KnowledgeBase) -> dict[str, int]:
    counts: dict[str, int] = {}
    tables = (kb.regions, kb.muscles, kb.acupoints, kb.conditions, kb.findings, kb.exercises, kb.billing)
    for table in tables:
        for entry in table.values():
            for ref in entry.sources:
                counts[ref.id] = counts.get(ref.id, 0) + 1
    for instrument in kb.instruments.values():
        for ref in instrument.sources:
            counts[ref.id] = counts.get(ref.id, 0) + 1
    for page in kb.education.pages.values() if kb.education else ():
        for cited in page.cited():
            for ref in cited.sources:
                counts[ref.id] = counts.get(ref.id, 0) + 1
    return counts
