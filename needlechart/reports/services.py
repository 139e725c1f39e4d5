"""Who may download which report, and the audit row each download writes.

The patient's own clinic only (any other is 404, like every page); clinicians and clinic admins only
(front desk 403: every report is clinical content). Each download is recorded as a VIEW of the episode
or the note, naming the report.

A file name never carries the patient's name (files are mailed, and land in download folders and mail
subjects): it is the report, the public id of the episode or note, and the date, e.g.
`progress-report-ep_3k9...-2026-12-01.pdf`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from needlechart.accounts.permissions import require_clinical
from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.charting.models import Visit
from needlechart.common.opaque import of as public_id
from needlechart.patients.models import Episode

from . import render, selectors
from .selectors import ReportUnavailable


@dataclass(frozen=True)
class Kind:
    slug: str
    title: str
    template: str
    build: object
    file: str  # the file name's first word(s)


EPISODE_REPORTS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind("progress", "Progress report", "reports/progress.html", selectors.progress_report, "progress-report"),
        Kind(
            "discharge", "Discharge summary", "reports/discharge.html", selectors.discharge_summary, "discharge-summary"
        ),
        Kind("referral", "Referral letter", "reports/referral.html", selectors.referral_letter, "referral-letter"),
        Kind(
            "patient-summary",
            "Your care summary",
            "reports/patient_summary.html",
            selectors.patient_summary,
            "care-summary",
        ),
    )
}
VISIT_NOTE = Kind("note", "Visit note", "reports/visit_note.html", selectors.visit_note, "visit-note")


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    filename: str
    pdf: bytes


def _filename(spec: Kind, obj) -> str:
    return f"{spec.file}-{public_id(obj)}-{timezone.localdate().isoformat()}.pdf"


def episode_html(user, episode: Episode, kind: str) -> tuple[Kind, str]:
    """The report's HTML (for the PDF, and for tests of the markup). Raises KeyError for an unknown kind."""
    require_clinical(user)
    spec = EPISODE_REPORTS[kind]
    report = spec.build(user, episode)  # type: ignore[operator]
    return spec, render.html_of(spec.template, {"r": report, "title": spec.title, "kind": kind})


def episode_report(user, episode: Episode, kind: str, *, request=None) -> Report:
    spec, html = episode_html(user, episode, kind)
    pdf = render.pdf_of(html)
    record(
        user,
        Action.VIEW,
        episode,
        patient=episode.patient,
        summary=f"Downloaded the {spec.title.lower()} (PDF)",
        detail={"report": kind},
        request=request,
    )
    return Report(kind, spec.title, _filename(spec, episode), pdf)


def visit_html(user, visit: Visit) -> str:
    require_clinical(user)
    note = selectors.visit_note(user, visit)
    return render.html_of(VISIT_NOTE.template, {"r": note, "title": VISIT_NOTE.title, "kind": "note"})


def visit_note(user, visit: Visit, *, request=None) -> Report:
    pdf = render.pdf_of(visit_html(user, visit))
    record(
        user,
        Action.VIEW,
        visit,
        patient=visit.patient,
        summary="Downloaded the signed visit note (PDF)",
        detail={"report": "note"},
        request=request,
    )
    return Report("note", VISIT_NOTE.title, _filename(VISIT_NOTE, visit), pdf)


__all__ = ["EPISODE_REPORTS", "Report", "ReportUnavailable", "episode_report", "visit_note"]
