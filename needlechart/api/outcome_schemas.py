"""Request and response shapes of the outcomes API (plans of care, measurements, progress, what is due).

The conventions of `schemas.py` hold: strict input types, unknown keys refused, opaque ids, every
knowledge-base ID an enumeration read from the knowledge base when the document is built. Ranges
that depend on the instrument (an NDI item is 0 to 5, a QuickDASH item 1 to 5) are checked by the
core's scorer and refused with a 422 naming the item and its range.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from needlechart.knowledge import load
from needlechart.knowledge.model import COMPLEMENTARY_KINDS
from needlechart.outcomes.services import ICD10_PATTERN, MAX_SESSIONS

from .schemas import EpisodeId, In, IsoDate, PatientId, SourceOut, Text, UserId, VisitId, _opaque_id

PlanId = _opaque_id("plan", "a plan revision")
MeasurementId = _opaque_id("measurement", "a measurement")

ComponentId = Literal[COMPLEMENTARY_KINDS]  # type: ignore[valid-type]
PayerId = Literal["", "medicare"]
PressureUnit = Literal["kPa", "kg/cm2", "N/cm2"]
SideOrNone = Literal["", "left", "right", "midline"]


def _instruments() -> list[str]:
    return sorted(load().instruments)


def _known_instrument(value: Any) -> Any:
    if isinstance(value, str) and value not in load().instruments:
        valid = ", ".join(_instruments())
        raise PydanticCustomError(
            "unknown_id", "unknown instrument '{value}'; valid IDs: {valid}", {"value": value, "valid": valid}
        )
    return value


class _InstrumentEnum:
    """The instruments' enumeration, read from the knowledge base when the document is built."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = handler(schema)
        json_schema["enum"] = _instruments()
        return json_schema


InstrumentId = Annotated[str, Field(max_length=20), _InstrumentEnum(), BeforeValidator(_known_instrument)]
Icd10Code = Annotated[str, Field(max_length=10, pattern=ICD10_PATTERN, examples=["M54.2"])]


# ------------------------------------------------------------------------------ plans


class InstrumentGoalIn(In):
    """Reach a score on an instrument by a date (the target within the instrument's range)."""

    kind: Literal["instrument"]
    instrument: InstrumentId = Field(..., examples=["ndi"])
    target_score: float = Field(..., ge=-1000, le=10000, allow_inf_nan=False)
    by_date: IsoDate


class PsfsGoalIn(In):
    """Rate a PSFS activity at least `target` (0 to 10) by a date."""

    kind: Literal["psfs"]
    activity: Text(200, required=True)
    target: float = Field(..., ge=0, le=10, allow_inf_nan=False)
    by_date: IsoDate


GoalIn = Annotated[InstrumentGoalIn | PsfsGoalIn, Field(discriminator="kind")]


class PlanIn(In):
    """A new revision of the plan of care. Left out: frequency and sessions come from the condition's
    default plan, the start from the episode's, the ICD-10-CM codes from the condition's. The reason is
    required from the second revision on (422)."""

    reason: Text(2000) = ""
    icd10: list[Icd10Code] | None = Field(None, max_length=12)
    frequency_per_week: float | None = Field(None, gt=0, le=7, allow_inf_nan=False)
    sessions_planned: int | None = Field(None, ge=1, le=MAX_SESSIONS)
    start: IsoDate | None = None
    goals: list[GoalIn] = Field([], max_length=12)
    components: list[ComponentId] = Field([], max_length=len(COMPLEMENTARY_KINDS))
    payer: PayerId = ""
    prior_visits_this_year: int = Field(0, ge=0, le=366)
    based_on: int | None = Field(
        None,
        ge=0,
        le=10_000,
        description="The revision number this change was made from (0: none yet); 422 if the plan moved on.",
    )


class GoalOut(Schema):
    kind: str
    instrument: str = ""
    target_score: float | None = None
    activity: str = ""
    target: float | None = None
    by_date: date


class PayerWarningOut(Schema):
    rule: str
    name: str
    message: str
    sources: list[SourceOut] = []


class PlanOut(Schema):
    id: PlanId
    episode_id: EpisodeId
    number: int
    revised_at: datetime
    revised_by_id: UserId
    reason: str
    icd10: list[str]
    frequency_per_week: float
    sessions_planned: int
    start: date
    goals: list[GoalOut]
    components: list[str]
    payer: str
    prior_visits_this_year: int
    defaults: list[str]


class PlanRevisedOut(PlanOut):
    """The new revision, with the payer's limits it breaks (empty when none)."""

    warnings: list[PayerWarningOut]


class DefaultPlanOut(Schema):
    frequency_per_week: float
    sessions: int
    sources: list[SourceOut] = []


