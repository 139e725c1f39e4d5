"""Request and response shapes.

Inputs check types, ranges, choices and knowledge-base IDs before any service runs, so a bad request
gets a 422 naming each field at fault (and, for an unknown ID, the closest valid ones). Inputs
forbid unknown keys: a misspelt field is an error, not silently dropped. Outputs are built from the
models and the core's results; clinical fields live in their own schema so front desk never gets them.

The OpenAPI document says what the validation does, no more and no less: input types are strict (no
`true` for 1, `"5"` for 5 or an integer for a date), text limits count what was sent (before
trimming), knowledge-base IDs are enumerations (or a pattern, for the hundreds of acupoints), a field
that refuses null is not nullable, and every operation lists every error it can answer (`responses`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import (
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from needlechart.charting.models import AdverseEventCode, LungTechnique, Modality, Severity, Technique
from needlechart.charting.services import RISK_LABELS, counts_reconciled, current_consents
from needlechart.clinical.locations import PainInputError, parse_intensity, parse_pain
from needlechart.clinical.screening import URGENCY_ADVICE, finding_sides, target_sides
from needlechart.common import opaque
from needlechart.knowledge import load
from needlechart.knowledge.lookup import closest
from needlechart.patients.models import Sex
from needlechart.patients.services import CLINICAL_FIELDS, DEMOGRAPHIC_FIELDS

Side = Literal["left", "right", "midline"]
FindingSide = Literal["left", "right", "midline", "both"]  # a site-scoped finding may be on both sides
ModalityId = Literal["dry_needling", "acupuncture", "electrical_stimulation"]
SexId = Literal["female", "male", "other", "unknown"]
TechniqueId = Literal["static", "pistoning", "winding", "de_qi"]
LungTechniqueId = Literal["", "rib_bracketing", "pincer", "tangential", "ultrasound", "superficial"]
VisitModalityId = Literal["dry_needling", "acupuncture"]  # electrical stimulation is recorded on the needles
RiskId = Literal["soreness", "bruising", "bleeding", "infection", "fainting", "pneumothorax", "electrical"]
AdverseEventCodeId = Literal[
    "bruising",
    "bleeding",
    "pain_during",
    "soreness_after",
    "fainting",
    "nausea",
    "drowsiness",
    "aggravation",
    "suspected_pneumothorax",
    "suspected_nerve_injury",
    "broken_or_retained_needle",
]
SeverityId = Literal["mild", "significant", "serious"]

# The Literals above are the API's contract; fail at import if a model's choices drift from them.
assert set(ModalityId.__args__) == set(Modality.values)
assert set(SexId.__args__) == set(Sex.values)
assert set(TechniqueId.__args__) == set(Technique.values)
assert set(LungTechniqueId.__args__) - {""} == set(LungTechnique.values)
assert set(VisitModalityId.__args__) == set(Modality.values) - {Modality.ELECTRICAL_STIMULATION}
assert set(RiskId.__args__) == set(RISK_LABELS)
assert set(AdverseEventCodeId.__args__) == set(AdverseEventCode.values)
assert set(SeverityId.__args__) == set(Severity.values)

_LIST_ALL_BELOW = 20  # a category this small is listed in full when nothing is close


# ------------------------------------------------------------------------------ ids and versions

MAX_ID = opaque.MAX_ID  # a BigAutoField primary key, on SQLite and PostgreSQL alike
MAX_VERSION = 2**31 - 1  # a PositiveIntegerField

# Every object id the API takes or gives, in a path or a body, is one of these: declared here once.
# An id is an opaque token (`pt_1q0m8v2k7c1xz`, needlechart/common/opaque.py), never the row's
# sequential number: a request gives the token and the handler gets the row id; a response is built
# from rows (ids) and shows their tokens. A well-formed token that names no row of the clinic is a
# 404, like any unknown id; anything else (a number, a visit's token where a patient's is due) a 422.


def _opaque_id(kind: str, what: str) -> Any:
    example = opaque.EXAMPLES[kind]

    def parse(value: object, info: ValidationInfo) -> int:
        # A request is validated by ninja with the request in the context: there only a token will do.
        # Responses are built from rows, whose ids are numbers (and shown as tokens).
        from_request = "request" in (info.context or {}) and "response_status" not in (info.context or {})
        if isinstance(value, int) and not isinstance(value, bool) and not from_request:
            return value
        if not opaque.is_token(kind, value):
            message = "Not {what} id: ids look like {example}."
            raise PydanticCustomError("opaque_id", message, {"what": what, "example": example})
        # A token of the right shape that stands for no row id at all is looked up as 0, which no row
        # has: a 404 like any other unknown id.
        return opaque.decode(kind, value) or 0

    return Annotated[
        int,
        BeforeValidator(parse),
        PlainSerializer(lambda row_id: opaque.encode(kind, row_id), return_type=str),
        WithJsonSchema({"type": "string", "pattern": f"^{opaque.pattern(kind)}$", "examples": [example]}),
    ]


PatientId = _opaque_id("patient", "a patient")
EpisodeId = _opaque_id("episode", "an episode")
VisitId = _opaque_id("visit", "a visit")
ScreeningId = _opaque_id("screening", "a screening")
ConsentId = _opaque_id("consent", "a consent")
InsertionId = _opaque_id("insertion", "a needle")
PlannedId = _opaque_id("planned", "a planned target")
PalpationId = _opaque_id("palpation", "a palpation finding")
EventId = _opaque_id("adverse_event", "an adverse event")
AssignmentId = _opaque_id("exercise", "an exercise assignment")
AddendumId = _opaque_id("addendum", "an addendum")
UserId = _opaque_id("user", "a user")

Version = Annotated[int, Field(ge=1, le=MAX_VERSION, description="The version you read (409 if saved since).")]


# ------------------------------------------------------------------------------ text, dates, times, decimals

NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store the NUL character
_NOT_BLANK = r"^[^\x00]*\S[^\x00]*$"  # required text: something besides spaces


def _text_limits(max_length: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the type check says so
        if len(value) > max_length:  # counted before trimming, so the limit is the one documented
            raise PydanticCustomError(
                "string_too_long", "String should have at most {max_length} characters", {"max_length": max_length}
            )
        if "\x00" in value:
            raise PydanticCustomError("string_nul", "text cannot contain the NUL character (\\u0000)")
        return value  # (a lone surrogate is pydantic's own string_unicode error)

    return check


def Text(max_length: int, *, required: bool = False) -> Any:
    """A text field of at most `max_length` characters as sent; `required` text must have more than spaces."""
    # The validator after the constraints (it still runs first): so the schema keeps the pattern.
    return Annotated[
        str,
        Field(min_length=1 if required else None, max_length=max_length, pattern=_NOT_BLANK if required else NO_NUL),
        BeforeValidator(_text_limits(max_length)),
    ]


Name = Text(100, required=True)
Phone = Text(40)
ShortText = Text(200)
Note = Text(5000)
LongText = Text(20000)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "date_invalid", "{value} is not a date in the calendar", {"value": value}
            ) from None
    raise PydanticCustomError("date_type", "give a date as YYYY-MM-DD (text), such as 1980-04-09")


def _clock_time(value: Any) -> Any:
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if isinstance(value, str) and re.fullmatch(_CLOCK, value):
        return time.fromisoformat(value)
    raise PydanticCustomError(
        "time_type", "give a time of day as HH:MM or HH:MM:SS (text, the clinic's time), such as 09:30"
    )


# A date is text YYYY-MM-DD: not a number (pydantic would read 86400 as 1970-01-02), not a date and time.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# A clock time in the clinic's time zone: no offset (the database keeps none) and not a number of seconds.
ClockTime = Annotated[
    time, BeforeValidator(_clock_time), WithJsonSchema({"type": "string", "pattern": _CLOCK, "examples": ["09:30"]})
]


def Dec(
    *, max_digits: int, decimal_places: int, gt: float | None = None, ge: float | None = None, le: float | None = None
) -> Any:
    """A decimal as a JSON number or as text ("0.25"), within the column's digits; never a boolean."""
    whole = max_digits - decimal_places
    pattern = rf"^\d{{1,{whole}}}(\.\d{{1,{decimal_places}}})?$"

    def parse(value: Any) -> Any:
        if isinstance(value, Decimal):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Decimal(str(value))
        if isinstance(value, str) and re.fullmatch(pattern, value):
            return Decimal(value)  # digits only, by the pattern
        raise PydanticCustomError(
            "decimal_type", "give a number with at most {places} decimal places", {"places": decimal_places}
        )

    number: dict[str, Any] = {"type": "number", "exclusiveMaximum": 10**whole}
    if gt is not None:
        number["exclusiveMinimum"] = gt
    if ge is not None:
        number["minimum"] = ge
    if le is not None:
        number.pop("exclusiveMaximum")
        number["maximum"] = le
    return Annotated[
        Decimal,
        BeforeValidator(parse),
        Field(gt=gt, ge=ge, le=le, max_digits=max_digits, decimal_places=decimal_places),
        WithJsonSchema({"anyOf": [number, {"type": "string", "pattern": pattern}]}),
    ]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def keep(**kwargs: Any) -> Any:
    """A PATCH field that may be left out (kept as it is) but not sent as null: the schema says it is
    optional and not nullable (the `_not_null` validator gives the message)."""
    return Field(None, json_schema_extra=_no_default, **kwargs)


