"""The patient page's portal panel: whether the patient has portal access, and the buttons to change it."""

from __future__ import annotations

from typing import Any

from django import template

from needlechart.portal.models import PortalAccount

register = template.Library()


@register.inclusion_tag("portal/staff/panel.html", takes_context=True)
def portal_panel(context: Any, patient: Any) -> dict[str, Any]:
    account = (
        PortalAccount.objects.filter(patient=patient).only("email", "invited_at", "activated_at", "disabled_at").first()
    )
    return {"patient": patient, "account": account, "csrf_token": context.get("csrf_token")}
