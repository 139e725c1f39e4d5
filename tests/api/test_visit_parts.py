"""The whole visit note over the API: consents, the one-click re-screen, planned targets, the draft's rows
(needles, palpation, adverse events, exercises) edited and removed, discard, the sign check, and
signing refused with every unmet point. Every write refuses a signed or discarded note (409), front
desk (403) and another clinic (404) alike."""

from __future__ import annotations

from datetime import date

import pytest

from needlechart.accounts.models import Profession
from needlechart.audit.models import AuditEvent
from needlechart.charting import services
from needlechart.charting.models import (
    AdverseEvent,
    Consent,
    ExerciseAssignment,
    Insertion,
    Palpation,
    PlannedNeedle,
    Screening,
    Visit,
)
from needlechart.common.opaque import decode, encode
from needlechart.common.opaque import of as oid
from tests import factories as f

from .conftest import ALL_RISKS, Api

pytestmark = pytest.mark.django_db

NEEDLE = {"target": "splenius_capitis", "side": "left"}
MISSING = 999999


def msgs(response) -> list[str]:
    return [e["msg"] for e in response.json()["detail"]]


def follow_up(world, signed_visit) -> Visit:
    """A draft following up the signed visit: its needle (left levator scapulae, pincer grip) is planned."""
    return services.start_visit(world["physio"], world["patient"], copy_from=signed_visit)


@pytest.fixture
def charted(world, signed_visit) -> dict:
    """A screened follow-up draft with one of everything: a planned target, a needle, a palpation finding,
    an adverse event and a home exercise. Returns the visit and the row ids, as the paths name them."""
    physio = world["physio"]
    visit = follow_up(world, signed_visit)
    services.rescreen_unchanged(physio, visit)
    return {
        "v": visit.pk,
        "pl": visit.plannedneedles.get().pk,
        "i": services.add_insertion(physio, visit, NEEDLE).pk,
        "p": services.add_palpation(physio, visit, {"muscle": "upper_trapezius", "side": "left"}).pk,
        "a": services.add_adverse_event(
            physio, visit, {"code": "bruising", "severity": "mild", "action_taken": "Pressure applied"}
        ).pk,
        "e": services.assign_exercise(physio, visit, "chin_tuck").pk,
    }


KINDS = {"v": "visit", "pl": "planned", "i": "insertion", "p": "palpation", "a": "adverse_event", "e": "exercise"}


def call(api: Api, method: str, path: str, body, ids: dict):
    """`ids` are row ids; the path carries their opaque tokens."""
    path = path.format(**{k: encode(KINDS.get(k, "patient"), row_id) for k, row_id in ids.items()})
    if method == "get":
        return api.get(path)
    if method == "delete":
        return api.delete(path)
    return getattr(api, method)(path, body)


# Every write of a visit's note: (method, path, body). {v} visit, {pl} planned target, {i} needle,
# {p} palpation, {a} adverse event, {e} exercise.
WRITES = [
    ("patch", "/visits/{v}", {"version": 1, "plan": "rewritten"}),
    ("post", "/visits/{v}/rescreen", {}),
    ("post", "/visits/{v}/discard", {"reason": "Started twice"}),
    ("post", "/visits/{v}/insertions", {"target": "gluteus_medius", "side": "left"}),
    ("patch", "/visits/{v}/insertions/{i}", {"depth_mm": 15}),
    ("delete", "/visits/{v}/insertions/{i}", None),
    ("post", "/visits/{v}/planned/{pl}/confirm", {}),
    ("post", "/visits/{v}/planned/confirm-all", {}),
    ("delete", "/visits/{v}/planned/{pl}", None),
    ("post", "/visits/{v}/palpations", {"muscle": "masseter", "side": "right", "taut_band": True}),
    ("patch", "/visits/{v}/palpations/{p}", {"tender_spot": True}),
    ("delete", "/visits/{v}/palpations/{p}", None),
    ("post", "/visits/{v}/adverse-events", {"code": "fainting", "severity": "mild", "action_taken": "Lay down"}),
    ("patch", "/visits/{v}/adverse-events/{a}", {"severity": "significant"}),
    ("delete", "/visits/{v}/adverse-events/{a}", None),
    ("post", "/visits/{v}/exercises", {"exercise": "scm_stretch"}),
    ("patch", "/visits/{v}/exercises/{e}", {"dosage": "Twice a day"}),
    ("delete", "/visits/{v}/exercises/{e}", None),
    ("post", "/visits/{v}/sign", {}),
]
READS = [("get", "/visits/{v}/sign-check", None)]
PATIENT_WRITES = [
    ("post", "/patients/{patient}/consents", {"modality": "acupuncture", "risks_explained": ALL_RISKS, "agreed": True}),
    ("post", "/patients/{patient}/consents/withdraw", {"modality": "dry_needling"}),
]


