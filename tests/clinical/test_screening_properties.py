"""Safety properties of screening that must hold for every combination of findings.

Reporting one more finding can never make screening more permissive: the verdict never relaxes and
no planned target or modality loses a block or a caution that a finding put on it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from needlechart.clinical.screening import PlannedTarget, ReportedFinding, ScreeningInput, screen
from needlechart.knowledge import load

KB = load()
VERDICT_RANK = {"clear": 0, "caution": 1, "do_not_needle": 2, "refer": 3}
STATUS_RANK = {"ok": 0, "caution": 1, "blocked": 2}
SITES = [(r.id, s) for r in KB.regions.values() for s in r.sides]
TARGETS = [(m, s) for m in KB.muscles for s in ("left", "right")] + [
    (p.code, "midline" if p.midline else s) for p in KB.acupoints.values() for s in ("left", "right")
]


@st.composite
def findings(draw):
    finding = KB.findings[draw(st.sampled_from(sorted(KB.findings)))]
    if finding.site_scoped:
        region, side = draw(st.sampled_from(SITES))
        side = draw(st.sampled_from([side, "both"]))  # a site finding may be on both sides
        return ReportedFinding(finding.id, region, side)
    return ReportedFinding(finding.id)


plans = st.lists(st.sampled_from(TARGETS), max_size=6, unique=True).map(
    lambda ts: tuple(PlannedTarget(t, s) for t, s in ts)
)
modalities = st.lists(st.sampled_from(["dry_needling", "acupuncture", "electrical_stimulation"]), unique=True)


@settings(max_examples=300, deadline=None)
@given(
    age=st.integers(0, 100),
    base=st.lists(findings(), max_size=4),
    extra=findings(),
    plan=plans,
    mods=modalities,
)
def test_another_finding_never_relaxes_screening(age, base, extra, plan, mods):
    before = screen(KB, ScreeningInput(age, tuple(base), plan, tuple(mods)))
    after = screen(KB, ScreeningInput(age, (*base, extra), plan, tuple(mods)))
    assert VERDICT_RANK[after.verdict] >= VERDICT_RANK[before.verdict]
    for b, a in zip(before.targets + before.modalities, after.targets + after.modalities, strict=True):
        assert STATUS_RANK[a.status] >= STATUS_RANK[b.status], (b, a, extra)


@settings(max_examples=200, deadline=None)
@given(age=st.integers(0, 100), reported=st.lists(findings(), max_size=5), plan=plans, mods=modalities)
def test_verdict_and_statuses_agree(age, reported, plan, mods):
    r = screen(KB, ScreeningInput(age, tuple(reported), plan, tuple(mods)))
    if r.verdict in ("refer", "do_not_needle"):
        assert all(t.status == "blocked" for t in r.targets + r.modalities)
    if r.verdict == "clear":
        # With no finding, only the target itself (a point for trained acupuncturists only) or the plan
        # (lung-field targets on both sides) can mark anything.
        for t in r.targets + r.modalities:
            point = KB.acupoints.get(t.item)
            marked_by_itself = point is not None and (
                point.restricted is not None or point.never_needle is not None or point.dry_needling_caution is not None
            )
            assert t.status == "ok" or marked_by_itself or r.plan_notes, t
    if r.verdict == "refer":
        assert r.urgency in ("emergency", "urgent", "soon")
    for item in r.targets + r.modalities:
        assert (item.status == "ok") == (not item.reasons)


@settings(max_examples=150, deadline=None)
@given(
    pains=st.lists(st.tuples(st.sampled_from(SITES), st.none() | st.integers(0, 10)), min_size=1, max_size=4),
    reported=st.lists(findings(), max_size=3),
)
def test_dry_needling_never_suggests_a_point_for_trained_acupuncturists_only(pains, reported):
    from needlechart.clinical.suggestion import Pain, suggest

    drawing = [Pain(region, side, intensity) for (region, side), intensity in pains]
    result = suggest(KB, drawing, screening=ScreeningInput(50, tuple(reported), (), ("dry_needling",)), top=200)
    assert not [p.id for p in result.acupoints if KB.acupoints[p.id].restricted is not None]
    # Between equally scored targets the safer one for this patient comes first.
    for items in (result.muscles, result.acupoints):
        for a, b in zip(items, items[1:], strict=False):
            assert not (a.score == b.score and a.status == "caution" and b.status == "ok"), (a, b)
    # ... and a suggestion's status is exactly what screening says of that target on that side.
    planned = tuple(PlannedTarget(s.id, s.side) for s in (*result.muscles, *result.acupoints))[:12]
    screened = screen(KB, ScreeningInput(50, tuple(reported), planned, ("dry_needling",)))
    by_key = {(t.item, t.side): t.status for t in screened.targets}
    for s in (*result.muscles, *result.acupoints):
        if (s.id, s.side) in by_key and not screened.plan_notes:
            assert s.status == by_key[(s.id, s.side)], s
