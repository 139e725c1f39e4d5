"""Accessibility checks in the browser: axe-core (bundled by the axe-playwright-python package, so it
runs offline) over the page as it is now, failing on any WCAG 2.0/2.1 level A or AA violation.

    from tests.a11y import assert_accessible
    assert_accessible(page)

Each violation is listed with its rule, its help text and the first elements it found, so a failure
says what to fix and where.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_AXE = Axe()


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now."""
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    return list(_AXE.run(page, options=options).response["violations"])


def _describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        targets = "; ".join(" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])[:5])
        lines.append(f"- {v['id']} ({v.get('impact')}): {v.get('help')} [{len(v.get('nodes', []))}x] at {targets}")
    return "\n".join(lines)


def assert_accessible(page: Any) -> None:
    """Fail with every WCAG 2.1 A/AA violation axe-core finds on the page (as shown now)."""
    found = violations(page)
    assert not found, f"{page.url}: axe-core found WCAG 2.1 A/AA violations:\n{_describe(found)}"
