"""The patient overview's progress panel: each episode with a plan or measurements shows its plan, the
core's status with its reasons, each instrument from baseline to latest against its MCID, and what is
due; a non-responder is flagged at the top. Clinicians and clinic admins only; a fixed number of
queries, however many measurements."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from needlechart.charting.models import Visit
from needlechart.clinical import progress as core
from needlechart.common.opaque import of as oid
from needlechart.outcomes import selectors, services
from needlechart.patients.models import Episode

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)  # the episode fixture's start, a Monday
FLAG = re.compile(r'<section class="errors progress-flag" role="alert"[^>]*>(.*?)</section>', re.S)


def ndi(user, episode, answers, taken_on=START):
    return services.record_measurement(user, episode, instrument="ndi", answers=answers, taken_on=taken_on)


def page(user, patient) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def responder(world, episode):
    physio = world["physio"]
    services.revise_plan(physio, episode, sessions_planned=6, frequency_per_week=1)
    ndi(physio, episode, [3] * 10)  # 30
    ndi(physio, episode, [1] * 10, taken_on=START + timedelta(weeks=4))  # 10: 20 points better


def non_responder(world, episode):
    physio = world["physio"]
    services.revise_plan(physio, episode, sessions_planned=6, frequency_per_week=1)
    ndi(physio, episode, [3] * 10)  # 30
    ndi(physio, episode, [3] * 9 + [2], taken_on=START + timedelta(weeks=4))  # 29: below the MCID of 10


def test_a_responder_shows_responding_and_the_ndi_change(world, episode):
    responder(world, episode)
    assert services.progress_for_episode(world["physio"], episode).status == core.RESPONDING
    html = page(world["physio"], world["patient"])
    assert 'class="panel progress"' in html
    assert '<span class="tag status-ok">responding</span>' in html
    row = re.search(r'<tr><th scope="row">NDI</th>(.*?)</tr>', html, re.S)
    assert row, "the NDI row"
    cells = re.sub(r"<[^>]+>", " ", row.group(1))
    assert "30 points" in cells and "10 points" in cells  # baseline and latest
    assert "-20" in cells and "(-67%)" in cells  # the change and its percent
    assert "met" in cells and "not met" not in cells
    assert "1 a week, 0 of 6 sessions done" in html
    assert not FLAG.search(html)  # a responder is not flagged


def test_a_non_responder_is_flagged_at_the_top_with_the_first_reason(world, episode):
    non_responder(world, episode)
    result = services.progress_for_episode(world["physio"], episode)
    assert result.status == core.NOT_RESPONDING
    html = page(world["physio"], world["patient"])
    flag = FLAG.search(html)
    assert flag and "Not responding" in flag.group(1)
    assert escape(result.reasons[0]) in flag.group(1)
    # At the top: before the precautions and before the episode's own panel.
    assert flag.start() < html.index('id="prec-h"') < html.index('class="panel progress"')
    assert '<span class="tag status-blocked">not responding</span>' in html
    # An admin sees it as well.
    assert FLAG.search(page(world["admin"], world["patient"]))


def test_front_desk_sees_neither_panel_nor_flag(world, episode):
    non_responder(world, episode)
    html = page(world["desk"], world["patient"])
    assert world["patient"].full_name in html  # the page itself
    assert not FLAG.search(html)
    assert "progress" not in html.lower() and "NDI" not in html


def test_an_episode_with_no_plan_and_no_measurements_shows_no_panel(world, episode):
    other = Episode.objects.create(
        patient=world["patient"], condition="low_back_pain", started_on=START, created_by=world["physio"]
    )
    html = page(world["physio"], world["patient"])
    assert 'class="panel progress"' not in html and not FLAG.search(html)
    services.revise_plan(world["physio"], other, sessions_planned=8, frequency_per_week=2)
    html = page(world["physio"], world["patient"])  # a plan alone is enough for a panel: that episode only
    assert html.count('class="panel progress"') == 1 and f'id="progress-h-{oid(other)}"' in html
    assert "2 a week, 0 of 8 sessions done" in html
    assert "Nothing due." in html or "Due now" in html


def test_a_discharged_non_responder_keeps_its_panel_but_is_not_flagged(world, episode):
    non_responder(world, episode)
    Episode.objects.filter(pk=episode.pk).update(status="discharged")
    html = page(world["physio"], world["patient"])
    assert 'class="panel progress"' in html and not FLAG.search(html)


def _queries(client: Client, url: str) -> int:
    client.get(url)  # the first request of a session renews it: measure a steady page
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_measurements(world, episode):
    physio = world["physio"]
    client = Client()
    client.force_login(physio)
    url = reverse("patients:detail", args=[world["patient"].pk])
    responder(world, episode)
    few = _queries(client, url)
    for week in range(1, 9):
        ndi(physio, episode, [2] * 10, taken_on=START + timedelta(weeks=week))
        services.record_measurement(
            physio, episode, instrument="nprs", answers=[5], taken_on=START + timedelta(weeks=week), best=2, worst=7
        )
    assert _queries(client, url) == few


def test_the_overview_reads_what_the_services_read(world, episode):
    """The bulk read gives per episode what `progress_for_episode` and `due_measurements` give for one."""
    physio = world["physio"]
    non_responder(world, episode)
    for week in (0, 1, 2):
        Visit.objects.create(
            patient=episode.patient, episode=episode, clinician=physio, visit_date=START + timedelta(weeks=week)
        )
    services.record_measurement(physio, episode, instrument="nprs", answers=[6], taken_on=START, best=3, worst=8)
    on = timezone.localdate()
    [shown] = selectors.progress_of_episodes(physio, world["patient"], [episode], today=on)
    expected = services.progress_for_episode(physio, episode, today=on)
    assert shown.progress == expected
    assert shown.due == services.due_measurements(physio, episode, on=on)
    assert shown.flagged
