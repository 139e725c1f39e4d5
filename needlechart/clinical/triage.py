"""Triage for a member of the public: seek emergency care now, see a doctor soon, book an assessment,
or probably not suitable for needling; with the reasons and what to do next.

Built on the safety screening (`screening.screen`), never beside it: the public's yes answers are the
screening's reported findings, both needling modalities are screened, and the verdict decides.

- `refer` (a red flag that counts): the urgency of the strongest flag chooses the answer. An
  `emergency` flag means emergency care now; `urgent` a medical check today; `soon` a doctor within
  days, before any needling. A red flag that counts only in combination (a past cancer alone, under
  50) is a precaution here exactly as it is at the clinic.
- `do_not_needle` (an absolute contraindication), or every needling modality blocked (dry needling
  in the first trimester when acupuncture is blocked too): probably not suitable, and why.
- `caution` or `clear`: suitable to book an assessment, with each precaution named so the clinician
  can plan around it. The modalities offered are those the screening leaves open; each is offered
  only when the knowledge base has targets for the drawn regions (suggestion.suggest: muscles whose
  trigger points refer there for dry needling, local and distal acupoints for acupuncture) that the
  screening does not block.

How long it has hurt and what makes it worse are kept for the clinician: no rule of the knowledge base
turns them into an answer, so they never change it (a pain that has not improved with treatment is
its own finding, `failure_to_improve`, asked in the patient's words).

The questions are the knowledge base's own (each finding's patient-facing `question`), arranged in
`GROUPS`; `questions()` refuses to run when a finding is neither asked nor derived, so a finding added
to the knowledge base can never be left out of the public self-check unnoticed.

Pure Python: nothing here imports Django.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from needlechart.knowledge.model import Finding, KnowledgeBase
from needlechart.knowledge.sourceref import SourceRef

from .locations import Pain, PainInputError, parse_pain
from .screening import (
    NEEDLING_MODALITIES,
    ReportedFinding,
    ScreeningInput,
    ScreeningInputError,
    ScreeningResult,
    needling_blocked,
    screen,
)
from .suggestion import suggest

EMERGENCY, SEE_DOCTOR, SUITABLE, NOT_SUITABLE = "emergency", "see_doctor", "suitable", "not_suitable"
OUTCOMES = (EMERGENCY, SEE_DOCTOR, SUITABLE, NOT_SUITABLE)  # most urgent first
OUTCOME_TITLES = {
    EMERGENCY: "Get emergency care now",
    SEE_DOCTOR: "See a doctor soon",
    SUITABLE: "You could book an assessment",
    NOT_SUITABLE: "Needling is probably not right for you",
}
# The one mapping from a red flag's urgency to the public's answer and how soon to act.
URGENCY_OUTCOME = {"emergency": EMERGENCY, "urgent": SEE_DOCTOR, "soon": SEE_DOCTOR}
URGENCY_WHEN = {
    "emergency": "now",
    "urgent": "today",
    "soon": "in the next few days, before any needling",
}

DURATIONS = {
    "under_week": "Less than a week",
    "one_to_six_weeks": "One to six weeks",
    "six_to_twelve_weeks": "Six weeks to three months",
    "over_three_months": "More than three months",
}
AGGRAVATING = {
    "movement": "Moving, bending or reaching",
    "sitting_standing": "Sitting or standing for a long time",
    "lifting": "Lifting or carrying",
    "screens": "Using a computer or phone",
    "sport": "Sport or exercise",
    "stress": "Stress or poor sleep",
    "cold": "Cold weather",
    "nothing": "Nothing I know of, it is just there",
}
MAX_PAINS = 40
MIN_AGE, MAX_AGE = 1, 120


@dataclass(frozen=True, slots=True)
class Group:
    """One screen of questions: a title in plain words and the findings it asks about."""

    key: str
    title: str
    intro: str
    findings: tuple[str, ...]


# The order the public meets the questions: the most urgent first, so a person in danger reaches the
# answer having read the fewest questions. Every question is the knowledge base's own wording.
GROUPS: tuple[Group, ...] = (
    Group(
        "back_legs",
        "Your back, bladder and legs",
        "These questions look for a problem with the nerves in your lower back.",
        (
            "saddle_anesthesia",
            "bladder_bowel_dysfunction",
            "new_sexual_dysfunction",
            "bilateral_leg_symptoms",
            "progressive_neurological_deficit",
        ),
    ),
    Group(
        "head_neck",
        "Your head and neck",
        "These questions look for a problem with the blood flow or nerves in your head and neck.",
        (
            "sudden_severe_headache",
            "cervical_arterial_signs",
            "upper_cervical_instability_signs",
            "giant_cell_arteritis_signs",
        ),
    ),
    Group(
        "chest_belly",
        "Your chest, belly and legs",
        "These questions look for a problem with your heart, lungs or blood vessels.",
        ("chest_pain_dyspnea", "aortic_aneurysm_rupture_signs", "dvt_signs"),
    ),
    Group(
        "injury",
        "Falls and injuries",
        "These questions look for a broken bone.",
        ("major_trauma", "suspected_fracture", "minor_trauma", "osteoporosis", "long_term_corticosteroids"),
    ),
    Group(
        "general",
        "How you feel in general",
        "These questions look for an illness behind the pain.",
        (
            "fever",
            "medical_emergency",
            "unexplained_weight_loss",
            "night_pain",
            "cancer_history",
            "failure_to_improve",
            "infection_risk",
        ),
    ),
    Group(
        "pregnancy",
        "Pregnancy",
        "Some points and some kinds of needling are not used in pregnancy.",
        ("pregnancy", "pregnancy_first_trimester", "high_risk_pregnancy"),
    ),
    Group(
        "medicines",
        "Your medicines",
        "Some medicines change how you bleed or heal.",
        ("anticoagulant_therapy", "antiplatelet_therapy", "immunocompromised"),
    ),
    Group(
        "conditions",
        "Your health",
        "Some health problems change where and how needles can be used.",
        (
            "bleeding_disorder",
            "diabetes",
            "poorly_controlled_diabetes",
            "epilepsy",
            "vascular_disease",
            "abdominal_aortic_aneurysm",
            "chronic_lung_disease",
            "previous_pneumothorax",
            "pacemaker",
            "low_body_mass",
            "cervical_artery_risk_factors",
        ),
    ),
    Group(
        "body_site",
        "Parts of your body",
        "If you say yes, tell us where, so that part can be left alone.",
        (
            "lymphedema",
            "lymph_node_removal",
            "local_skin_infection",
            "recent_surgery",
            "peripheral_vascular_disease",
            "diabetic_foot",
            "breast_implant",
        ),
    ),
    Group(
        "needles",
        "You and needles",
        "Tell us how needles and treatment have gone for you before.",
        (
            "needle_phobia",
            "vasovagal_history",
            "previous_adverse_reaction",
            "metal_allergy",
            "latex_allergy",
            "unable_to_consent",
            "consent_refused",
        ),
    ),
)
# Findings the public is never asked: the screening counts them from the age.
FROM_AGE = ("minor", "infant")


class TriageInputError(ValueError):
    """Answers that cannot be triaged; the message says what is wrong and how to fix it."""


@dataclass(frozen=True, slots=True)
class Answers:
    """The public's answers: where it hurts, for how long, what brings it on, the findings answered
    yes (a site-scoped one with its region and side), and the age in whole years."""

    pains: tuple[Pain, ...]
    duration: str
    aggravating: tuple[str, ...] = ()
    findings: tuple[ReportedFinding, ...] = ()
    age: int | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding behind the answer: the question the person said yes to, and for the clinician or
    doctor the finding's name, its reason and its sources."""

    finding: str
    name: str
    question: str
    kind: str  # as it counts: red_flag | contraindication | precaution
    urgency: str
    detail: str
    sources: tuple[SourceRef, ...]
    where: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Modality:
    """A kind of needling the person could be assessed for, and why (or why not)."""

    id: str
    name: str
    offered: bool
    why: str