# ------------------------------------------------------------------------------ knowledge IDs


def _unknown(category: str, value: str, valid: list[str], near: list[str]) -> PydanticCustomError:
    """A field error naming the closest valid IDs (or all of them, for a short list such as conditions)."""
    if not near and len(valid) <= _LIST_ALL_BELOW:
        near = sorted(valid)
    listed = ", ".join(near) if near else "none close; check the spelling"
    # The message is complete already; ctx carries the list for clients that offer a choice.
    return PydanticCustomError(
        "unknown_id", f"unknown {category} '{value}'; closest valid IDs: {listed}", {"closest": near}
    )


def _table(category: str) -> dict[str, Any]:
    kb = load()
    return {
        "region": kb.regions,
        "condition": kb.conditions,
        "finding": kb.findings,
        "muscle": kb.muscles,
        "exercise": kb.exercises,
    }[category]


def known(category: str, value: str) -> str:
    """`value` if it is an ID in the knowledge base's `category` (region, condition, finding, muscle, exercise)."""
    table = _table(category)
    if value not in table:
        raise _unknown(category, value, list(table), closest(load(), category, value))
    return value


def known_target(value: str) -> str:
    """`value` if it is a muscle ID or an acupoint code."""
    kb = load()
    if value in kb.muscles or value in kb.acupoints:
        return value
    near = (closest(kb, "muscle", value, 2) + closest(kb, "acupoint", value, 2))[:3]
    raise _unknown("target (muscle or acupoint)", value, [*kb.muscles, *kb.acupoints], near)


