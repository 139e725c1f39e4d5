"""The patient's pain course chart: one function for the overview page and the reports, so both show the
same markup for the same visits."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.safestring import SafeString

from needlechart.common.svgchart import Series, line_chart


def nprs_course_chart(patient, visits: Iterable) -> SafeString:
    """Pain (NPRS 0-10) before and after treatment at each visit, oldest first; discarded notes left out."""
    charted = [v for v in visits if not v.is_discarded]
    return line_chart(
        [
            Series("Before treatment", "before", [(v.visit_date, v.nprs_before) for v in charted]),
            Series("After treatment", "after", [(v.visit_date, v.nprs_after) for v in charted]),
        ],
        title=f"Pain (NPRS 0-10) at each visit for {patient.full_name}",
    )
