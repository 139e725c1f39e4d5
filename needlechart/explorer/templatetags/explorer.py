"""Small template helpers: links to knowledge entries by ID, written with their display names."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from needlechart.knowledge import load

register = template.Library()


@register.simple_tag
def region_links(region_ids, side=""):
    kb = load()
    prefix = f"{side} " if side in ("left", "right") else ""
    return format_html_join(
        ", ",
        '<a href="{}">{}{}</a>',
        ((reverse("explorer:region", args=[r]), prefix, kb.regions[r].name.lower()) for r in region_ids),
    )


@register.simple_tag
def muscle_link(muscle_id):
    kb = load()
    return format_html('<a href="{}">{}</a>', reverse("explorer:muscle", args=[muscle_id]), kb.muscles[muscle_id].name)


@register.simple_tag
def point_link(code, long=False):
    kb = load()
    point = kb.acupoints[code]
    text = point.label if long else point.code
    return format_html('<a href="{}" title="{}">{}</a>', reverse("explorer:acupoint", args=[code]), point.label, text)


@register.filter
def humanize_id(value: str) -> str:
    return str(value).replace("_", " ")