def _exact(check: Callable[[str], str], max_length: int, blank: bool) -> Callable[[Any], Any]:
    """An ID is checked as sent (before trimming): " neck_pain" is not in the enumeration, so it is refused."""

    def validate(value: Any) -> Any:
        if not isinstance(value, str) or (blank and value == ""):
            return value
        if len(value) > max_length:
            raise PydanticCustomError(
                "string_too_long", "String should have at most {max_length} characters", {"max_length": max_length}
            )
        return check(value)

    return validate


class _Enumerated:
    """The JSON schema of a knowledge-base ID: its enumeration, read from the knowledge base when the
    document is built (not at import)."""

    def __init__(self, category: str, blank: bool) -> None:
        self.category, self.blank = category, blank

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = handler(schema)
        json_schema["enum"] = ([""] if self.blank else []) + sorted(_table(self.category))
        return json_schema


_ID_LENGTH = {"region": 40, "condition": 60, "finding": 60, "muscle": 40, "exercise": 60}  # the model columns


def KbId(category: str, *, blank: bool = False) -> Any:
    """A knowledge-base ID of `category`; with `blank`, "" (none) is accepted too."""
    max_length = _ID_LENGTH[category]
    return Annotated[
        str,
        Field(max_length=max_length),
        _Enumerated(category, blank),
        BeforeValidator(_exact(lambda v: known(category, v), max_length, blank)),
    ]


# Muscle IDs are snake_case; acupoint codes are a channel and a number (LI4, GB21) or an extra point
# (EX-HN3). tests/api/test_schema_honesty.py checks every ID in the knowledge base matches.
TARGET_PATTERN = r"^([a-z][a-z0-9_]*|[A-Z]{2}\d{1,2}|EX-(HN|B|UE|LE)\d{1,2})$"
TargetId = Annotated[
    str,
    Field(max_length=40, pattern=TARGET_PATTERN, description="A muscle ID or an acupoint code."),
    BeforeValidator(_exact(known_target, 40, False)),
]


def _pain_error(exc: PainInputError, **ctx: Any) -> PydanticCustomError:
    """A field error carrying the core's pain-location message (and the valid choices, in ctx)."""
    kind = {"side": "side_not_valid", "intensity": "intensity_not_valid"}.get(exc.field, "pain_not_valid")
    return PydanticCustomError(kind, "{message}", {"message": exc.message, "choices": list(exc.choices), **ctx})