def snapshot() -> dict:
    rows = (Visit, Insertion, PlannedNeedle, Palpation, AdverseEvent, ExerciseAssignment, Screening, Consent)
    return {model.__name__: list(model.objects.values().order_by("id")) for model in rows}


def ids_of(charted, world) -> dict:
    return {**charted, "patient": world["patient"].pk}


# ------------------------------------------------------------------------------ who may call


@pytest.mark.parametrize(("method", "path", "body"), WRITES + READS + PATIENT_WRITES)
def test_another_clinic_gets_404_and_changes_nothing(world, charted, as_other, method, path, body):
    before, events = snapshot(), AuditEvent.objects.count()
    response = call(as_other, method, path, body, ids_of(charted, world))
    assert response.status_code == 404, response.content
    assert snapshot() == before
    # Nothing was read; the refused attempt alone is recorded.
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)[events:]) == ["denied"]


@pytest.mark.parametrize(("method", "path", "body"), WRITES + READS + PATIENT_WRITES)
def test_front_desk_gets_403_and_changes_nothing(world, charted, as_desk, method, path, body):
    before = snapshot()
    response = call(as_desk, method, path, body, ids_of(charted, world))
    assert response.status_code == 403, response.content
    assert response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_colleague_who_is_not_the_author_gets_403(world, charted, method, path, body):
    colleague = Api(f.user(world["a"], "colleague", dry_needling_certified_on=date(2022, 3, 1)))
    before = snapshot()
    response = call(colleague, method, path, body, ids_of(charted, world))
    assert response.status_code == 403, response.content
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [w for w in WRITES if "{" in w[1].removeprefix("/visits/{v}")],
)
def test_a_row_of_another_visit_is_404(world, charted, as_physio, method, path, body):
    """The ids name rows of the charted follow-up; asked through another draft of the same patient, they
    are not in that note."""
    other = services.start_visit(world["physio"], world["patient"])
    before = snapshot()
    response = call(as_physio, method, path, body, {**charted, "v": other.pk})
    assert response.status_code == 404, response.content
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [w for w in WRITES if "{" in w[1].removeprefix("/visits/{v}") and "confirm-all" not in w[1]],
)
def test_a_row_id_that_does_not_exist_is_404(world, charted, as_physio, method, path, body):
    ids = {**charted, **{key: MISSING for key in ("pl", "i", "p", "a", "e")}}
    response = call(as_physio, method, path, body, ids)
    assert response.status_code == 404, response.content


# ------------------------------------------------------------------------------ locked notes


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_write_to_a_signed_note_is_409_locked(world, charted, as_physio, method, path, body):
    physio = world["physio"]
    visit = Visit.objects.get(pk=charted["v"])
    services.confirm_planned(physio, visit, charted["pl"])  # the planned row goes; its id is still asked for
    visit = services.update_draft(physio, visit, {"nprs_before": 4, "needles_in": 2, "needles_out": 2}, 1)
    services.sign_visit(physio, visit)
    before, changes = snapshot(), AuditEvent.objects.exclude(action="view").count()
    body = {**body, "version": Visit.objects.get(pk=visit.pk).version} if path == "/visits/{v}" else body
    response = call(as_physio, method, path, body, charted)
    assert response.status_code == 409, response.content
    assert response.json() == {
        "detail": "This note is signed and locked; add a dated addendum instead.",
        "code": "locked",
    }
    assert snapshot() == before
    assert AuditEvent.objects.exclude(action="view").count() == changes


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_write_to_a_discarded_note_is_409_locked(world, charted, as_physio, method, path, body):
    services.discard_visit(world["physio"], Visit.objects.get(pk=charted["v"]), "Started for the wrong patient")
    before = snapshot()
    response = call(as_physio, method, path, body, charted)
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "locked" and "discarded" in response.json()["detail"]
    assert snapshot() == before


# ------------------------------------------------------------------------------ consents


