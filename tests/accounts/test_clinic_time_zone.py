"""Each clinic's dates are in its own time zone: a visit started just after midnight in Kiritimati
(UTC+14) is dated that clinic's day, and the note's "screened today" is the clinic's today."""

from __future__ import annotations

from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from needlechart.charting.models import Visit
from needlechart.common.opaque import of as oid
from tests import factories as f

pytestmark = pytest.mark.django_db
# 11:00 on 1 December in UTC is 01:00 on 2 December in Kiritimati.
NOW = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


def test_a_visit_is_dated_in_the_clinics_time_zone():
    clinic = f.clinic("line-islands")
    clinic.time_zone = "Pacific/Kiritimati"
    clinic.save()
    physio = f.user(clinic, "physio")
    patient = f.patient(clinic)
    c = Client()
    c.force_login(physio)
    with mock.patch.object(timezone, "now", return_value=NOW):
        assert c.post(f"/patients/{oid(patient)}/visits/new/").status_code == 302
        visit = Visit.objects.get()
        assert visit.visit_date == date(2026, 12, 2)
        page = c.get(f"/patients/{oid(patient)}/visits/{oid(visit)}/").content.decode()
    assert "visit 2026-12-02" in page


def test_a_clinic_in_utc_keeps_the_utc_date():
    clinic = f.clinic()
    physio = f.user(clinic, "physio")
    patient = f.patient(clinic)
    c = Client()
    c.force_login(physio)
    with mock.patch.object(timezone, "now", return_value=NOW):
        c.post(f"/patients/{oid(patient)}/visits/new/")
    assert Visit.objects.get().visit_date == date(2026, 12, 1)


def test_a_time_zone_must_be_a_real_one():
    clinic = f.clinic()
    clinic.time_zone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError, match="not a time zone"):
        clinic.full_clean()
