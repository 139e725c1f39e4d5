"""Answers as the self-check's form posts them, and the clinics and staff that receive them."""

from __future__ import annotations

import uuid

import pytest

from needlechart.accounts.models import Role
from needlechart.clinical import triage
from needlechart.knowledge import load
from needlechart.selfcheck import services
from tests import factories as f

KB = load()


def post_data(*yes: str, pains=("lumbar:midline",), age="40", duration="one_to_six_weeks", where=None, **extra):
    """Every question answered: `yes` ones yes, the rest no; `where` maps a site-scoped code to
    (region, side)."""
    data: dict[str, object] = {"pain": list(pains), "duration": duration, "age": age, "aggravating": ["movement"]}
    for _group, findings in triage.questions(KB):
        for finding in findings:
            data[f"q_{finding.id}"] = "yes" if finding.id in yes else "no"
    for code, (region, side) in (where or {}).items():
        data[f"where_{code}_region"] = region
        data[f"where_{code}_side"] = side
    data.update(extra)
    return data


def contact(**extra):
    values = {
        "name": "Sam Patel",
        "email": "sam@example.com",
        "phone": "07700 900123",
        "consent": "on",
        "consent_version": services.CONSENT_VERSION,
        "submission_key": str(uuid.uuid4()),
    }
    values.update(extra)
    return values


@pytest.fixture
def clinics(db):
    riverside = f.clinic("riverside")
    hilltop = f.clinic("hilltop")
    return riverside, hilltop


@pytest.fixture
def staff(clinics):
    riverside, hilltop = clinics
    return {
        "physio": f.user(riverside, "physio"),
        "desk": f.user(riverside, "desk", Role.FRONT_DESK),
        "admin": f.user(riverside, "admin", Role.CLINIC_ADMIN),
        "stranger": f.user(hilltop, "stranger"),
    }