def test_consent_recorded_withdrawn_and_listed_on_the_visit(world, ready_visit, as_physio):
    p = oid(world["patient"])
    url = f"/visits/{oid(ready_visit)}"
    assert [c["modality"] for c in as_physio.get(url).json()["consents"]] == ["dry_needling"]

    risks = [*ALL_RISKS, "electrical", "soreness"]
    es = as_physio.post(
        f"/patients/{p}/consents", {"modality": "electrical_stimulation", "risks_explained": risks, "agreed": True}
    )
    assert es.status_code == 201, es.content
    body = es.json()
    assert body["agreed"] and not body["withdrawal"] and body["recorded_by_id"] == oid(world["physio"])
    assert body["risks_explained"] == [*ALL_RISKS, "electrical"]  # each risk once
    assert {c["modality"] for c in as_physio.get(url).json()["consents"]} == {"dry_needling", "electrical_stimulation"}

    withdrawn = as_physio.post(f"/patients/{p}/consents/withdraw", {"modality": "dry_needling"})
    assert withdrawn.status_code == 201, withdrawn.content
    assert withdrawn.json()["withdrawal"] and not withdrawn.json()["agreed"]
    assert [c["modality"] for c in as_physio.get(url).json()["consents"]] == ["electrical_stimulation"]
    needle = as_physio.post(f"/visits/{oid(ready_visit)}/insertions", NEEDLE)
    assert needle.status_code == 422 and "consent to dry needling" in msgs(needle)[0]

    again = as_physio.post(f"/patients/{p}/consents/withdraw", {"modality": "dry_needling"})
    assert again.status_code == 422 and "no current consent" in msgs(again)[0]
    assert Consent.objects.filter(withdrawal=True).count() == 1


def test_consent_refusals(world, as_physio):
    p = oid(world["patient"])
    partial = as_physio.post(
        f"/patients/{p}/consents", {"modality": "acupuncture", "risks_explained": ["soreness"], "agreed": True}
    )
    assert partial.status_code == 422 and "every standard risk" in msgs(partial)[0]
    declined = as_physio.post(f"/patients/{p}/consents", {"modality": "acupuncture", "agreed": False})
    assert declined.status_code == 201 and declined.json()["agreed"] is False
    bad = as_physio.post(f"/patients/{p}/consents", {"modality": "cupping", "risks_explained": ["luck"]})
    assert [e["loc"][2:] for e in bad.json()["detail"]] == [["modality"], ["risks_explained", 0], ["agreed"]]
    admin = Api(world["admin"]).post(f"/patients/{p}/consents", {"modality": "acupuncture", "agreed": False})
    assert admin.status_code == 403  # an admin reads clinical records, never writes them
    assert Consent.objects.count() == 1


# ------------------------------------------------------------------------------ screening at the visit


def test_rescreen_when_nothing_has_changed(world, signed_visit, as_physio):
    visit = follow_up(world, signed_visit)
    earlier = signed_visit.screening
    response = as_physio.post(f"/visits/{oid(visit)}/rescreen")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["patient_confirmed_unchanged"] and not body["changed_since_last"]
    assert body["repeats_id"] == oid(earlier) and body["verdict"] == "clear" and body["id"] != earlier.pk
    assert as_physio.get(f"/visits/{oid(visit)}").json()["screening_id"] == body["id"]
    event = AuditEvent.objects.filter(action="create", object_type="charting.screening").order_by("id").last()
    assert "nothing has changed" in event.summary


def test_rescreen_needs_an_earlier_screening(world, as_physio):
    visit = services.start_visit(world["physio"], world["patient"])
    response = as_physio.post(f"/visits/{oid(visit)}/rescreen")
    assert response.status_code == 422 and "no earlier screening" in msgs(response)[0]
    assert not Screening.objects.exists()


# ------------------------------------------------------------------------------ starting a visit


def test_the_modality_defaults_from_the_profession(world, as_physio):
    p = oid(world["patient"])
    assert as_physio.post(f"/patients/{p}/visits", {}).json()["modality"] == "dry_needling"
    acupuncturist = Api(f.user(world["a"], "lin", profession=Profession.ACUPUNCTURIST))
    assert acupuncturist.post(f"/patients/{p}/visits", {}).json()["modality"] == "acupuncture"
    chosen = as_physio.post(f"/patients/{p}/visits", {"modality": "acupuncture"})
    assert chosen.status_code == 201 and chosen.json()["modality"] == "acupuncture"


def test_a_follow_up_keeps_the_modality_it_copies(world, signed_visit, as_physio):
    url = f"/patients/{oid(world['patient'])}/visits"
    other = as_physio.post(url, {"copy_from": oid(signed_visit), "modality": "acupuncture"})
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["body", "payload", "modality"]
    same = as_physio.post(url, {"copy_from": oid(signed_visit), "modality": "dry_needling"})
    assert same.status_code == 201 and same.json()["modality"] == "dry_needling"
    assert Visit.objects.filter(copied_from=signed_visit).count() == 1


