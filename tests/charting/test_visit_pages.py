"""The visit page end to end through Django's test client: screen, consent, draw, needle, sign, amend."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from needlechart.charting.models import Visit
from needlechart.common.opaque import of as oid
from tests import factories as f

pytestmark = pytest.mark.django_db


def logged_in(u):
    c = Client()
    c.force_login(u)
    return c


@pytest.fixture
def c(physio):
    return logged_in(physio)


def start(c, patient) -> Visit:
    response = c.post(f"/patients/{oid(patient)}/visits/new/")
    assert response.status_code == 302
    return Visit.objects.latest("id")


def test_full_visit_flow(c, physio, patient, episode):
    visit = start(c, patient)
    base = f"/patients/{oid(patient)}/visits/{oid(visit)}"
    html = c.get(base + "/").content.decode()
    assert "Screen the patient for this visit" in html and "Draft note" in html

    # No needle before screening and consent: the form keeps what was typed and says why.
    r = c.post(
        base + "/needle/",
        {
            "target": "upper trap",
            "side": "left",
            "technique": "static",
            "twitch_responses": 0,
            "retention_minutes": 0,
            "lung_technique": "pincer",
        },
    )
    assert r.status_code == 400 and "Screen the patient" in r.content.decode()
    assert 'value="upper trap"' in r.content.decode()

    assert (
        c.post(base + "/screen/", {"modalities": ["dry_needling"], "f_anticoagulant_therapy": "on"}).status_code == 302
    )
    assert (
        c.post(
            base + "/consent/",
            {
                "modality": "dry_needling",
                "agreed": "yes",
                "risks": ["soreness", "bruising", "bleeding", "infection", "fainting", "pneumothorax"],
            },
        ).status_code
        == 302
    )
    visit.refresh_from_db()
    assert (
        c.post(
            base + "/drawing/",
            {"version": visit.version, "pain": ["temple:left", "posterior_neck:left"], "intensity_temple_left": "6"},
        ).status_code
        == 302
    )
    visit.refresh_from_db()
    assert visit.pain_drawing[0] == {"region": "temple", "side": "left", "intensity": 6}

    html = c.get(base + "/").content.decode()
    assert "caution" in html and "Anticoagulant therapy" in html  # precautions at the top
    # Each marked area's intensity, the saved one selected, the other area's not set yet.
    temple = re.search(r'<select id="int-temple-left" name="intensity_temple_left">(.*?)</select>', html).group(1)
    assert re.findall(r'<option value="(\d*)"( selected)?>', temple) == [("", "")] + [
        (str(n), " selected" if n == 6 else "") for n in range(11)
    ]
    neck = re.search(r'<select id="int-posterior_neck-left" name="intensity_posterior_neck_left">(.*?)</select>', html)
    assert " selected" not in neck.group(1)
    assert "Suggested targets" in html and "Upper trapezius" in html

    # A lung-field target without the technique is refused; with it, charted.
    needle = {
        "target": "upper trap",
        "side": "left",
        "technique": "pistoning",
        "twitch_responses": 2,
        "retention_minutes": 0,
        "depth_mm": 12,
    }
    r = c.post(base + "/needle/", needle)
    assert r.status_code == 400 and "lies over the lung" in r.content.decode()
    assert (
        c.post(
            base + "/needle/",
            {
                **needle,
                "lung_technique": "pincer",
                "es_frequency_hz": "2",
                "es_pulse_width_ms": "0.3",
                "es_intensity_ma": "4",
                "es_minutes": "10",
            },
        ).status_code
        == 400
    )  # no consent for electrical stimulation yet
    assert c.post(base + "/needle/", {**needle, "lung_technique": "pincer"}).status_code == 302

    # Blocked target: override reason needed.
    psoas = {"target": "psoas", "side": "left", "technique": "static", "twitch_responses": 0, "retention_minutes": 0}
    r = c.post(base + "/needle/", psoas)
    assert r.status_code == 400 and "Blocked by screening" in r.content.decode()
    assert c.post(base + "/needle/", {**psoas, "override_reason": "Ultrasound guided"}).status_code == 302

    visit.refresh_from_db()
    note = {
        "version": visit.version,
        "subjective": "Left-sided headache",
        "needles_in": 2,
        "needles_out": 1,
        "nprs_before": 6,
        "nprs_after": 3,
    }
    assert c.post(base + "/note/", note).status_code == 302
    r = c.post(base + "/sign/")
    assert r.status_code == 400 and "not reconciled" in r.content.decode()
    visit.refresh_from_db()
    assert c.post(base + "/note/", {**note, "version": visit.version, "needles_out": 2}).status_code == 302
    assert c.post(base + "/sign/").status_code == 302
    html = c.get(base + "/").content.decode()
    assert "Signed note" in html and "20560" in html and "Left-sided headache" in html

    # Nothing changes any more; the author adds an addendum.
    r = c.post(base + "/note/", {**note, "version": visit.version + 5, "subjective": "rewritten"})
    assert r.status_code == 400
    assert c.post(base + "/addendum/", {"text": "Phoned: headache eased."}).status_code == 302
    assert "Phoned: headache eased." in c.get(base + "/").content.decode()
    assert "Aftercare" in c.get(base + "/aftercare/").content.decode()


def test_red_flag_visit_cannot_chart(c, patient, episode):
    visit = start(c, patient)
    base = f"/patients/{oid(patient)}/visits/{oid(visit)}"
    c.post(base + "/screen/", {"modalities": ["dry_needling"], "f_cervical_arterial_signs": "on"})
    html = c.get(base + "/").content.decode()
    assert "refer (emergency)" in html


def test_site_finding_needs_where(c, patient, episode):
    visit = start(c, patient)
    r = c.post(
        f"/patients/{oid(patient)}/visits/{oid(visit)}/screen/", {"modalities": ["dry_needling"], "f_lymphedema": "on"}
    )
    assert r.status_code == 400 and "say where" in r.content.decode()


def test_front_desk_cannot_open_a_visit(clinic, patient, physio, episode):
    visit = start(logged_in(physio), patient)
    desk = f.user(clinic, "desk", "front_desk")
    assert logged_in(desk).get(f"/patients/{oid(patient)}/visits/{oid(visit)}/").status_code == 403


def test_other_clinic_gets_404_on_a_visit(patient, physio, episode):
    visit = start(logged_in(physio), patient)
    stranger = f.user(f.clinic("elsewhere"), "stranger")
    assert logged_in(stranger).get(f"/patients/{oid(patient)}/visits/{oid(visit)}/").status_code == 404


def test_follow_up_copies_forward(c, patient, episode, ready_visit, physio):
    from needlechart.charting import services

    services.add_insertion(physio, ready_visit, {"target": "masseter", "side": "left"})
    drawing = [{"region": "jaw", "side": "left", "intensity": None}]
    v = services.update_draft(
        physio, ready_visit, {"needles_in": 1, "needles_out": 1, "nprs_before": 5, "pain_drawing": drawing}, 1
    )
    services.sign_visit(physio, v)
    c.post(f"/patients/{oid(patient)}/visits/new/", {"copy_from": oid(v)})
    follow = Visit.objects.latest("id")
    assert follow.copied_from == v and follow.pain_drawing == drawing
    # The needle comes forward as a plan, not as a needle placed today.
    assert follow.insertions.count() == 0
    assert [(p.target, p.side) for p in follow.plannedneedles.all()] == [("masseter", "left")]
    page = c.get(f"/patients/{oid(patient)}/visits/{oid(follow)}/").content.decode()
    assert "not placed until confirmed" in page and "Placed as planned" in page


def test_autosave_saves_in_the_background_and_never_overwrites(c, patient, episode, physio):
    visit = start(c, patient)
    url = f"/patients/{oid(patient)}/visits/{oid(visit)}/autosave/"
    r = c.post(url, {"version": 1, "subjective": "Typing..."})
    answer = r.json()
    assert r.status_code == 200 and answer["ok"] and answer["version"] == 2 and answer["saved"] == ["subjective"]
    visit.refresh_from_db()
    assert visit.subjective == "Typing..." and visit.version == 2
    # Another tab that saw version 1 cannot overwrite the field saved since...
    stale = c.post(url, {"version": 1, "subjective": "Other tab"}).json()
    assert not stale["ok"] and stale["conflict"] == ["subjective"] and "someone else changed" in stale["error"]
    visit.refresh_from_db()
    assert visit.subjective == "Typing..."
    # ...but its other fields save: a different field is no conflict.
    assert c.post(url, {"version": 1, "objective": "Tender band"}).json()["saved"] == ["objective"]
    # A bad value is refused beside its field while the good ones in the same save are kept.
    bad = c.post(url, {"version": 3, "nprs_before": 14, "plan": "Weekly"}).json()
    assert not bad["ok"] and "nprs_before" in bad["errors"] and bad["saved"] == ["plan"]
    visit.refresh_from_db()
    assert visit.nprs_before is None and visit.plan == "Weekly" and visit.objective == "Tender band"


def test_palpation_and_home_exercises(c, patient, episode, ready_visit):
    base = f"/patients/{oid(patient)}/visits/{oid(ready_visit)}"
    bad = c.post(base + "/palpation/", {"muscle": "trapezoid", "side": "left"})
    assert (
        bad.status_code == 400
        and "unknown muscle" in bad.content.decode()
        and 'value="trapezoid"' in bad.content.decode()
    )
    assert (
        c.post(
            base + "/palpation/",
            {"muscle": "upper trap", "side": "left", "taut_band": "on", "referred_pain_recognised": "on"},
        ).status_code
        == 302
    )
    assert c.post(base + "/exercise/", {"exercise": "chin_tuck", "dosage": ""}).status_code == 302
    html = c.get(base + "/").content.decode()
    assert "Upper trapezius" in html.split("Palpation findings")[1] and "Chin tuck" in html
    sheet = c.get(base + "/aftercare/").content.decode()
    assert "Your home exercises" in sheet and "Chin tuck" in sheet


def test_target_info_shows_hazards_and_this_patients_status(c, physio, patient, episode):
    from needlechart.charting import services

    visit = start(c, patient)
    services.attach_screening(
        physio, visit, services.screen_patient(physio, patient, [{"code": "anticoagulant_therapy"}], ["dry_needling"])
    )
    url = f"/patients/{oid(patient)}/visits/{oid(visit)}/target-info/"
    html = c.get(url, {"target": "psoas", "side": "left"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Iliopsoas" in html and "blocked" in html and "femoral" in html.lower()
    html = c.get(url, {"target": "upper trap", "side": "left"}).content.decode()
    assert "Over the lung" in html and "status-ok" in html
    assert "unknown target" in c.get(url, {"target": "trapezoid"}).content.decode()


@pytest.mark.postgres
def test_patient_page_lists_visits_newest_first(c, physio, patient, episode):
    from datetime import date as day

    from needlechart.charting import services

    for d in (day(2026, 9, 6), day(2026, 10, 4), day(2026, 7, 12), day(2026, 7, 26)):
        v = services.start_visit(physio, patient, episode=episode)
        Visit.objects.filter(pk=v.pk).update(visit_date=d)
    html = c.get(f"/patients/{oid(patient)}/").content.decode().split('id="visits-h"')[1]
    dates = [html.index(s) for s in ("2026-10-04", "2026-09-06", "2026-07-26", "2026-07-12")]
    assert dates == sorted(dates)


def test_a_link_followed_after_a_form_error_lands_on_the_note_not_a_405(c, physio, patient, episode):
    """After a validation error the page is shown at the action's POST address; the suggestion links
    ("?target=...&side=...") and a reload then GET that address: they must reach the note."""
    visit = start(c, patient)
    action = f"/patients/{oid(patient)}/visits/{oid(visit)}/needle/"
    failed = c.post(action, {"target": "not a muscle", "side": "left"})
    assert failed.status_code == 400
    followed = c.get(action, {"target": "LI4", "side": "left"})
    assert followed.status_code == 302
    assert followed["Location"] == f"/patients/{oid(patient)}/visits/{oid(visit)}/?target=LI4&side=left"
    assert c.get(followed["Location"]).status_code == 200


def test_a_clinic_admin_and_another_clinician_read_a_draft_but_get_no_form(patient, physio, episode):
    from needlechart.accounts.models import Role

    visit = start(logged_in(physio), patient)
    admin = f.user(physio.clinic, "boss", Role.CLINIC_ADMIN)
    colleague = f.user(physio.clinic, "colleague", dry_needling_certified_on=physio.dry_needling_certified_on)
    for reader, reason in ((admin, "only the treating clinician charts a visit"), (colleague, "this draft is")):
        page = logged_in(reader).get(f"/patients/{oid(patient)}/visits/{oid(visit)}/")
        html = page.content.decode()
        assert page.status_code == 200 and "Read only" in html and reason in html
        assert 'id="note-live"' not in html and "/needle/" not in html
        # ...and a post anyway is refused, never a half-saved note.
        refused = logged_in(reader).post(f"/patients/{oid(patient)}/visits/{oid(visit)}/note/", {"version": 1})
        assert refused.status_code == 403


def test_every_draft_row_is_corrected_and_removed_on_the_page_in_place(c, patient, ready_visit, physio):
    """Needles, palpation findings, adverse events and exercises: Edit fills the form with the row,
    saving changes that row (audited), Remove takes it out; each answer is the note's live parts."""
    from needlechart.audit.models import AuditEvent
    from needlechart.charting import services

    base = f"/patients/{oid(patient)}/visits/{oid(ready_visit)}"
    hx = {"HTTP_HX_REQUEST": "true"}
    needle = services.add_insertion(physio, ready_visit, {"target": "masseter", "side": "left", "depth_mm": 10})
    form = c.get(base + f"/edit/?kind=insertion&id={oid(needle)}", **hx).content.decode()
    assert f'name="editing" value="{oid(needle)}"' in form and 'value="masseter"' in form and "Save needle" in form
    r = c.post(
        base + "/needle/",
        {"target": "masseter", "side": "left", "depth_mm": 15, "technique": "static", "editing": oid(needle)},
        **hx,
    )
    assert r.status_code == 200 and 'hx-swap-oob="true"' in r.content.decode()
    needle.refresh_from_db()
    assert needle.depth_mm == 15 and ready_visit.insertions.count() == 1

    palp = services.add_palpation(physio, ready_visit, {"muscle": "masseter", "side": "left", "taut_band": True})
    assert f'value="{oid(palp)}"' in c.get(base + f"/edit/?kind=palpation&id={oid(palp)}", **hx).content.decode()
    c.post(
        base + "/palpation/", {"muscle": "masseter", "side": "left", "tender_spot": "on", "editing": oid(palp)}, **hx
    )
    palp.refresh_from_db()
    assert (palp.taut_band, palp.tender_spot) == (False, True)

    event = services.add_adverse_event(
        physio, ready_visit, {"code": "bruising", "severity": "mild", "action_taken": "Pressure"}
    )
    c.post(
        base + "/adverse-event/",
        {"code": "bruising", "severity": "mild", "action_taken": "Pressure for 2 minutes", "editing": oid(event)},
        **hx,
    )
    event.refresh_from_db()
    assert event.action_taken == "Pressure for 2 minutes"

    exercise_id = next(iter(services.load().exercises))
    assigned = services.assign_exercise(physio, ready_visit, exercise_id)
    c.post(base + "/exercise/", {"exercise": exercise_id, "dosage": "Twice a day", "editing": oid(assigned)}, **hx)
    assigned.refresh_from_db()
    assert assigned.dosage == "Twice a day"

    for kind, row in (("insertion", needle), ("palpation", palp), ("adverse-event", event), ("exercise", assigned)):
        assert c.post(base + "/remove/", {"kind": kind, "id": oid(row)}, **hx).status_code == 200
        assert not type(row).objects.filter(pk=row.pk).exists()
    changes = AuditEvent.objects.filter(action__in=["change", "remove"]).values_list("action", "object_type")
    assert set(changes) >= {
        ("change", "charting.insertion"),
        ("change", "charting.palpation"),
        ("change", "charting.adverseevent"),
        ("change", "charting.exerciseassignment"),
        ("remove", "charting.insertion"),
        ("remove", "charting.exerciseassignment"),
    }
    # A row of another note is never reached through this one.
    assert c.get(base + "/edit/?kind=insertion&id=99999", **hx).status_code == 404


