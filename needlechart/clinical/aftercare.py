"""Aftercare: patient instructions built from what was done in the session and who the patient is.

Items come from the knowledge base's aftercare list and are chosen by the session's modalities, the
hazards of the targets needled (a lung hazard brings the breathlessness warning; an organ hazard whose
structure names the kidney brings the flank-pain warning), the patient's screening findings and the
condition. Urgent items (when to seek care at once) come first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from needlechart.knowledge.model import (
    Acupoint,
    AftercareItem,
    AftercareTrigger,
    Exercise,
    Hazard,
    KnowledgeBase,
    Muscle,
)


@dataclass(frozen=True)
class Aftercare:
    # "left upper trapezius", "right LI4 (Hegu, Union Valley), back of hand": a point by its code and
    # names, then where it is in plain words (its body region), so the patient can find it.
    treated: tuple[str, ...]
    urgent: tuple[AftercareItem, ...]
    routine: tuple[AftercareItem, ...]
    exercises: tuple[Exercise, ...]


def build_aftercare(
    kb: KnowledgeBase,
    modalities: Iterable[str],
    targets: Iterable[tuple[str, str]],
    findings: Iterable[str] = (),
    condition: str = "",
    max_exercises: int = 5,
) -> Aftercare:
    """Instructions for one session. `targets` are (target ID, side) pairs as needled."""
    targets = list(targets)
    session = {"always": {"True"}, "modality": set(modalities), "finding": set(findings), "condition": {condition}}
    hazards: list[Hazard] = []
    treated: list[str] = []
    for target_id, side in targets:
        target = kb.target(target_id)
        hazards.extend(target.hazards)
        treated.append(_treated(kb, target, side))

    def fires(trigger: AftercareTrigger) -> bool:
        if trigger.kind == "hazard":
            return any(trigger.matches_hazard(h) for h in hazards)
        return trigger.value in session[trigger.kind]

    chosen = [item for item in kb.aftercare if any(fires(t) for t in item.when)]
    return Aftercare(
        treated=tuple(dict.fromkeys(treated)),
        urgent=tuple(i for i in chosen if i.urgent),
        routine=tuple(i for i in chosen if not i.urgent),
        exercises=tuple(_exercises(kb, [t for t, _ in targets], condition, max_exercises)),
    )


def _treated(kb: KnowledgeBase, target: Muscle | Acupoint, side: str) -> str:
    """'left upper trapezius'; 'right LI4 (Hegu, Union Valley), back of hand'; 'GV14 (...), neck (back)'."""
    where = "" if side == "midline" else f"{side} "
    if isinstance(target, Muscle):
        return f"{where}{target.name.lower()}"
    region = kb.regions.get(target.region)
    place = f", {region.name.lower()}" if region is not None else ""
    return f"{where}{target.label}{place}"


def _exercises(kb: KnowledgeBase, target_ids: list[str], condition: str, limit: int) -> list[Exercise]:
    """A short home programme: exercises for both the treated muscles and the condition first, then
    those for the treated muscles, then those for the condition; a handout of a few, not the library."""
    treated = set(target_ids)
    condition_ids = kb.conditions[condition].exercises if condition in kb.conditions else ()
    candidates = list(
        dict.fromkeys([*condition_ids, *(e.id for e in kb.exercises.values() if treated & set(e.muscles))])
    )

    def rank(exercise_id: str) -> tuple[int, int]:
        exercise = kb.exercises[exercise_id]
        for_muscle = bool(treated & set(exercise.muscles))
        for_condition = exercise_id in condition_ids
        order = condition_ids.index(exercise_id) if for_condition else len(condition_ids)
        return (0 if for_muscle and for_condition else 1 if for_muscle else 2, order)

    return [kb.exercises[e] for e in sorted(candidates, key=rank)[:limit]]