def test_electrical_stimulation_is_not_a_visit_modality(world, ready_visit, as_physio):
    start = as_physio.post(f"/patients/{oid(world['patient'])}/visits", {"modality": "electrical_stimulation"})
    assert start.status_code == 422
    error = start.json()["detail"][0]
    assert error["loc"] == ["body", "payload", "modality"] and "recorded on the needles" in error["msg"]
    patch = as_physio.patch(f"/visits/{oid(ready_visit)}", {"version": 1, "modality": "electrical_stimulation"})
    assert patch.status_code == 422
    assert patch.json()["detail"][0]["loc"][2:] == ["modality"] and "recorded on the needles" in msgs(patch)[0]
    assert Visit.objects.count() == 1


# ------------------------------------------------------------------------------ the draft's fields


def test_new_draft_fields_round_trip(world, ready_visit, as_physio):
    saved = as_physio.patch(
        f"/visits/{oid(ready_visit)}",
        {
            "version": 1,
            "nprs_before_not_taken": "Patient could not rate the pain",
            "retention_minutes": 20,
            "tcm_pattern": "Liver qi stagnation",
            "tcm_tongue": "Pale, thin white coat",
            "tcm_pulse": "Wiry",
        },
    )
    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert body["nprs_before_not_taken"] == "Patient could not rate the pain" and body["retention_minutes"] == 20
    assert (body["tcm_pattern"], body["tcm_tongue"], body["tcm_pulse"]) == (
        "Liver qi stagnation",
        "Pale, thin white coat",
        "Wiry",
    )
    bad = as_physio.patch(
        f"/visits/{oid(ready_visit)}",
        {"version": 2, "retention_minutes": 241, "tcm_pulse": "x" * 5001, "nprs_before_not_taken": None},
    )
    assert [e["loc"][2:] for e in bad.json()["detail"]] == [
        ["nprs_before_not_taken"],
        ["retention_minutes"],
        ["tcm_pulse"],
    ]
    cleared = as_physio.patch(f"/visits/{oid(ready_visit)}", {"version": 2, "retention_minutes": None})
    assert cleared.status_code == 200 and cleared.json()["retention_minutes"] is None


def test_a_stale_version_conflicts_only_on_the_field_saved_since(world, ready_visit, as_physio):
    services.update_draft(world["physio"], ready_visit, {"nprs_before": 6}, 1)
    other_field = as_physio.patch(f"/visits/{oid(ready_visit)}", {"version": 1, "plan": "Weekly"})
    assert other_field.status_code == 200, other_field.content
    assert other_field.json()["nprs_before"] == 6 and other_field.json()["plan"] == "Weekly"
    same_field = as_physio.patch(f"/visits/{oid(ready_visit)}", {"version": 1, "nprs_before": 3})
    assert same_field.status_code == 409
    assert same_field.json()["code"] == "version_conflict" and same_field.json()["current"]["nprs_before"] == 6
    assert Visit.objects.get(pk=ready_visit.pk).nprs_before == 6


# ------------------------------------------------------------------------------ needles


@pytest.fixture
def acupuncture_visit(world):
    """An acupuncturist's screened, consented acupuncture draft."""
    lin = f.user(world["a"], "lin", profession=Profession.ACUPUNCTURIST)
    patient = world["patient"]
    visit = services.start_visit(lin, patient)
    services.record_consent(lin, patient, "acupuncture", ALL_RISKS, True)
    services.attach_screening(lin, visit, services.screen_patient(lin, patient, [], ["acupuncture"]))
    return lin, visit


def test_acupuncture_needle_with_de_qi_and_depth_in_cun(world, acupuncture_visit):
    lin, visit = acupuncture_visit
    api = Api(lin)
    url = f"/visits/{oid(visit)}/insertions"
    needle = api.post(url, {"target": "LI4", "side": "left", "de_qi": True, "depth_cun": "0.8"})
    assert needle.status_code == 201, needle.content
    body = needle.json()
    assert body["de_qi"] is True and body["depth_cun"] == 0.8
    assert body["retention_minutes"] is None and body["twitch_responses"] == 0  # the session's retention
    bad = api.post(url, {"target": "LI4", "side": "right", "depth_cun": 10.5, "de_qi": "maybe"})
    assert [e["loc"][-1] for e in bad.json()["detail"]] == ["depth_cun", "de_qi"]
    two_places = api.post(url, {"target": "LI4", "side": "right", "depth_cun": 0.85})
    assert two_places.status_code == 422 and two_places.json()["detail"][0]["loc"][-1] == "depth_cun"
    corrected = api.patch(f"{url}/{body['id']}", {"de_qi": False, "depth_cun": None, "retention_minutes": 25})
    assert corrected.status_code == 200, corrected.content
    assert (corrected.json()["de_qi"], corrected.json()["depth_cun"], corrected.json()["retention_minutes"]) == (
        False,
        None,
        25,
    )


