"""HTML to PDF with WeasyPrint.

The report templates embed the charts exactly as `svgchart.line_chart` draws them for the pages. WeasyPrint
does not apply the document's stylesheet inside an inline <svg>, so the charts' own rules (chart.css, the
same rules the pages' stylesheet has for `svg.chart`) are put inside each chart as a <style> element
while rendering; the chart markup itself is not changed.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from django.template.loader import render_to_string

HERE = Path(__file__).parent
_CHART_OPEN = re.compile(r'(<svg class="chart[^"]*"[^>]*>)')
# WeasyPrint logs every CSS property it does not support and every font fallback at WARNING; the
# reports use none that matter, so keep its logger to errors.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


@lru_cache(maxsize=1)
def chart_css() -> str:
    return (HERE / "templates" / "reports" / "chart.css").read_text()


def style_charts(html: str) -> str:
    """Each chart's opening tag followed by the chart rules, for WeasyPrint's SVG renderer."""
    return _CHART_OPEN.sub(lambda m: f"{m.group(1)}<style>{chart_css()}</style>", html)


def html_of(template: str, context: dict) -> str:
    return render_to_string(template, context)


def pdf_of(html: str) -> bytes:
    from weasyprint import HTML  # imported on first use: about a second, and only processes that print pay it

    return HTML(string=style_charts(html), base_url=str(HERE)).write_pdf()
