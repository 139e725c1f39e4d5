"""The OpenAPI document tells the truth, and bad input is a 4xx naming the field, never a 500.

Every operation lists every answer it can give (400, 401, 403, 404, 409, 422); fields are typed as the
API reads them, strictly (no integer for a date, no "5" for 5, no 1 for true, no null where null is
refused); text limits are the ones enforced (counted before trimming); knowledge-base IDs are
enumerations, or a pattern every ID matches; ids and versions are bounded; and the answers match the
document. Each test failed before the fix (issue 8, item 6: defects found by schemathesis, whose bounded
pass is tests/api/test_schemathesis.py).
"""

from __future__ import annotations

import json
import re
import string
from datetime import time

import jsonschema_rs
import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from needlechart.api.schemas import MAX_ID, MAX_VERSION, TARGET_PATTERN
from needlechart.charting import services
from needlechart.common.opaque import encode
from needlechart.common.opaque import of as oid
from needlechart.knowledge import load
from needlechart.patients.models import Episode, Patient

from .conftest import ALL_RISKS

pytestmark = pytest.mark.django_db

NEEDLE = {"target": "splenius_capitis", "side": "left"}


@pytest.fixture
def document(db) -> dict:
    return Client().get("/api/v1/openapi.json").json()


def component(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def conforms(document: dict, name: str, instance) -> list[str]:
    """What in `instance` breaks the document's schema `name` (empty: it conforms)."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    return [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(instance)]


def fields_at_fault(response) -> list:
    assert response.status_code == 422, (response.status_code, response.content[:300])
    return [e["loc"][-1] for e in response.json()["detail"]]


def nullable(prop: dict) -> bool:
    return prop.get("type") == "null" or any(branch.get("type") == "null" for branch in prop.get("anyOf", []))


def csrf_client(user) -> tuple[Client, dict]:
    """Signed in with the CSRF check on, as a browser or a script would be (the test client skips it)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = get_random_string(32, string.ascii_letters + string.digits)
    client.cookies["csrftoken"] = token
    return client, {"HTTP_X_CSRFTOKEN": token}


@pytest.fixture
def charted(world, signed_visit) -> dict:
    """A screened follow-up draft with a planned target, a needle, a palpation finding, an adverse event and
    an exercise; the row ids by path parameter."""
    physio = world["physio"]
    visit = services.start_visit(physio, world["patient"], copy_from=signed_visit)
    services.rescreen_unchanged(physio, visit)
    return {
        "visit_id": oid(visit),
        "planned_id": oid(visit.plannedneedles.get()),
        "insertion_id": oid(services.add_insertion(physio, visit, {**NEEDLE, "time_in": time(9, 30)})),
        "palpation_id": oid(services.add_palpation(physio, visit, {"muscle": "upper_trapezius", "side": "left"})),
        "event_id": oid(
            services.add_adverse_event(
                physio, visit, {"code": "bruising", "severity": "mild", "action_taken": "Pressure applied"}
            )
        ),
        "assignment_id": oid(services.assign_exercise(physio, visit, "chin_tuck")),
    }


# ------------------------------------------------------------------------------ every answer is documented


def test_every_operation_documents_every_error_it_can_give(document):
    """Before: GET /patients listed only 200, POST /patients 201 and 403; no operation listed 401, and
    ninja's own 422 (a parameter of the wrong type) and 400 (a body that is not JSON) were nowhere."""
    missing = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            expected = {"401", "403", "422"}
            if method in ("post", "patch"):
                expected.add("400")  # a body that is not JSON, or a POST form the CSRF check cannot read
            if "{" in path or path.endswith("/suggestions"):
                expected.add("404")  # an id of another clinic (suggestions: the body's patient_id)
            if not expected <= set(operation["responses"]):
                missing[f"{method.upper()} {path}"] = sorted(expected - set(operation["responses"]))
            for code in expected & set(operation["responses"]):
                assert "application/json" in operation["responses"][code]["content"], (method, path, code)
            error = operation["responses"].get("422", {}).get("content", {}).get("application/json", {})
            assert error.get("schema", {}).get("$ref", "").endswith("/ValidationErrorOut"), (method, path)
    assert not missing


def test_not_signed_in_is_the_documented_401(document):
    anonymous = Client()
    for method, path in (("get", "/api/v1/patients"), ("post", "/api/v1/suggestions")):
        response = getattr(anonymous, method)(path, content_type="application/json")
        assert response.status_code == 401 and response.json() == {"detail": "Unauthorized"}
        assert "401" in document["paths"][path][method]["responses"]


def test_a_body_that_cannot_be_read_is_a_json_400(world, ready_visit, document):
    """Before: a POST with a multipart content type and no boundary reached Django's CSRF check, which
    failed to parse it: a 400 HTML page, not the API's JSON (and not in the document)."""
    client, csrf = csrf_client(world["physio"])
    sign = f"/api/v1/visits/{oid(ready_visit)}/sign"
    broken = client.post(sign, "x", content_type="multipart/form-data", **csrf)
    assert broken.status_code == 400 and broken["Content-Type"].startswith("application/json")
    assert broken.json()["detail"].startswith("Cannot read the request body")
    not_json = client.post("/api/v1/patients", "{first_name: Ada", content_type="application/json", **csrf)
    assert not_json.status_code == 400 and not_json.json() == {"detail": "Cannot parse request body"}
    no_token = client.post("/api/v1/patients", {}, content_type="application/json")
    assert no_token.status_code == 403 and no_token.json() == {"detail": "CSRF check Failed"}
    for path, method in (("/api/v1/visits/{visit_id}/sign", "post"), ("/api/v1/patients", "post")):
        assert {"400", "403"} <= set(document["paths"][path][method]["responses"])


# ------------------------------------------------------------------------------ types as the API reads them


def test_a_date_is_text_yyyy_mm_dd_never_a_number(as_physio, world):
    """Before: pydantic read a whole number of days' seconds as a date (86400 -> 1970-01-02) and a
    date-and-time as its date; 12345 was refused only because it is not a whole day."""
    before = Patient.objects.count()
    for born in (12345, 86400, 0, "2001-04-09T00:00:00", "20010409", True, "2001-02-30"):
        body = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": born}
        assert fields_at_fault(as_physio.post("/patients", body)) == ["date_of_birth"], born
    assert Patient.objects.count() == before
    episodes = f"/patients/{oid(world['patient'])}/episodes"
    assert fields_at_fault(as_physio.post(episodes, {"condition": "neck_pain", "started_on": 86400})) == ["started_on"]
    assert not Episode.objects.exists()
    ok = as_physio.post("/patients", {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1980-04-09"})
    assert ok.status_code == 201 and ok.json()["date_of_birth"] == "1980-04-09"


def test_a_clock_time_is_hh_mm_without_an_offset_never_a_500(as_physio, ready_visit, document):
    """Before: a number of seconds or a time with an offset became a time-zone-aware time, which the
    database refused: a 500. And the answer's "09:30:00" broke the document's `format: time`."""
    url = f"/visits/{oid(ready_visit)}/insertions"
    needle = NEEDLE
    for bad in ({"time_in": 3600}, {"time_in": "10:00:00+02:00"}, {"time_in": "10:00", "time_out": "10:30Z"}):
        assert fields_at_fault(as_physio.post(url, {**needle, **bad})) == [list(bad)[-1]], bad
    for bad in ("25:00", "9:30", "09:30:00.5", "noon"):
        assert fields_at_fault(as_physio.post(url, {**needle, "time_in": bad})) == ["time_in"], bad
    ok = as_physio.post(url, {**needle, "time_in": "09:30", "time_out": "09:50:15"})
    assert ok.status_code == 201 and (ok.json()["time_in"], ok.json()["time_out"]) == ("09:30:00", "09:50:15")
    assert conforms(document, "InsertionOut", ok.json()) == []


def test_numbers_and_booleans_are_json_types_not_text(as_physio, world, ready_visit):
    """Before: "5" was read as 5, 1 as true and true as 1 (the document says integer, boolean)."""
    visit = f"/visits/{oid(ready_visit)}"
    assert fields_at_fault(as_physio.patch(visit, {"version": 1, "needles_in": "5"})) == ["needles_in"]
    assert fields_at_fault(as_physio.patch(visit, {"version": 1, "needles_in": True})) == ["needles_in"]
    assert fields_at_fault(as_physio.patch(visit, {"version": 1, "aftercare_given": 1})) == ["aftercare_given"]
    assert fields_at_fault(as_physio.patch(visit, {"version": "1", "plan": "x"})) == ["version"]
    consent = {"modality": "acupuncture", "risks_explained": ALL_RISKS, "agreed": "true"}
    assert fields_at_fault(as_physio.post(f"/patients/{oid(world['patient'])}/consents", consent)) == ["agreed"]
    pains = {"pains": [{"region": "lumbar", "side": "left", "intensity": "5"}]}
    assert fields_at_fault(as_physio.post("/suggestions", pains)) == ["intensity"]
    # A decimal is a number or its digits as text (as documented): no sign, no exponent.
    needles = f"{visit}/insertions"
    for gauge in ("+0.3", "3e-1", " 0.3", True):
        body = {**NEEDLE, "gauge_mm": gauge}
        assert fields_at_fault(as_physio.post(needles, body)) == ["gauge_mm"], gauge
    for gauge in ("0.3", 0.3):
        body = {**NEEDLE, "gauge_mm": gauge}
        assert as_physio.post(needles, body).json()["gauge_mm"] == 0.3


def test_fields_that_refuse_null_are_not_nullable_and_nullable_fields_accept_null(as_physio, world, charted, document):
    """Before: every PATCH field was `X | null` in the document, though most answer null with 422 "cannot
    be null: leave it out"; now the document marks nullable exactly the fields that take null."""
    patient = oid(world["patient"])
    v = charted["visit_id"]
    bodies = [
        ("patch", f"/patients/{patient}", "PatientPatch", {"version": 1}),
        ("patch", f"/visits/{v}", "VisitPatch", {"version": 1}),
        ("patch", f"/visits/{v}/insertions/{charted['insertion_id']}", "InsertionPatch", {}),
        ("patch", f"/visits/{v}/palpations/{charted['palpation_id']}", "PalpationPatch", {}),
        ("patch", f"/visits/{v}/adverse-events/{charted['event_id']}", "AdverseEventPatch", {}),
        ("post", f"/visits/{v}/planned/{charted['planned_id']}/confirm", "PlannedConfirmIn", {}),
    ]
    checked = {True: 0, False: 0}
    for method, url, name, base in bodies:
        for field, prop in component(document, name)["properties"].items():
            response = getattr(as_physio, method)(url, {**base, field: None})
            assert response.status_code < 500, (name, field)
            refused = response.status_code == 422 and field in fields_at_fault(response)
            assert refused is not nullable(prop), (name, field, response.status_code, response.content[:200])
            checked[nullable(prop)] += 1
    assert checked[True] >= 15 and checked[False] >= 40  # both kinds, on every PATCH


def test_text_limits_count_what_was_sent(as_physio, charted):
    """Before: text was trimmed first and measured after, so 5,000 characters plus a newline passed a
    `maxLength: 5000`."""
    event = f"/visits/{charted['visit_id']}/adverse-events/{charted['event_id']}"
    assert fields_at_fault(as_physio.patch(event, {"note": "\n" + "x" * 5000})) == ["note"]
    assert as_physio.patch(event, {"note": "x" * 5000}).status_code == 200
    person = {"last_name": "Lovelace", "date_of_birth": "1980-04-09"}
    assert fields_at_fault(as_physio.post("/patients", {**person, "first_name": "x" * 100 + " "})) == ["first_name"]
    assert as_physio.post("/patients", {**person, "first_name": " " + "x" * 99}).json()["first_name"] == "x" * 99
    assert fields_at_fault(as_physio.post("/patients", {**person, "first_name": "   "})) == ["first_name"]


@pytest.mark.postgres  # where NUL in text was a server error
def test_text_cannot_hold_a_nul_character(as_physio, document):
    """Before: accepted (and stored, on SQLite); PostgreSQL refuses NUL in text, so there it was a 500."""
    body = {"first_name": "Ada\x00", "last_name": "Lovelace", "date_of_birth": "1980-04-09"}
    assert fields_at_fault(as_physio.post("/patients", body)) == ["first_name"]
    assert fields_at_fault(as_physio.get("/patients", {"q": "Ada\x00"})) == ["q"]
    assert component(document, "PatientIn")["properties"]["phone"]["pattern"] == "^[^\\x00]*$"


# ------------------------------------------------------------------------------ ids


def test_knowledge_base_ids_are_enumerations_or_a_pattern_every_id_matches(as_physio, world, document):
    """Before: every knowledge-base ID was a bare string of at most 40 or 60 characters."""
    kb = load()
    enums = {
        ("FindingIn", "code"): sorted(kb.findings),
        ("FindingIn", "region"): ["", *sorted(kb.regions)],
        ("PainIn", "region"): sorted(kb.regions),
        ("EpisodeIn", "condition"): sorted(kb.conditions),
        ("SuggestionIn", "condition"): ["", *sorted(kb.conditions)],
        ("PalpationIn", "muscle"): sorted(kb.muscles),
        ("PalpationPatch", "muscle"): sorted(kb.muscles),
        ("ExerciseIn", "exercise"): sorted(kb.exercises),
    }
    for (name, field), ids in enums.items():
        assert component(document, name)["properties"][field]["enum"] == ids, (name, field)
    # Acupoints are too many for an enumeration: a pattern that every muscle ID and acupoint code matches.
    for name in ("InsertionIn", "InsertionPatch"):
        assert component(document, name)["properties"]["target"]["pattern"] == TARGET_PATTERN
    assert all(re.fullmatch(TARGET_PATTERN, target) for target in [*kb.muscles, *kb.acupoints])
    assert {"EX-HN3", "LI4", "GB21", "upper_trapezius"} <= {*kb.muscles, *kb.acupoints}
    # An ID is matched as sent: the enumeration has no " neck_pain".
    episodes = f"/patients/{oid(world['patient'])}/episodes"
    assert fields_at_fault(as_physio.post(episodes, {"condition": " neck_pain"})) == ["condition"]
    assert as_physio.post(episodes, {"condition": "neck_pain"}).status_code == 201


def test_ids_and_versions_are_bounded_and_refused_past_the_bounds(as_physio, world, ready_visit, document):
    """Before: path ids, body ids and versions were unbounded integers: past the database's range they
    were looked up anyway (404, or a version conflict) instead of being refused as input. Now an id is
    an opaque token of its kind, documented as a pattern: a number, another kind's token or a token of
    the wrong shape is refused as input, naming the field."""
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    schema = parameter["schema"]
                    assert schema["type"] == "string" and re.fullmatch(r"\^[a-z]{2}_.+\$", schema["pattern"]), path
                    assert re.fullmatch(schema["pattern"], schema["examples"][0]), path
    patient = oid(world["patient"])
    visit = oid(ready_visit)
    for bad in ("0", str(MAX_ID + 1), "1", visit, patient[:-1], patient + "0", patient.upper()[:3] + "!" * 13):
        assert fields_at_fault(as_physio.get(f"/patients/{bad}")) == ["patient_id"], bad
    for bad in (0, MAX_ID + 1, 1, patient, "ep_!"):
        assert fields_at_fault(as_physio.get(f"/visits/{bad}/sign-check")) == ["visit_id"], bad
        visit_body = {"episode_id": bad}
        assert fields_at_fault(as_physio.post(f"/patients/{patient}/visits", visit_body)) == ["episode_id"], bad
    too_new = MAX_VERSION + 1
    assert fields_at_fault(as_physio.patch(f"/patients/{patient}", {"version": too_new, "phone": "1"})) == ["version"]
    assert fields_at_fault(as_physio.patch(f"/visits/{oid(ready_visit)}", {"version": too_new})) == ["version"]


# ------------------------------------------------------------------------------ answers match the document


def test_answers_match_the_document(as_physio, world, charted, signed_visit, document):
    """Before: a needle's times came back as "09:30:00", which the document's `format: time` (an RFC 3339
    time, with its offset) does not admit."""
    patient = oid(world["patient"])
    pairs = [
        ("PagedPatientSummaryOut", as_physio.get("/patients")),
        ("ClinicalPatientOut", as_physio.get(f"/patients/{patient}")),
        ("VisitOut", as_physio.get(f"/visits/{charted['visit_id']}")),
        ("VisitOut", as_physio.get(f"/visits/{oid(signed_visit)}")),
        ("SignCheckOut", as_physio.get(f"/visits/{charted['visit_id']}/sign-check")),
        ("SuggestionsOut", as_physio.post("/suggestions", {"condition": "neck_pain", "patient_id": patient})),
        ("EpisodeOut", as_physio.post(f"/patients/{patient}/episodes", {"condition": "neck_pain"})),
        ("ValidationErrorOut", as_physio.post("/suggestions", {})),
        ("ErrorOut", as_physio.get(f"/patients/{encode('patient', 999999)}")),
    ]
    for name, response in pairs:
        assert response.status_code < 500, name
        assert conforms(document, name, json.loads(response.content)) == [], name
