"""The visit's charting rules in the core (needlechart/clinical/charting.py), without a database: the
modality a visit starts with, who may practise what, the gate before any needle, what the screening
blocks, the thorax rules, the needle count, everything a note needs before it signs, and the episode a
new visit joins.

Every test names the exact problem it expects, so that a rule that stops acting (or says something
else) fails here."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from needlechart.clinical.charting import (
    ACUPUNCTURE,
    DRY_NEEDLING,
    ELECTRICAL_STIMULATION,
    Clinician,
    ConsentOnFile,
    Gate,
    Needle,
    NoteForSigning,
    blocked_reasons,
    certification_problem,
    counts_reconciled,
    default_modality,
    episode_for_new_visit,
    gate_problems,
    lung_field_problems,
    over_lung,
    sign_problems,
)
from needlechart.clinical.screening import ReportedFinding, ScreeningInput
from needlechart.knowledge import load


@pytest.fixture(scope="module")
def kb():
    return load()


TODAY = date(2026, 11, 3)
ALL_RISKS = ("soreness", "bruising", "bleeding", "infection", "fainting", "pneumothorax")
PT = Clinician("physical_therapist", dry_needling_certified=True)
ACUPUNCTURIST = Clinician("acupuncturist")
NO_FINDINGS = ScreeningInput(45, ())
DN_CONSENT = ConsentOnFile(DRY_NEEDLING, ALL_RISKS)
ACU_CONSENT = ConsentOnFile(ACUPUNCTURE, ALL_RISKS)
ES_CONSENT = ConsentOnFile(ELECTRICAL_STIMULATION, (*ALL_RISKS[:5], "electrical"))

# The problems, word for word as the core gives them.
SCREEN_FIRST = "Screen the patient for this visit first (one click when nothing has changed)."
NO_DN_CERTIFICATE = "Your profile has no dry-needling certification date; a clinic admin can add it."
NOT_AN_ACUPUNCTURIST = "Acupuncture is charted by an acupuncturist or a physician; your profile says otherwise."
SCREEN_TODAY = (
    "Screen the patient at this visit: record a screening today, or confirm with the patient that "
    "nothing has changed since the last one."
)
NPRS_MISSING = "Record the pain score before treatment (NPRS 0-10), or why it was not taken."
NOT_RECONCILED = (
    "The needle count is not reconciled: enter needles in and out; if they differ, document what "
    "happened and the action taken."
)
FACE_TO_FACE = "Enter the acupuncture face-to-face time (the time segments) before signing."
DISCARDED = "This draft was discarded: it is kept as void and is never signed."


def dn_gate(**changes) -> Gate:
    """A dry-needling visit that may be needled: clear screening, consent on file, certified."""
    base = Gate(DRY_NEEDLING, NO_FINDINGS, "clear", {DRY_NEEDLING: DN_CONSENT}, PT)
    return replace(base, **changes)


def acu_gate(**changes) -> Gate:
    base = Gate(ACUPUNCTURE, NO_FINDINGS, "clear", {ACUPUNCTURE: ACU_CONSENT}, ACUPUNCTURIST)
    return replace(base, **changes)


def lymphoedema_right_arm(**changes) -> Gate:
    screening = ScreeningInput(58, (ReportedFinding("lymphedema", "upper_arm_anterior", "right"),))
    return dn_gate(screening=screening, verdict="caution", **changes)


def complete_note(**changes) -> NoteForSigning:
    """A dry-needling note with nothing left to do: one needle, screened today, counts reconciled."""
    base = NoteForSigning(
        gate=dn_gate(),
        screened_on=TODAY,
        visit_date=TODAY,
        needles=(Needle("masseter", "left"),),
        nprs_before=6,
        needles_in=1,
        needles_out=1,
    )
    return replace(base, **changes)


# ------------------------------------------------------------------------------------ modality


@pytest.mark.parametrize(
    "profession, modality",
    [
        ("acupuncturist", ACUPUNCTURE),
        ("physical_therapist", DRY_NEEDLING),
        ("physician", DRY_NEEDLING),
        ("", DRY_NEEDLING),
    ],
)
def test_a_visit_starts_with_the_modality_of_the_clinicians_profession(profession, modality):
    assert default_modality(profession) == modality


# ------------------------------------------------------------------------------------ certification


def test_dry_needling_needs_a_certification_date():
    assert certification_problem(DRY_NEEDLING, Clinician("physical_therapist")) == NO_DN_CERTIFICATE
    # The profession does not stand in for the course: an uncertified acupuncturist may not dry needle.
    assert certification_problem(DRY_NEEDLING, Clinician("acupuncturist")) == NO_DN_CERTIFICATE
    assert certification_problem(DRY_NEEDLING, PT) is None


def test_a_physical_therapist_may_not_chart_acupuncture_even_when_certified_for_dry_needling():
    assert certification_problem(ACUPUNCTURE, PT) == NOT_AN_ACUPUNCTURIST
    assert certification_problem(ACUPUNCTURE, Clinician("")) == NOT_AN_ACUPUNCTURIST


@pytest.mark.parametrize("profession", ["acupuncturist", "physician"])
def test_an_acupuncturist_or_physician_may_chart_acupuncture(profession):
    assert certification_problem(ACUPUNCTURE, Clinician(profession)) is None


# ------------------------------------------------------------------------------------ the gate


def test_a_visit_that_may_be_needled_has_no_gate_problem():
    assert gate_problems(dn_gate()) == []
    assert gate_problems(dn_gate(verdict="caution")) == []
    assert gate_problems(acu_gate()) == []


def test_no_needle_without_a_screening_for_this_visit():
    assert gate_problems(dn_gate(screening=None, verdict="")) == [SCREEN_FIRST]


@pytest.mark.parametrize(
    "verdict, words",
    [
        ("refer", "Screening says refer: no needle can be charted at this visit."),
        ("do_not_needle", "Screening says do not needle: no needle can be charted at this visit."),
    ],
)
def test_a_screening_that_stops_needling_stops_every_needle(verdict, words):
    assert gate_problems(dn_gate(verdict=verdict)) == [words]


def test_no_needle_without_consent_to_the_modality():
    assert gate_problems(dn_gate(consents={})) == ["No current consent to dry needling: record the patient's consent."]
    # Consent to the other modality does not count.
    assert gate_problems(acu_gate(consents={DRY_NEEDLING: DN_CONSENT})) == [
        "No current consent to acupuncture: record the patient's consent."
    ]


def test_electrical_stimulation_needs_its_own_consent():
    assert gate_problems(dn_gate(), electrical_stimulation=True) == [
        "No current consent to electrical stimulation: record the patient's consent."
    ]
    with_es = dn_gate(consents={DRY_NEEDLING: DN_CONSENT, ELECTRICAL_STIMULATION: ES_CONSENT})
    assert gate_problems(with_es, electrical_stimulation=True) == []
    # Consent to electrical stimulation alone is no consent to the needling it rides on.
    es_only = dn_gate(consents={ELECTRICAL_STIMULATION: ES_CONSENT})
    assert gate_problems(es_only, electrical_stimulation=True) == [
        "No current consent to dry needling: record the patient's consent."
    ]


def test_the_gate_lists_every_problem_at_once():
    gate = Gate(DRY_NEEDLING, None, "", {}, Clinician("physical_therapist"))
    assert gate_problems(gate, electrical_stimulation=True) == [
        SCREEN_FIRST,
        "No current consent to dry needling: record the patient's consent.",
        "No current consent to electrical stimulation: record the patient's consent.",
        NO_DN_CERTIFICATE,
    ]


def test_an_uncertified_clinician_is_stopped_at_the_gate():
    assert gate_problems(dn_gate(clinician=Clinician("physical_therapist"))) == [NO_DN_CERTIFICATE]
    assert gate_problems(acu_gate(clinician=PT)) == [NOT_AN_ACUPUNCTURIST]


# ------------------------------------------------------------------------------------ blocked targets


def test_lymphoedema_of_the_right_upper_arm_blocks_a_right_arm_target_not_the_left(kb):
    gate = lymphoedema_right_arm()
    right = blocked_reasons(kb, gate, Needle("biceps_brachii", "right"))
    assert len(right) == 1
    assert right[0].startswith("Blocked: Lymphoedema (the right upper limb quadrant).")
    assert blocked_reasons(kb, gate, Needle("biceps_brachii", "left")) == []
    # The quadrant reaches the hand on that side too.
    assert blocked_reasons(kb, gate, Needle("LI4", "right")) == right
    assert blocked_reasons(kb, gate, Needle("LI4", "left")) == []


def test_a_pacemaker_blocks_electrical_stimulation_not_manual_needling(kb):
    assert kb.findings["pacemaker"].rules, "the knowledge base has a pacemaker rule"
    gate = dn_gate(screening=ScreeningInput(70, (ReportedFinding("pacemaker"),)), verdict="caution")
    assert blocked_reasons(kb, gate, Needle("gluteus_medius", "left", electrical_stimulation=True)) == [
        "Blocked: Pacemaker or implanted electrical device (electrical stimulation). Use manual needling "
        "only, away from the device and its leads."
    ]
    assert blocked_reasons(kb, gate, Needle("gluteus_medius", "left")) == []


def test_the_first_trimester_blocks_dry_needling_itself_but_not_acupuncture(kb):
    pregnant = ScreeningInput(30, (ReportedFinding("pregnancy_first_trimester"),))
    dn = blocked_reasons(kb, dn_gate(screening=pregnant, verdict="caution"), Needle("gluteus_medius", "left"))
    assert dn and dn[0].startswith("Blocked: First trimester of pregnancy (dry needling).")
    acu = acu_gate(screening=pregnant, verdict="caution")
    assert blocked_reasons(kb, acu, Needle("gluteus_medius", "left")) == []


def test_a_point_for_trained_acupuncturists_is_blocked_on_a_dry_needling_visit_only(kb):
    assert blocked_reasons(kb, dn_gate(), Needle("ST9", "left")) == [
        "Blocked: ST9 lies over the carotid artery and its sinus; it is for trained acupuncturists only, "
        "never for dry needling."
    ]
    assert blocked_reasons(kb, acu_gate(), Needle("ST9", "left")) == []


def test_nothing_is_blocked_without_a_screening(kb):
    # The missing screening is the gate's problem, not a block an override could answer.
    assert blocked_reasons(kb, dn_gate(screening=None, verdict=""), Needle("ST9", "left")) == []


# ------------------------------------------------------------------------------------ the thorax


def _consent_lacks_pneumothorax(target: str) -> str:
    return (
        f"{target} lies over the lung: the patient's consent must include the risk of pneumothorax. "
        "Record consent again with that risk explained."
    )


def _no_technique(target: str) -> str:
    return (
        f"{target} lies over the lung: record the safe technique used "
        "(rib bracketing, pincer grip, tangential angle, ultrasound or superficial)."
    )


def _other_side(side: str) -> str:
    return (
        f"Lung-field targets are already charted on the {side} side: needle one side of the thorax "
        "per session, so that a pneumothorax could never be bilateral (BN121 §5.1)."
    )


def test_the_lung_field_targets_used_here_are_over_the_lung(kb):
    assert over_lung(kb, "upper_trapezius") and over_lung(kb, "rhomboids")
    assert not over_lung(kb, "masseter") and not over_lung(kb, "unknown_target")


def test_a_lung_field_needle_with_technique_and_full_consent_has_no_problem(kb):
    needle = Needle("upper_trapezius", "left", lung_technique="pincer")
    assert lung_field_problems(kb, needle, [], DN_CONSENT) == []


def test_a_lung_field_needle_needs_pneumothorax_in_the_consent(kb):
    needle = Needle("upper_trapezius", "left", lung_technique="pincer")
    without = ConsentOnFile(DRY_NEEDLING, ALL_RISKS[:5])
    assert lung_field_problems(kb, needle, [], without) == [_consent_lacks_pneumothorax("upper_trapezius")]
    # No consent at all is the gate's problem, not the thorax rule's.
    assert lung_field_problems(kb, needle, [], None) == []


@pytest.mark.parametrize("technique", ["", "freehand"])
def test_a_lung_field_needle_needs_a_safe_technique(kb, technique):
    needle = Needle("upper_trapezius", "left", lung_technique=technique)
    assert lung_field_problems(kb, needle, [], DN_CONSENT) == [_no_technique("upper_trapezius")]


def test_one_side_of_the_thorax_per_session(kb):
    left = Needle("upper_trapezius", "left", lung_technique="pincer")
    right = Needle("rhomboids", "right", lung_technique="pincer")
    assert lung_field_problems(kb, right, [left], DN_CONSENT) == [_other_side("left")]
    assert lung_field_problems(kb, left, [right], DN_CONSENT) == [_other_side("right")]
    # The same side, or a target away from the lung on the other side, is fine.
    assert lung_field_problems(kb, Needle("rhomboids", "left", lung_technique="pincer"), [left], DN_CONSENT) == []
    assert lung_field_problems(kb, right, [Needle("masseter", "left")], DN_CONSENT) == []


def test_a_needle_away_from_the_lung_has_no_thorax_rule(kb):
    needle = Needle("masseter", "right")
    others = [Needle("upper_trapezius", "left", lung_technique="pincer")]
    assert lung_field_problems(kb, needle, others, ConsentOnFile(DRY_NEEDLING, ())) == []


def test_every_thorax_problem_at_once(kb):
    needle = Needle("upper_trapezius", "right")
    others = [Needle("rhomboids", "left", lung_technique="pincer")]
    assert lung_field_problems(kb, needle, others, ConsentOnFile(DRY_NEEDLING, ALL_RISKS[:5])) == [
        _consent_lacks_pneumothorax("upper_trapezius"),
        _no_technique("upper_trapezius"),
        _other_side("left"),
    ]


# ------------------------------------------------------------------------------------ needle count


@pytest.mark.parametrize(
    "needles_in, needles_out, discrepancy, reconciled",
    [
        (3, 3, "", True),
        (0, 0, "", True),
        (3, 2, "", False),
        (3, 2, "   ", False),
        (3, 2, "One needle found on the couch, disposed of in the sharps bin.", True),
        (None, 3, "", False),
        (3, None, "", False),
        (None, None, "written but no counts", False),
    ],
)
def test_counts_reconcile_when_equal_or_the_discrepancy_is_written(needles_in, needles_out, discrepancy, reconciled):
    assert counts_reconciled(needles_in, needles_out, discrepancy) is reconciled


# ------------------------------------------------------------------------------------ signing


def test_a_complete_note_signs(kb):
    assert sign_problems(kb, complete_note()) == ()


def test_a_note_without_needles_needs_no_consent_count_or_certification(kb):
    note = complete_note(
        gate=dn_gate(consents={}, clinician=Clinician("physical_therapist")),
        needles=(),
        needles_in=None,
        needles_out=None,
    )
    assert sign_problems(kb, note) == ()


def test_every_unmet_point_is_listed_at_once(kb):
    note = complete_note(
        gate=lymphoedema_right_arm(),
        screened_on=date(2026, 10, 20),  # the last screening, not today's
        needles=(Needle("masseter", "left", electrical_stimulation=True),),
        planned_left=2,
        nprs_before=None,
        needles_in=2,
        needles_out=1,
    )
    assert sign_problems(kb, note) == (
        SCREEN_TODAY,
        "2 planned targets are neither confirmed nor removed: confirm what was placed today and remove the rest.",
        NPRS_MISSING,
        "No current consent to electrical stimulation: record the patient's consent.",
        NOT_RECONCILED,
    )


def test_acupuncture_with_needles_needs_face_to_face_minutes(kb):
    note = complete_note(gate=acu_gate(), needles=(Needle("LI4", "left"),), face_to_face_minutes=0)
    assert sign_problems(kb, note) == (FACE_TO_FACE,)
    assert sign_problems(kb, replace(note, face_to_face_minutes=15)) == ()
    # Without needles there is no acupuncture time to bill.
    assert sign_problems(kb, replace(note, needles=(), needles_in=None, needles_out=None)) == ()


def test_acupuncture_time_without_a_needle_is_treatment_that_needs_consent_and_certification(kb):
    note = complete_note(
        gate=acu_gate(consents={}, clinician=PT), needles=(), needles_in=None, needles_out=None, face_to_face_minutes=15
    )
    assert sign_problems(kb, note) == (
        "No current consent to acupuncture: record the patient's consent.",
        NOT_AN_ACUPUNCTURIST,
    )
    # No count to reconcile without needles, and no time asked for: it is there.
    assert sign_problems(kb, replace(note, gate=acu_gate())) == ()


def test_electrical_stimulation_time_needs_its_consent(kb):
    note = complete_note(gate=acu_gate(), needles=(Needle("LI4", "left"),), face_to_face_minutes=15)
    with_es_time = replace(note, electrical_stimulation_time=True)
    assert sign_problems(kb, with_es_time) == (
        "No current consent to electrical stimulation: record the patient's consent.",
    )
    consented = acu_gate(consents={ACUPUNCTURE: ACU_CONSENT, ELECTRICAL_STIMULATION: ES_CONSENT})
    assert sign_problems(kb, replace(with_es_time, gate=consented)) == ()


def test_electrical_stimulation_time_is_refused_when_the_screening_blocks_it(kb):
    pacemaker = ScreeningInput(70, (ReportedFinding("pacemaker"),))
    consented = acu_gate(
        screening=pacemaker,
        verdict="caution",
        consents={ACUPUNCTURE: ACU_CONSENT, ELECTRICAL_STIMULATION: ES_CONSENT},
    )
    note = complete_note(gate=consented, needles=(Needle("LI4", "left"),), face_to_face_minutes=15)
    assert sign_problems(kb, note) == ()  # manual acupuncture with a pacemaker signs
    problems = sign_problems(kb, replace(note, electrical_stimulation_time=True))
    assert len(problems) == 1
    assert problems[0].startswith("Electrical stimulation is blocked by the screening (Blocked: Pacemaker")
    assert problems[0].endswith("): remove it from the time segments.")


def test_signing_lists_acupuncture_points_with_the_rest(kb):
    note = complete_note(
        gate=acu_gate(consents={}, clinician=PT),
        needles=(Needle("LI4", "left"),),
        needles_in=None,
        nprs_before=None,
    )
    assert sign_problems(kb, note) == (
        NPRS_MISSING,
        "No current consent to acupuncture: record the patient's consent.",
        NOT_AN_ACUPUNCTURIST,
        NOT_RECONCILED,
        FACE_TO_FACE,
    )


def test_one_planned_target_left_is_named_in_the_singular(kb):
    assert sign_problems(kb, complete_note(planned_left=1)) == (
        "1 planned target is neither confirmed nor removed: confirm what was placed today and remove the rest.",
    )


def test_no_screening_at_all_refuses_the_signature(kb):
    note = complete_note(gate=dn_gate(screening=None, verdict=""), screened_on=None)
    assert sign_problems(kb, note) == (SCREEN_TODAY,)


def test_the_reason_the_pain_score_was_not_taken_stands_in_for_it(kb):
    assert sign_problems(kb, complete_note(nprs_before=None, nprs_before_not_taken="   ")) == (NPRS_MISSING,)
    assert sign_problems(kb, complete_note(nprs_before=None, nprs_before_not_taken="Patient non-verbal")) == ()
    assert sign_problems(kb, complete_note(nprs_before=0)) == ()


def test_a_refer_verdict_stops_signing_needles_but_not_a_note_without_them(kb):
    referred = complete_note(gate=dn_gate(verdict="refer"))
    assert sign_problems(kb, referred) == (
        "Screening says refer: no treatment may be signed at this visit (needles or acupuncture time).",
    )
    assert sign_problems(kb, replace(referred, needles=(), needles_in=None, needles_out=None)) == ()


def test_signing_checks_certification_again(kb):
    note = complete_note(gate=dn_gate(clinician=Clinician("physical_therapist")))
    assert sign_problems(kb, note) == (NO_DN_CERTIFICATE,)


def test_signing_checks_consent_again(kb):
    assert sign_problems(kb, complete_note(gate=dn_gate(consents={}))) == (
        "No current consent to dry needling: record the patient's consent.",
    )


def test_a_blocked_needle_signs_only_with_its_written_override(kb):
    blocked = Needle("biceps_brachii", "right")
    note = complete_note(
        gate=lymphoedema_right_arm(), needles=(blocked, Needle("biceps_brachii", "left")), needles_in=2, needles_out=2
    )
    assert sign_problems(kb, note) == (
        "biceps_brachii (right) is blocked by the screening and has no written override: remove it or give the reason.",
    )
    blank = replace(blocked, override_reason="   ")
    assert len(sign_problems(kb, replace(note, needles=(blank, note.needles[1])))) == 1
    overridden = replace(blocked, override_reason="Oncologist agreed in writing; lymphoedema resolved")
    assert sign_problems(kb, replace(note, needles=(overridden, note.needles[1]))) == ()


def test_signing_runs_the_thorax_rules_again(kb):
    note = complete_note(
        gate=dn_gate(consents={DRY_NEEDLING: ConsentOnFile(DRY_NEEDLING, ALL_RISKS[:5])}),
        needles=(
            Needle("upper_trapezius", "left", lung_technique="pincer"),
            Needle("rhomboids", "right"),
        ),
        needles_in=2,
        needles_out=2,
    )
    assert sign_problems(kb, note) == (
        _consent_lacks_pneumothorax("upper_trapezius"),
        _consent_lacks_pneumothorax("rhomboids"),
        _no_technique("rhomboids"),
        _other_side("left"),
    )


def test_the_discarded_note_never_signs_whatever_else_it_says(kb):
    assert sign_problems(kb, complete_note(discarded=True)) == (DISCARDED,)
    incomplete = complete_note(discarded=True, screened_on=None, nprs_before=None, needles_in=None, planned_left=3)
    assert sign_problems(kb, incomplete) == (DISCARDED,)


# ------------------------------------------------------------------------------------ episode


@pytest.mark.parametrize(
    "active, copied_from, expected",
    [
        ([7, 3], 3, 3),  # the follow-up stays in its visit's episode while that is active
        ([7, 3], 9, 7),  # that episode ended: the newest active one
        ([7, 3], None, 7),
        ([], 3, None),
        ([], None, None),
    ],
)
def test_the_episode_a_new_visit_joins(active, copied_from, expected):
    assert episode_for_new_visit(active, copied_from) == expected


def test_signing_checks_each_needles_numbers_against_the_limits_whatever_path_they_came_by(kb):
    """A needle written past the form (an import, a direct database write) is still judged at signing:
    500 mm with a 30 mm needle, and GB21 deeper than its recorded safe depth."""
    too_deep = Needle("masseter", "left", numbers={"depth_mm": 500, "length_mm": 30})
    gb21 = Needle("GB21", "left", lung_technique="pincer", numbers={"depth_mm": 20, "length_mm": 40})
    problems = sign_problems(kb, complete_note(needles=(too_deep, gb21)))
    assert any(p.startswith("masseter (left): Insertion depth 500 mm is outside") for p in problems)
    assert any(
        p.startswith("GB21 (left): Insertion depth 20 mm is beyond GB21's recorded safe depth") for p in problems
    )
    fine = Needle("masseter", "left", numbers={"depth_mm": 15, "length_mm": 30})
    assert not any("Insertion depth" in p for p in sign_problems(kb, complete_note(needles=(fine,))))
