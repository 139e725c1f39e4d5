"""Two self-checks sent to the demo clinic, through the same form and service the public uses: one
suitable for an assessment, one that needs a doctor first. Idempotent (fixed submission keys)."""

from __future__ import annotations

import uuid

from django.http import QueryDict

from needlechart.accounts.models import Clinic
from needlechart.clinical import triage
from needlechart.knowledge import load

from . import services
from .forms import AnswersForm, question_field, where_fields
from .models import SelfCheckRequest

NAMESPACE = uuid.UUID("6f1d5a52-3c1e-4d8e-9a55-2b0f2f6c1a01")

# (name, email, phone, pains, duration, aggravating, age, yes answers [(code, region, side)])
DEMO = (
    (
        "Grace Holloway",
        "grace.holloway@example.org",
        "",
        ["posterior_neck:midline", "shoulder_top:right"],
        "six_to_twelve_weeks",
        ["screens", "stress"],
        38,
        [("antiplatelet_therapy", "", "")],
    ),
    (
        "Victor Almeida",
        "",
        "+44 7700 900199",
        ["lumbar:midline", "buttock:left"],
        "one_to_six_weeks",
        ["lifting", "movement"],
        58,
        [("fever", "", "")],
    ),
)


def _form_data(pains, duration, aggravating, age, yes) -> QueryDict:
    data = QueryDict(mutable=True)
    data.setlist("pain", pains)
    data["duration"] = duration
    data.setlist("aggravating", aggravating)
    data["age"] = str(age)
    answered = {code: (region, side) for code, region, side in yes}
    kb = load()
    for _group, findings in triage.questions(kb):
        for finding in findings:
            data[question_field(finding.id)] = "yes" if finding.id in answered else "no"
            if finding.site_scoped and finding.id in answered:
                region_field, side_field = where_fields(finding.id)
                data[region_field], data[side_field] = answered[finding.id]
    return data


def seed_requests(clinic: Clinic) -> list[SelfCheckRequest]:
    kb = load()
    rows = []
    for name, email, phone, pains, duration, aggravating, age, yes in DEMO:
        form = AnswersForm(_form_data(pains, duration, aggravating, age, yes), kb=kb)
        if not form.is_valid():
            raise ValueError(f"demo self-check for {name} is not valid: {form.errors.as_text()}")
        item, _new = services.submit_request(
            kb=kb,
            clinic=clinic,
            answers=form.answers(),
            stored_answers=form.stored(),
            contact=services.Contact(name, email, phone),
            submission_key=uuid.uuid5(NAMESPACE, f"{clinic.slug}:{name}"),
            consent_version=services.CONSENT_VERSION,
        )
        rows.append(item)
    return rows