class PlansOut(Schema):
    """The current plan (the latest revision; null before the first), every revision latest first, the
    condition's default plan and the current plan's payer warnings."""

    current: PlanOut | None
    revisions: list[PlanOut]
    default: DefaultPlanOut
    warnings: list[PayerWarningOut]


# ------------------------------------------------------------------------------ measurements

Answer = Annotated[float | None, Field(allow_inf_nan=False)]


class MeasurementIn(In):
    """One completed form. `answers`: the item answers (null for an unanswered item) for NDI, ODI,
    QuickDASH, LEFS and PSFS; the algometer trials for PPT (in `unit`, default kPa); the single rating
    for NPRS (current), VAS and GROC. A form with too many unanswered items is stored as not scorable
    with the reason; an answer outside the item's range is refused (422, naming the item and range)."""

    instrument: InstrumentId = Field(..., examples=["ndi"])
    answers: list[Answer] = Field(..., min_length=1, max_length=20)
    taken_on: IsoDate | None = Field(None, description="Default: the visit's date, else today.")
    visit_id: VisitId | None = Field(None, description="The visit of this episode it was taken at.")
    unit: PressureUnit | None = Field(None, description="PPT only: the unit of the trials.")
    best: float | None = Field(None, allow_inf_nan=False, description="NPRS only: best over 24 hours.")
    worst: float | None = Field(None, allow_inf_nan=False, description="NPRS only: worst over 24 hours.")
    site: Text(40) = Field("", description="PPT only: a muscle or region ID.")
    side: SideOrNone = ""
    activities: list[Text(200, required=True)] = Field([], max_length=5, description="PSFS only: one per rating.")


class MeasurementOut(Schema):
    id: MeasurementId
    episode_id: EpisodeId
    visit_id: VisitId | None
    instrument: str
    instrument_name: str
    taken_on: date
    answers: list[float | None]
    unit: str
    score: float | None
    score_unit: str
    percent: float | None
    band: str | None
    interpretation: str
    scorable: bool
    reason: str
    notes: list[str]
    extra: dict[str, Any]
    recorded_by_id: UserId
    recorded_at: datetime
    void: bool

    @staticmethod
    def resolve_instrument_name(obj: Any) -> str:
        instrument = load().instruments.get(obj.instrument)
        return instrument.name if instrument else obj.instrument

    @staticmethod
    def resolve_score_unit(obj: Any) -> str:
        return str(obj.result.get("unit", ""))

    @staticmethod
    def resolve_percent(obj: Any) -> float | None:
        return obj.result.get("percent")

    @staticmethod
    def resolve_band(obj: Any) -> str | None:
        return obj.result.get("band")

    @staticmethod
    def resolve_interpretation(obj: Any) -> str:
        return str(obj.result.get("interpretation", ""))

    @staticmethod
    def resolve_notes(obj: Any) -> list[str]:
        return list(obj.result.get("notes", []))

    @staticmethod
    def resolve_void(obj: Any) -> bool:
        return hasattr(obj, "void")


# ------------------------------------------------------------------------------ progress


class InstrumentProgressOut(Schema):
    instrument: str
    facet: str
    name: str
    unit: str
    direction: str
    decides: bool
    measurements: int
    baseline: float | None
    baseline_date: date | None
    latest: float
    latest_date: date
    change: float | None
    percent_change: float | None
    improvement: float | None
    mcid: float | None
    mcid_kind: str
    relative_percent: float | None
    mcid_sources: list[SourceOut]
    met: bool | None
    worsened: bool
    reading: str


class ReferralOut(Schema):
    reason: str
    to: str
    urgency: str
    action: str
    sources: list[SourceOut]


class DriverOut(Schema):
    id: str
    name: str
    why: str
    checks: list[str]
    indicated: bool
    because: list[str]
    actions: list[str]
    sources: list[SourceOut]


class ActionOut(Schema):
    id: str
    kind: str
    name: str
    text: str
    refer_to: str
    urgency: str
    when: str
    because: list[str]
    sources: list[SourceOut]


class ReassessmentPointOut(Schema):
    label: str
    kind: str
    date: date
    session: int | None
    weeks: int | None
    reached: bool


class JudgementOut(Schema):
    session: int
    session_date: date
    weeks_date: date
    date: date
    reached: bool
    text: str


class ProgressPlanOut(Schema):
    sessions_planned: int
    frequency_per_week: float
    start: date
    payer: str
    defaults: list[str]


