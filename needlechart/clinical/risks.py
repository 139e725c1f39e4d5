"""The risks of needling explained before consent: one list for the clinician's consent form and the
patient's online consent (the portal), so the two can never disagree.

Each risk has the clinician's short label (the consent form's tick box) and the patient's wording in
plain language (held to a reading grade of 7 by tests/portal/test_econsent.py). The standard risks
are explained for every modality; pneumothorax when a target may lie over the lung field (the core's
rule: `clinical.charting.over_lung`); the electrical risk for electrical stimulation.

Sources (knowledge/data/sources.yaml): BN121 §5 (pneumothorax and the thorax), Brady 2014 and Boyce
2020 (soreness, bruising, bleeding, fainting and how often they happen), WHO 1999 (infection
control and single-use needles).
"""

from __future__ import annotations

from dataclasses import dataclass

from needlechart.knowledge.sourceref import SourceRef

DRY_NEEDLING, ACUPUNCTURE, ELECTRICAL_STIMULATION = "dry_needling", "acupuncture", "electrical_stimulation"
MODALITIES = (DRY_NEEDLING, ACUPUNCTURE, ELECTRICAL_STIMULATION)


@dataclass(frozen=True, slots=True)
class Risk:
    id: str
    label: str  # the clinician's tick box
    patient_text: str  # what the patient reads online, in plain words
    sources: tuple[SourceRef, ...]


_RATES = (SourceRef("brady_2014"), SourceRef("boyce_2020"))
RISKS: dict[str, Risk] = {
    r.id: r
    for r in (
        Risk(
            "soreness",
            "Soreness for 24-48 hours",
            "The area may ache or feel sore for a day or two. This is common and goes away by itself.",
            _RATES,
        ),
        Risk("bruising", "Bruising", "A small bruise may show where a needle went in.", _RATES),
        Risk("bleeding", "Minor bleeding", "A tiny drop of blood may come out when a needle is taken out.", _RATES),
        Risk(
            "infection",
            "Infection (rare)",
            "An infection is rare. We use clean needles that are used once and then thrown away.",
            (SourceRef("who_1999_safety", "infection control"),),
        ),
        Risk(
            "fainting",
            "Feeling faint or fainting",
            "Some people feel faint or dizzy. Tell us at once if you feel unwell. You can lie down for the treatment.",
            _RATES,
        ),
        Risk(
            "pneumothorax",
            "Pneumothorax (collapsed lung) when the chest wall is needled: rare, about 1 in 100,000",
            "A needle near your chest or upper back can, very rarely, let air leak out of a lung. This is "
            "called a collapsed lung. It happens about once in every 100,000 treatments. If you get short "
            "of breath or chest pain after a treatment, get medical help at once.",
            (SourceRef("bn121", "§5.1"),),
        ),
        Risk(
            "electrical",
            "Muscle fatigue or skin irritation from electrical stimulation",
            "A small electric current through the needles can make the muscle feel tired, or the skin red, "
            "for a short time.",
            (SourceRef("bn121", "§5"),),
        ),
    )
}
BASE_RISKS: tuple[str, ...] = ("soreness", "bruising", "bleeding", "infection", "fainting")
THORAX_RISK = "pneumothorax"
ELECTRICAL_RISK = "electrical"
RISK_LABELS: dict[str, str] = {r.id: r.label for r in RISKS.values()}

# What each modality is, for the patient (own words).
MODALITY_TEXT: dict[str, tuple[str, str]] = {
    DRY_NEEDLING: (
        "Dry needling",
        "Your clinician puts very thin needles into tight or sore spots in a muscle. The aim is to ease "
        "pain and help the muscle move better.",
    ),
    ACUPUNCTURE: (
        "Acupuncture",
        "Your practitioner puts very thin needles into set points on your body. The aim is to ease pain.",
    ),
    ELECTRICAL_STIMULATION: (
        "Electrical stimulation",
        "A small, gentle electric current is passed through the needles for a few minutes.",
    ),
}


def risks_for(modality: str, thorax: bool) -> list[str]:
    """The risks to explain before `modality`: the standard ones, pneumothorax when a target may lie
    over the lung field, the electrical one for electrical stimulation."""
    risks = list(BASE_RISKS)
    if thorax:
        risks.append(THORAX_RISK)
    if modality == ELECTRICAL_STIMULATION:
        risks.append(ELECTRICAL_RISK)
    return risks
