"""Charting rules, scenario by scenario: the gate before any needle, blocked targets, lung-field
technique, needle counts, signing and addenda."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from needlechart.audit.models import AuditEvent
from needlechart.charting import services
from needlechart.charting.models import NoteLocked, Visit
from needlechart.charting.services import ChartingError, SignRefused
from tests import factories as f
from tests.charting.conftest import ALL_RISKS

pytestmark = pytest.mark.django_db

TRAP_LEFT = {
    "target": "upper_trapezius",
    "side": "left",
    "depth_mm": 15,
    "technique": "pistoning",
    "lung_technique": "pincer",
    "twitch_responses": 2,
}


def test_no_needle_without_screening(physio, patient, episode):
    visit = services.start_visit(physio, patient, episode=episode)
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    with pytest.raises(ChartingError, match="Screen the patient"):
        services.add_insertion(physio, visit, TRAP_LEFT)


def test_no_needle_without_consent(physio, patient, episode):
    visit = services.start_visit(physio, patient, episode=episode)
    services.attach_screening(physio, visit, services.screen_patient(physio, patient, [], ["dry_needling"]))
    with pytest.raises(ChartingError, match="consent to dry needling"):
        services.add_insertion(physio, visit, TRAP_LEFT)


def test_consent_needs_every_standard_risk_explained(physio, patient):
    with pytest.raises(ChartingError, match="fainting"):
        services.record_consent(
            physio, patient, "dry_needling", ["soreness", "bruising", "bleeding", "infection"], True
        )


def test_declined_consent_is_recorded_but_not_current(physio, patient):
    services.record_consent(physio, patient, "acupuncture", [], False)
    assert services.current_consent(patient, "acupuncture") is None


def test_red_flag_refers_and_nothing_can_be_charted(physio, patient, episode):
    # Low back pain with new saddle numbness: refer today, chart nothing.
    visit = services.start_visit(physio, patient, episode=episode)
    screening = services.screen_patient(physio, patient, [{"code": "saddle_anesthesia"}], ["dry_needling"])
    assert screening.verdict == "refer" and screening.urgency == "emergency"
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    services.attach_screening(physio, visit, screening)
    with pytest.raises(ChartingError, match="Screening says refer"):
        services.add_insertion(physio, visit, TRAP_LEFT)


def test_blocked_target_needs_a_written_override_which_is_audited(physio, patient, episode):
    # On apixaban: iliopsoas is deep and not compressible.
    visit = services.start_visit(physio, patient, episode=episode)
    screening = services.screen_patient(physio, patient, [{"code": "anticoagulant_therapy"}], ["dry_needling"])
    assert screening.verdict == "caution"
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    services.attach_screening(physio, visit, screening)
    psoas = {"target": "iliopsoas", "side": "left", "depth_mm": 60}
    with pytest.raises(ChartingError, match="Blocked by screening.*write the reason"):
        services.add_insertion(physio, visit, psoas)
    insertion = services.add_insertion(physio, visit, psoas, override_reason="Ultrasound-guided; INR 2.1 today")
    assert insertion.override_reason.startswith("Ultrasound")
    event = AuditEvent.objects.get(action="override")
    assert event.detail["override_reason"] == "Ultrasound-guided; INR 2.1 today"
    # Compressible targets need no override.
    services.add_insertion(physio, visit, {"target": "gluteus_medius", "side": "left"})


def test_lung_field_target_requires_the_safe_technique(ready_visit, physio):
    with pytest.raises(ChartingError, match="lies over the lung"):
        services.add_insertion(physio, ready_visit, {**TRAP_LEFT, "lung_technique": ""})
    assert services.add_insertion(physio, ready_visit, TRAP_LEFT).lung_technique == "pincer"


def test_pacemaker_blocks_electrical_stimulation_at_charting(physio, patient, episode):
    visit = services.start_visit(physio, patient, episode=episode)
    screening = services.screen_patient(
        physio, patient, [{"code": "pacemaker"}], ["dry_needling", "electrical_stimulation"]
    )
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    services.record_consent(physio, patient, "electrical_stimulation", ALL_RISKS, True)
    services.attach_screening(physio, visit, screening)
    with pytest.raises(ChartingError, match="Pacemaker"):
        services.add_insertion(physio, visit, {"target": "gluteus_medius", "side": "left", "es_frequency_hz": 2})
    services.add_insertion(physio, visit, {"target": "gluteus_medius", "side": "left"})


def test_uncertified_clinician_cannot_chart_dry_needling(patient, clinic, episode):
    uncertified = f.user(clinic, "newgrad")
    visit = services.start_visit(uncertified, patient, episode=episode)
    services.attach_screening(uncertified, visit, services.screen_patient(uncertified, patient, [], ["dry_needling"]))
    services.record_consent(uncertified, patient, "dry_needling", ALL_RISKS, True)
    with pytest.raises(ChartingError, match="certification"):
        services.add_insertion(uncertified, visit, TRAP_LEFT)


NOT_RECONCILED = (
    "The needle count is not reconciled: enter needles in and out; if they differ, document what "
    "happened and the action taken."
)


def test_signing_needs_reconciled_counts(ready_visit, physio):
    services.add_insertion(physio, ready_visit, TRAP_LEFT)
    visit = services.update_draft(physio, ready_visit, {"nprs_before": 6}, ready_visit.version)
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(physio, visit)
    assert refused.value.messages == [NOT_RECONCILED]
    visit = services.update_draft(physio, visit, {"needles_in": 3, "needles_out": 2}, visit.version)
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(physio, visit)
    assert refused.value.messages == [NOT_RECONCILED]
    visit = services.update_draft(
        physio,
        visit,
        {"count_discrepancy": "One needle found on the couch and disposed of in the sharps bin."},
        visit.version,
    )
    signed = services.sign_visit(physio, visit)
    assert signed.is_signed and signed.billing["procedures"][0]["code"] == "20560"
    assert "M54.2" in [d["code"] for d in signed.billing["diagnoses"]]


def test_matching_counts_sign(ready_visit, physio):
    services.add_insertion(physio, ready_visit, TRAP_LEFT)
    for muscle in ("levator_scapulae", "splenius_capitis"):
        services.add_insertion(physio, ready_visit, {"target": muscle, "side": "left", "lung_technique": "pincer"})
    visit = services.update_draft(
        physio, ready_visit, {"nprs_before": 6, "needles_in": 3, "needles_out": 3}, ready_visit.version
    )
    assert services.sign_visit(physio, visit).billing["procedures"][0]["code"] == "20561"


def test_a_signed_note_takes_only_addenda_by_its_author(ready_visit, physio, clinic):
    visit = services.update_draft(
        physio, ready_visit, {"nprs_before": 6, "needles_in": 0, "needles_out": 0}, ready_visit.version
    )
    visit = services.sign_visit(physio, visit)
    with pytest.raises(NoteLocked):
        services.update_draft(physio, visit, {"plan": "changed"}, visit.version)
    with pytest.raises(NoteLocked):
        services.add_insertion(physio, visit, TRAP_LEFT)
    with pytest.raises(NoteLocked):
        services.sign_visit(physio, visit)
    colleague = f.user(clinic, "colleague")
    with pytest.raises(PermissionDenied):
        services.add_addendum(colleague, visit, "I disagree")
    addendum = services.add_addendum(physio, visit, "Patient phoned: soreness settled after 24 h.")
    assert addendum.created_at and visit.addenda.count() == 1


@pytest.mark.postgres
def test_concurrent_draft_saves_conflict(ready_visit, physio):
    services.update_draft(physio, ready_visit, {"subjective": "Neck pain 6/10"}, 1)
    with pytest.raises(services.DraftConflict) as caught:
        services.update_draft(physio, ready_visit, {"subjective": "Neck pain 7/10"}, 1)
    assert caught.value.current.subjective == "Neck pain 6/10"


ONE_PLANNED_LEFT = (
    "1 planned target is neither confirmed nor removed: confirm what was placed today and remove the rest."
)


@pytest.fixture
def signed_with_trap(ready_visit, physio):
    services.add_insertion(physio, ready_visit, TRAP_LEFT)
    visit = services.update_draft(
        physio,
        ready_visit,
        {
            "pain_drawing": [{"region": "temple", "side": "left", "intensity": 6}],
            "plan": "Weekly x4",
            "nprs_before": 6,
            "needles_in": 1,
            "needles_out": 1,
        },
        ready_visit.version,
    )
    return services.sign_visit(physio, visit)


def _follow_up_ready_but_for_the_plan(physio, patient, visit):
    """A follow-up, screened today (nothing changed) with its pain score and counts entered."""
    follow_up = services.start_visit(physio, patient, copy_from=visit)
    services.rescreen_unchanged(physio, follow_up)
    return services.update_draft(
        physio, follow_up, {"nprs_before": 4, "needles_in": 1, "needles_out": 1}, follow_up.version
    )


def test_copy_forward_prefills_drawing_and_needle_plan(signed_with_trap, physio, patient):
    visit = signed_with_trap
    follow_up = services.start_visit(physio, patient, copy_from=visit)
    assert follow_up.pain_drawing == visit.pain_drawing and follow_up.plan == "Weekly x4"
    # The needles come forward as a plan: nothing counts as placed today.
    planned = [
        (p.target, p.side, p.depth_mm, p.technique, p.lung_technique, p.planned_from_id)
        for p in follow_up.plannedneedles.all()
    ]
    assert planned == [("upper_trapezius", "left", 15, "pistoning", "pincer", visit.pk)]
    assert not follow_up.insertions.exists()
    assert not follow_up.is_signed and follow_up.episode == visit.episode


def test_a_follow_up_signs_only_once_its_planned_targets_are_confirmed(signed_with_trap, physio, patient):
    follow_up = _follow_up_ready_but_for_the_plan(physio, patient, signed_with_trap)
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(physio, follow_up)
    assert refused.value.messages == [ONE_PLANNED_LEFT]
    planned = follow_up.plannedneedles.get()
    insertion = services.confirm_planned(physio, follow_up, planned.pk, {"depth_mm": 12})
    assert (insertion.visit_id, insertion.target, insertion.side) == (follow_up.pk, "upper_trapezius", "left")
    assert (insertion.depth_mm, insertion.technique, insertion.lung_technique) == (12, "pistoning", "pincer")
    assert insertion.twitch_responses == 0  # last visit's twitches are last visit's
    assert not follow_up.plannedneedles.exists() and list(follow_up.insertions.all()) == [insertion]
    signed = services.sign_visit(physio, Visit.objects.get(pk=follow_up.pk))
    assert signed.is_signed and signed.billing["procedures"][0]["code"] == "20560"


def test_a_follow_up_signs_once_a_planned_target_not_placed_is_removed(signed_with_trap, physio, patient):
    follow_up = _follow_up_ready_but_for_the_plan(physio, patient, signed_with_trap)
    follow_up = services.update_draft(physio, follow_up, {"needles_in": None, "needles_out": None}, follow_up.version)
    services.remove_part(physio, follow_up, "planned", follow_up.plannedneedles.get().pk)
    assert AuditEvent.objects.filter(action="remove", summary="Planned target removed from the draft").count() == 1
    signed = services.sign_visit(physio, Visit.objects.get(pk=follow_up.pk))
    assert signed.is_signed and not signed.insertions.exists()


def test_front_desk_cannot_screen_or_chart(patient, clinic):
    desk = f.user(clinic, "desk", "front_desk")
    with pytest.raises(PermissionDenied):
        services.screen_patient(desk, patient, [], [])
    with pytest.raises(PermissionDenied):
        services.start_visit(desk, patient)


def test_lung_field_target_needs_pneumothorax_in_the_consent(physio, patient, episode):
    visit = services.start_visit(physio, patient, episode=episode)
    services.attach_screening(physio, visit, services.screen_patient(physio, patient, [], ["dry_needling"]))
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS[:5], True)  # pneumothorax not explained
    with pytest.raises(ChartingError, match="risk of pneumothorax"):
        services.add_insertion(physio, visit, TRAP_LEFT)
    services.add_insertion(physio, visit, {"target": "masseter", "side": "left"})  # not over the lung: fine
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    services.add_insertion(physio, visit, TRAP_LEFT)


def test_one_side_of_the_thorax_per_session(ready_visit, physio):
    services.add_insertion(physio, ready_visit, TRAP_LEFT)
    services.add_insertion(physio, ready_visit, {"target": "rhomboids", "side": "left", "lung_technique": "pincer"})
    with pytest.raises(ChartingError, match="one side of the thorax per session"):
        services.add_insertion(physio, ready_visit, {**TRAP_LEFT, "side": "right"})
    services.add_insertion(physio, ready_visit, {"target": "masseter", "side": "right"})