class ProgressOut(Schema):
    """The core's reading of the episode (needlechart/clinical/progress.py): `status` responding,
    not_yet, not_responding or refer, with its reasons; each instrument's course against its MCID; for a
    non-responder the drivers to examine and the actions; the reassessment points; payer warnings."""

    episode_id: EpisodeId
    condition: str
    condition_name: str
    status: Literal["responding", "not_yet", "not_responding", "refer"]
    urgency: str
    reasons: list[str]
    today: date
    days_since_start: int
    sessions_done: int
    plan: ProgressPlanOut
    last_session_date: date
    instruments: list[InstrumentProgressOut]
    judgement: JudgementOut
    referrals: list[ReferralOut]
    drivers: list[DriverOut]
    actions: list[ActionOut]
    reassessment: list[ReassessmentPointOut]
    payer_warnings: list[PayerWarningOut]
    screening_verdict: str
    notes: list[str]
    sources: list[SourceOut]


# ------------------------------------------------------------------------------ due


class DueOut(Schema):
    instrument: str
    name: str
    kind: Literal["baseline", "reassessment"]
    point: str
    since: date


class DuePointOut(Schema):
    label: str
    kind: Literal["baseline", "sessions", "weeks"]
    date: date | None
    session: int | None
    reached: bool


class DueMeasurementsOut(Schema):
    """What the plan's schedule makes due on `on`: each instrument's baseline at the first visit, then
    those not measured since the latest reassessment point reached."""

    episode_id: EpisodeId
    on: date
    sessions: int
    instruments: list[str]
    points: list[DuePointOut]
    due: list[DueOut]


DischargeId = _opaque_id("discharge", "a discharge")
ReviewActionId = _opaque_id("review_action", "a review action")
DischargeReasonId = Literal["goals_met", "plateau", "referred", "patient_choice", "did_not_return"]
ReviewKindId = Literal["referral", "reason"]
UrgencyId = Literal["emergency", "urgent", "soon", "routine"]


class HomeExerciseIn(In):
    exercise: Annotated[str, Field(min_length=1, max_length=60)]
    dosage: Text(200) = ""


class DischargeIn(In):
    """End the episode of care. Refused (422) while a draft visit is open, for a date in the future,
    before the episode's start or its last signed visit. Without `home_programme`, the latest signed
    visit's exercises carry over."""

    reason: DischargeReasonId
    discharged_on: IsoDate | None = None
    note: Text(4000) = ""
    home_programme: list[HomeExerciseIn] | None = Field(None, max_length=20)


class FinalOutcomeOut(Schema):
    instrument: str
    facet: str
    name: str
    unit: str
    baseline: float | None
    baseline_date: date | None
    latest: float
    latest_date: date
    change: float | None
    improvement: float | None
    mcid: float | None
    met: bool | None
    worsened: bool = False
    reading: str


class HomeExerciseOut(Schema):
    exercise: str
    name: str
    dosage: str


class DischargeOut(Schema):
    id: DischargeId
    episode_id: EpisodeId
    reason: str
    discharged_on: date
    note: str
    status: str
    final_outcomes: list[FinalOutcomeOut]
    home_programme: list[HomeExerciseOut]
    discharged_by_id: UserId
    discharged_at: datetime


class ReviewActionIn(In):
    """What was done about a course flagged as not responding or to refer: a referral (`referred_to`
    and `urgency` required) or the reason care goes on as planned. 422 when the course is not flagged."""

    kind: ReviewKindId
    reason: Text(2000)
    referred_to: Text(200) = ""
    urgency: UrgencyId | Literal[""] = ""


class ReviewActionOut(Schema):
    id: ReviewActionId
    episode_id: EpisodeId
    kind: str
    status: str
    referred_to: str
    urgency: str
    reason: str
    acted_by_id: UserId
    acted_at: datetime


class FlaggedOut(Schema):
    """A course to act on: the episode, its patient, the core's status and reasons as last read."""

    episode_id: EpisodeId
    patient_id: PatientId
    condition: str
    status: str
    urgency: str
    reasons: list[str]
    computed_on: date


RomId = _opaque_id("rom", "a range-of-motion reading")


class RomIn(In):
    """One range-of-motion reading, read by the core against its norm; an unknown joint or movement, a
    side where none is taken (or none where one is), or a value out of range: 422 naming it."""

    joint: Annotated[str, Field(min_length=1, max_length=30)]
    movement: Annotated[str, Field(min_length=1, max_length=40)]
    side: SideOrNone = ""
    value: float = Field(ge=0, le=1000, allow_inf_nan=False)
    taken_on: IsoDate | None = None
    visit_id: VisitId | None = None


class RomOut(Schema):
    id: RomId
    episode_id: EpisodeId
    visit_id: VisitId | None
    joint: str
    movement: str
    side: str
    value: float
    unit: str
    taken_on: date
    result: dict[str, Any]
    recorded_by_id: UserId
    recorded_at: datetime
