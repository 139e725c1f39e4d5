"""The API tests' clinics, staff, patients and episode (tests/api/conftest.py), shared here."""

from __future__ import annotations

from tests.api.conftest import (  # noqa: F401 - fixtures
    _fast_passwords,
    as_desk,
    as_other,
    as_physio,
    episode,
    ready_visit,
    signed_visit,
    world,
)
