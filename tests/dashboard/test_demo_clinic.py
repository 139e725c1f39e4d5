"""The dashboard on the demo clinic (several weeks of signed visits through the services): every
page, CSV and API answer is a 200 with the clinic's own figures."""

from __future__ import annotations

import pytest

from needlechart.accounts.models import User
from needlechart.demo.seed import seed

from .conftest import login

pytestmark = pytest.mark.django_db


def test_the_demo_clinic_dashboard_renders(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed()
    c = login(User.objects.get(username="clinicadmin"))
    page = c.get("/dashboard/")
    assert page.status_code == 200
    d = page.context["d"]
    assert d.episodes > 0 and d.treatments > 0
    assert c.get("/dashboard/change.csv").status_code == 200
    body = c.get("/api/v1/dashboard").json()
    assert body["overview"][0]["signed_visits"] == d.treatments
