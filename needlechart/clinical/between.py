"""Between visits: what a patient's check-in answer means, and how much of the home programme was done.

The check-in after a needling session asks about the urgent symptoms of that session's own aftercare
sheet (`build_aftercare`'s urgent items: the same wording the patient was given) and how sore and
bruised they are. `read_check_in` is the one rule for what counts as urgent: any of those urgent
symptoms ticked. Soreness alone never is: the aftercare sheet tells every patient to expect it and
that it settles within 24 to 48 hours (the `soreness` item), and the patient reads the sheet's own
advice beside their answer.

Home exercises are logged once a day each (done, partly, not today). `prescribed_days_per_week`
reads the dosage's frequency (the knowledge base's exercises and a clinician's dosage are plain
words: "twice a day", "every other day", "3 times a week"); `adherence` compares the days logged
with the days prescribed over a window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from needlechart.knowledge.model import AftercareItem

SORENESS_MIN, SORENESS_MAX = 0, 10
BRUISING = ("none", "small", "large")
DONE, PARTLY, NOT_TODAY = "done", "partly", "not"
# A day done counts in full, a day partly done counts half; "not today" is a day logged, not done.
CREDIT: Mapping[str, float] = {DONE: 1.0, PARTLY: 0.5, NOT_TODAY: 0.0}
# The check-in falls due a day after the needling and stays answerable for a week.
DUE_AFTER = timedelta(hours=24)
OPEN_FOR = timedelta(days=7)


class CheckInInputError(ValueError):
    """An answer the check-in cannot take; the message names the field and what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CheckInReading:
    urgent: tuple[AftercareItem, ...]  # the urgent symptoms ticked, in the sheet's order
    soreness: int
    bruising: str

    @property
    def is_urgent(self) -> bool:
        return bool(self.urgent)


def read_check_in(
    offered: Sequence[AftercareItem], *, ticked: Iterable[str], soreness: int | None, bruising: str
) -> CheckInReading:
    """Validate one check-in answer and say whether it is urgent. `offered` are the urgent items of
    the session's aftercare sheet (`build_aftercare(...).urgent`); `ticked` are the IDs of those the
    patient has now. Soreness (0-10) and bruising are required."""
    by_id = {item.id: item for item in offered}
    chosen = list(dict.fromkeys(ticked))
    unknown = [t for t in chosen if t not in by_id]
    if unknown:
        raise CheckInInputError(
            "urgent", "One of the symptoms ticked is not on this check-in: reload the page and tick again."
        )
    if soreness is None or not (SORENESS_MIN <= soreness <= SORENESS_MAX):
        raise CheckInInputError(
            "soreness",
            f"Choose how sore you are, from {SORENESS_MIN} (not sore) to {SORENESS_MAX} (as bad as it can be).",
        )
    if bruising not in BRUISING:
        raise CheckInInputError("bruising", "Choose no bruise, a small bruise or a large bruise.")
    urgent = tuple(item for item in offered if item.id in chosen)
    return CheckInReading(urgent=urgent, soreness=soreness, bruising=bruising)


# Frequency words in a dosage, read in this order; the first that matches decides. "N to M times a
# day" and "once or twice a day" are daily, whatever the number of rounds: a day is logged once.
_WEEKLY = re.compile(r"\b(\d+|once|twice)(?:\s+(?:to|or)\s+\d+)?\s+(?:times\s+)?a\s+week\b")
_DAILY = re.compile(r"\b(?:a|per|each|every)\s+day\b|\bdaily\b|\bworking day\b")
_ALTERNATE = re.compile(r"\bevery other day\b|\bevery second day\b|\balternate days\b")
_WORDS = {"once": 1, "twice": 2}


def prescribed_days_per_week(dosage: str) -> float | None:
    """Days a week the dosage asks for (7 for daily, 3.5 for every other day, N for N times a week),
    or None when it states no frequency ("most days", "as needed")."""
    text = dosage.lower()
    if _ALTERNATE.search(text):
        return 3.5
    weekly = _WEEKLY.search(text)
    if weekly:
        word = weekly.group(1)
        return float(min(7, _WORDS.get(word) or int(word)))
    if _DAILY.search(text):
        return 7.0
    return None


@dataclass(frozen=True)
class Adherence:
    days: int  # the window's length in days (from the programme's start when later)
    logged: int  # days with an entry
    credit: float  # done = 1, partly = 0.5
    expected: float | None  # days prescribed in the window, when the dosage states a frequency

    @property
    def percent(self) -> int | None:
        """Done against prescribed, capped at 100; None without a frequency (then read `logged`)."""
        if self.expected is None or self.expected <= 0:
            return None
        return min(100, round(100 * self.credit / self.expected))


def adherence(*, dosage: str, logs: Mapping[date, str], start: date, today: date, window_days: int) -> Adherence:
    """One exercise over the last `window_days` days up to `today` (not before `start`, the day it
    was prescribed). `logs` maps a day to done | partly | not."""
    first = max(start, today - timedelta(days=window_days - 1))
    days = max(0, (today - first).days + 1)
    in_window = {d: s for d, s in logs.items() if first <= d <= today}
    credit = sum(CREDIT.get(s, 0.0) for s in in_window.values())
    per_week = prescribed_days_per_week(dosage)
    expected = None if per_week is None else per_week * days / 7
    return Adherence(days=days, logged=len(in_window), credit=credit, expected=expected)