class In(Schema):
    """Every request body: unknown keys are errors; text is trimmed; types are strict (JSON's own: no
    "5" for 5, no 1 for true; dates, times and decimals are parsed by the types above)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


def _not_null(value: Any, info: ValidationInfo) -> Any:
    """PATCH fields may be left out but not sent as null (the column has no null)."""
    if value is None:
        raise PydanticCustomError(
            "not_null", "{field} cannot be null: leave it out to keep it", {"field": info.field_name}
        )
    return value


# ------------------------------------------------------------------------------ errors


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    type: str
    loc: list[str | int]
    msg: str
    ctx: dict[str, Any] | None = None


class ValidationErrorOut(Schema):
    """422: every field at fault (`loc` is the path to it) or, for a charting rule, `loc` is ["body"]."""

    detail: list[FieldErrorOut]


class LockedOut(Schema):
    detail: str = Field(..., examples=["This note is signed and locked; add a dated addendum instead."])
    code: Literal["locked"] = "locked"


def responses(ok: dict[int, Any], *, body: bool = False, lookup: bool = True, conflict: Any = None) -> dict[int, Any]:
    """The answers an operation can give: `ok`, and every error.

    - 400 {"detail"}: a body that is not JSON (or a form that cannot be read): operations with a body
      and every POST (the CSRF check reads a POST's form).
    - 401 {"detail"}: not signed in.
    - 403 {"detail"}: no CSRF token on an unsafe method, not clinic staff, or a role or authorship rule.
    - 404 {"detail"}: an id that is not this clinic's (`lookup`).
    - 409: `conflict`, the body of the 409 (a signed note, a stale version), if the operation has one.
    - 422 {"detail": [...]}: every field at fault, or the charting rules refused.
    """
    answers: dict[int, Any] = {**ok}
    if body:
        answers[400] = ErrorOut
    answers[401] = ErrorOut
    answers[403] = ErrorOut
    if lookup:
        answers[404] = ErrorOut
    if conflict is not None:
        answers[409] = conflict
    answers[422] = ValidationErrorOut
    return dict(sorted(answers.items()))


# ------------------------------------------------------------------------------ patients


def _check_born(born: date | None) -> date | None:
    if born is not None and born > date.today():
        raise ValueError("the date of birth is in the future: check the year")
    if born is not None and born.year < 1900:
        raise ValueError("the date of birth is before 1900: check the year")
    return born


def _check_email(email: str | None) -> str | None:
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValueError("not a valid email address") from None
    return email


class PatientIn(In):
    """Registration. Front desk may send medications and history notes; they are not stored."""

    first_name: Name
    last_name: Name
    date_of_birth: IsoDate = Field(..., examples=["1980-04-09"])
    sex: SexId = "unknown"
    phone: Phone = ""
    email: Text(254) = ""
    address: Text(2000) = ""
    emergency_contact_name: ShortText = ""
    emergency_contact_phone: Phone = ""
    medications: Note = Field("", description="Clinical: ignored for front desk.")
    history_notes: Note = Field("", description="Clinical: ignored for front desk.")

    _born = field_validator("date_of_birth")(_check_born)
    _email = field_validator("email")(_check_email)


class PatientPatch(In):
    """Only the fields sent change; `version` is the one you read (409 if someone saved since)."""

    version: Version
    first_name: Name = keep()
    last_name: Name = keep()
    date_of_birth: IsoDate = keep()
    sex: SexId = keep()
    phone: Phone = keep()
    email: Text(254) = keep()
    address: Text(2000) = keep()
    emergency_contact_name: ShortText = keep()
    emergency_contact_phone: Phone = keep()
    medications: Note = keep(description="Clinical: ignored for front desk.")
    history_notes: Note = keep(description="Clinical: ignored for front desk.")

    _no_nulls = field_validator(*DEMOGRAPHIC_FIELDS, *CLINICAL_FIELDS, mode="before")(_not_null)
    _born = field_validator("date_of_birth")(_check_born)
    _email = field_validator("email")(_check_email)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"version"})


class PatientSummaryOut(Schema):
    """A search result: who, not what is wrong with them (lists are not audited, so no clinical content)."""

    id: PatientId
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    phone: str
    version: Version


class PatientOut(PatientSummaryOut):
    """The record as front desk sees it."""

    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_phone: str
    created_at: datetime
    updated_at: datetime


class ClinicalPatientOut(PatientOut):
    """The record as clinicians and clinic admins see it."""

    medications: str
    history_notes: str


AnyPatientOut = ClinicalPatientOut | PatientOut


class PatientConflictOut(Schema):
    detail: str
    code: Literal["version_conflict"] = "version_conflict"
    current: AnyPatientOut


# ------------------------------------------------------------------------------ episodes


class EpisodeIn(In):
    condition: KbId("condition") = Field(..., description="A knowledge-base condition ID.", examples=["neck_pain"])
    started_on: IsoDate = Field(default_factory=date.today, description="Default: today.")
    onset_on: IsoDate | None = None
    goals: Note = ""

    @field_validator("onset_on")
    @classmethod
    def _onset_before_start(cls, onset: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("started_on")
        if onset and start and onset > start:
            raise ValueError("the onset is after the episode's start: check both dates")
        return onset


class EpisodeOut(Schema):
    id: EpisodeId
    patient_id: PatientId
    condition: str
    condition_name: str
    onset_on: date | None
    started_on: date
    ended_on: date | None
    goals: str
    status: str
    created_by_id: UserId
    created_at: datetime

    @staticmethod
    def resolve_condition_name(obj: Any) -> str:
        condition = load().conditions.get(obj.condition)
        return condition.name if condition else obj.condition


# ------------------------------------------------------------------------------ pains, screening


class PainIn(In):
    """A pain location, checked by the core's rule (needlechart.clinical.locations)."""

    region: KbId("region") = Field(..., examples=["lumbar"])
    side: Side
    intensity: int | None = Field(None, ge=0, le=10)

    @field_validator("side")
    @classmethod
    def _side(cls, side: str, info: ValidationInfo) -> str:
        region = info.data.get("region")
        if not region:
            return side  # the region's own error is reported
        try:
            return parse_pain(load(), region, side, resolve_names=False).side
        except PainInputError as exc:
            raise _pain_error(exc, side=side, region=region, sides=", ".join(exc.choices)) from None

    @field_validator("intensity", mode="before")
    @classmethod
    def _intensity(cls, intensity: object) -> int | None:
        # Before pydantic's own check, for the core's message on true. The core also reads digits (a form
        # field); JSON has numbers, and the schema says so.
        if isinstance(intensity, str):
            raise PydanticCustomError(
                "intensity_not_valid", "intensity must be a JSON number, a whole number from 0 to 10, not text"
            )
        try:
            return parse_intensity(intensity)
        except PainInputError as exc:
            raise _pain_error(exc) from None


class PainOut(Schema):
    region: str
    side: str
    intensity: int | None = None


class FindingIn(In):
    """A reported finding; site-scoped ones (lymphoedema, local infection...) need region and side."""

    code: KbId("finding") = Field(..., examples=["anticoagulant_therapy"])
    region: KbId("region", blank=True) = Field("", validate_default=True, description="Site-scoped findings only.")
    side: FindingSide | None = Field(None, validate_default=True, description="Site-scoped findings only.")

    @field_validator("region")
    @classmethod
    def _region(cls, region: str, info: ValidationInfo) -> str:
        code = info.data.get("code")
        if region:
            return region
        if code and load().findings[code].site_scoped:
            raise ValueError(f"finding '{code}' applies to one body site: give its region")
        return region

    @field_validator("side")
    @classmethod
    def _side(cls, side: str | None, info: ValidationInfo) -> str | None:
        code, region = info.data.get("code"), info.data.get("region")
        if side is None and code and load().findings[code].site_scoped:
            raise ValueError(f"finding '{code}' applies to one body site: give its side")
        if code and not load().findings[code].site_scoped and (side or region):
            raise ValueError(f"finding '{code}' applies to the whole patient: leave out its region and side")
        if region and side and code and side not in finding_sides(load(), code, region):
            raise PydanticCustomError(
                "side_not_valid",
                "side '{side}' is not valid for {region}; use {sides}",
                {"side": side, "region": region, "sides": ", ".join(finding_sides(load(), code, region))},
            )
        return side

    def as_reported(self) -> dict[str, str]:
        return {"code": self.code, "region": self.region, "side": self.side or ""}


class ScreeningIn(In):
    findings: list[FindingIn] = Field(default_factory=list, max_length=60)
    modalities: list[ModalityId] = Field(..., min_length=1, max_length=3)
    visit_id: VisitId | None = Field(
        None, description="Attach this screening to a draft visit (the per-visit re-screen)."
    )
    changed_since_last: bool = True


class ReportedFindingOut(Schema):
    code: str
    region: str = ""
    side: str = ""


class SourceOut(Schema):
    id: str
    locator: str = ""


class FindingResultOut(Schema):
    id: str
    name: str
    kind: str
    reason: str
    action: str
    urgency: str = ""
    region: str = ""
    side: str = ""
    note: str = ""
    derived: bool = False
    sources: list[SourceOut] = []


class ItemStatusOut(Schema):
    item: str
    side: str
    status: Literal["ok", "caution", "blocked"]
    reasons: list[str]
    findings: list[str]


class ScreeningOut(Schema):
    id: ScreeningId
    patient_id: PatientId
    performed_at: datetime
    age: int
    verdict: Literal["clear", "caution", "do_not_needle", "refer"]
    urgency: str
    urgency_advice: str
    may_needle: bool
    changed_since_last: bool
    patient_confirmed_unchanged: bool = Field(..., description="A re-screen: the patient confirmed nothing changed.")
    repeats_id: ScreeningId | None = Field(..., description="The screening a re-screen repeats.")
    reported: list[ReportedFindingOut] = Field(..., description="The findings as reported.")
    findings: list[FindingResultOut]
    modalities: list[ItemStatusOut]

    @staticmethod
    def resolve_urgency_advice(obj: Any) -> str:
        return URGENCY_ADVICE.get(obj.urgency, "")

    @staticmethod
    def resolve_reported(obj: Any) -> list[dict[str, str]]:
        return obj.findings

    @staticmethod
    def resolve_findings(obj: Any) -> list[dict[str, Any]]:
        return obj.result.get("findings", [])

    @staticmethod
    def resolve_modalities(obj: Any) -> list[dict[str, Any]]:
        return obj.result.get("modalities", [])


# ------------------------------------------------------------------------------ suggestions


class SuggestionIn(In):
    pains: list[PainIn] = Field(default_factory=list, max_length=60)
    condition: KbId("condition", blank=True) = Field("", description="A knowledge-base condition ID; empty: none.")
    patient_id: PatientId | None = Field(None, description="Apply this patient's latest screening to every target.")
    top: int = Field(10, ge=1, le=50, description="How many muscles and how many acupoints.")
    modality: Literal["dry_needling", "acupuncture"] | None = Field(
        None, description="The visit's modality: dry needling never gets points for trained acupuncturists only."
    )

    @model_validator(mode="after")
    def _something_to_rank(self) -> SuggestionIn:
        if not self.pains and not self.condition:
            raise ValueError("give at least one pain location or a condition")
        return self


class HazardOut(Schema):
    kind: str
    structure: str
    note: str = ""


class SuggestionOut(Schema):
    kind: Literal["muscle", "acupoint"]
    id: str
    name: str
    side: str
    score: float
    primary: list[str]
    spillover: list[str]
    role: str
    reason: str
    hazards: list[HazardOut]
    status: Literal["ok", "caution", "blocked"] = Field(..., description="'ok' unless a screening was applied.")
    status_reasons: list[str]


class ScreeningRefOut(Schema):
    id: ScreeningId
    performed_at: datetime
    verdict: str


class SuggestionsOut(Schema):
    pains: list[PainOut]
    condition: str
    screening: ScreeningRefOut | None = None
    muscles: list[SuggestionOut]
    acupoints: list[SuggestionOut]


# ------------------------------------------------------------------------------ consents


class ConsentIn(In):
    """The patient's answer for one modality. Agreeing needs every standard risk explained; a thorax
    target needs "pneumothorax" too, electrical stimulation "electrical"."""

    modality: ModalityId
    risks_explained: list[RiskId] = Field(default_factory=list, max_length=20)
    agreed: bool


class ConsentWithdrawIn(In):
    modality: ModalityId


class ConsentOut(Schema):
    id: ConsentId
    patient_id: PatientId
    modality: str
    risks_explained: list[str]
    agreed: bool
    withdrawal: bool = Field(..., description="A withdrawal of an earlier consent (never agreed).")
    recorded_by_id: UserId
    recorded_at: datetime


# ------------------------------------------------------------------------------ visits


def _visit_modality(value: Any) -> Any:
    """Before the type check, so that electrical stimulation gets its own explanation."""
    if value == Modality.ELECTRICAL_STIMULATION:
        raise PydanticCustomError(
            "modality_not_for_visit",
            "a visit is dry_needling or acupuncture: electrical stimulation is recorded on the needles it is "
            "applied to (the es_ fields of an insertion)",
        )
    return value


class VisitStartIn(In):
    modality: VisitModalityId | None = Field(
        None,
        description="Default: from the clinician's profession (an acupuncturist's visit is acupuncture, anyone "
        "else's dry needling). A follow-up (`copy_from`) keeps the modality of the visit it copies.",
    )
    episode_id: EpisodeId | None = Field(None, description="Default: the patient's active episode, if any.")
    copy_from: VisitId | None = Field(
        None, description="Copy forward the pain drawing and plan text; its needles become planned targets."
    )

    _modality = field_validator("modality", mode="before")(_visit_modality)


class IncrementIn(In):
    """One segment of face-to-face acupuncture time (billed by the CPT time rule on the total)."""

    minutes: int = Field(..., ge=1, le=120)
    electrical_stimulation: bool = False
    reinserted: bool | None = Field(
        None,
        description="New needles inserted at the start of this segment. Required (true or false) for every "
        "segment after the first: the add-on codes 97811/97814 need it and billing never assumes it.",
    )


class IncrementOut(Schema):
    minutes: int
    electrical_stimulation: bool = False
    reinserted: bool | None = None


_DRAFT_NOT_NULL = (
    "pain_drawing",
    "nprs_before_not_taken",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "response",
    "count_discrepancy",
    "aftercare_given",
    "increments",
    "modality",
    "tcm_pattern",
    "tcm_tongue",
    "tcm_pulse",
)


class VisitPatch(In):
    """Draft fields; only those sent change. Numbers may be sent as null to clear them. `version` is the
    one you read: the save conflicts (409) only if a field it writes was saved elsewhere since."""

    version: Version
    modality: VisitModalityId = keep()
    pain_drawing: list[PainIn] = keep(max_length=60)
    nprs_before: int | None = Field(None, ge=0, le=10)
    nprs_before_not_taken: Note = keep(
        description="Why no pain score was taken before treatment (instead of nprs_before)."
    )
    nprs_after: int | None = Field(None, ge=0, le=10)
    subjective: LongText = keep()
    objective: LongText = keep()
    assessment: LongText = keep()
    plan: LongText = keep()
    response: LongText = keep()
    needles_in: int | None = Field(None, ge=0, le=1000)
    needles_out: int | None = Field(None, ge=0, le=1000)
    count_discrepancy: Note = keep()
    aftercare_given: bool = keep()
    increments: list[IncrementIn] = keep(max_length=20)
    retention_minutes: int | None = Field(
        None, ge=0, le=240, description="Acupuncture: the session's retention time (a needle's own is the exception)."
    )
    tcm_pattern: Note = keep()
    tcm_tongue: Note = keep()
    tcm_pulse: Note = keep()

    _no_nulls = field_validator(*_DRAFT_NOT_NULL, mode="before")(_not_null)
    _modality = field_validator("modality", mode="before")(_visit_modality)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"version"})


