"""Online consent: the patient reads the risks of each modality they are likely to have, in plain
language, and agrees by typing their full name; the clinician confirms it at the visit.

The risks are the clinician's consent list (`clinical.risks`: one source for both), with the
pneumothorax risk when a likely target lies over the lung field (the core's rule,
`clinical.charting.over_lung`). Each answer is kept append-only with its source (the portal), the
time, the client address and the version of the text: the SHA-256 of the exact text shown. At the
visit the clinician confirms it with one button, which records the clinician's `Consent` through
`charting.services.record_consent`; when the text has changed since the patient agreed, the
clinician explains the risks again instead.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.charting import services as charting
from needlechart.charting.models import Consent, Insertion, PlannedNeedle, Visit
from needlechart.clinical import charting as rules
from needlechart.clinical import risks as risk_texts
from needlechart.knowledge import load
from needlechart.patients.models import EpisodeStatus, Patient

from .models import EConsent, EConsentConfirmation, PortalAccount

MAX_NAME = 200


@dataclass(frozen=True)
class ConsentText:
    modality: str
    title: str
    about: str
    thorax: bool
    risks: tuple[str, ...]
    lines: tuple[str, ...]  # each risk in plain words

    @property
    def text(self) -> str:
        """The exact text shown (what the version hashes)."""
        return "\n".join((self.title, self.about, *self.lines))

    @property
    def version(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def text_for(modality: str, thorax: bool) -> ConsentText:
    risks = tuple(risk_texts.risks_for(modality, thorax))
    title, about = risk_texts.MODALITY_TEXT[modality]
    return ConsentText(modality, title, about, thorax, risks, tuple(risk_texts.RISKS[r].patient_text for r in risks))


def likely_modalities(patient: Patient) -> list[str]:
    """The modalities of the patient's visits so far; else the clinic's default: what its clinicians
    practise by default (an acupuncturist's visit is acupuncture, everyone else's dry needling)."""
    from needlechart.accounts.models import Role, User

    seen = list(
        dict.fromkeys(
            Visit.objects.filter(patient=patient, discarded_at__isnull=True)
            .order_by("-visit_date")
            .values_list("modality", flat=True)
        )
    )
    if seen:
        electrical = (
            Insertion.objects.filter(visit__patient=patient, es_frequency_hz__isnull=False).exists()
            or PlannedNeedle.objects.filter(visit__patient=patient, es_frequency_hz__isnull=False).exists()
        )
        return [*seen, rules.ELECTRICAL_STIMULATION] if electrical else seen
    professions = User.objects.filter(clinic_id=patient.clinic_id, role=Role.CLINICIAN, is_active=True).values_list(
        "profession", flat=True
    )
    found = list(dict.fromkeys(rules.default_modality(p or "") for p in professions))
    return found or [rules.DRY_NEEDLING]


def likely_thorax(patient: Patient) -> bool:
    """Whether a target the patient is likely to have lies over the lung field: one of the active
    episode's condition targets, or one needled or planned before."""
    kb = load()
    targets: set[str] = set()
    for condition in patient.episodes.filter(status=EpisodeStatus.ACTIVE).values_list("condition", flat=True):
        found = kb.conditions.get(condition)
        if found is not None:
            targets.update(found.muscles, found.local_acupoints, found.distal_acupoints)
    targets.update(Insertion.objects.filter(visit__patient=patient).values_list("target", flat=True))
    targets.update(PlannedNeedle.objects.filter(visit__patient=patient).values_list("target", flat=True))
    return any(rules.over_lung(kb, t) for t in targets)


def texts_for(patient: Patient) -> list[ConsentText]:
    thorax = likely_thorax(patient)
    return [text_for(m, thorax) for m in likely_modalities(patient)]


def current(patient: Patient) -> dict[str, EConsent]:
    """The latest online answer per modality (agreed, declined or withdrawn)."""
    latest: dict[str, EConsent] = {}
    for item in EConsent.objects.filter(patient=patient).select_related("confirmation"):
        latest.setdefault(item.modality, item)
    return latest


def _normal(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"\s+", " ", name).strip()


def name_matches(typed: str, patient: Patient) -> bool:
    return bool(typed.strip()) and _normal(typed) == _normal(f"{patient.first_name} {patient.last_name}")


