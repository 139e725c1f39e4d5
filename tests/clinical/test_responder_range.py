"""The shaded MCID band of a chart is exactly the scores the core calls a responder: a follow-up
inside `responder_range` is a responder by `change` (or improved by `groc_improved`), outside is not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needlechart.clinical import instruments as scoring
from needlechart.knowledge import load

KB = load()
CHANGE = [i for i in KB.instruments.values() if i.mcid is not None and i.mcid.kind != "threshold"]


def _score(instrument, value):
    return scoring.Score(
        instrument=instrument.id,
        scorable=True,
        reason="",
        value=value,
        unit=instrument.score.unit,
        raw=value,
        percent=None,
        band=None,
        interpretation="",
        items=1,
        answered=1,
        missing=0,
        prorated=False,
    )


@pytest.mark.parametrize(
    ("ident", "baseline", "expected"),
    [
        ("ndi", 24, (0, 14)),  # MCID 10 points (Young 2009)
        ("nprs", 5, (0, 3.5)),  # 2 points or 30%: 30% of 5 is 1.5 points, the more lenient rule
        ("nprs", 8, (0, 6)),  # 30% of 8 is 2.4 points: 2 points is the more lenient
        ("groc", 0, (3, 7)),  # a rating of change: improved at its threshold or above
    ],
)
def test_known_bands(ident, baseline, expected):
    low, high = scoring.responder_range(KB.instruments[ident], baseline)
    assert (low, high) == (pytest.approx(expected[0]), pytest.approx(expected[1]))


@settings(max_examples=1000, deadline=None)
@given(data=st.data())
def test_inside_the_band_is_a_responder_and_outside_is_not(data):
    instrument = data.draw(st.sampled_from(CHANGE))
    low, high = instrument.score.min, instrument.score.max
    baseline = data.draw(st.floats(low, high, allow_nan=False))
    follow = data.draw(st.floats(low, high, allow_nan=False))
    band = scoring.responder_range(instrument, baseline)
    responder = scoring.change(instrument, _score(instrument, baseline), _score(instrument, follow)).responder
    if band is None:
        assert not responder
        return
    edge = band[1] if not instrument.higher_is_better else band[0]
    if abs(follow - edge) < 1e-6:
        return  # on the edge itself, floating point decides
    assert responder == (band[0] <= follow <= band[1])