def _check_side(target_id: str | None, side: str | None) -> str | None:
    if not target_id or side is None:
        return side  # the target's own error is reported; without it the service checks the side
    allowed = target_sides(load().target(target_id))
    if side not in allowed:
        raise ValueError(f"side for {target_id} must be {' or '.join(allowed)}")
    return side


def _check_times(out: time | None, info: ValidationInfo) -> time | None:
    time_in = info.data.get("time_in")
    if out and time_in and out < time_in:
        raise ValueError("the needle came out before it went in: check the times")
    return out


# The needle's numbers, as their columns hold them.
Gauge = Dec(max_digits=4, decimal_places=2, gt=0)
DepthCun = Dec(max_digits=3, decimal_places=1, ge=0, le=10)
PulseWidth = Dec(max_digits=5, decimal_places=2, gt=0)
Milliamps = Dec(max_digits=5, decimal_places=1, ge=0)
Hertz = Dec(max_digits=6, decimal_places=1, gt=0)
_DE_QI = "Acupuncture: de qi obtained (true) or not (false); empty: not recorded."
_RETENTION = "Empty: the session's retention (acupuncture) or none given."


class InsertionIn(In):
    """One needle. `es_frequency_hz` is declared after the other ES fields so it can check them."""

    target: TargetId = Field(..., examples=["upper_trapezius"])
    side: Side
    gauge_mm: Gauge | None = None
    length_mm: int | None = Field(None, gt=0, le=300)
    depth_mm: int | None = Field(None, ge=0, le=300)
    depth_cun: DepthCun | None = Field(None, description="Acupuncture: depth in cun, one decimal.")
    technique: TechniqueId = "static"
    twitch_responses: int | None = Field(None, ge=0, le=1000, description="Dry needling; empty: none.")
    de_qi: bool | None = Field(None, description=_DE_QI)
    es_pulse_width_ms: PulseWidth | None = None
    es_intensity_ma: Milliamps | None = None
    es_minutes: int | None = Field(None, ge=0, le=120)
    es_frequency_hz: Hertz | None = Field(None, validate_default=True)
    retention_minutes: int | None = Field(None, ge=0, le=240, description=_RETENTION)
    time_in: ClockTime | None = None
    time_out: ClockTime | None = None
    lung_technique: LungTechniqueId = ""
    override_reason: Note = Field("", description="Required when screening blocks this target.")

    _out_after_in = field_validator("time_out")(_check_times)

    @field_validator("side")
    @classmethod
    def _side(cls, side: str, info: ValidationInfo) -> str:
        return _check_side(info.data.get("target"), side)

    @field_validator("es_frequency_hz")
    @classmethod
    def _frequency_with_stimulation(cls, hz: Decimal | None, info: ValidationInfo) -> Decimal | None:
        others = (info.data.get(f) for f in ("es_pulse_width_ms", "es_intensity_ma", "es_minutes"))
        if hz is None and any(v is not None for v in others):
            raise ValueError("give the frequency when recording electrical stimulation")
        return hz

    def needle(self) -> dict[str, Any]:
        """The insertion's fields for the service, without blanks (as the page's form sends them)."""
        return {k: v for k, v in self.model_dump(exclude={"override_reason"}).items() if v not in (None, "")}


