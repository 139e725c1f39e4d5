from __future__ import annotations

from datetime import date

import pytest

from needlechart.accounts.models import Profession, Role
from needlechart.charting import services
from needlechart.patients.models import Episode
from tests import factories as f


@pytest.fixture
def clinic():
    return f.clinic()


@pytest.fixture
def physio(clinic):
    return f.user(clinic, "physio", dry_needling_certified_on=date(2022, 3, 1))


@pytest.fixture
def acupuncturist(clinic):
    return f.user(clinic, "acu", Role.CLINICIAN, profession=Profession.ACUPUNCTURIST)


@pytest.fixture
def patient(clinic):
    return f.patient(clinic, "Ada", "Lovelace", date_of_birth=date(1980, 1, 2))


@pytest.fixture
def episode(patient, physio):
    return Episode.objects.create(
        patient=patient, condition="neck_pain", started_on=date(2026, 10, 1), created_by=physio
    )


ALL_RISKS = ["soreness", "bruising", "bleeding", "infection", "fainting", "pneumothorax"]


@pytest.fixture
def ready_visit(physio, patient, episode):
    """A dry-needling visit with a clear screening and consent: ready for needles."""
    visit = services.start_visit(physio, patient, episode=episode)
    screening = services.screen_patient(physio, patient, [], ["dry_needling"])
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    return services.attach_screening(physio, visit, screening)


@pytest.fixture
def signed(ready_visit, physio):
    """ready_visit signed with one needle. Signing needs today's screening (ready_visit's), the pain
    score before treatment and reconciled counts."""
    services.add_insertion(
        physio, ready_visit, {"target": "levator_scapulae", "side": "left", "lung_technique": "pincer"}
    )
    visit = services.update_draft(
        physio,
        ready_visit,
        {"nprs_before": 6, "needles_in": 1, "needles_out": 1, "plan": "Weekly"},
        ready_visit.version,
    )
    return services.sign_visit(physio, visit)
