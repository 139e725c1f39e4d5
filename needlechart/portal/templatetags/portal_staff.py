"""The patient page's portal panel: whether the patient has portal access, and the buttons to change it."""

from __future__ import annotations

from typing import Any

from django import template

from needlechart.portal import alerts
from needlechart.portal.accounts import account_of

register = template.Library()


@register.inclusion_tag("portal/staff/panel.html", takes_context=True)
def portal_panel(context: Any, patient: Any) -> dict[str, Any]:
    account = account_of(patient)
    user = context["request"].user
    open_alerts = alerts.open_alerts(user=user, patient=patient) if account is not None else []
    return {
        "patient": patient,
        "account": account,
        "alerts": open_alerts,
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }


@register.inclusion_tag("portal/staff/alerts.html", takes_context=True)
def portal_alerts(context: Any) -> dict[str, Any]:
    """The clinic's open portal alerts, for the head of the patient list (one indexed query)."""
    return {"alerts": alerts.open_alerts(user=context["request"].user)}