def test_correcting_a_needle_passes_the_gate_again(world, ready_visit, as_physio):
    physio, patient = world["physio"], world["patient"]
    infection = [{"code": "local_skin_infection", "region": "posterior_neck", "side": "right"}]
    services.attach_screening(
        physio, ready_visit, services.screen_patient(physio, patient, infection, ["dry_needling"])
    )
    needle = as_physio.post(f"/visits/{oid(ready_visit)}/insertions", {**NEEDLE, "depth_mm": 20})
    assert needle.status_code == 201, needle.content
    url = f"/visits/{oid(ready_visit)}/insertions/{needle.json()['id']}"

    deeper = as_physio.patch(url, {"depth_mm": 25, "gauge_mm": 0.3})
    assert deeper.status_code == 200 and (deeper.json()["depth_mm"], deeper.json()["gauge_mm"]) == (25, 0.3)
    blocked = as_physio.patch(url, {"side": "right"})
    assert blocked.status_code == 422 and msgs(blocked)[0].startswith("Blocked by screening")
    assert Insertion.objects.get().side == "left"
    reason = "Infection resolved, checked today"
    allowed = as_physio.patch(url, {"side": "right", "override_reason": reason})
    assert allowed.status_code == 200, allowed.content
    assert allowed.json()["side"] == "right" and allowed.json()["override_reason"] == reason
    assert AuditEvent.objects.get(action="override").detail["override_reason"] == reason
    change = AuditEvent.objects.filter(action="change", object_type="charting.insertion").order_by("id").last()
    assert change.detail == {"fields": ["side", "override_reason"]}

    errors = as_physio.patch(url, {"target": "upper trap", "side": None, "bogus": 1})
    assert {tuple(e["loc"][2:]) for e in errors.json()["detail"]} == {("target",), ("side",), ("bogus",)}
    unsided = as_physio.patch(url, {"target": "GV14"})  # right is no side for a midline point
    assert unsided.status_code == 422 and "Side for GV14" in msgs(unsided)[0]


def test_removing_a_needle_changes_what_is_counted(world, ready_visit, as_physio):
    """Three muscles bill 20561; a needle logged in error removed, two muscles bill 20560."""
    v = oid(ready_visit)
    ids = [
        as_physio.post(f"/visits/{v}/insertions", {"target": target, "side": "left"}).json()["id"]
        for target in ("splenius_capitis", "gluteus_medius", "masseter")
    ]
    removed = as_physio.delete(f"/visits/{v}/insertions/{ids[1]}")
    assert removed.status_code == 204 and removed.content == b""
    note = as_physio.get(f"/visits/{v}").json()
    assert [i["id"] for i in note["insertions"]] == [ids[0], ids[2]]
    event = AuditEvent.objects.get(action="remove")
    assert event.object_type == "charting.insertion" and event.detail["target"] == "gluteus_medius"
    assert as_physio.delete(f"/visits/{v}/insertions/{ids[1]}").status_code == 404

    as_physio.patch(f"/visits/{v}", {"version": 1, "nprs_before": 5, "needles_in": 2, "needles_out": 2})
    signed = as_physio.post(f"/visits/{v}/sign")
    assert signed.status_code == 200, signed.content
    assert [p["code"] for p in signed.json()["billing"]["procedures"]] == ["20560"]


def test_the_modality_cannot_switch_while_a_needle_or_a_planned_target_is_on_the_note(world, signed_visit, as_physio):
    visit = follow_up(world, signed_visit)
    url = f"/visits/{oid(visit)}"
    planned = as_physio.patch(url, {"version": 1, "modality": "acupuncture"})
    assert planned.status_code == 422 and "modality cannot change" in msgs(planned)[0]
    services.rescreen_unchanged(world["physio"], visit)
    confirmed = as_physio.post(f"{url}/planned/{oid(visit.plannedneedles.get())}/confirm")
    assert confirmed.status_code == 201, confirmed.content
    needled = as_physio.patch(url, {"version": 1, "modality": "acupuncture"})
    assert needled.status_code == 422 and "modality cannot change" in msgs(needled)[0]
    assert as_physio.delete(f"{url}/insertions/{confirmed.json()['id']}").status_code == 204
    switched = as_physio.patch(url, {"version": 1, "modality": "acupuncture"})
    assert switched.status_code == 200 and switched.json()["modality"] == "acupuncture"


# ------------------------------------------------------------------------------ planned targets


