"""The demo clinic's outcomes: a plan of care per episode, and measurements at the plan's schedule
(baseline at the first visit, reassessments after), entered through the outcomes services so the
core scores them and reads each course. Most patients respond; two do not (one of them getting
worse, which the core turns into a referral); one has had a reason recorded for going on; one
episode is discharged with its home programme.

Courses are given as target scores; `answers_for` finds item answers that the core scores to them
(licensed questionnaires are entered as item answers, never as a typed total).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from needlechart.clinical import instruments as scoring
from needlechart.knowledge import load
from needlechart.outcomes import reviews, services
from needlechart.outcomes.discharge import discharge_episode
from needlechart.outcomes.rom import record_rom

RESPONDER, NOT_RESPONDING, WORSENING, ACTED_ON, DISCHARGED = (
    "responder",
    "not_responding",
    "worsening",
    "acted_on",
    "discharged",
)
FUNCTION_INSTRUMENTS = ("ndi", "odi", "quickdash", "lefs")
# The movement measured at the first and the last visit for some conditions: (joint, movement, side,
# first value); the last value is nearer the norm for a responder and barely moved otherwise.
ROM = {
    "neck_pain": ("cervical_spine", "rotation", "left", 45),
    "shoulder_impingement": ("shoulder", "abduction", "right", 110),
    "hip_pain": ("hip", "flexion", "right", 95),
    "knee_pain": ("knee", "flexion", "left", 105),
}


@dataclass(frozen=True)
class Course:
    """Pain at each visit (NPRS) and the functional score at the first and the last measured visit, as
    a share of the way from the instrument's worst to its best (0: worst, 1: best)."""

    pain: tuple[int, ...]
    function: tuple[float, float]
    groc: int


COURSES = {
    RESPONDER: Course((7, 6, 5, 4, 3, 3), (0.45, 0.8), 5),
    DISCHARGED: Course((6, 5, 3, 2, 2, 1), (0.5, 0.9), 6),
    NOT_RESPONDING: Course((6, 6, 6, 5, 6, 6), (0.5, 0.54), 1),
    ACTED_ON: Course((5, 5, 5, 5, 5, 5), (0.55, 0.57), 0),
    WORSENING: Course((5, 6, 7, 7, 8, 8), (0.55, 0.35), -3),
}


def answers_for(instrument_id: str, goodness: float) -> list[float]:
    """Item answers the core scores closest to `goodness` of the way from worst to best."""
    kb = load()
    instrument = kb.instruments[instrument_id]
    n, low, high = instrument.items.max, int(instrument.item_min), int(instrument.item_max)
    lo, hi = instrument.score.min, instrument.score.max
    worst, best = (lo, hi) if instrument.higher_is_better else (hi, lo)
    target = worst + (best - worst) * goodness
    best_answers, best_gap = [float(low)] * n, float("inf")
    for total in range(n * low, n * high + 1):
        base, extra = divmod(total - n * low, n)
        answers = [float(low + base + (1 if i < extra else 0)) for i in range(n)]
        value = scoring.score(instrument, answers).value
        if value is not None and abs(value - target) < best_gap:
            best_answers, best_gap = answers, abs(value - target)
    return best_answers


def plan_for(clinician, episode) -> None:
    """The condition's default plan, combined with its complementary care, with a goal on its
    functional instrument (or pain) at twelve weeks."""
    kb = load()
    condition = kb.conditions[episode.condition]
    function = next((i for i in condition.instruments if i in FUNCTION_INSTRUMENTS), "nprs")
    instrument = kb.instruments[function]
    target = instrument.score.max * 0.8 if instrument.higher_is_better else instrument.score.max * 0.2
    goal = {
        "kind": "instrument",
        "instrument": function,
        "target_score": round(target),
        "by_date": date.fromordinal(episode.started_on.toordinal() + 84),
    }
    services.revise_plan(
        clinician,
        episode,
        components=list(dict.fromkeys(c.kind for c in condition.complementary)),
        goals=[goal],
    )


def measure(clinician, episode, visits, profile: str) -> None:
    """NPRS (with best and worst) at every other visit and the last; the functional instrument at the
    first and the last; the GROC at the last."""
    kb = load()
    course = COURSES[profile]
    condition = kb.conditions[episode.condition]
    function = next((i for i in condition.instruments if i in FUNCTION_INSTRUMENTS), None)
    last = len(visits) - 1
    for n, visit in enumerate(visits):
        pain = course.pain[min(n, len(course.pain) - 1)]
        if n % 2 == 0 or n == last:
            services.record_measurement(
                clinician,
                episode,
                instrument="nprs",
                answers=[pain],
                visit=visit,
                best=max(0, pain - 2),
                worst=min(10, pain + 1),
            )
        if function and n in (0, last):
            goodness = course.function[0 if n == 0 else 1]
            services.record_measurement(
                clinician, episode, instrument=function, answers=answers_for(function, goodness), visit=visit
            )
        if episode.condition in ROM and n in (0, last):
            joint, movement, side, first = ROM[episode.condition]
            normal = kb.rom.joints[joint].movements[movement].normal if kb.rom else first
            gain = (normal - first) * (0.7 if course.function[1] - course.function[0] > 0.2 else 0.1)
            record_rom(
                clinician,
                episode,
                joint=joint,
                movement=movement,
                side=side,
                value=round(first + (gain if n else 0)),
                visit=visit,
            )
        if n == last and "groc" in condition.instruments:
            services.record_measurement(clinician, episode, instrument="groc", answers=[course.groc], visit=visit)


def settle(clinician, episode, profile: str) -> None:
    """What the clinician has done about the course so far."""
    if profile == ACTED_ON:
        reviews.record_review_action(
            clinician,
            episode,
            kind="reason",
            reason="Desk set-up changed last week and the loading programme has just started: "
            "review at the next reassessment point before changing the plan.",
        )
    elif profile == DISCHARGED:
        discharge_episode(
            clinician, episode, reason="goals_met", note="Pain and function at goal; continues the home programme."
        )


__all__ = ["COURSES", "answers_for", "measure", "plan_for", "settle"]
