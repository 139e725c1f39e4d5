"""The staff navigation's link to the self-check requests, with the count of new ones."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from needlechart.selfcheck.selectors import new_count

register = template.Library()


@register.simple_tag(takes_context=True)
def selfcheck_link(context: dict[str, Any]) -> SafeString | str:
    """`<a href=…>Self-checks (2 new)</a>` for clinic staff (one indexed count); nothing for anyone else."""
    user = context.get("user")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_clinic_staff:
        return ""
    count = new_count(user)
    url = reverse("selfcheck:requests")
    if count:
        return format_html('<a href="{}">Self-checks ({} new)</a>', url, count)
    return format_html('<a href="{}">Self-checks</a>', url)