_NEEDLE_NOT_NULL = ("target", "side", "technique", "twitch_responses", "lung_technique")


class InsertionPatch(In):
    """Correct a draft's needle: only the fields sent change (nullable parameters may be sent as null to
    clear them), and the corrected needle passes every rule a new one would."""

    target: TargetId = keep()
    side: Side = keep()
    gauge_mm: Gauge | None = None
    length_mm: int | None = Field(None, gt=0, le=300)
    depth_mm: int | None = Field(None, ge=0, le=300)
    depth_cun: DepthCun | None = None
    technique: TechniqueId = keep()
    twitch_responses: int = keep(ge=0, le=1000)
    de_qi: bool | None = Field(None, description=_DE_QI)
    es_pulse_width_ms: PulseWidth | None = None
    es_intensity_ma: Milliamps | None = None
    es_minutes: int | None = Field(None, ge=0, le=120)
    es_frequency_hz: Hertz | None = None
    retention_minutes: int | None = Field(None, ge=0, le=240, description=_RETENTION)
    time_in: ClockTime | None = None
    time_out: ClockTime | None = None
    lung_technique: LungTechniqueId = keep()
    override_reason: Note | None = Field(
        None,
        description="Leave out (or null) to keep the reason given; required when screening blocks the corrected "
        "needle.",
    )

    _no_nulls = field_validator(*_NEEDLE_NOT_NULL, mode="before")(_not_null)
    _out_after_in = field_validator("time_out")(_check_times)

    @field_validator("side")
    @classmethod
    def _side(cls, side: str, info: ValidationInfo) -> str:
        return _check_side(info.data.get("target"), side)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"override_reason"})


