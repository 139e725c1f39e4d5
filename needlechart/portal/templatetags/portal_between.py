"""Between visits on the staff side: the patient page's panel (exercise adherence, check-ins, the
pain diary) and the same section in the progress report. Clinical content: clinicians and clinic
admins only (front desk never sees it); a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from needlechart.common import svgchart
from needlechart.knowledge import load
from needlechart.portal import between
from needlechart.portal.accounts import account_of
from needlechart.portal.models import Bruising

register = template.Library()


def _context(patient: Any, today: Any = None) -> dict[str, Any]:
    data = between.summary(patient, today=today)
    by_id = {i.id: i for i in load().aftercare}
    check_ins = [
        {
            "check_in": c,
            "state": between.check_in_state(c),
            "ticked": [by_id[i] for i in c.urgent if i in by_id],
            "bruising": dict(Bruising.choices).get(c.bruising, ""),
        }
        for c in data.check_ins
    ]
    chart = None
    if len(data.diary) >= 2:
        chart = svgchart.line_chart(
            [svgchart.Series("Diary pain", "score", [(e.day, e.pain) for e in data.diary])],
            y_max=10,
            y_label="Pain 0-10",
            width=560,
            height=180,
            title="Pain diary, last 4 weeks",
        )
    return {
        "patient": patient,
        "data": data,
        "overall7": data.overall(7),
        "overall28": data.overall(28),
        "check_ins": check_ins,
        "chart": chart,
    }


@register.inclusion_tag("portal/staff/between_panel.html", takes_context=True)
def between_panel(context: Any, patient: Any) -> dict[str, Any]:
    user = context["request"].user
    if not (user.is_clinic_staff and user.sees_clinical_content and user.clinic_id == patient.clinic_id):
        return {"hidden": True}
    if account_of(patient) is None:
        return {"hidden": True}  # nothing is logged between visits without the portal
    return {"hidden": False, **_context(patient, timezone.localdate())}


@register.inclusion_tag("portal/staff/between_report.html")
def between_report(patient: Any, today: Any = None) -> dict[str, Any]:
    """For the progress report (its view has already checked the reader: a clinician of the clinic)."""
    return _context(patient, today or timezone.localdate())
