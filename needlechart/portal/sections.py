"""What the portal's home page shows: a list of sections, each from the part of the portal it belongs to.

A part of the portal (intake, consent, aftercare, check-ins...) registers a function that, for the
signed-in patient's account, returns a `Section` to show (or None when it has nothing to say).
Sections are shown in order of `priority` (lowest first): something urgent or due today comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import PortalAccount


@dataclass(frozen=True)
class Section:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    priority: int = 50


SectionSource = Callable[[PortalAccount], "Section | None"]
_SOURCES: list[SectionSource] = []


def section(source: SectionSource) -> SectionSource:
    """Register a home-page section source (a decorator). Registered at import: import the module
    from this app's `ready()` (apps.py)."""
    _SOURCES.append(source)
    return source


def sections_for(account: PortalAccount) -> list[Section]:
    found = [s for s in (source(account) for source in _SOURCES) if s is not None]
    return sorted(found, key=lambda s: s.priority)
