"""The clinic dashboard as JSON: the same filters, permission and audit as the page
(`needlechart.dashboard.services.open_dashboard`). Clinicians and clinic admins only (front desk 403);
only the user's own clinic is ever counted. A filter that cannot be read is a 422 naming it."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import ValidationError

from needlechart.dashboard import services
from needlechart.dashboard.forms import DashboardFilterForm
from needlechart.dashboard.selectors import Dashboard

from .access import staff
from .schemas import NO_NUL, SourceOut, responses

router = Router(tags=["dashboard"])


class DashboardIntervalOut(Schema):
    low: float
    high: float


class DashboardFiltersOut(Schema):
    date_from: date
    date_to: date
    condition: str
    clinician: str  # the clinician's opaque id, or "" for all


class DashboardOverviewOut(Schema):
    group: Literal["all", "condition", "clinician"]
    label: str
    episodes: int
    signed_visits: int
    visits_in_episodes: int
    visits_per_episode: float | None


class DashboardResponderOut(Schema):
    instrument: str
    name: str
    responders: int
    assessed: int
    rate: float | None
    ci: DashboardIntervalOut | None


class DashboardComparisonOut(Schema):
    verdict: Literal["overlap", "higher", "lower", "no_data", "not_comparable"]
    text: str


class DashboardEffectOut(Schema):
    id: str
    study: str
    modality: str
    comparison: str
    timepoint: str
    measure: Literal["mean_difference", "smd", "sd_effect", "derived_points"]
    instrument: str
    outcome: str
    value: float | None
    range: DashboardIntervalOut | None
    ci: DashboardIntervalOut | None
    ci_note: str
    sources: list[SourceOut]


class DashboardEffectBenchmarkOut(Schema):
    effect: DashboardEffectOut
    comparison: DashboardComparisonOut


class DashboardMeanOut(Schema):
    n: int
    mean: float
    sd: float | None
    ci: DashboardIntervalOut | None


class DashboardChangeOut(Schema):
    instrument: str
    name: str
    unit: str
    weeks: int
    estimate: DashboardMeanOut | None
    benchmarks: list[DashboardEffectBenchmarkOut]


class DashboardStudyOut(Schema):
    study: str
    name: str
    exposure: int
    exposure_unit: str
    per_1000: float
    ci: DashboardIntervalOut | None
    ci_basis: str
    ci_note: str
    comparison: DashboardComparisonOut
    sources: list[SourceOut]


class DashboardAdverseEventOut(Schema):
    type: str
    name: str
    treatments_with: int
    treatments: int
    per_1000: float | None
    ci: DashboardIntervalOut | None
    benchmarks: list[DashboardStudyOut]


class DashboardFlagOut(Schema):
    id: Literal["not_responding", "refer", "referral_made", "discharged_referred"]
    label: str
    episodes: int
    of: int


class DashboardCompletenessRowOut(Schema):
    instrument: str
    name: str
    due: int
    taken: int
    share: float | None
    ci: DashboardIntervalOut | None


class DashboardCompletenessOut(Schema):
    due: int
    taken: int
    share: float | None
    ci: DashboardIntervalOut | None
    instruments: list[DashboardCompletenessRowOut]


class DashboardOut(Schema):
    """The clinic's figures for the range, each estimate with its 95% interval, beside the published
    benchmarks (each with its source, and its interval or why it has none)."""

    filters: DashboardFiltersOut
    on: date
    overview: list[DashboardOverviewOut]
    responders: list[DashboardResponderOut]
    changes: list[DashboardChangeOut]
    benchmarks: list[DashboardEffectOut]  # the published effects listed for the filter
    adverse_events: list[DashboardAdverseEventOut]
    flags: list[DashboardFlagOut]
    completeness: DashboardCompletenessOut


def _out(d: Dashboard) -> dict[str, Any]:
    changes = []
    for row in d.changes:
        changes.append(
            {
                "instrument": row.instrument,
                "name": row.name,
                "unit": row.unit,
                "weeks": row.weeks,
                "estimate": row.estimate,
                "benchmarks": [{"effect": b.effect, "comparison": b.comparison} for b in row.benchmarks],
            }
        )
    events = []
    for row in d.adverse_events:
        studies = [
            {
                "study": s.study.id,
                "name": s.study.name,
                "exposure": s.study.exposure,
                "exposure_unit": s.study.exposure_unit,
                "per_1000": s.per_1000,
                "ci": s.ci,
                "ci_basis": s.ci_basis,
                "ci_note": s.ci_note,
                "comparison": s.comparison,
                "sources": list(s.study.sources),
            }
            for s in row.benchmarks
        ]
        events.append(
            {
                **{k: getattr(row, k) for k in DashboardAdverseEventOut.model_fields if k != "benchmarks"},
                "benchmarks": studies,
            }
        )
    return {
        "filters": d.filters.as_dict(),
        "on": d.on,
        "overview": [{**r.__dict__, "visits_per_episode": r.visits_per_episode} for r in d.overview],
        "responders": list(d.responders),
        "changes": changes,
        "benchmarks": list(d.effects),
        "adverse_events": events,
        "flags": [r.__dict__ for r in d.flags],
        "completeness": d.completeness,
    }


@router.get("/dashboard", response=responses({200: DashboardOut}, lookup=False))
def read_dashboard(
    request: HttpRequest,
    date_from: str = Query(
        "", max_length=10, pattern=NO_NUL, description="First day, YYYY-MM-DD (default: 89 days before date_to)"
    ),
    date_to: str = Query(
        "", max_length=10, pattern=NO_NUL, description="Last day, YYYY-MM-DD (default: today in the clinic's time zone)"
    ),
    condition: str = Query(
        "", max_length=60, pattern=NO_NUL, description="A knowledge-base condition ID, or empty for all"
    ),
    clinician: str = Query("", max_length=20, pattern=NO_NUL, description="A clinician's opaque id, or empty for all"),
) -> dict[str, Any]:
    """The clinic dashboard for the range: episodes and visits (in all, by condition, by clinician),
    responders per instrument, mean change at 4, 8 and 12 weeks against published effects, adverse
    events per 1,000 treatments against Brady 2014 and Boyce 2020, non-responders and referrals, and
    outcome completeness."""
    user = staff(request)
    services.require_dashboard(user)
    given = {"date_from": date_from, "date_to": date_to, "condition": condition, "clinician": clinician}
    form = DashboardFilterForm({k: v for k, v in given.items() if v}, clinic_id=user.clinic_id)
    if not form.is_valid():
        errors = [
            {"type": "invalid_filter", "loc": ["query", field if field in given else "date_from"], "msg": str(message)}
            for field, messages in form.errors.items()
            for message in messages
        ]
        raise ValidationError(errors)
    return _out(services.open_dashboard(user, form.filters(), view="api", request=request))
