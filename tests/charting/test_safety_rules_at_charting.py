"""The core's screening rules act at the moment of charting: a blocked modality or a point for
trained acupuncturists only stops the needle, in the service that the pages and the API both call."""

from __future__ import annotations

import pytest

from needlechart.audit.models import AuditEvent
from needlechart.charting import services
from needlechart.charting.services import ChartingError
from needlechart.common.opaque import of as oid
from tests.charting.conftest import ALL_RISKS

pytestmark = pytest.mark.django_db


def _visit(user, patient, episode, findings, modality):
    visit = services.start_visit(user, patient, episode=episode, modality=modality)
    screening = services.screen_patient(user, patient, findings, [modality])
    services.record_consent(user, patient, modality, ALL_RISKS, True)
    services.attach_screening(user, visit, screening)
    return visit


def test_dry_needling_in_the_first_trimester_needs_a_written_override(physio, patient, episode):
    visit = _visit(physio, patient, episode, [{"code": "pregnancy_first_trimester"}], "dry_needling")
    needle = {"target": "gluteus_medius", "side": "left"}
    with pytest.raises(ChartingError, match="Blocked by screening.*dry needling"):
        services.add_insertion(physio, visit, needle)
    services.add_insertion(physio, visit, needle, override_reason="Obstetrician agreed in writing on 1 Dec")
    assert AuditEvent.objects.filter(action="override").count() == 1


def test_a_point_for_trained_acupuncturists_only_is_blocked_for_a_dry_needler(physio, patient, episode):
    visit = _visit(physio, patient, episode, [], "dry_needling")
    with pytest.raises(ChartingError, match="never for dry needling"):
        services.add_insertion(physio, visit, {"target": "ST9", "side": "left"})


def test_the_same_point_is_a_caution_for_an_acupuncturist(acupuncturist, patient, episode):
    visit = _visit(acupuncturist, patient, episode, [], "acupuncture")
    insertion = services.add_insertion(acupuncturist, visit, {"target": "ST9", "side": "left"})
    assert insertion.override_reason == ""


def test_a_point_never_needled_is_refused_even_with_an_override(acupuncturist, patient, episode):
    visit = _visit(acupuncturist, patient, episode, [], "acupuncture")
    with pytest.raises(ChartingError, match="CV8 is never needled"):
        services.add_insertion(acupuncturist, visit, {"target": "CV8", "side": "midline"}, override_reason="because")
    assert not visit.insertions.exists()


def test_the_live_target_check_judges_as_charting_does(physio, patient, episode):
    """The safety box beside the needle form shows what charting would do: blocked in the first
    trimester on a dry-needling visit, whatever the target."""
    from django.test import Client

    visit = _visit(physio, patient, episode, [{"code": "pregnancy_first_trimester"}], "dry_needling")
    c = Client()
    c.force_login(physio)
    url = f"/patients/{oid(patient)}/visits/{oid(visit)}/target-info/"
    response = c.get(url, {"target": "gluteus medius", "side": "left"})
    assert response.status_code == 200
    assert "status-blocked" in response.content.decode()
    bad = c.get(url, {"target": "LI4", "side": "midline"})
    assert bad.status_code == 200 and "not valid for LI4" in bad.content.decode()


def test_the_modality_cannot_switch_once_a_needle_is_logged(physio, patient, episode):
    visit = _visit(physio, patient, episode, [], "dry_needling")
    services.add_insertion(physio, visit, {"target": "gluteus_medius", "side": "left"})
    visit.refresh_from_db()
    with pytest.raises(ChartingError, match="modality cannot change"):
        services.update_draft(physio, visit, {"modality": "acupuncture"}, visit.version)
    visit.refresh_from_db()
    assert visit.modality == "dry_needling"
    services.update_draft(physio, visit, {"modality": "dry_needling", "plan": "Weekly"}, visit.version)


def test_an_implausible_needle_is_refused_with_the_limit_named(physio, patient, episode):
    visit = _visit(physio, patient, episode, [], "dry_needling")
    with pytest.raises(ChartingError, match="more than the needle's length"):
        services.add_insertion(
            physio, visit, {"target": "gluteus_medius", "side": "left", "length_mm": 30, "depth_mm": 45}
        )
    with pytest.raises(ChartingError, match="Local twitch responses 99"):
        services.add_insertion(physio, visit, {"target": "gluteus_medius", "side": "left", "twitch_responses": 99})
    assert not visit.insertions.exists()


def test_the_needle_form_marks_the_implausible_field():
    from needlechart.charting.forms import InsertionForm

    form = InsertionForm(
        {
            "target": "gluteus medius",
            "side": "left",
            "technique": "static",
            "twitch_responses": 0,
            "retention_minutes": 500,
            "length_mm": 30,
            "depth_mm": 45,
        }
    )
    assert not form.is_valid()
    assert "needle's length" in form.errors["depth_mm"][0]
    assert "Retention time 500 min" in form.errors["retention_minutes"][0]


def test_an_acupuncture_needle_needs_no_twitch_count():
    from needlechart.charting.forms import InsertionForm

    form = InsertionForm({"target": "LI4", "side": "left", "technique": "de_qi", "retention_minutes": 20})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["twitch_responses"] == 0


def test_a_clinic_admin_reads_but_never_creates_clinical_records(clinic, patient):
    """Screenings, consents and episodes are written by clinicians only."""
    from django.core.exceptions import PermissionDenied
    from django.test import Client

    from needlechart.accounts.models import Role
    from needlechart.patients import services as patient_services
    from tests import factories as f

    admin = f.user(clinic, "boss", Role.CLINIC_ADMIN)
    with pytest.raises(PermissionDenied):
        services.screen_patient(admin, patient, [], ["dry_needling"])
    with pytest.raises(PermissionDenied):
        services.record_consent(admin, patient, "dry_needling", ALL_RISKS, True)
    with pytest.raises(PermissionDenied):
        patient_services.start_episode(admin, patient, {"condition": "neck_pain"})
    c = Client()
    c.force_login(admin)
    page = c.get(f"/patients/{oid(patient)}/").content.decode()
    assert "New episode" not in page
    response = c.get(f"/patients/{oid(patient)}/episodes/new/")
    assert response.status_code == 302  # back to the patient with a message, not a bare 403
