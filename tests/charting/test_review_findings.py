"""Review of the follow-up / signing / autosave change: defects found off the happy path.

Each test below was written failing, for one defect found off the happy path, and passes since its
fix; the rest document behaviour that was checked and holds.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from needlechart.accounts.models import Role
from needlechart.charting import services
from needlechart.charting.models import PlannedNeedle, Screening, Visit
from needlechart.common.opaque import decode
from needlechart.common.opaque import of as oid
from needlechart.patients.models import Episode
from tests import factories as f
from tests.charting.conftest import ALL_RISKS

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api(user, method: str, path: str, body=None):
    c = logged_in(user)
    kwargs = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(c, method)(f"/api/v1{path}", **kwargs)


def base(visit) -> str:
    return f"/patients/{oid(visit.patient)}/visits/{oid(visit)}"


@pytest.fixture
def signed_first(physio, ready_visit):
    services.add_insertion(
        physio, ready_visit, {"target": "levator_scapulae", "side": "left", "lung_technique": "pincer"}
    )
    services.add_insertion(physio, ready_visit, {"target": "gluteus_medius", "side": "left", "depth_mm": 10})
    visit = services.update_draft(
        physio, ready_visit, {"nprs_before": 5, "needles_in": 2, "needles_out": 2}, ready_visit.version
    )
    return services.sign_visit(physio, visit)


@pytest.fixture
def follow_up(physio, patient, signed_first):
    return services.start_visit(physio, patient, copy_from=signed_first)


@pytest.fixture
def acu_visit(acupuncturist, patient):
    visit = services.start_visit(acupuncturist, patient, modality="acupuncture")
    services.record_consent(acupuncturist, patient, "acupuncture", ALL_RISKS, True)
    return visit


# ---------------------------------------------------------------------------------- signing rules


def test_acupuncture_time_under_a_red_flag_screening_does_not_sign(acupuncturist, patient, acu_visit):
    screening = services.screen_patient(acupuncturist, patient, [{"code": "saddle_anesthesia"}], ["acupuncture"])
    assert screening.verdict == "refer"
    services.attach_screening(acupuncturist, acu_visit, screening)
    visit = services.update_draft(
        acupuncturist,
        acu_visit,
        {"nprs_before": 4, "increments": [{"minutes": 15, "electrical_stimulation": False}]},
        acu_visit.version,
    )
    problems = services.sign_problems(acupuncturist, visit)
    assert any("refer" in p for p in problems), problems
    with pytest.raises(services.SignRefused):
        services.sign_visit(acupuncturist, visit)


def test_a_count_of_fewer_needles_than_logged_does_not_reconcile(physio, ready_visit):
    services.add_insertion(physio, ready_visit, {"target": "gluteus_medius", "side": "left", "depth_mm": 10})
    services.add_insertion(physio, ready_visit, {"target": "gluteus_medius", "side": "right", "depth_mm": 10})
    visit = services.update_draft(
        physio, ready_visit, {"nprs_before": 5, "needles_in": 0, "needles_out": 0}, ready_visit.version
    )
    assert any("count" in p for p in services.sign_problems(physio, visit))


def test_whitespace_only_nprs_reason_does_not_count(physio, ready_visit):
    c = logged_in(physio)
    r = c.post(base(ready_visit) + "/autosave/", {"version": ready_visit.version, "nprs_before_not_taken": "   \t "})
    assert r.status_code == 200
    assert any("pain score before" in p for p in r.json()["sign_problems"])
    r = api(physio, "patch", f"/visits/{oid(ready_visit)}", {"version": 2, "nprs_before_not_taken": "  \n "})
    assert r.status_code == 200
    assert any("pain score before" in p for p in services.sign_problems(physio, Visit.objects.get(pk=ready_visit.pk)))


def test_withdrawal_mid_visit_blocks_confirming_and_signing(physio, patient, follow_up):
    screening = services.rescreen_unchanged(physio, follow_up)
    assert screening.repeats is not None
    services.withdraw_consent(physio, patient, "dry_needling")
    with pytest.raises(services.ChartingError, match="No current consent"):
        services.confirm_all_planned(physio, Visit.objects.get(pk=follow_up.pk))
    assert PlannedNeedle.objects.filter(visit=follow_up).count() == 2


# ---------------------------------------------------------------------------------- the page


@pytest.mark.parametrize("case", ["other_clinician", "signed"])
def test_a_refused_screen_on_the_page_keeps_no_screening(case, clinic, physio, patient, signed_first, ready_visit):
    if case == "other_clinician":
        actor = f.user(clinic, "colleague", dry_needling_certified_on=date(2022, 1, 1))
        visit = services.start_visit(physio, patient)
    else:
        actor, visit = physio, signed_first
    before = Screening.objects.filter(patient=patient).count()
    r = logged_in(actor).post(base(visit) + "/screen/", {"modalities": ["dry_needling"]}, **HX)
    assert r.status_code in (200, 400, 403, 409)
    assert Screening.objects.filter(patient=patient).count() == before


@pytest.mark.parametrize("where", ["confirm", "remove", "drawing", "edit", "start"])
def test_a_unicode_digit_id_is_refused_not_a_500(where, physio, follow_up):
    c = Client(raise_request_exception=False)
    c.force_login(physio)
    if where == "confirm":
        r = c.post(base(follow_up) + "/confirm/", {"planned": "²"}, **HX)
    elif where == "remove":
        r = c.post(base(follow_up) + "/remove/", {"kind": "planned", "id": "²"}, **HX)
    elif where == "drawing":
        r = c.post(base(follow_up) + "/drawing/", {"version": "²"}, **HX)
    elif where == "edit":
        r = c.get(base(follow_up) + "/edit/", {"kind": "planned", "id": "²"}, **HX)
    else:
        r = c.post(f"/patients/{oid(follow_up.patient)}/visits/new/", {"copy_from": "²"})
    assert r.status_code < 500


@pytest.mark.parametrize("where", ["confirm", "edit"])
def test_a_huge_id_is_refused_not_a_500(where, physio, follow_up):
    c = Client(raise_request_exception=False)
    c.force_login(physio)
    huge = "9" * 30
    if where == "confirm":
        r = c.post(base(follow_up) + "/confirm/", {"planned": huge}, **HX)
    else:
        r = c.get(base(follow_up) + "/edit/", {"kind": "planned", "id": huge}, **HX)
    assert r.status_code < 500


def test_autosave_refuses_a_needle_count_the_api_refuses(physio, ready_visit):
    assert api(physio, "patch", f"/visits/{oid(ready_visit)}", {"version": 1, "needles_in": 40000}).status_code == 422
    r = logged_in(physio).post(
        base(ready_visit) + "/autosave/", {"version": ready_visit.version, "needles_in": "40000"}
    )
    assert "needles_in" in r.json()["errors"]
    assert Visit.objects.get(pk=ready_visit.pk).needles_in is None


def test_a_drawing_conflict_keeps_the_clicked_regions(physio, ready_visit):
    services.update_draft(physio, ready_visit, {"pain_drawing": [{"region": "lumbar", "side": "left"}]}, 1)
    r = logged_in(physio).post(base(ready_visit) + "/drawing/", {"version": "1", "pain": ["anterior_neck:right"]}, **HX)
    html = r.content.decode()
    assert "Your input is kept" in html
    assert 'value="anterior_neck:right"' in html


def test_a_note_conflict_without_javascript_keeps_the_typed_text(physio, ready_visit):
    services.update_draft(physio, ready_visit, {"subjective": "Saved in the other tab"}, 1)
    r = logged_in(physio).post(base(ready_visit) + "/note/", {"version": "1", "subjective": "Typed here at 5 pm"})
    html = r.content.decode()
    assert "Your input is kept" in html
    assert "Typed here at 5 pm" in html


def test_follow_up_of_an_unknown_visit_is_refused_on_the_page(physio, patient, clinic):
    other = f.patient(clinic, "Grace", "Hopper")
    theirs = services.start_visit(physio, other)
    before = Visit.objects.filter(patient=patient).count()
    r = logged_in(physio).post(f"/patients/{oid(patient)}/visits/new/", {"copy_from": oid(theirs)})
    assert r.status_code in (302, 400)
    assert Visit.objects.filter(patient=patient).count() == before


def test_confirm_twice_logs_one_needle(physio, follow_up):
    services.rescreen_unchanged(physio, follow_up)
    planned = PlannedNeedle.objects.filter(visit=follow_up).first()
    c = logged_in(physio)
    for _ in range(2):
        r = c.post(base(follow_up) + "/confirm/", {"planned": oid(planned)}, **HX)
        assert r.status_code == 200
    assert follow_up.insertions.count() == 1
    assert "reload the note" in r.content.decode()


def test_confirm_all_with_one_blocked_logs_nothing(physio, patient, follow_up):
    screening = services.screen_patient(
        physio, patient, [{"code": "lymphedema", "region": "shoulder_top", "side": "left"}], ["dry_needling"]
    )
    services.attach_screening(physio, follow_up, screening)
    r = logged_in(physio).post(base(follow_up) + "/confirm-all/", **HX)
    assert r.status_code == 200
    visit = Visit.objects.get(pk=follow_up.pk)
    assert "Nothing was logged" in r.content.decode()
    assert (visit.insertions.count(), visit.plannedneedles.count()) == (0, 2)


# ---------------------------------------------------------------------------------- ES in a segment


def test_aftercare_sheet_has_es_advice_for_es_in_a_segment(acupuncturist, patient, acu_visit):
    services.record_consent(acupuncturist, patient, "electrical_stimulation", [*ALL_RISKS, "electrical"], True)
    screening = services.screen_patient(acupuncturist, patient, [], ["acupuncture", "electrical_stimulation"])
    services.attach_screening(acupuncturist, acu_visit, screening)
    services.add_insertion(acupuncturist, acu_visit, {"target": "LI4", "side": "left"})
    visit = services.update_draft(
        acupuncturist,
        acu_visit,
        {
            "nprs_before": 5,
            "needles_in": 1,
            "needles_out": 1,
            "increments": [{"minutes": 15, "electrical_stimulation": True}],
        },
        acu_visit.version,
    )
    signed = services.sign_visit(acupuncturist, visit)
    assert "electrical_stimulation" in signed.signed_record["consents"]
    html = logged_in(acupuncturist).get(base(visit) + "/aftercare/").content.decode()
    assert "Electrical stimulation can leave the muscles" in html


# ---------------------------------------------------------------------------------- API vs the core


def test_api_follow_up_joins_the_copied_visits_episode(physio, patient, episode, signed_first):
    Episode.objects.create(patient=patient, condition="low_back_pain", started_on=date(2026, 11, 1), created_by=physio)
    r = api(physio, "post", f"/patients/{oid(patient)}/visits", {"copy_from": oid(signed_first)})
    assert r.status_code == 201
    page_rule = services.start_visit(physio, patient, copy_from=signed_first)
    assert page_rule.episode_id == episode.pk
    assert Visit.objects.get(pk=decode("visit", r.json()["id"])).episode_id == episode.pk


def test_addendum_on_a_discarded_note_does_not_call_it_a_draft(physio, ready_visit):
    services.discard_visit(physio, ready_visit, "Wrong patient")
    r = api(physio, "post", f"/visits/{oid(ready_visit)}/addenda", {"text": "late entry"})
    assert r.status_code in (409, 422)
    assert "still a draft" not in r.content.decode()


def test_front_desk_and_admin_cannot_rescreen_or_confirm(clinic, physio, follow_up):
    desk = f.user(clinic, "desk", Role.FRONT_DESK)
    admin = f.user(clinic, "admin", Role.CLINIC_ADMIN)
    assert api(desk, "post", f"/visits/{oid(follow_up)}/rescreen").status_code == 403
    assert api(admin, "post", f"/visits/{oid(follow_up)}/rescreen").status_code == 403
    assert api(admin, "post", f"/visits/{oid(follow_up)}/planned/confirm-all").status_code == 403
    assert not Screening.objects.filter(patient=follow_up.patient, repeats__isnull=False).exists()


def test_other_clinic_sees_404(physio, follow_up):
    other = f.user(f.clinic("hilltop"), "other", dry_needling_certified_on=date(2022, 1, 1))
    assert api(other, "post", f"/visits/{oid(follow_up)}/rescreen").status_code == 404
    planned = follow_up.plannedneedles.first()
    assert api(other, "delete", f"/visits/{oid(follow_up)}/planned/{oid(planned)}").status_code == 404


def test_a_follow_up_is_not_started_from_someone_elses_unsigned_draft(clinic, physio, patient, ready_visit):
    services.add_insertion(physio, ready_visit, {"target": "gluteus_medius", "side": "left", "depth_mm": 10})
    colleague = f.user(clinic, "colleague", dry_needling_certified_on=date(2022, 1, 1))
    with pytest.raises(services.ChartingError):
        services.start_visit(colleague, patient, copy_from=ready_visit)