@dataclass(frozen=True)
class Triage:
    outcome: str
    urgency: str  # the strongest counting red flag's urgency, when the outcome comes from one
    title: str
    summary: str
    reasons: tuple[Reason, ...]  # what decides the outcome
    precautions: tuple[Reason, ...]  # other findings the clinician plans around
    modalities: tuple[Modality, ...]
    next_steps: tuple[str, ...]
    screening: ScreeningResult

    @property
    def urgent(self) -> bool:
        return self.outcome in (EMERGENCY, SEE_DOCTOR)


@functools.cache
def questions(kb: KnowledgeBase) -> tuple[tuple[Group, tuple[Finding, ...]], ...]:
    """Each screen's group with its findings. Refuses a knowledge base with a finding that is neither
    asked nor derived from the age, or a group naming a finding it does not have."""
    asked = [code for group in GROUPS for code in group.findings]
    unknown = sorted(set(asked + list(FROM_AGE)) - set(kb.findings))
    if unknown:
        raise TriageInputError(f"the self-check asks about unknown finding(s): {', '.join(unknown)}")
    twice = sorted({code for code in asked if asked.count(code) > 1})
    if twice:
        raise TriageInputError(f"the self-check asks more than once about: {', '.join(twice)}")
    missing = sorted(set(kb.findings) - set(asked) - set(FROM_AGE))
    if missing:
        raise TriageInputError(
            f"finding(s) {', '.join(missing)} are not in the self-check: add each to one of triage.GROUPS"
        )
    return tuple((group, tuple(kb.findings[code] for code in group.findings)) for group in GROUPS)


