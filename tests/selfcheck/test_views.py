"""The public pages: bad input gets a clear error with every answer kept, never a 500; nothing is
stored without consent; CSRF, methods, the throttle and double submits."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from needlechart.audit.models import AuditEvent
from needlechart.selfcheck.models import SelfCheckRequest
from tests.selfcheck.conftest import contact, post_data

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def test_the_start_page_is_public_and_every_question_is_on_it(client, clinics):
    response = client.get("/self-check/")
    assert response.status_code == 200
    page = html(response)
    assert "Could dry needling or acupuncture help you?" in page
    assert page.count('type="radio" name="q_') == 2 * page.count('data-question="q_')
    assert 'data-region="lumbar"' in page  # the shared body map
    assert 'name="pain" value="lumbar:midline"' in page  # and the list of places beside it
    assert "tel:112" in page  # the emergency numbers from the first screen on


def test_a_clinic_link_is_carried_through_and_an_unknown_one_ignored(client, clinics):
    assert 'name="clinic" value="hilltop"' in html(client.get("/self-check/?clinic=hilltop"))
    assert 'name="clinic"' not in html(client.get("/self-check/?clinic=nowhere"))
    answer = html(client.post("/self-check/answer/", post_data(clinic="hilltop")))
    assert "Clinic: <strong>Hilltop Clinic</strong>" in answer


def test_a_red_flag_gives_the_emergency_answer_and_stores_nothing(client, clinics):
    response = client.post("/self-check/answer/", post_data("saddle_anesthesia"))
    page = html(response)
    assert 'data-answer="emergency"' in page and "Get emergency care now" in page
    assert 'href="tel:999"' in page
    assert "You said yes to: “Have you noticed numbness" in page
    assert "Finucane" in page  # the finding's source, cited for the doctor
    assert SelfCheckRequest.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_a_configured_emergency_number_is_the_one_tap_to_call_link(client, clinics, settings):
    settings.NEEDLECHART_EMERGENCY_NUMBER = "000"
    page = html(client.post("/self-check/answer/", post_data("chest_pain_dyspnea")))
    assert 'href="tel:000"' in page and "tel:911" not in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"pain": ["elbow:left"]}, "is not a place on the body map"),
        ({"pain": ["lumbar:sideways"]}, "is not a place on the body map"),
        ({"pain": []}, "Mark at least one place where it hurts"),
        ({"age": "abc"}, "Give your age as a number"),
        ({"age": "300"}, "from 1 to 120"),
        ({"duration": "forever"}, "Select a valid choice"),
        ({"q_fever": ""}, "Answer yes or no."),
        ({"q_fever": "maybe"}, "Select a valid choice"),
        ({"q_lymphedema": "yes"}, "You said yes: choose where on your body."),
    ],
)
def test_bad_answers_are_named_and_every_other_answer_is_kept(client, clinics, changes, message):
    data = post_data("anticoagulant_therapy", **changes)
    response = client.post("/self-check/answer/", data)
    assert response.status_code == 200
    page = html(response)
    assert "Some answers need a second look" in page and message in page
    assert 'name="q_anticoagulant_therapy" value="yes" data-required checked' in page  # kept
    assert "data-answer=" not in page


def test_a_site_answer_with_a_side_the_region_does_not_have_is_refused(client, clinics):
    data = post_data("lymphedema", where={"lymphedema": ("lumbar", "both")}, pains=("calf:left",))
    ok = html(client.post("/self-check/answer/", data))
    assert "data-answer=" in ok  # both sides of the low back is a real place
    data = post_data("lymphedema", where={"lymphedema": ("calf", "midline")}, pains=("calf:left",))
    page = html(client.post("/self-check/answer/", data))
    assert "That part of the body has no such side" in page


def test_sending_without_consent_or_contact_is_refused_and_keeps_everything(client, clinics):
    data = {**post_data("anticoagulant_therapy"), **contact(clinic="riverside", consent="", email="", phone="")}
    page = html(client.post("/self-check/send/", data))
    assert "Tick the box to agree" in page
    assert "Give an email address or a phone number" in page
    assert 'value="Sam Patel"' in page
    assert 'name="q_anticoagulant_therapy" value="yes"' in page  # the answers travel on
    assert SelfCheckRequest.objects.count() == 0


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "x" * 201, "Your name is too long"),
        ("email", "a" * 250 + "@example.com", "email address is too long"),
        ("email", "not-an-address", "That is not an email address"),
        ("phone", "1" * 41, "phone number is too long"),
        ("phone", "call me", "That is not a phone number"),
        ("clinic", "nowhere", "That clinic is not on the list"),
        ("submission_key", "nope", "has been renewed: press Send again"),
    ],
)
def test_over_long_and_malformed_contact_fields_are_named(client, clinics, field, value, message):
    data = {**post_data(), **contact(**{"clinic": "riverside", field: value})}
    response = client.post("/self-check/send/", data)
    assert response.status_code == 200
    assert message in html(response)
    assert SelfCheckRequest.objects.count() == 0


def test_a_changed_consent_wording_must_be_agreed_again(client, clinics):
    data = {**post_data(), **contact(clinic="riverside", consent_version="2020-01-01")}
    assert "has changed" in html(client.post("/self-check/send/", data))
    assert SelfCheckRequest.objects.count() == 0


def test_with_one_clinic_the_clinic_is_implicit(client, db):
    from tests import factories as f

    only = f.clinic("solo")
    page = html(client.post("/self-check/answer/", post_data()))
    assert "Clinic: <strong>Solo Clinic</strong>" in page and '<select class="sc-input" id="id_clinic"' not in page
    data = {**post_data(), **contact()}
    data.pop("clinic", None)
    client.post("/self-check/send/", data)
    assert SelfCheckRequest.objects.get().clinic == only


@pytest.mark.postgres
def test_sending_stores_the_core_answer_not_the_browsers(client, clinics):
    riverside, _ = clinics
    data = {**post_data("fever"), **contact(clinic="riverside"), "outcome": "suitable"}
    page = html(client.post("/self-check/send/", data))
    assert "Your answers are with Riverside Clinic" in page and "Please still see a doctor" in page
    item = SelfCheckRequest.objects.get()
    assert (item.outcome, item.urgency, item.outcome_rank) == ("see_doctor", "urgent", 1)
    assert item.answers["yes"] == [{"code": "fever", "region": "", "side": ""}]
    assert "fever" not in item.answers["no"] and "saddle_anesthesia" in item.answers["no"]
    assert item.reasons[0]["finding"] == "fever" and item.reasons[0]["role"] == "decides"
    assert item.public_id in page and re.fullmatch(r"sr_[0-9a-z]{13}", item.public_id)
    event = AuditEvent.objects.get()
    assert (event.clinic, event.action, event.object_id, event.actor) == (riverside, "create", str(item.pk), None)
    assert event.ip_address == "127.0.0.1"


@pytest.mark.postgres
def test_a_double_submit_stores_one_request(client, clinics):
    data = {**post_data(), **contact(clinic="riverside")}
    first = html(client.post("/self-check/send/", data))
    second = html(client.post("/self-check/send/", data))
    item = SelfCheckRequest.objects.get()
    assert item.public_id in first and item.public_id in second
    assert AuditEvent.objects.count() == 1


@pytest.mark.postgres
def test_the_throttle_refuses_the_sixth_send_in_an_hour_from_one_address(client, clinics, settings):
    settings.SELFCHECK_SUBMISSIONS_PER_HOUR = 5
    for _ in range(5):
        assert client.post("/self-check/send/", {**post_data(), **contact(clinic="riverside")}).status_code == 200
    response = client.post("/self-check/send/", {**post_data(), **contact(clinic="riverside")})
    assert response.status_code == 429
    assert "Too many self-checks were sent from this connection" in html(response)
    assert 'value="Sam Patel"' in html(response)  # nothing entered is lost
    assert SelfCheckRequest.objects.count() == 5
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert other.post("/self-check/send/", {**post_data(), **contact(clinic="riverside")}).status_code == 200


@pytest.mark.parametrize("url", ["/self-check/", "/self-check/answer/", "/self-check/send/"])
def test_wrong_methods_are_refused(client, clinics, url):
    assert client.put(url).status_code == 405
    assert client.delete(url).status_code == 405


def test_a_get_of_the_answer_or_send_page_goes_back_to_the_questions(client, clinics):
    for url in ("/self-check/answer/", "/self-check/send/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/self-check/"


def test_posts_without_the_csrf_token_are_refused(clinics):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/self-check/answer/", post_data()).status_code == 403
    assert strict.post("/self-check/send/", {**post_data(), **contact(clinic="riverside")}).status_code == 403
    assert SelfCheckRequest.objects.count() == 0


def test_change_my_answers_opens_the_questions_filled_in(client, clinics):
    page = html(client.post("/self-check/", post_data("needle_phobia", age="61")))
    assert 'data-bound="1"' in page and 'value="61"' in page
    assert 'name="q_needle_phobia" value="yes" data-required checked' in page
    assert "Some answers need a second look" not in page


def test_a_submission_key_is_fresh_on_every_answer(client, clinics):
    keys = {
        re.search(
            r'name="submission_key" value="([^"]+)"', html(client.post("/self-check/answer/", post_data()))
        ).group(1)
        for _ in range(2)
    }
    assert len(keys) == 2 and all(uuid.UUID(k) for k in keys)
