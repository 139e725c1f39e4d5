"""Acupuncture time segments through the API: `reinserted` in and out, refused when a later segment
leaves it out, and billed by the CPT time rule at signing."""

from __future__ import annotations

from datetime import date

import pytest

from needlechart.charting import services
from needlechart.common.opaque import of as oid
from needlechart.patients.models import Episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def acu_visit(world):
    physio, patient = world["physio"], world["patient"]
    episode = Episode.objects.create(
        patient=patient, condition="hip_pain", started_on=date(2026, 1, 5), created_by=physio
    )
    # Acupuncture is an acupuncturist's or a physician's: this clinician is both physio and physician.
    type(physio).objects.filter(pk=physio.pk).update(profession="physician")
    physio.refresh_from_db()
    risks = ["soreness", "bruising", "bleeding", "infection", "fainting"]
    services.record_consent(physio, patient, "acupuncture", risks, True)
    services.record_consent(physio, patient, "electrical_stimulation", [*risks, "electrical"], True)
    visit = services.start_visit(physio, patient, episode=episode, modality="acupuncture")
    screening = services.screen_patient(physio, patient, [], ["acupuncture"])
    return services.attach_screening(physio, visit, screening)


def test_segments_with_reinserted_round_trip_and_bill(world, acu_visit, as_physio):
    segments = [
        {"minutes": 15, "electrical_stimulation": True},
        {"minutes": 15, "electrical_stimulation": False, "reinserted": True},
    ]
    saved = as_physio.patch(
        f"/visits/{oid(acu_visit)}",
        {
            "version": 1,
            "increments": segments,
            "nprs_before": 5,
            "pain_drawing": [{"region": "lateral_hip", "side": "right"}],
        },
    )
    assert saved.status_code == 200, saved.content
    assert [s["reinserted"] for s in saved.json()["increments"]] == [None, True]
    signed = as_physio.post(f"/visits/{oid(acu_visit)}/sign")
    assert signed.status_code == 200, signed.content
    billing = signed.json()["billing"]
    assert [(p["code"], p["units"]) for p in billing["procedures"]] == [("97813", 1), ("97811", 1)]
    assert [d["code"] for d in billing["diagnoses"]] == ["M25.551", "M70.61"]


def test_a_later_segment_without_reinserted_is_422_naming_it(world, acu_visit, as_physio):
    response = as_physio.patch(
        f"/visits/{oid(acu_visit)}", {"version": 1, "increments": [{"minutes": 15}, {"minutes": 10}]}
    )
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    assert "segment 2" in message and "'reinserted'" in message
    null = as_physio.patch(
        f"/visits/{oid(acu_visit)}",
        {"version": 1, "increments": [{"minutes": 15}, {"minutes": 10, "reinserted": None}]},
    )
    assert null.status_code == 422 and "segment 2" in null.json()["detail"][0]["msg"]


def test_openapi_documents_reinserted(as_physio):
    document = as_physio.client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "reinserted" in schemas["IncrementIn"]["properties"]
    assert "reinserted" in schemas["IncrementOut"]["properties"]
