"""Every URL of the project with a sample value for each parameter, for the tests that walk them all
(the second factor owed, a patient's portal session)."""

from __future__ import annotations

import re
from uuid import UUID

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern


def _value(converter) -> str:
    """A value the converter accepts: its own spelling of 1 where it has one (opaque ids too), else a guess."""
    try:
        own = str(converter.to_url(1))
    except (TypeError, ValueError):
        own = None
    for candidate in (own, "1", "x", str(UUID(int=1))):
        if candidate is not None and re.fullmatch(converter.regex, candidate):
            try:
                converter.to_python(candidate)
            except ValueError:
                continue
            return candidate
    return "x"


def _regex_value(body: str) -> str:
    """A value for a regex group of the shape `prefix[chars]{n}` (an opaque reference), else "x"."""
    shape = re.fullmatch(r"(\w*)\[([^\]]+)\]\{(\d+)\}", body)
    if shape is None:
        return "x"
    prefix, chars, count = shape.groups()
    return prefix + chars[0] * int(count)


def _sample(pattern) -> str:
    """A concrete path segment for a URL pattern, with a plausible value for each parameter."""
    if isinstance(pattern, RoutePattern):
        route = str(pattern)
        for name, converter in pattern.converters.items():
            route = re.sub(rf"<(\w+:)?{name}>", _value(converter), route)
        return route
    assert isinstance(pattern, RegexPattern)
    regex = str(pattern).lstrip("^").rstrip("$").replace("\\Z", "")
    regex = re.sub(r"\(\?P<\w+>([\w|]+)\)", lambda m: m.group(1).split("|")[0], regex)  # (?P<app>accounts)
    regex = re.sub(r"\(\?P<\w+>([^)]*)\)", lambda m: _regex_value(m.group(1)), regex)
    return regex.replace("\\", "")


def every_url(patterns=None, prefix: str = "/", namespace: str = "") -> dict[str, str]:
    """Every URL pattern of the project as {sample path: pattern name}."""
    urls: dict[str, str] = {}
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        here = prefix + _sample(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            urls.update(every_url(entry.url_patterns, here, inner))
        elif isinstance(entry, URLPattern):
            urls[here] = f"{namespace}{entry.name or ''}"
    return urls