def _keep_planned(value: Any, info: ValidationInfo) -> Any:
    if value is None:
        raise PydanticCustomError(
            "not_null",
            "{field} cannot be null when confirming: leave it out to keep the planned value",
            {"field": info.field_name},
        )
    return value


class PlannedConfirmIn(In):
    """What was placed differently from the plan today (leave a field out to keep the planned value);
    the needle then passes the full gate, like a new one."""

    side: Side = keep()
    gauge_mm: Gauge = keep()
    length_mm: int = keep(gt=0, le=300)
    depth_mm: int = keep(ge=0, le=300)
    depth_cun: DepthCun = keep()
    technique: TechniqueId = keep()
    twitch_responses: int = keep(ge=0, le=1000)
    de_qi: bool | None = Field(None, description=_DE_QI)
    es_pulse_width_ms: PulseWidth = keep()
    es_intensity_ma: Milliamps = keep()
    es_minutes: int = keep(ge=0, le=120)
    es_frequency_hz: Hertz = keep()
    retention_minutes: int = keep(ge=0, le=240)
    time_in: ClockTime = keep()
    time_out: ClockTime = keep()
    lung_technique: LungTechniqueId = keep()
    override_reason: Note = Field("", description="Required when screening blocks this target.")

    _keep = field_validator(
        "side",
        "gauge_mm",
        "length_mm",
        "depth_mm",
        "depth_cun",
        "technique",
        "twitch_responses",
        "es_pulse_width_ms",
        "es_intensity_ma",
        "es_minutes",
        "es_frequency_hz",
        "retention_minutes",
        "time_in",
        "time_out",
        "lung_technique",
        mode="before",
    )(_keep_planned)
    _out_after_in = field_validator("time_out")(_check_times)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"override_reason"})


def _target_name(target_id: str) -> str:
    kb = load()
    return kb.target(target_id).label if target_id in kb.muscles or target_id in kb.acupoints else target_id


class InsertionOut(Schema):
    id: InsertionId
    target: str
    target_name: str
    side: str
    gauge_mm: float | None
    length_mm: int | None
    depth_mm: int | None
    depth_cun: float | None
    technique: str
    twitch_responses: int
    de_qi: bool | None
    electrical_stimulation: bool
    es_frequency_hz: float | None
    es_pulse_width_ms: float | None
    es_intensity_ma: float | None
    es_minutes: int | None
    retention_minutes: int | None = Field(..., description=_RETENTION)
    time_in: ClockTime | None
    time_out: ClockTime | None
    lung_technique: str
    override_reason: str
    created_at: datetime

    @staticmethod
    def resolve_target_name(obj: Any) -> str:
        return _target_name(obj.target)


class PlannedOut(Schema):
    """A target carried forward from an earlier visit: not a needle until confirmed today."""

    id: PlannedId
    planned_from_id: VisitId
    target: str
    target_name: str
    side: str
    gauge_mm: float | None
    length_mm: int | None
    depth_mm: int | None
    depth_cun: float | None
    technique: str
    electrical_stimulation: bool
    es_frequency_hz: float | None
    es_pulse_width_ms: float | None
    es_intensity_ma: float | None
    es_minutes: int | None
    retention_minutes: int | None
    lung_technique: str

    @staticmethod
    def resolve_target_name(obj: Any) -> str:
        return _target_name(obj.target)


_PALPATION_FLAGS = ("taut_band", "tender_spot", "referred_pain_recognised", "twitch_response")


class PalpationIn(In):
    """A palpation finding for one muscle."""

    muscle: KbId("muscle") = Field(..., description="A muscle ID.", examples=["upper_trapezius"])
    side: Literal["left", "right"]
    taut_band: bool = False
    tender_spot: bool = False
    referred_pain_recognised: bool = False
    twitch_response: bool = False


class PalpationPatch(In):
    muscle: KbId("muscle") = keep(description="A muscle ID.")
    side: Literal["left", "right"] = keep()
    taut_band: bool = keep()
    tender_spot: bool = keep()
    referred_pain_recognised: bool = keep()
    twitch_response: bool = keep()

    _no_nulls = field_validator("muscle", "side", *_PALPATION_FLAGS, mode="before")(_not_null)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class PalpationOut(Schema):
    id: PalpationId
    muscle: str
    muscle_name: str
    side: str
    taut_band: bool
    tender_spot: bool
    referred_pain_recognised: bool
    twitch_response: bool

    @staticmethod
    def resolve_muscle_name(obj: Any) -> str:
        muscle = load().muscles.get(obj.muscle)
        return muscle.name if muscle else obj.muscle