def test_a_planned_target_placed_with_changes_today(c, patient, ready_visit, physio):
    """Edit first: the needle form opens with the plan; what is changed or cleared (no stimulation
    today) is what is logged, and the plan row goes."""
    from needlechart.charting import services

    services.record_consent(
        physio,
        patient,
        "electrical_stimulation",
        ["soreness", "bruising", "bleeding", "infection", "fainting", "electrical"],
        True,
    )
    planned_needle = {"target": "masseter", "side": "left", "depth_mm": 10, "es_frequency_hz": 2, "es_minutes": 10}
    services.add_insertion(physio, ready_visit, planned_needle)
    v = services.update_draft(
        physio, ready_visit, {"needles_in": 1, "needles_out": 1, "nprs_before": 4}, ready_visit.version
    )
    services.sign_visit(physio, v)
    c.post(f"/patients/{oid(patient)}/visits/new/", {"copy_from": oid(v)})
    follow = Visit.objects.latest("id")
    plan = follow.plannedneedles.get()
    base = f"/patients/{oid(patient)}/visits/{oid(follow)}"
    hx = {"HTTP_HX_REQUEST": "true"}
    services.rescreen_unchanged(physio, follow)
    form = c.get(base + f"/edit/?kind=planned&id={oid(plan)}", **hx).content.decode()
    assert f'name="planned" value="{oid(plan)}"' in form and "Place this target" in form and 'value="2.0"' in form
    c.post(
        base + "/needle/",
        {"target": "masseter", "side": "left", "depth_mm": 12, "technique": "static", "planned": oid(plan)},
        **hx,
    )
    needle = follow.insertions.get()
    assert (needle.depth_mm, needle.es_frequency_hz, needle.es_minutes) == (12, None, None)
    assert not follow.plannedneedles.exists()
