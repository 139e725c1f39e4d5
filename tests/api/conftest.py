"""Fixtures for the API tests: two clinics, their staff and patients, and JSON helpers."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client

from needlechart.accounts.models import Role
from needlechart.charting import services
from needlechart.patients.models import Episode
from tests import factories as f

ALL_RISKS = ["soreness", "bruising", "bleeding", "infection", "fainting", "pneumothorax"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """These tests sign in with force_login; Argon2 would only slow the user fixtures down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Api:
    """A signed-in test client that speaks JSON to /api/v1/."""

    def __init__(self, user) -> None:
        self.client = Client()
        if user is not None:
            self.client.force_login(user)

    def _send(self, method: str, path: str, body: Any = None, **extra):
        kwargs = {"content_type": "application/json", **extra}
        if body is not None:
            kwargs["data"] = json.dumps(body)
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path: str, params: dict | None = None, **extra):
        return self.client.get(f"/api/v1{path}", params or {}, **extra)

    def post(self, path: str, body: Any = None, **extra):
        return self._send("post", path, {} if body is None else body, **extra)

    def patch(self, path: str, body: Any, **extra):
        return self._send("patch", path, body, **extra)

    def delete(self, path: str, **extra):
        return self._send("delete", path, **extra)


@pytest.fixture
def world(db):
    a, b = f.clinic("riverside"), f.clinic("hilltop")
    return {
        "a": a,
        "b": b,
        "physio": f.user(a, "physio", dry_needling_certified_on=date(2022, 3, 1)),
        "desk": f.user(a, "desk", Role.FRONT_DESK),
        "admin": f.user(a, "admin", Role.CLINIC_ADMIN),
        "other": f.user(b, "other", dry_needling_certified_on=date(2022, 3, 1)),
        "patient": f.patient(a, medications="Warfarin 5 mg", history_notes="Right mastectomy 2019"),
        "theirs": f.patient(b, "Grace", "Hopper"),
    }


@pytest.fixture
def as_physio(world) -> Api:
    return Api(world["physio"])


@pytest.fixture
def as_desk(world) -> Api:
    return Api(world["desk"])


@pytest.fixture
def as_other(world) -> Api:
    return Api(world["other"])


@pytest.fixture
def episode(world):
    return Episode.objects.create(
        patient=world["patient"], condition="neck_pain", started_on=date(2026, 1, 5), created_by=world["physio"]
    )


@pytest.fixture
def ready_visit(world, episode):
    """A draft dry-needling visit with a clear screening and consent: ready for needles."""
    physio, patient = world["physio"], world["patient"]
    visit = services.start_visit(physio, patient, episode=episode)
    screening = services.screen_patient(physio, patient, [], ["dry_needling"])
    services.record_consent(physio, patient, "dry_needling", ALL_RISKS, True)
    return services.attach_screening(physio, visit, screening)


@pytest.fixture
def signed_visit(world, ready_visit):
    physio = world["physio"]
    services.add_insertion(
        physio, ready_visit, {"target": "levator_scapulae", "side": "left", "lung_technique": "pincer"}
    )
    visit = services.update_draft(
        physio, ready_visit, {"needles_in": 1, "needles_out": 1, "nprs_before": 5, "plan": "Weekly"}, 1
    )
    return services.sign_visit(physio, visit)


@pytest.fixture
def their_visit(world):
    """A draft visit in the other clinic."""
    return services.start_visit(world["other"], world["theirs"])
