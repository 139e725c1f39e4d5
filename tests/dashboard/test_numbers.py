"""The dashboard's figures on the hand-built clinic of conftest.py, each worked out by hand here."""

from __future__ import annotations

import csv
import io

import pytest

from needlechart.audit.models import AuditEvent
from needlechart.clinical.benchmarks import clopper_pearson
from needlechart.common.opaque import of as oid
from needlechart.dashboard.forms import DashboardFilterForm
from needlechart.dashboard.selectors import dashboard

from .conftest import RANGE, login

pytestmark = pytest.mark.django_db


def board(user, **extra):
    form = DashboardFilterForm({**RANGE, **extra}, clinic_id=user.clinic_id)
    assert form.is_valid(), form.errors
    return dashboard(user, form.filters())


def test_overview_by_condition_and_clinician(clinic):
    d = board(clinic["physio"])
    rows = {(r.group, r.label): (r.episodes, r.signed_visits, r.visits_per_episode) for r in d.overview}
    # 5 signed visits of e1 in the range (the April one is outside) and 2 of e2: 7 visits, 2 episodes.
    assert rows[("all", "All")] == (2, 7, 3.5)
    assert rows[("condition", "Neck pain")] == (1, 5, 5.0)
    assert rows[("clinician", "Sam Second")] == (1, 2, 2.0)


def test_responders_change_and_adverse_events(clinic):
    d = board(clinic["physio"])
    responders = {r.instrument: (r.responders, r.assessed) for r in d.responders}
    # NPRS: e1 7 -> 4 (-3, MCID 2: met), e2 6 -> 5 (not met). NDI: e1 20 -> 16 (-4, MCID 10: not met).
    assert responders == {"nprs": (1, 2), "ndi": (0, 1)}
    change = {(r.instrument, r.weeks): r.estimate for r in d.changes}
    # 4 weeks: e1's day 28 (-3) and e2's day 29 (-1): mean -2, sd sqrt(2), t(0.975, 1) = 12.7062
    four = change[("nprs", 4)]
    assert four.n == 2 and four.mean == -2
    assert four.ci.low == pytest.approx(-14.7062, abs=1e-4) and four.ci.high == pytest.approx(10.7062, abs=1e-4)
    assert change[("nprs", 8)] is None and change[("ndi", 4)].mean == -4
    events = {r.type: r for r in d.adverse_events}
    # 7 treatments: bruising at two visits, bleeding at one, soreness (significant) at one.
    assert (events["bruising"].treatments_with, events["bruising"].treatments) == (2, 7)
    assert events["bruising"].per_1000 == pytest.approx(2000 / 7)
    assert events["bruising"].ci == clopper_pearson(2, 7).scaled(1000)
    assert events["any_mild"].treatments_with == 2 and events["major"].treatments_with == 1
    assert events["suspected_pneumothorax"].treatments_with == 0  # the other clinic's


def test_flags_and_completeness(clinic):
    d = board(clinic["physio"])
    flags = {r.id: (r.episodes, r.of) for r in d.flags}
    assert flags == {"not_responding": (1, 2), "refer": (0, 2), "referral_made": (1, 2), "discharged_referred": (0, 2)}
    c = d.completeness
    rows = {r.instrument: (r.taken, r.due) for r in c.instruments}
    # e1 (4 sessions weekly from 5 Jan; neck pain: nprs, ndi, ppt, psfs, groc): points 5 Jan (baseline),
    # 12 Jan (session 2), 26 Jan (session 4), 2 Feb, 2 Mar, 30 Mar (4, 8, 12 weeks): nprs and ndi taken
    # at the baseline and for 2 Feb, 6 due each; ppt and psfs 6 due, none taken; groc (no baseline) 5.
    # e2 (from 10 Jan; low back pain: nprs, odi, psfs, groc, ppt): 10 Jan, 17 Jan (session 2), 7 Feb,
    # 7 Mar (session 4 never reached, 12 weeks after the range): nprs taken at the baseline and on 8 Feb.
    assert rows["nprs"] == (4, 10) and rows["ndi"] == (2, 6) and rows["odi"] == (0, 4) and rows["groc"] == (0, 8)
    assert (c.taken, c.due) == (6, 48)


def test_filters_narrow_the_scope(clinic):
    d = board(clinic["physio"], condition="low_back_pain")
    assert d.overview[0].episodes == 1 and d.overview[0].signed_visits == 2
    assert {r.type: r.treatments_with for r in d.adverse_events}["bruising"] == 0
    d = board(clinic["physio"], clinician=oid(clinic["physio"]))
    assert (d.overview[0].episodes, d.overview[0].signed_visits) == (1, 5)
    d = board(clinic["physio"], date_from="2026-01-11", date_to="2026-01-20")
    assert (d.overview[0].episodes, d.overview[0].signed_visits) == (2, 3)


