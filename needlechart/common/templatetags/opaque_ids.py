"""`{{ visit|public_id }}`: a row's opaque token in a page (a built-in: no `{% load %}` needed).

`{% url %}` needs nothing: the URL converters turn row ids into tokens themselves."""

from django import template

from needlechart.common import opaque

register = template.Library()


@register.filter
def public_id(instance) -> str:
    return opaque.of(instance)


@register.filter
def audited_id(event) -> str:
    """An audit row's object as its token where the object is of a kind with one (the trail shows no
    sequential ids either)."""
    kind = opaque.MODEL_KINDS.get(event.object_type)
    raw = str(event.object_id)
    if kind is None or not (raw.isascii() and raw.isdigit()):
        return raw
    try:
        return opaque.encode(kind, int(raw))
    except ValueError:
        return raw
