"""Acupuncture time on the visit: segments with re-insertion, their billing at signing, and the ICD-10-CM
side taken from the visit's pain drawing, through the services and through the visit page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from needlechart.charting import services
from needlechart.charting.models import Visit
from needlechart.charting.services import ChartingError, SignRefused
from needlechart.common.opaque import of as oid
from needlechart.patients.models import Episode
from tests.charting.conftest import ALL_RISKS

pytestmark = pytest.mark.django_db

TWO_SETS = [
    {"minutes": 15, "electrical_stimulation": False},
    {"minutes": 15, "electrical_stimulation": True, "reinserted": True},
]


@pytest.fixture
def hip_episode(patient, acupuncturist):
    return Episode.objects.create(
        patient=patient, condition="hip_pain", started_on=date(2026, 10, 1), created_by=acupuncturist
    )


@pytest.fixture
def acu_visit(acupuncturist, patient, hip_episode):
    """An acupuncture visit with what signing needs besides its time: today's screening, the pain score
    before treatment, and consent to acupuncture and to the electrical stimulation of TWO_SETS."""
    visit = services.start_visit(acupuncturist, patient, episode=hip_episode, modality="acupuncture")
    screening = services.screen_patient(acupuncturist, patient, [], ["acupuncture", "electrical_stimulation"])
    services.attach_screening(acupuncturist, visit, screening)
    services.record_consent(acupuncturist, patient, "acupuncture", ALL_RISKS, True)
    services.record_consent(acupuncturist, patient, "electrical_stimulation", [*ALL_RISKS, "electrical"], True)
    return services.update_draft(acupuncturist, visit, {"nprs_before": 5}, visit.version)


def test_segments_with_reinsertion_sign_as_initial_plus_add_on(acupuncturist, acu_visit):
    drawing = [{"region": "lateral_hip", "side": "left", "intensity": 5}]
    visit = services.update_draft(
        acupuncturist, acu_visit, {"increments": TWO_SETS, "pain_drawing": drawing}, acu_visit.version
    )
    signed = services.sign_visit(acupuncturist, visit)
    assert [(p["code"], p["units"]) for p in signed.billing["procedures"]] == [("97810", 1), ("97814", 1)]
    assert "(re-insertion rule: Acupuncture Today)" in signed.billing["procedures"][1]["reason"]
    diagnoses = [d["code"] for d in signed.billing["diagnoses"]]
    assert diagnoses == ["M25.552", "M70.62"] and "M25.551" not in diagnoses


def test_no_pain_drawing_signs_with_the_unspecified_hip_codes(acupuncturist, acu_visit):
    visit = services.update_draft(acupuncturist, acu_visit, {"increments": TWO_SETS}, acu_visit.version)
    signed = services.sign_visit(acupuncturist, visit)
    assert [d["code"] for d in signed.billing["diagnoses"]] == ["M25.559", "M70.60"]


def test_a_later_segment_without_reinserted_is_refused_naming_the_segment(acupuncturist, acu_visit):
    with pytest.raises(ChartingError, match=r"segment 2: 'reinserted' is missing"):
        services.update_draft(
            acupuncturist, acu_visit, {"increments": [{"minutes": 15}, {"minutes": 15}]}, acu_visit.version
        )
    assert Visit.objects.get(pk=acu_visit.pk).version == acu_visit.version


def test_old_segments_without_reinserted_are_refused_at_signing_not_a_crash(acupuncturist, acu_visit):
    """Segments saved before the field existed: signing says what to fix instead of failing."""
    Visit.objects.filter(pk=acu_visit.pk).update(increments=[{"minutes": 15}, {"minutes": 15}])
    with pytest.raises(ChartingError, match=r"segment 2: 'reinserted' is missing"):
        services.sign_visit(acupuncturist, Visit.objects.get(pk=acu_visit.pk))
    assert not Visit.objects.get(pk=acu_visit.pk).is_signed


def test_acupuncture_needles_sign_only_with_their_face_to_face_time(acupuncturist, patient, acu_visit):
    services.add_insertion(acupuncturist, acu_visit, {"target": "LI4", "side": "left", "technique": "de_qi"})
    visit = services.update_draft(acupuncturist, acu_visit, {"needles_in": 1, "needles_out": 1}, acu_visit.version)
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(acupuncturist, visit)
    assert refused.value.messages == ["Enter the acupuncture face-to-face time (the time segments) before signing."]
    manual = [{"minutes": 15, "electrical_stimulation": False}, {**TWO_SETS[1], "electrical_stimulation": False}]
    visit = services.update_draft(acupuncturist, visit, {"increments": manual}, visit.version)
    signed = services.sign_visit(acupuncturist, visit)
    assert [(p["code"], p["units"]) for p in signed.billing["procedures"]] == [("97810", 1), ("97811", 1)]
    assert set(signed.signed_record["consents"]) == {"acupuncture"}


def test_the_visit_page_records_needles_re_inserted(acupuncturist, patient, acu_visit):
    c = Client()
    c.force_login(acupuncturist)
    base = f"/patients/{oid(patient)}/visits/{oid(acu_visit)}"
    html = c.get(base + "/").content.decode()
    assert "Acupuncture time" in html and "Needles re-inserted" in html
    assert 'name="s1_reinserted"' not in html and 'name="s2_reinserted"' in html

    r = c.post(
        base + "/segments/",
        {"version": acu_visit.version, "s1_minutes": 15, "s2_minutes": 12, "s2_es": "on", "s2_reinserted": "on"},
    )
    assert r.status_code == 302, r.content.decode()[:500]
    visit = Visit.objects.get(pk=acu_visit.pk)
    assert visit.increments == [
        {"minutes": 15, "electrical_stimulation": False},
        {"minutes": 12, "electrical_stimulation": True, "reinserted": True},
    ]
    assert re.search(r'<input type="checkbox" name="s2_reinserted"[^>]* checked>', c.get(base + "/").content.decode())

    # Unticked means no new needles: one set, so 15 + 10 minutes is the initial code only.
    r = c.post(base + "/segments/", {"version": visit.version, "s1_minutes": 15, "s2_minutes": 10})
    assert r.status_code == 302
    visit = Visit.objects.get(pk=visit.pk)
    assert visit.increments[1]["reinserted"] is False
    r = c.post(base + "/sign/")
    assert r.status_code == 302
    signed = Visit.objects.get(pk=visit.pk)
    assert [(p["code"], p["units"]) for p in signed.billing["procedures"]] == [("97810", 1)]


def test_the_visit_page_keeps_bad_segments_and_says_why(acupuncturist, patient, acu_visit):
    c = Client()
    c.force_login(acupuncturist)
    base = f"/patients/{oid(patient)}/visits/{oid(acu_visit)}"
    r = c.post(base + "/segments/", {"version": acu_visit.version, "s1_minutes": 15, "s3_minutes": 10})
    assert r.status_code == 400
    html = r.content.decode()
    assert "Check the acupuncture time" in html and "without an empty one before this" in html
    r = c.post(base + "/segments/", {"version": acu_visit.version, "s1_minutes": 200})
    assert r.status_code == 400 and "less than or equal to 120" in r.content.decode()
    assert Visit.objects.get(pk=acu_visit.pk).increments == []


def test_old_segments_on_the_page_give_a_message_not_a_500(acupuncturist, patient, acu_visit):
    Visit.objects.filter(pk=acu_visit.pk).update(increments=[{"minutes": 15}, {"minutes": 15}])
    c = Client()
    c.force_login(acupuncturist)
    r = c.post(f"/patients/{oid(patient)}/visits/{oid(acu_visit)}/sign/")
    assert r.status_code == 400 and "segment 2: &#x27;reinserted&#x27; is missing" in r.content.decode()


def test_a_second_acupuncture_visit_on_the_same_day_takes_add_on_codes_only(
    acupuncturist, patient, hip_episode, acu_visit
):
    first = services.update_draft(acupuncturist, acu_visit, {"increments": TWO_SETS}, acu_visit.version)
    services.sign_visit(acupuncturist, first)
    later = services.start_visit(acupuncturist, patient, episode=hip_episode, modality="acupuncture")
    assert later.visit_date == first.visit_date
    services.rescreen_unchanged(acupuncturist, later)
    later = services.update_draft(acupuncturist, later, {"increments": TWO_SETS, "nprs_before": 4}, later.version)
    signed = services.sign_visit(acupuncturist, later)
    codes = [p["code"] for p in signed.billing["procedures"]]
    assert "97810" not in codes and "97813" not in codes  # one initial code a day
    assert set(codes) <= {"97811", "97814"}


def test_the_page_shows_and_keeps_every_segment_the_api_recorded(acupuncturist, acu_visit):
    """Five segments entered through the API survive a save on the page (the form grows its rows)."""
    from needlechart.charting.forms import SegmentsForm

    five = [{"minutes": 8, "electrical_stimulation": False}] + [
        {"minutes": 8, "electrical_stimulation": False, "reinserted": True} for _ in range(4)
    ]
    visit = services.update_draft(acupuncturist, acu_visit, {"increments": five}, acu_visit.version)
    initial = SegmentsForm.initial_from(visit)
    form = SegmentsForm(initial=initial)
    assert form.row_count == 6 and len(form.rows) == 6
    posted = {k: v for k, v in initial.items() if v not in (None, False)}
    bound = SegmentsForm(posted)
    assert bound.is_valid(), bound.errors
    assert bound.segments() == five


NO_ES_CONSENT = "No current consent to electrical stimulation: record the patient's consent."


def test_an_electrical_stimulation_segment_needs_consent_and_no_block(acupuncturist, patient, hip_episode):
    """Electroacupuncture billed from the time segments rests on the gate as an ES needle would: its
    consent, and a screening that does not block it (a pacemaker here)."""
    visit = services.start_visit(acupuncturist, patient, episode=hip_episode, modality="acupuncture")
    pacemaker = services.screen_patient(acupuncturist, patient, [{"code": "pacemaker"}], ["acupuncture"])
    services.attach_screening(acupuncturist, visit, pacemaker)
    services.record_consent(acupuncturist, patient, "acupuncture", ALL_RISKS, True)
    services.add_insertion(acupuncturist, visit, {"target": "LI4", "side": "left"})  # manual needle
    visit = services.update_draft(
        acupuncturist,
        visit,
        {
            "nprs_before": 5,
            "needles_in": 1,
            "needles_out": 1,
            "increments": [{"minutes": 15, "electrical_stimulation": True}],
        },
        visit.version,
    )
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(acupuncturist, visit)
    assert len(refused.value.messages) == 2
    assert refused.value.messages[0] == NO_ES_CONSENT
    assert refused.value.messages[1].startswith("Electrical stimulation is blocked by the screening (")
    assert "Pacemaker" in refused.value.messages[1]
    assert not Visit.objects.get(pk=visit.pk).is_signed


def test_acupuncture_time_is_not_billed_without_certification_or_consent(physio, patient, hip_episode):
    """Acupuncture time with no needle logged is still treatment, and billed: a physical therapist with no
    consent on file does not sign it."""
    visit = services.start_visit(physio, patient, episode=hip_episode, modality="acupuncture")
    services.attach_screening(physio, visit, services.screen_patient(physio, patient, [], ["acupuncture"]))
    visit = services.update_draft(
        physio, visit, {"nprs_before": 5, "increments": [{"minutes": 15, "electrical_stimulation": False}]}, 1
    )
    with pytest.raises(SignRefused) as refused:
        services.sign_visit(physio, visit)
    assert refused.value.messages == [
        "No current consent to acupuncture: record the patient's consent.",
        "Acupuncture is charted by an acupuncturist or a physician; your profile says otherwise.",
    ]
    assert not Visit.objects.get(pk=visit.pk).is_signed
