"""The dashboard's page, CSV and API issue a number of queries that does not grow with the visits,
measurements, adverse events or episodes behind them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f

from .conftest import RANGE, episode_with_plan, login, measure, visit

pytestmark = pytest.mark.django_db


def count(client, url: str) -> int:
    client.get(url, RANGE)  # the first request of a session renews it: measure a steady one
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url, RANGE)
    assert r.status_code == 200, url
    return len(ctx.captured_queries)


def grow(clinic, n: int) -> None:
    """n more episodes, each with weekly signed visits (some with adverse events) and measurements."""
    physio = clinic["physio"]
    for i in range(n):
        e = episode_with_plan(f.patient(clinic["a"], f"P{i}", "Grow"), physio, "neck_pain", date(2026, 1, 7))
        for week in range(6):
            day = date(2026, 1, 7) + timedelta(weeks=week)
            visit(e, physio, day, [("bruising", "mild")] if week % 2 else [])
            measure(e, physio, "nprs", day, 7 - week)
            measure(e, physio, "ndi", day, 30 - 2 * week)


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/adverse_events.csv", "/api/v1/dashboard"])
def test_queries_do_not_grow_with_the_data(clinic, url):
    c = login(clinic["physio"])
    few = count(c, url)
    grow(clinic, 5)
    many = count(c, url)
    assert many == few, f"{url}: {few} queries, then {many} with more data"
    assert few <= 20
