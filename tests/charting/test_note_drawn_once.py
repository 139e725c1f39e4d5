"""The visit page draws what cannot differ between requests once: an unbound form's fields (per form
and initial values) and a draft's suggested targets. A page drawn again is the same page, a form sent
back with errors is drawn afresh with them, and drafts with different forms get different forms."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from needlechart.charting import services, views
from needlechart.explorer import fragments

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def c(physio):
    client = Client()
    client.force_login(physio)
    return client


def page(client, visit, query="") -> str:
    response = client.get(reverse("charting:visit", args=[visit.patient_id, visit.pk]) + query)
    assert response.status_code == 200
    return CSRF.sub("", response.content.decode())


def test_a_draft_drawn_again_is_the_same_page(c, ready_visit):
    fragments.clear_all()
    first = page(c, ready_visit)
    hits = views.FORM_FIELDS.hits
    assert page(c, ready_visit) == first
    assert views.FORM_FIELDS.hits > hits  # the forms' fields came from the store
    assert "Screen the patient for this visit" not in first and "Add needle" in first


def test_a_form_sent_back_is_drawn_with_its_errors_and_then_clean_again(c, ready_visit):
    clean = page(c, ready_visit)
    base = reverse("charting:visit", args=[ready_visit.patient_id, ready_visit.pk])
    refused = c.post(base + "needle/", {"target": "no such muscle", "side": "left", "technique": "static"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'value="no such muscle"' in html and 'class="field invalid"' in html
    assert page(c, ready_visit) == clean  # the next page has the unbound form again


def test_the_needle_form_follows_the_modality_and_the_target_asked_for(c, physio, patient, episode, ready_visit):
    acupuncture = services.start_visit(physio, patient, episode=episode, modality="acupuncture")
    dry = page(c, ready_visit)
    acu = page(c, acupuncture)
    assert 'name="twitch_responses"' in dry and 'name="de_qi"' not in dry
    assert 'name="de_qi"' in acu and 'name="twitch_responses"' not in acu
    filled = page(c, ready_visit, "?target=upper_trapezius&side=left")
    assert 'value="upper_trapezius"' in filled and 'value="upper_trapezius"' not in dry