def test_planned_targets_are_listed_and_confirmed_with_changes(world, signed_visit, as_physio):
    visit = follow_up(world, signed_visit)
    note = as_physio.get(f"/visits/{oid(visit)}").json()
    [planned] = note["planned"]
    assert (planned["target"], planned["target_name"], planned["side"]) == (
        "levator_scapulae",
        "Levator scapulae",
        "left",
    )
    assert planned["lung_technique"] == "pincer" and planned["planned_from_id"] == oid(signed_visit)
    assert note["insertions"] == []

    url = f"/visits/{oid(visit)}/planned/{planned['id']}/confirm"
    unscreened = as_physio.client.post(f"/api/v1{url}", content_type="application/json")  # no body: as planned
    assert unscreened.status_code == 422 and "Screen the patient" in msgs(unscreened)[0]
    assert visit.plannedneedles.count() == 1
    as_physio.post(f"/visits/{oid(visit)}/rescreen")
    nulled = as_physio.post(url, {"depth_mm": None})
    assert nulled.status_code == 422 and "planned value" in msgs(nulled)[0]
    confirmed = as_physio.post(url, {"depth_mm": 18, "twitch_responses": 1})
    assert confirmed.status_code == 201, confirmed.content
    needle = confirmed.json()
    assert (needle["target"], needle["side"], needle["lung_technique"]) == ("levator_scapulae", "left", "pincer")
    assert (needle["depth_mm"], needle["twitch_responses"]) == (18, 1)
    after = as_physio.get(f"/visits/{oid(visit)}").json()
    assert after["planned"] == [] and [i["id"] for i in after["insertions"]] == [needle["id"]]
    assert as_physio.post(url).status_code == 404  # confirmed once; the plan row is gone


def test_confirm_all_and_remove_planned_targets(world, ready_visit, as_physio):
    physio = world["physio"]
    for target in ("splenius_capitis", "gluteus_medius"):
        services.add_insertion(physio, ready_visit, {"target": target, "side": "left"})
    services.update_draft(physio, ready_visit, {"nprs_before": 5, "needles_in": 2, "needles_out": 2}, 1)
    previous = services.sign_visit(physio, ready_visit)
    visit = services.start_visit(physio, world["patient"], copy_from=previous)
    services.rescreen_unchanged(physio, visit)
    first, second = (oid(p) for p in visit.plannedneedles.order_by("pk"))

    assert as_physio.delete(f"/visits/{oid(visit)}/planned/{second}").status_code == 204
    assert AuditEvent.objects.get(action="remove").object_type == "charting.plannedneedle"
    placed = as_physio.post(f"/visits/{oid(visit)}/planned/confirm-all")
    assert placed.status_code == 201, placed.content
    assert [(i["target"], i["side"]) for i in placed.json()] == [("splenius_capitis", "left")]
    assert not PlannedNeedle.objects.filter(visit=visit).exists()
    assert as_physio.post(f"/visits/{oid(visit)}/planned/confirm-all").json() == []  # nothing left to place
    assert not PlannedNeedle.objects.filter(pk=decode("planned", first)).exists()


def test_confirm_all_is_all_or_none(world, signed_visit, as_physio):
    """A screening that now blocks one planned target: nothing is logged and the refusal names it."""
    physio, patient = world["physio"], world["patient"]
    visit = follow_up(world, signed_visit)  # left levator scapulae planned, and now gluteus medius
    PlannedNeedle.objects.create(visit=visit, planned_from=signed_visit, target="gluteus_medius", side="left")
    lymphoedema = [{"code": "lymphedema", "region": "upper_arm_anterior", "side": "left"}]
    services.attach_screening(physio, visit, services.screen_patient(physio, patient, lymphoedema, ["dry_needling"]))
    refused = as_physio.post(f"/visits/{oid(visit)}/planned/confirm-all")
    assert refused.status_code == 422
    assert msgs(refused)[0].startswith("levator_scapulae (left): Blocked by screening")
    assert msgs(refused)[-1].startswith("Nothing was logged")
    assert not Insertion.objects.filter(visit=visit).exists() and visit.plannedneedles.count() == 2
    one = as_physio.post(
        f"/visits/{oid(visit)}/planned/{oid(visit.plannedneedles.first())}/confirm",
        {"override_reason": "Swelling settled; the patient's surgeon agrees"},
    )
    assert one.status_code == 201, one.content
    assert AuditEvent.objects.filter(action="override").count() == 1


# ------------------------------------------------------------------------------ palpation, adverse events, exercises


