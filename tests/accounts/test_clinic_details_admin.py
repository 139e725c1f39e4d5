"""A clinic admin keeps the clinic's contact details (the head of every PDF report) in the admin: their
own clinic only, never adding or deleting one; clinicians and front desk have no admin."""

from __future__ import annotations

import pytest
from django.test import Client

from needlechart.accounts.models import Clinic, Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_a_clinic_admin_edits_their_own_clinics_details_only():
    mine, theirs = f.clinic("riverside"), f.clinic("hilltop")
    admin = client_for(f.user(mine, "boss", Role.CLINIC_ADMIN))
    listing = admin.get("/admin/accounts/clinic/")
    assert listing.status_code == 200
    assert mine.name in listing.content.decode() and theirs.name not in listing.content.decode()
    form = {
        "name": mine.name,
        "address": "12 Riverside Walk\nLondon",
        "phone": "020 7946 0321",
        "email": "desk@riverside.example.org",
        "time_zone": "Europe/London",
    }
    assert admin.post(f"/admin/accounts/clinic/{mine.pk}/change/", form).status_code == 302
    mine.refresh_from_db()
    assert mine.phone == "020 7946 0321" and mine.address.startswith("12 Riverside Walk")
    assert admin.get(f"/admin/accounts/clinic/{theirs.pk}/change/").status_code in (302, 404)
    assert admin.post(f"/admin/accounts/clinic/{theirs.pk}/change/", {**form, "name": "x"}).status_code in (302, 404)
    theirs.refresh_from_db()
    assert theirs.name != "x"
    assert admin.get("/admin/accounts/clinic/add/").status_code == 403
    assert Clinic.objects.count() == 2


def test_clinicians_have_no_admin():
    clinic = f.clinic("riverside")
    for role in (Role.CLINICIAN, Role.FRONT_DESK):
        response = client_for(f.user(clinic, f"u{role}", role)).get("/admin/accounts/clinic/")
        assert response.status_code == 302  # to the admin's sign-in