def triage(kb: KnowledgeBase, answers: Answers) -> Triage:
    """The answer for these answers, with its reasons (each citing its sources) and next steps."""
    _validate(kb, answers)
    result = screen(
        kb,
        ScreeningInput(age=answers.age, findings=answers.findings, modalities=NEEDLING_MODALITIES),
    )
    counted = tuple(_reason(kb, r.id, r.kind, r.urgency, r.sources, r.region, r.side, r.note) for r in result.findings)
    if result.verdict == "refer":
        outcome = URGENCY_OUTCOME[result.urgency]
        deciding = tuple(r for r in counted if r.kind == "red_flag")
        others = tuple(r for r in counted if r.kind != "red_flag")
        return _answer(kb, outcome, result.urgency, deciding, others, (), result)
    if result.verdict == "do_not_needle":
        deciding = tuple(r for r in counted if _stops(kb, r))
        others = tuple(r for r in counted if not _stops(kb, r))
        return _answer(kb, NOT_SUITABLE, "", deciding, others, (), result)
    blocked = needling_blocked(result.modalities)
    if blocked is not None:
        deciding = tuple(r for r in counted if r.finding in blocked.findings)
        others = tuple(r for r in counted if r.finding not in blocked.findings)
        return _answer(kb, NOT_SUITABLE, "", deciding, others, (), result)
    modalities = _modalities(kb, answers, result)
    if not any(m.offered for m in modalities):
        # Every target for the drawn regions is blocked by a site-scoped finding (lymphoedema of that
        # arm, an infected wound over the sore spot): nothing there can be needled.
        deciding = tuple(r for r in counted if r.kind == "contraindication") or counted
        others = tuple(r for r in counted if r not in deciding)
        return _answer(kb, NOT_SUITABLE, "", deciding, others, modalities, result)
    return _answer(kb, SUITABLE, "", (), counted, modalities, result)


def _stops(kb: KnowledgeBase, reason: Reason) -> bool:
    return reason.kind == "contraindication" and kb.findings[reason.finding].effect == "do_not_needle"


def _validate(kb: KnowledgeBase, answers: Answers) -> None:
    if not answers.pains:
        raise TriageInputError("mark at least one place where it hurts")
    if len(answers.pains) > MAX_PAINS:
        raise TriageInputError(f"mark at most {MAX_PAINS} places")
    for pain in answers.pains:
        try:
            parse_pain(kb, pain.region, pain.side)
        except PainInputError as exc:
            raise TriageInputError(str(exc)) from None
    if answers.duration not in DURATIONS:
        raise TriageInputError(f"unknown duration '{answers.duration}': use one of {', '.join(DURATIONS)}")
    unknown = sorted(set(answers.aggravating) - set(AGGRAVATING))
    if unknown:
        raise TriageInputError(f"unknown answer(s) to what brings it on: {', '.join(unknown)}")
    if answers.age is None or not MIN_AGE <= answers.age <= MAX_AGE:
        raise TriageInputError(f"give the age in whole years, from {MIN_AGE} to {MAX_AGE}")
    derived = sorted({f.code for f in answers.findings} & set(FROM_AGE))
    if derived:
        raise TriageInputError(f"{', '.join(derived)} follow(s) from the age: give the age instead")
    try:
        # The screening's own rules for codes, regions and sides; nothing is checked twice here.
        screen(kb, ScreeningInput(age=answers.age, findings=answers.findings))
    except ScreeningInputError as exc:
        raise TriageInputError(str(exc)) from None


def _where(kb: KnowledgeBase, region: str, side: str) -> str:
    if not region:
        return ""
    words = {"both": "both sides", "midline": "middle"}.get(side, side)
    return f"{kb.regions[region].name.lower()}, {words}"


def _reason(
    kb: KnowledgeBase,
    code: str,
    kind: str,
    urgency: str,
    sources: tuple[SourceRef, ...],
    region: str = "",
    side: str = "",
    note: str = "",
) -> Reason:
    finding = kb.findings[code]
    question = "" if code in FROM_AGE else finding.question
    return Reason(
        finding=code,
        name=finding.name,
        question=question,
        kind=kind,
        urgency=urgency,
        detail=finding.reason,
        sources=sources,
        where=_where(kb, region, side),
        note=note,
    )