def test_palpation_findings_added_corrected_and_removed(world, ready_visit, as_physio):
    url = f"/visits/{oid(ready_visit)}/palpations"
    added = as_physio.post(url, {"muscle": "upper_trapezius", "side": "right", "taut_band": True})
    assert added.status_code == 201, added.content
    assert added.json()["muscle_name"] == "Upper trapezius" and added.json()["taut_band"]
    pid = added.json()["id"]
    corrected = as_physio.patch(f"{url}/{pid}", {"tender_spot": True, "referred_pain_recognised": True})
    assert corrected.status_code == 200, corrected.content
    assert corrected.json()["taut_band"] and corrected.json()["tender_spot"] and corrected.json()["side"] == "right"
    assert as_physio.get(f"/visits/{oid(ready_visit)}").json()["palpations"] == [corrected.json()]
    assert AuditEvent.objects.filter(object_type="charting.palpation", action="change").get().detail == {
        "fields": ["referred_pain_recognised", "tender_spot"]
    }

    unknown = as_physio.post(url, {"muscle": "upper trap", "side": "midline"})
    errors = {e["loc"][-1]: e for e in unknown.json()["detail"]}
    assert set(errors) == {"muscle", "side"} and errors["muscle"]["ctx"]["closest"][0] == "upper_trapezius"
    assert as_physio.patch(f"{url}/{pid}", {"taut_band": None}).status_code == 422

    assert as_physio.delete(f"{url}/{pid}").status_code == 204
    assert as_physio.get(f"/visits/{oid(ready_visit)}").json()["palpations"] == []


def test_adverse_events_added_corrected_and_removed(world, ready_visit, as_physio):
    url = f"/visits/{oid(ready_visit)}/adverse-events"
    body = {"code": "fainting", "severity": "mild", "action_taken": "Lay flat, legs raised; recovered in 5 min"}
    added = as_physio.post(url, body)
    assert added.status_code == 201, added.content
    aid = added.json()["id"]
    corrected = as_physio.patch(f"{url}/{aid}", {"severity": "significant", "note": "Driven home"})
    assert corrected.status_code == 200
    assert corrected.json() == {**body, "id": aid, "severity": "significant", "note": "Driven home"}
    assert as_physio.get(f"/visits/{oid(ready_visit)}").json()["adverse_events"] == [corrected.json()]
    bad = as_physio.post(url, {"code": "hiccups", "severity": "awful", "action_taken": "   "})
    assert [e["loc"][-1] for e in bad.json()["detail"]] == ["code", "severity", "action_taken"]
    assert as_physio.patch(f"{url}/{aid}", {"action_taken": ""}).status_code == 422
    assert as_physio.delete(f"{url}/{aid}").status_code == 204
    assert not AdverseEvent.objects.exists()
    assert AuditEvent.objects.get(action="remove").detail["code"] == "fainting"


