"""Accessibility check in the browser (minimal version; the self-check branch brings the full one):
axe-core, bundled by axe-playwright-python so it runs offline, over the page as it is now, failing
on any WCAG 2.0/2.1 level A or AA violation."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_AXE = Axe()


def assert_accessible(page: Any) -> None:
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    found = list(_AXE.run(page, options=options).response["violations"])
    lines = [f"- {v['id']}: {v.get('help')} at {[n.get('target') for n in v.get('nodes', [])[:3]]}" for v in found]
    assert not found, f"{page.url}: WCAG 2.1 A/AA violations:\n" + "\n".join(lines)
