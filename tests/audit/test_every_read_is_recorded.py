"""Every response that shows clinical content leaves an audit row (the edit page, the aftercare
sheet, the live target check, the note's updated sections, the API's PATCH answer), and a look at
another clinic's record is recorded as a refused attempt, once a minute at most."""

from __future__ import annotations

import pytest
from django.test import Client

from needlechart.audit.models import AuditEvent
from needlechart.charting import services
from needlechart.common.opaque import encode
from needlechart.common.opaque import of as oid
from tests import factories as f
from tests.charting.conftest import ALL_RISKS

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    clinic = f.clinic()
    physio = f.user(clinic, "physio", dry_needling_certified_on=__import__("datetime").date(2022, 3, 1))
    patient = f.patient(clinic)
    visit = services.start_visit(physio, patient)
    services.attach_screening(physio, visit, services.screen_patient(physio, patient, [], ["dry_needling"]))
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    c = Client()
    c.force_login(physio)
    return physio, patient, visit, c


def views(patient) -> list[str]:
    return list(AuditEvent.objects.filter(action="view", patient=patient).values_list("summary", flat=True))


def test_reads_of_clinical_content_are_recorded(world):
    physio, patient, visit, c = world
    base = f"/patients/{oid(patient)}/visits/{oid(visit)}"
    checks = [
        (f"/patients/{oid(patient)}/edit/", {}, "Opened the record to edit it"),
        (base + "/aftercare/", {}, "Opened the aftercare sheet"),
        (base + "/target-info/?target=masseter&side=left", {}, "Checked masseter (left) against the screening"),
    ]
    for url, extra, summary in checks:
        assert c.get(url, **extra).status_code == 200
        assert summary in views(patient), url
    c.post(base + "/rescreen/", HTTP_HX_REQUEST="true")
    assert "Viewed the note's updated sections" in views(patient)
    r = c.patch(f"/api/v1/visits/{oid(visit)}", {"version": 1, "plan": "Weekly"}, content_type="application/json")
    assert r.status_code == 200 and "Read the note after saving it" in views(patient)


def test_a_probe_of_another_clinics_record_is_recorded_once_a_minute(world):
    physio, patient, visit, c = world
    theirs = f.patient(f.clinic("hilltop"), "Grace", "Hopper")
    for _ in range(3):
        assert c.get(f"/patients/{oid(theirs)}/").status_code == 404
    assert c.get(f"/api/v1/visits/{encode('visit', visit.pk + 1000)}").status_code == 404
    denied = AuditEvent.objects.filter(action="denied", actor=physio)
    assert sorted(denied.values_list("object_type", "object_id")) == [
        ("charting.visit", str(visit.pk + 1000)),
        ("patients.patient", str(theirs.pk)),
    ]
