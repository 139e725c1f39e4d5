"""Which outcome measurements the plan's schedule makes due, and which of them were taken.

One rule, used by the episode's "due" list (`needlechart.outcomes.services.due_from_rows`, moved here
from there unchanged) and by the clinic dashboard's outcome completeness
(`needlechart.clinical.benchmarks.completeness`):

- The schedule's points are the baseline (the first visit) and the core's reassessment points
  (`progress.reassessment_points`: after 50% and 100% of the planned sessions, and at 4, 8 and 12
  weeks). A session point is reached at the visit that is that session (`visit_dates`: the episode's
  visits on or before the day, not discarded, in date order), a week point on its date.
- Each of the episode's instruments is due at the baseline (except a rating of change, the GROC,
  which has no baseline), and again at each reassessment point reached.
- What is due on a day: an instrument never measured (its baseline, from the first visit); else one
  not measured on or after the latest point reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from needlechart.clinical import progress as core
from needlechart.knowledge.instruments import Instrument
from needlechart.knowledge.model import KnowledgeBase

BASELINE_LABEL = "baseline (first visit)"


@dataclass(frozen=True, slots=True)
class Due:
    """One instrument to measure: `kind` baseline or reassessment, `point` the reassessment point
    (its label), `since` the date it became due."""

    instrument: str
    name: str
    kind: str
    point: str
    since: date


@dataclass(frozen=True, slots=True)
class DuePoint:
    """A point of the schedule: the baseline (first visit) or a reassessment point of the core."""

    label: str
    kind: str  # baseline | sessions | weeks
    date: date | None  # when it became (or is planned to become) due
    session: int | None
    reached: bool


def rates_change(kb: KnowledgeBase, instrument: str) -> bool:
    """An instrument that rates the change itself (the GROC): it has no baseline."""
    found = kb.instruments[instrument]
    return isinstance(found, Instrument) and found.mcid is not None and found.mcid.kind == "threshold"


def due_points(kb: KnowledgeBase, plan: core.Plan, visit_dates: Sequence[date], on: date) -> tuple[DuePoint, ...]:
    """The baseline and the core's reassessment points, each reached or not on `on`."""
    done = len(visit_dates)
    first_visit = visit_dates[0] if visit_dates else None
    points = [DuePoint(BASELINE_LABEL, "baseline", first_visit, 1, first_visit is not None)]
    for point in core.reassessment_points(kb, plan, sessions_done=done, today=on):
        if point.kind == "sessions":
            assert point.session is not None
            reached = done >= point.session
            when = visit_dates[point.session - 1] if reached else point.date
            points.append(DuePoint(point.label, "sessions", when, point.session, reached))
        else:
            points.append(DuePoint(point.label, "weeks", point.date, None, point.reached))
    return tuple(points)


def due_now(
    kb: KnowledgeBase,
    instruments: Sequence[str],
    points: Sequence[DuePoint],
    taken: Mapping[str, Sequence[date]],
) -> tuple[Due, ...]:
    """What is due now: `points` from `due_points` (the baseline first), `taken` each instrument's
    measurement dates up to the day."""
    due: list[Due] = []
    for ident in instruments:
        found = kb.instruments[ident]
        name = found.abbreviation if isinstance(found, Instrument) else ident
        dates = taken.get(ident, ())
        if not rates_change(kb, ident) and not dates:
            if points[0].date is not None:
                due.append(Due(ident, name, "baseline", points[0].label, points[0].date))
            continue  # the baseline comes first
        reached = [(p.date, p) for p in points[1:] if p.reached and p.date is not None]
        if not reached:
            continue
        since, latest = max(reached, key=lambda pair: pair[0])
        if not any(d >= since for d in dates):
            due.append(Due(ident, name, "reassessment", latest.label, since))
    return tuple(due)


@dataclass(frozen=True, slots=True)
class Occasion:
    """One instrument due at one point of the schedule, and whether it was taken for that point."""

    instrument: str
    point: str
    kind: str  # baseline | reassessment
    due_on: date
    taken: bool


def occasions(
    kb: KnowledgeBase,
    instruments: Sequence[str],
    points: Sequence[DuePoint],
    taken: Mapping[str, Sequence[date]],
    on: date,
) -> tuple[Occasion, ...]:
    """Every instrument due at every point reached by `on`, each marked taken or not, by the rule of
    `due_now` read over time: on any day between a point and the next one reached, `due_now` lists the
    instrument until it is measured, so the point counts as taken when a measurement falls on or after
    the point's date and before the next point's (or, for the latest point, on or before `on`). Points
    reached on the same date are one occasion (one measurement answers both). The baseline counts as
    taken when the instrument was measured before the first reassessment point reached (or by `on`);
    a rating of change has no baseline."""
    reached = sorted({p.date for p in points[1:] if p.reached and p.date is not None and p.date <= on})
    labels = {d: next(p.label for p in points[1:] if p.date == d and p.reached) for d in reached}
    first = points[0]
    out: list[Occasion] = []
    for ident in instruments:
        dates = sorted(d for d in taken.get(ident, ()) if d <= on)
        if first.reached and first.date is not None and first.date <= on and not rates_change(kb, ident):
            until = reached[0] if reached else None
            ok = any(until is None or d < until for d in dates)
            out.append(Occasion(ident, first.label, "baseline", first.date, ok))
        for i, start in enumerate(reached):
            end = reached[i + 1] if i + 1 < len(reached) else None
            ok = any(d >= start and (end is None or d < end) for d in dates)
            out.append(Occasion(ident, labels[start], "reassessment", start, ok))
    return tuple(out)
