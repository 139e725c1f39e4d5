"""The SOAP note written from the chart: every structured fact appears, and the course is read with
the NPRS responder rule."""

from __future__ import annotations

import pytest

from needlechart.charting import services, soap
from needlechart.charting.models import Visit
from needlechart.knowledge import load

pytestmark = pytest.mark.django_db


def signed_with(physio, visit, **draft):
    visit = services.update_draft(physio, visit, {"needles_in": 0, "needles_out": 0, **draft}, visit.version)
    return services.sign_visit(physio, visit)


def test_soap_from_structured_data(ready_visit, physio, patient):
    from tests.charting.conftest import ALL_RISKS

    services.record_consent(physio, patient, "electrical_stimulation", ALL_RISKS, True)
    services.add_insertion(
        physio,
        ready_visit,
        {
            "target": "upper_trapezius",
            "side": "left",
            "depth_mm": 12,
            "technique": "pistoning",
            "twitch_responses": 2,
            "lung_technique": "rib_bracketing",
            "es_frequency_hz": 2,
        },
    )
    services.add_palpation(
        physio,
        ready_visit,
        {"muscle": "upper_trapezius", "side": "left", "taut_band": True, "referred_pain_recognised": True},
    )
    services.assign_exercise(physio, ready_visit, "chin_tuck")
    services.add_adverse_event(
        physio,
        ready_visit,
        {"code": "bruising", "severity": "mild", "action_taken": "Pressure for 2 minutes", "note": ""},
    )
    visit = services.update_draft(
        physio,
        Visit.objects.get(pk=ready_visit.pk),
        {
            "pain_drawing": [{"region": "temple", "side": "left", "intensity": 7}],
            "nprs_before": 7,
            "nprs_after": 4,
            "needles_in": 1,
            "needles_out": 1,
            "plan": "Weekly for 4 weeks.",
            "aftercare_given": True,
        },
        ready_visit.version,
    )
    note = soap.compose(load(), visit)
    text = " ".join(note.subjective + note.objective + note.assessment + note.plan)
    for expected in (
        "left temple 7/10",
        "Pain before treatment 7/10",
        "Screening: clear",
        "left upper trapezius: taut band, recognised referred pain",
        "upper trapezius (left, 12 mm, pistoning (fast in and out), 2 twitch responses, "
        "electrical stimulation 2 Hz, rib bracketing)",
        "Needle count 1 in, 1 out",
        "bruising (mild): Pressure for 2 minutes",
        "Pain 7/10 before and 4/10 after",
        "Weekly for 4 weeks.",
        "Home exercises: Chin tuck.",
        "Aftercare explained",
    ):
        assert expected in text, expected


def test_course_since_the_first_visit_uses_the_responder_rule(ready_visit, physio, patient, episode):
    first = signed_with(physio, ready_visit, nprs_before=7)
    second = services.start_visit(physio, patient, episode=episode)
    note = soap.compose(load(), services.update_draft(physio, second, {"nprs_before": 4}, second.version), first)
    assert any("from 7/10 to 4/10: a clinically important improvement" in line for line in note.assessment)
    third = services.start_visit(physio, patient, episode=episode)
    note = soap.compose(load(), services.update_draft(physio, third, {"nprs_before": 6}, third.version), first)
    assert any("not yet a clinically important change" in line for line in note.assessment)