class AdverseEventIn(In):
    code: AdverseEventCodeId
    severity: SeverityId
    action_taken: Text(5000, required=True)
    note: Note = ""


class AdverseEventPatch(In):
    code: AdverseEventCodeId = keep()
    severity: SeverityId = keep()
    action_taken: Text(5000, required=True) = keep()
    note: Note = keep()

    _no_nulls = field_validator("code", "severity", "action_taken", "note", mode="before")(_not_null)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class AdverseEventOut(Schema):
    id: EventId
    code: str
    severity: str
    action_taken: str
    note: str


class ExerciseIn(In):
    exercise: KbId("exercise") = Field(..., description="An exercise ID from the library.", examples=["chin_tuck"])
    dosage: ShortText = Field("", description="Empty: the library's dosage.")


class ExercisePatch(In):
    dosage: ShortText = Field(..., description="Empty: the library's dosage.")


class ExerciseOut(Schema):
    id: AssignmentId
    exercise: str
    name: str
    dosage: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        exercise = load().exercises.get(obj.exercise)
        return exercise.name if exercise else obj.exercise


class DiscardIn(In):
    reason: Text(2000, required=True) = Field(..., examples=["Started for the wrong patient"])


class SignCheckOut(Schema):
    ready: bool = Field(..., description="True when nothing stands between the note and its signature.")
    problems: list[str] = Field(..., description="Every unmet point, as signing would list them.")


class AddendumIn(In):
    text: Text(20000, required=True)


class AddendumOut(Schema):
    id: AddendumId
    visit_id: VisitId
    author_id: UserId
    author_name: str
    text: str
    created_at: datetime

    @staticmethod
    def resolve_author_name(obj: Any) -> str:
        return obj.author.display_name


class VisitSummaryOut(Schema):
    id: VisitId
    patient_id: PatientId
    episode_id: EpisodeId | None
    clinician_id: UserId
    clinician_name: str
    visit_date: date
    modality: str
    status: Literal["draft", "signed", "discarded"]
    signed_at: datetime | None
    discarded_at: datetime | None
    version: Version

    @staticmethod
    def resolve_clinician_name(obj: Any) -> str:
        return obj.clinician.display_name

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return str(obj.status)


def opaque_record(record: dict[str, Any]) -> dict[str, Any]:
    """A signed record (stored with row ids, frozen at signing) as shown: its ids as tokens."""
    if not record:
        return record
    shown = dict(record)
    for key, kind in (("screening", "screening"), ("episode", "episode")):
        if shown.get(key):
            shown[key] = {**shown[key], "id": opaque.encode(kind, shown[key]["id"])}
    shown["consents"] = {
        modality: {**consent, "id": opaque.encode("consent", consent["id"])}
        for modality, consent in (shown.get("consents") or {}).items()
    }
    return shown


class VisitOut(VisitSummaryOut):
    screening_id: ScreeningId | None
    copied_from_id: VisitId | None
    pain_drawing: list[PainOut]
    nprs_before: int | None
    nprs_before_not_taken: str
    nprs_after: int | None
    subjective: str
    objective: str
    assessment: str
    plan: str
    response: str
    needles_in: int | None
    needles_out: int | None
    count_discrepancy: str
    counts_reconciled: bool
    aftercare_given: bool
    increments: list[IncrementOut]
    retention_minutes: int | None = Field(..., description="Acupuncture: the session's retention time.")
    tcm_pattern: str
    tcm_tongue: str
    tcm_pulse: str
    created_at: datetime
    updated_at: datetime
    signed_by_id: UserId | None
    billing: dict[str, Any] = Field(..., description="Codes suggested by the core at signing; empty for a draft.")
    signed_record: dict[str, Any] = Field(
        ..., description="What the note rested on when signed (screening, consents, episode); empty for a draft."
    )
    discarded_by_id: UserId | None
    discard_reason: str
    consents: list[ConsentOut] = Field(..., description="The patient's current, agreed consents.")
    planned: list[PlannedOut] = Field(..., description="Targets carried forward, neither confirmed nor removed.")
    insertions: list[InsertionOut]
    palpations: list[PalpationOut]
    adverse_events: list[AdverseEventOut]
    exercises: list[ExerciseOut]
    addenda: list[AddendumOut]

    @staticmethod
    def resolve_counts_reconciled(obj: Any) -> bool:
        return counts_reconciled(obj)

    @staticmethod
    def resolve_signed_record(obj: Any) -> dict[str, Any]:
        """The record as signed, with its row ids shown as tokens like every other id."""
        return opaque_record(obj.signed_record)

    @staticmethod
    def resolve_consents(obj: Any) -> list[Any]:
        return [c for c in current_consents(obj.patient).values() if c is not None]

    @staticmethod
    def resolve_planned(obj: Any) -> list[Any]:
        return list(obj.plannedneedles.all())

    @staticmethod
    def resolve_insertions(obj: Any) -> list[Any]:
        return list(obj.insertions.all())

    @staticmethod
    def resolve_palpations(obj: Any) -> list[Any]:
        return list(obj.palpations.all())

    @staticmethod
    def resolve_adverse_events(obj: Any) -> list[Any]:
        return list(obj.adverseevents.all())

    @staticmethod
    def resolve_exercises(obj: Any) -> list[Any]:
        return list(obj.exerciseassignments.all())

    @staticmethod
    def resolve_addenda(obj: Any) -> list[Any]:
        return list(obj.addenda.select_related("author"))


class VisitConflictOut(Schema):
    detail: str
    code: Literal["version_conflict"] = "version_conflict"
    current: VisitOut