def _client_address(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def agree(*, account: PortalAccount, modality: str, typed_name: str, version: str, request: Any = None) -> EConsent:
    """The patient agrees to `modality` as shown (`version`: the text they read). Refused when the
    name does not match the record, or the text changed while the page was open."""
    patient = account.patient
    shown = {t.modality: t for t in texts_for(patient)}
    text = shown.get(modality)
    if text is None:
        raise ValidationError({"modality": "That treatment is not one the clinic plans for you: reload the page."})
    if version != text.version:
        raise ValidationError({"version": "The consent text changed while the page was open: read it again below."})
    typed = (typed_name or "").strip()[:MAX_NAME]
    if not name_matches(typed, patient):
        raise ValidationError(
            {
                "typed_name": f"Type your full name as the clinic has it: {patient.first_name} {patient.last_name} "
                "(capitals and spaces do not matter)."
            }
        )
    with transaction.atomic():
        latest = current(patient).get(modality)
        if latest is not None and latest.agreed and latest.text_version == text.version:
            return latest  # sent twice (a double click, a second tab): kept once
        item = EConsent.objects.create(
            account=account,
            patient=patient,
            clinic=account.clinic,
            modality=modality,
            thorax=text.thorax,
            risks=list(text.risks),
            text=text.text,
            text_version=text.version,
            agreed=True,
            typed_name=typed,
            client_address=_client_address(request),
        )
        record(
            account.user,
            Action.CREATE,
            item,
            patient=patient,
            summary=f"Agreed online to {text.title.lower()} (version {text.version[:12]})",
            request=request,
        )
    return item


def withdraw(*, account: PortalAccount, modality: str, request: Any = None) -> EConsent:
    patient = account.patient
    with transaction.atomic():
        latest = current(patient).get(modality)
        if latest is None or not latest.agreed:
            raise ValidationError({"modality": "There is no online consent to withdraw for that treatment."})
        item = EConsent.objects.create(
            account=account,
            patient=patient,
            clinic=account.clinic,
            modality=modality,
            thorax=latest.thorax,
            risks=[],
            text=latest.text,
            text_version=latest.text_version,
            agreed=False,
            withdrawal=True,
            client_address=_client_address(request),
        )
        record(
            account.user,
            Action.CREATE,
            item,
            patient=patient,
            summary=f"Withdrew online consent to {modality.replace('_', ' ')}",
            request=request,
        )
    return item


# ------------------------------------------------------------------------------------ at the visit


@dataclass(frozen=True)
class AtVisit:
    econsent: EConsent
    current_version: str
    confirmed: bool

    @property
    def changed(self) -> bool:
        return self.econsent.text_version != self.current_version


_UNREAD: Any = object()


def for_visit(visit: Visit, *, latest: EConsent | None = _UNREAD) -> AtVisit | None:
    """The patient's online consent to the visit's modality, if they gave one (and did not withdraw).
    `latest`: the patient's latest answer for the modality, when already read (`current`)."""
    if latest is _UNREAD:
        latest = current(visit.patient).get(visit.modality)
    if latest is None or not latest.agreed:
        return None
    text = text_for(visit.modality, latest.thorax or likely_thorax(visit.patient))
    return AtVisit(latest, text.version, hasattr(latest, "confirmation"))


def confirm(*, actor: Any, visit: Visit, request: Any = None) -> Consent:
    """The clinician confirms the patient's online consent at the visit: the clinician's Consent row
    (record_consent, the risks the patient read), linked to it. Refused when the text changed since."""
    if not actor.is_clinic_staff or actor.clinic_id != visit.patient.clinic_id:
        raise PermissionDenied
    found = for_visit(visit)
    if found is None:
        raise ValidationError("The patient has no online consent to this treatment: record consent at the visit.")
    if found.changed:
        raise ValidationError(
            "The consent text has changed since the patient agreed online: explain the risks again and record consent."
        )
    with transaction.atomic():
        existing = EConsentConfirmation.objects.filter(econsent=found.econsent).select_related("consent").first()
        if existing is not None:
            return existing.consent  # confirmed already (a double click)
        consent = charting.record_consent(
            actor, visit.patient, visit.modality, list(found.econsent.risks), True, request=request
        )
        EConsentConfirmation.objects.create(econsent=found.econsent, consent=consent, confirmed_by=actor)
        record(
            actor,
            Action.CREATE,
            consent,
            patient=visit.patient,
            request=request,
            summary=f"Confirmed the online consent of {timezone.localtime(found.econsent.recorded_at):%Y-%m-%d} "
            f"(version {found.econsent.text_version[:12]})",
        )
    return consent