def _modalities(kb: KnowledgeBase, answers: Answers, result: ScreeningResult) -> tuple[Modality, ...]:
    """Dry needling and acupuncture, each offered when the screening leaves it open and the drawn
    regions have targets for it that the screening does not block."""
    out = []
    for modality in NEEDLING_MODALITIES:
        status = result.status_of(modality)
        name = modality.replace("_", " ").capitalize()
        if status is not None and status.status == "blocked":
            out.append(Modality(modality, name, False, "Not for you now: " + _plain_block(kb, status.findings)))
            continue
        found = suggest(
            kb,
            answers.pains,
            screening=ScreeningInput(age=answers.age, findings=answers.findings, modalities=(modality,)),
            modality=modality,
            top=12,
        )
        targets = found.muscles if modality == "dry_needling" else found.acupoints
        open_targets = [t for t in targets if t.status != "blocked"]
        if not targets:
            out.append(Modality(modality, name, False, "The places you marked have no usual targets for it."))
        elif not open_targets:
            out.append(
                Modality(
                    modality, name, False, "Not for you now: the usual points for where it hurts are not safe for you."
                )
            )
        elif modality == "dry_needling":
            out.append(Modality(modality, name, True, _dry_needling_why(open_targets[0].name)))
        else:
            out.append(Modality(modality, name, True, "It uses points near where it hurts and further away."))
    return tuple(out)


def _dry_needling_why(muscle: str) -> str:
    return f"It treats tight spots in muscles that can cause pain where you marked, such as the {muscle.lower()}."


def _plain_block(kb: KnowledgeBase, codes: Sequence[str]) -> str:
    names = [kb.findings[c].name.lower() for c in codes if c in kb.findings]
    return "because of " + ", ".join(names) + "." if names else "because of your answers."


def _summary(outcome: str, urgency: str) -> str:
    if outcome == EMERGENCY:
        return (
            "Some of your answers can be signs of a serious problem. You need help now. "
            "Do not wait to see if it gets better."
        )
    if outcome == SEE_DOCTOR:
        when = URGENCY_WHEN[urgency]
        return f"Some of your answers need a doctor to check them first. Please see a doctor {when}."
    if outcome == NOT_SUITABLE:
        return "From your answers, needling is probably not a safe or good choice for you right now."
    return "From your answers, you could book a visit to see if dry needling or acupuncture can help."


def _steps(outcome: str, urgency: str, modalities: tuple[Modality, ...]) -> tuple[str, ...]:
    if outcome == EMERGENCY:
        return (
            "Call your local emergency number now, or go to the nearest emergency department.",
            "Do not drive yourself.",
            "Show the answers on this page to the staff who help you.",
        )
    if outcome == SEE_DOCTOR and urgency == "urgent":
        return (
            "Call your doctor today, or go to an urgent care service today.",
            "If it gets worse, call your local emergency number.",
            "Do not have needling until a doctor has checked you.",
        )
    if outcome == SEE_DOCTOR:
        return (
            "Book a visit with your doctor in the next few days.",
            "Take the list of answers below with you.",
            "Do not have needling until a doctor has checked you.",
        )
    if outcome == NOT_SUITABLE:
        return (
            "Talk to your doctor or a physical therapist about other care.",
            "Exercise, heat and staying active help many people with muscle pain.",
            "If something changes, you can do this check again.",
        )
    offered = [m.name.lower() for m in modalities if m.offered]
    kinds = " or ".join(offered) if offered else "needling"
    return (
        f"Book an assessment for {kinds}.",
        "At the first visit the clinician asks about your pain and health and checks your answers with you.",
        "They look at and feel where it hurts, explain the risks, and ask if you agree before any needle is used.",
        "Bring a list of your medicines. Wear loose clothes.",
    )


def _answer(
    kb: KnowledgeBase,
    outcome: str,
    urgency: str,
    reasons: tuple[Reason, ...],
    precautions: tuple[Reason, ...],
    modalities: tuple[Modality, ...],
    result: ScreeningResult,
) -> Triage:
    return Triage(
        outcome=outcome,
        urgency=urgency,
        title=OUTCOME_TITLES[outcome],
        summary=_summary(outcome, urgency),
        reasons=reasons,
        precautions=precautions,
        modalities=modalities,
        next_steps=_steps(outcome, urgency, modalities),
        screening=result,
    )


def outcome_rank(outcome: str) -> int:
    """0 for the most urgent answer: staff lists sort by it."""
    return OUTCOMES.index(outcome)