def test_the_page_shows_the_tables_and_records_one_view(clinic):
    c = login(clinic["admin"])
    before = AuditEvent.objects.filter(action="view").count()
    r = c.get("/dashboard/", RANGE)
    assert r.status_code == 200
    html = r.content.decode()
    for text in ("Brady 2014", "Boyce 2020", "Navarro-Santana 2020", "not reported in our source", "<svg", "285.7"):
        assert text in html, text
    assert "/patients/pt_" not in html and "Ada" not in html  # a clinic summary: no patient, no row id
    views = AuditEvent.objects.filter(action="view").order_by("-id")
    assert views.count() == before + 1
    row = views.first()
    assert row.actor == clinic["admin"] and row.clinic == clinic["a"] and row.patient is None
    assert row.detail["view"] == "page" and row.detail["filters"]["date_from"] == "2026-01-01"


def test_default_range_is_the_last_ninety_days(clinic):
    r = login(clinic["physio"]).get("/dashboard/")
    assert r.status_code == 200
    f = r.context["d"].filters
    assert (f.date_to - f.date_from).days == 89


def test_csv_of_every_table_has_the_filters_and_a_header(clinic):
    c = login(clinic["physio"])
    for table in ("overview", "responders", "change", "benchmarks", "adverse_events", "referrals", "completeness"):
        r = c.get(f"/dashboard/{table}.csv", RANGE)
        assert r.status_code == 200 and r["Content-Type"].startswith("text/csv"), table
        rows = list(csv.reader(io.StringIO(r.content.decode())))
        assert rows[0][:4] == ["date_from", "date_to", "condition", "clinician"], table
        assert all(row[:2] == ["2026-01-01", "2026-03-31"] for row in rows[1:]) and len(rows) > 1, table
    overview = list(csv.DictReader(io.StringIO(c.get("/dashboard/overview.csv", RANGE).content.decode())))
    assert (
        overview[0]["episodes"] == "2"
        and overview[0]["signed_visits"] == "7"
        and overview[0]["visits_per_episode"] == "3.5"
    )
    done = list(csv.DictReader(io.StringIO(c.get("/dashboard/completeness.csv", RANGE).content.decode())))
    assert done[-1]["instrument"] == "all" and (done[-1]["due"], done[-1]["taken"], done[-1]["share_percent"]) == (
        "48",
        "6",
        "12.5",
    )
    events = list(csv.DictReader(io.StringIO(c.get("/dashboard/adverse_events.csv", RANGE).content.decode())))
    boyce_major = next(r for r in events if r["type"] == "major" and r["study"] == "Boyce 2020")
    assert (
        boyce_major["study_ci_basis"] == "computed from the reported counts" and boyce_major["study_per_1000"] == "0.98"
    )
    assert c.get("/dashboard/nothing.csv", RANGE).status_code == 404


def test_api_gives_the_same_figures_and_records_the_read(clinic):
    c = login(clinic["physio"])
    r = c.get("/api/v1/dashboard", RANGE)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["overview"][0] == {
        "group": "all",
        "label": "All",
        "episodes": 2,
        "signed_visits": 7,
        "visits_in_episodes": 7,
        "visits_per_episode": 3.5,
    }
    assert body["completeness"]["due"] == 48 and body["completeness"]["taken"] == 6
    bruising = next(e for e in body["adverse_events"] if e["type"] == "bruising")
    brady = next(s for s in bruising["benchmarks"] if s["study"] == "brady_2014")
    assert brady["per_1000"] == 75.5 and brady["ci"] is None and brady["ci_note"] == "not reported in our source"
    assert AuditEvent.objects.filter(action="view", actor=clinic["physio"], detail__view="api").count() == 1


def test_each_csv_writes_one_audit_row(clinic):
    c = login(clinic["physio"])
    c.get("/dashboard/responders.csv", RANGE)
    c.get("/dashboard/completeness.csv", RANGE)
    views = list(
        AuditEvent.objects.filter(action="view", actor=clinic["physio"]).values_list("detail__view", flat=True)
    )
    assert sorted(views) == ["completeness.csv", "responders.csv"]


def test_the_default_range_ends_today_in_the_clinics_time_zone(clinic):
    from zoneinfo import ZoneInfo

    from django.core.cache import cache
    from django.utils import timezone

    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11: never the same date
        clinic["a"].time_zone = zone
        clinic["a"].save()
        cache.clear()  # the clinic's zone is cached for a minute
        r = login(clinic["physio"]).get("/dashboard/")
        assert r.context["d"].filters.date_to == timezone.localdate(timezone=ZoneInfo(zone)), zone


def test_a_csv_cell_never_starts_a_formula(clinic):
    clinic["second"].first_name = "=HYPERLINK(1)"
    clinic["second"].save()
    body = login(clinic["physio"]).get("/dashboard/overview.csv", RANGE).content.decode()
    assert "'=HYPERLINK(1) Second" in body and "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body
    change = login(clinic["physio"]).get("/dashboard/change.csv", RANGE).content.decode()
    assert ",-2," in change  # the NPRS mean change at 4 weeks, a number, not quoted
