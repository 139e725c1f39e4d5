"""Range of motion: recorded as the core reads it against its norm, refused with the reason, shown
per movement on the overview, in the API; append-only."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DatabaseError, transaction
from django.test import Client

from needlechart.common.opaque import of as oid
from needlechart.outcomes.models import RangeOfMotion
from needlechart.outcomes.rom import courses, record_rom, rom_of, void_rom
from needlechart.outcomes.services import OutcomeError

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_a_reading_is_kept_with_the_cores_reading(world, episode):
    row = record_rom(
        world["physio"],
        episode,
        joint="shoulder",
        movement="flexion",
        side="left",
        value=120,
        taken_on=date(2026, 1, 5),
    )
    row.refresh_from_db()
    assert row.unit == "degrees" and row.result["text"] == "120° of 180° normal (67%)"
    record_rom(world["physio"], episode, joint="shoulder", movement="flexion", side="left", value=150)
    [course] = courses(rom_of(episode))
    assert course.name == "Shoulder flexion (left)" and course.change.improvement == 30
    with pytest.raises(DatabaseError), transaction.atomic():
        RangeOfMotion.objects.filter(pk=row.pk).update(value=170)


def test_bad_readings_name_what_is_wrong(world, episode):
    physio = world["physio"]
    with pytest.raises(OutcomeError, match="unknown joint 'shoulde'"):
        record_rom(physio, episode, joint="shoulde", movement="flexion", side="left", value=120)
    with pytest.raises(OutcomeError, match="side"):
        record_rom(physio, episode, joint="shoulder", movement="flexion", side=None, value=120)
    with pytest.raises(OutcomeError, match="degrees"):
        record_rom(physio, episode, joint="shoulder", movement="flexion", side="left", value=900)
    assert not RangeOfMotion.objects.exists()


def test_a_void_reading_no_longer_counts(world, episode):
    row = record_rom(world["physio"], episode, joint="knee", movement="flexion", side="right", value=90)
    void_rom(world["physio"], row, reason="wrong side")
    assert rom_of(episode) == [] and rom_of(episode, include_void=True) == [row]


def test_the_page_form_and_the_overview(world, episode):
    c = Client()
    c.force_login(world["physio"])
    base = f"/patients/{oid(episode.patient)}/episodes/{oid(episode)}/measurements/new/"
    assert c.get(base, {"instrument": "rom"}).status_code == 200
    bad = c.post(
        base,
        {"instrument": "rom", "movement": "shoulder:flexion", "side": "", "value": "120", "taken_on": "2026-01-05"},
    )
    assert bad.status_code == 400 and b"side" in bad.content and b'value="120' in bad.content
    ok = c.post(
        base,
        {"instrument": "rom", "movement": "shoulder:flexion", "side": "left", "value": "120", "taken_on": "2026-01-05"},
    )
    assert ok.status_code == 302
    page = c.get(f"/patients/{oid(episode.patient)}/").content.decode()
    assert "Shoulder flexion (left)" in page and "120° of 180° normal (67%)" in page


def test_the_api(as_physio, as_desk, episode):
    path = f"/episodes/{oid(episode)}/range-of-motion"
    body = {"joint": "cervical_spine", "movement": "rotation", "side": "left", "value": 50}
    created = as_physio.post(path, body)
    assert created.status_code == 201, created.content
    assert created.json()["id"].startswith("rm_") and created.json()["unit"] == "degrees"
    assert as_physio.post(path, {**body, "joint": "neck"}).status_code == 422
    assert as_desk.post(path, body).status_code == 403
    assert [r["value"] for r in as_physio.get(path).json()] == [50.0]
