"""Reads over charting records, shared by the patient overview, the visit page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Precaution:
    code: str
    name: str
    kind: str  # red_flag | contraindication | precaution
    where: str  # "right upper arm (front)" for site-scoped findings
    since: date | None
    source: str  # "history" (coded in the record) or "screening" (the latest screening)


_UNREAD = object()


def current_precautions(kb, patient, *, latest=_UNREAD, findings=None) -> list[Precaution]:
    """Everything that should make a clinician pause, always shown at the top: the open coded history
    and the latest screening's findings, each once, most serious first. A caller that has already read
    the latest screening (None: there is none) or the coded history passes them in."""
    seen: set[tuple[str, str, str]] = set()
    out: list[Precaution] = []

    def add(code: str, region: str, side: str, since, source: str) -> None:
        finding = kb.findings.get(code)
        key = (code, region or "", side or "")
        if finding is None or key in seen:
            return
        seen.add(key)
        where = f"{side} {kb.regions[region].name.lower()}" if region in kb.regions else ""
        out.append(Precaution(code, finding.name, finding.kind, where, since, source))

    if latest is _UNREAD:
        latest = patient.screenings.only("patient", "performed_at", "findings").first()
    if latest is not None:
        for f in latest.findings:
            add(f["code"], f.get("region", ""), f.get("side", ""), latest.performed_at.date(), "screening")
    for f in patient.findings.all() if findings is None else findings:
        if f.resolved_on is None:
            add(f.code, f.region, f.side, f.noted_on, "history")
    order = {"red_flag": 0, "contraindication": 1, "precaution": 2}
    return sorted(out, key=lambda p: (order[p.kind], p.name))


@dataclass(frozen=True)
class Screened:
    """The latest screening as the precautions read it: when, and its findings."""

    performed_at: datetime
    findings: list


def latest_screening_reads(patient_ref: str) -> dict:
    """Annotations that fold the precaution reads into a query whose rows name a patient
    (`patient_ref`: "pk" on patients, "patient_id" on visits): whether the patient has any coded
    history, and when and with what findings they were last screened (each an index lookup). A view
    that reads them passes `folded_precaution_reads(row)` to `current_precautions`, which then reads
    neither, and skips the history when there is none."""
    from django.db.models import Exists, JSONField, OuterRef, Subquery

    from needlechart.patients.models import PatientFinding

    from .models import Screening

    latest = Screening.objects.filter(patient_id=OuterRef(patient_ref)).order_by("-performed_at", "-id")
    return {
        "folded_has_history": Exists(PatientFinding.objects.filter(patient_id=OuterRef(patient_ref))),
        "folded_screened_at": Subquery(latest.values("performed_at")[:1]),
        "folded_screening_findings": Subquery(latest.values("findings")[:1], output_field=JSONField()),
    }


def folded_precaution_reads(row, *, latest: bool = True) -> dict:
    """`current_precautions` keywords from a row read with `latest_screening_reads` (none for a row
    read without them: the precautions read for themselves). `latest=False`: the caller has the
    latest screening already."""
    if not hasattr(row, "folded_has_history"):
        return {}
    reads: dict = {} if row.folded_has_history else {"findings": []}
    if latest:
        at = row.folded_screened_at
        reads["latest"] = None if at is None else Screened(at, row.folded_screening_findings or [])
    return reads