def test_exercises_assigned_dosed_and_removed(world, ready_visit, as_physio, kb):
    url = f"/visits/{oid(ready_visit)}/exercises"
    added = as_physio.post(url, {"exercise": "chin_tuck"})
    assert added.status_code == 201, added.content
    assert added.json()["name"] == "Chin tuck" and added.json()["dosage"] == kb.exercises["chin_tuck"].dosage
    eid = added.json()["id"]
    dosed = as_physio.patch(f"{url}/{eid}", {"dosage": "10 times, twice a day"})
    assert dosed.status_code == 200 and dosed.json()["dosage"] == "10 times, twice a day"
    assert as_physio.patch(f"{url}/{eid}", {"dosage": ""}).json()["dosage"] == kb.exercises["chin_tuck"].dosage
    other = as_physio.patch(f"{url}/{eid}", {"exercise": "scm_stretch", "dosage": "x"})
    assert other.status_code == 422 and other.json()["detail"][0]["loc"][-1] == "exercise"  # dosage only
    unknown = as_physio.post(url, {"exercise": "chin tuk"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["ctx"]["closest"][0] == "chin_tuck"
    assert as_physio.get(f"/visits/{oid(ready_visit)}").json()["exercises"][0]["exercise"] == "chin_tuck"
    assert as_physio.delete(f"{url}/{eid}").status_code == 204
    assert not ExerciseAssignment.objects.exists()


# ------------------------------------------------------------------------------ discard


def test_discard_a_draft_with_a_reason(world, ready_visit, as_physio):
    url = f"/visits/{oid(ready_visit)}"
    blank = as_physio.post(f"{url}/discard", {"reason": "   "})
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"][-1] == "reason"
    discarded = as_physio.post(f"{url}/discard", {"reason": "Started for the wrong patient"})
    assert discarded.status_code == 200, discarded.content
    body = discarded.json()
    assert body["status"] == "discarded" and body["discarded_at"] and body["discarded_by_id"] == oid(world["physio"])
    assert body["discard_reason"] == "Started for the wrong patient" and body["signed_at"] is None
    assert as_physio.get(f"/patients/{oid(world['patient'])}/visits").json()[0]["status"] == "discarded"
    event = AuditEvent.objects.get(action="discard")
    assert event.detail == {"reason": "Started for the wrong patient"}
    check = as_physio.get(f"{url}/sign-check").json()
    assert check == {
        "ready": False,
        "problems": ["This draft was discarded: it is kept as void and can no longer change."],
    }
    again = as_physio.post(f"{url}/discard", {"reason": "Twice"})
    assert again.status_code == 409 and again.json()["code"] == "locked"


def test_a_signed_note_is_never_discarded(world, signed_visit, as_physio):
    response = as_physio.post(f"/visits/{oid(signed_visit)}/discard", {"reason": "Oops"})
    assert response.status_code == 409 and response.json()["code"] == "locked"
    signed_visit.refresh_from_db()
    assert signed_visit.status == "signed" and signed_visit.discarded_at is None


# ------------------------------------------------------------------------------ checking and signing


def test_sign_refused_lists_every_unmet_point_then_signs_once_met(world, signed_visit, as_physio):
    """A follow-up straight after starting: not screened today, no pain score, a planned target left."""
    visit = follow_up(world, signed_visit)
    url = f"/visits/{oid(visit)}"
    refused = as_physio.post(f"{url}/sign")
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert all(e["type"] == "charting_rule" and e["loc"] == ["body"] for e in detail)
    problems = [e["msg"] for e in detail]
    assert len(problems) == 3
    assert problems[0].startswith("Screen the patient at this visit")
    assert problems[1].startswith("1 planned target is neither confirmed nor removed")
    assert problems[2].startswith("Record the pain score before treatment")
    check = as_physio.get(f"{url}/sign-check")
    assert check.status_code == 200 and check.json() == {"ready": False, "problems": problems}
    assert Visit.objects.get(pk=visit.pk).signed_at is None

    as_physio.post(f"{url}/rescreen")
    as_physio.post(f"{url}/planned/{oid(visit.plannedneedles.get())}/confirm")
    as_physio.patch(url, {"version": 1, "nprs_before": 5})
    counts = as_physio.get(f"{url}/sign-check").json()
    assert counts["ready"] is False and len(counts["problems"]) == 1 and "not reconciled" in counts["problems"][0]
    as_physio.patch(url, {"version": 2, "needles_in": 1, "needles_out": 1})
    assert as_physio.get(f"{url}/sign-check").json() == {"ready": True, "problems": []}
    signed = as_physio.post(f"{url}/sign")
    assert signed.status_code == 200, signed.content
    body = signed.json()
    assert body["status"] == "signed" and body["billing"]["procedures"]
    assert body["signed_record"]["screening"]["patient_confirmed_unchanged"] is True
    assert set(body["signed_record"]["consents"]) == {"dry_needling"}
    assert as_physio.get(f"{url}/sign-check").json()["ready"] is False


def test_the_sign_check_is_audited_and_judged_for_the_author(world, ready_visit):
    services.add_insertion(world["physio"], ready_visit, NEEDLE)
    admin = Api(world["admin"])
    check = admin.get(f"/visits/{oid(ready_visit)}/sign-check")
    assert check.status_code == 200
    # The physio's certification counts, not the admin's lack of one.
    problems = check.json()["problems"]
    assert check.json()["ready"] is False and len(problems) == 2
    assert problems[0].startswith("Record the pain score") and "not reconciled" in problems[1]
    event = AuditEvent.objects.get(action="view", actor=world["admin"])
    assert event.patient == world["patient"] and "for signing" in event.summary


def test_acupuncture_signs_with_the_session_retention(world, acupuncture_visit):
    lin, visit = acupuncture_visit
    api = Api(lin)
    url = f"/visits/{oid(visit)}"
    assert api.post(f"{url}/insertions", {"target": "LI4", "side": "left", "de_qi": True}).status_code == 201
    api.patch(url, {"version": 1, "nprs_before": 4, "needles_in": 1, "needles_out": 1, "retention_minutes": 20})
    refused = api.post(f"{url}/sign")
    assert refused.status_code == 422 and msgs(refused) == [
        "Enter the acupuncture face-to-face time (the time segments) before signing."
    ]
    api.patch(url, {"version": 2, "increments": [{"minutes": 15}]})
    signed = api.post(f"{url}/sign")
    assert signed.status_code == 200, signed.content
    assert signed.json()["retention_minutes"] == 20 and signed.json()["insertions"][0]["retention_minutes"] is None
