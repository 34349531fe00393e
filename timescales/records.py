"""The public contract for incoming records (JSON Lines): one pydantic model per record type.

Pure domain: imports nothing from the project, nor prefect, sqlmodel, sqlalchemy or jinja2.

Each model forbids unknown fields, so a misspelt field is an error rather than silently ignored.
Validation here is *shape* only (types, codes, required combinations). Rules that need other
records (known staff, open journeys, possible sequences) live in :mod:`timescales.guards`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from timescales import codes
from timescales.practice import PRACTICE_TYPES, PracticeModel, PracticeRecord
from timescales.recordbase import LONDON as LONDON  # re-exported: the base moved there
from timescales.recordbase import EventTime as EventTime
from timescales.recordbase import _Record, parse_at


class Role(StrEnum):
    social_worker = "social_worker"
    team_manager = "team_manager"
    service_manager = "service_manager"
    head_of_service = "head_of_service"
    conference_chair = "conference_chair"
    ops = "ops"


# The management line, lowest first. Roles off the line (chair, ops) rank nowhere.
MANAGEMENT_LINE: tuple[Role, ...] = (
    Role.social_worker,
    Role.team_manager,
    Role.service_manager,
    Role.head_of_service,
)


def role_at_least(role: str | Role, minimum: str | Role) -> bool:
    """True when ``role`` is on the management line at or above ``minimum``."""
    line = [r.value for r in MANAGEMENT_LINE]
    if str(role) not in line or str(minimum) not in line:
        return False
    return line.index(str(role)) >= line.index(str(minimum))


class StaffRecord(_Record):
    type: Literal["staff"]
    staff_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    role: Role
    team: str = Field(min_length=1, max_length=100)
    manager: str | None = None


class ChildDetailsRecord(_Record):
    type: Literal["child_details"]
    child: str = Field(min_length=1, max_length=100)
    birth_date: date | None = None
    expected_birth_date: date | None = None
    sex: Literal["M", "F", "U"]
    ethnicity: str
    upn: str | None = Field(default=None, max_length=13)
    upn_unknown: str | None = None
    disabilities: list[str] = Field(default_factory=list)

    @field_validator("ethnicity")
    @classmethod
    def _eth(cls, v: str) -> str:
        if v not in codes.ETHNICITY:
            raise ValueError(f"{v!r} is not a DfE ethnicity code")
        return v

    @field_validator("disabilities")
    @classmethod
    def _dis(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in codes.DISABILITY]
        if bad:
            raise ValueError(f"not DfE disability codes: {', '.join(bad)}")
        if "NONE" in v and len(v) > 1:
            raise ValueError("NONE must stand alone")
        return v

    @field_validator("upn_unknown")
    @classmethod
    def _upn_unknown(cls, v: str | None) -> str | None:
        if v is not None and v not in codes.UPN_UNKNOWN:
            raise ValueError(f"{v!r} is not a UPNunknown code (UN1-UN7)")
        return v

    @model_validator(mode="after")
    def _one_birth(self) -> ChildDetailsRecord:
        if (self.birth_date is None) == (self.expected_birth_date is None):
            raise ValueError("give exactly one of birth_date or expected_birth_date")
        return self


class _Event(_Record):
    """Fields every journey event carries."""

    type: str
    child: str = Field(min_length=1, max_length=100)
    at: Annotated[EventTime, BeforeValidator(parse_at), PlainSerializer(lambda t: t.raw)]
    by: str | None = None
    journey: str | None = None  # a journey reference, when the sender knows it

    @property
    def outcome_value(self) -> str | None:
        value = getattr(self, "outcome", None)
        return value if isinstance(value, str) else None


Consent = Literal["obtained", "dispensed", "not_required"]


class ContactReceived(_Event):
    type: Literal["contact_received"]
    source: str
    team: str = Field(min_length=1, max_length=100)
    worker: str | None = None

    @field_validator("source")
    @classmethod
    def _src(cls, v: str) -> str:
        if v not in codes.REFERRAL_SOURCES:
            raise ValueError(f"{v!r} is not a DfE referral source code")
        return v


class ContactOutcome(_Event):
    type: Literal["contact_outcome"]
    outcome: Literal["no_further_action", "advice", "early_help", "referral"]
    consent: Consent
    consent_reason: str | None = Field(default=None, max_length=2000)
    approved_by: str | None = None

    @model_validator(mode="after")
    def _dispensed(self) -> ContactOutcome:
        if self.consent == "dispensed":
            if not self.consent_reason:
                raise ValueError("consent 'dispensed' needs a consent_reason")
            if not self.approved_by:
                raise ValueError("consent 'dispensed' needs approved_by (team manager or above)")
        return self


class ReferralDecision(_Event):
    type: Literal["referral_decision"]
    outcome: Literal["assessment", "strategy_discussion", "no_further_action"]
    primary_need: str | None = None
    worker: str | None = None

    @field_validator("primary_need")
    @classmethod
    def _need(cls, v: str | None) -> str | None:
        if v is not None and v not in codes.PRIMARY_NEED:
            raise ValueError(f"{v!r} is not a primary need code (N0-N9)")
        return v


class AssessmentStarted(_Event):
    type: Literal["assessment_started"]
    worker: str | None = None


class AssessmentAuthorised(_Event):
    type: Literal["assessment_authorised"]
    outcome: Literal["no_further_action", "cin_plan", "early_help", "strategy_discussion"]
    factors: list[str] = Field(default_factory=list)
    child_seen: bool | None = None

    @field_validator("factors")
    @classmethod
    def _factors(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in codes.ASSESSMENT_FACTORS]
        if bad:
            raise ValueError(f"not DfE assessment factor codes: {', '.join(bad)}")
        if codes.NO_FACTORS in v and len(v) > 1:
            raise ValueError("factor 21 (no factors identified) must stand alone")
        return v


class StrategyDiscussion(_Event):
    type: Literal["strategy_discussion"]
    outcome: Literal["s47", "no_s47"]


class SafetyPlanRecorded(_Event):
    type: Literal["safety_plan_recorded"]
    document: str = Field(min_length=1, max_length=200)


class S47Concluded(_Event):
    type: Literal["s47_concluded"]
    outcome: Literal["icpc", "no_icpc"]


class IcpcDelayAgreed(_Event):
    type: Literal["icpc_delay_agreed"]
    reason: str = Field(min_length=1, max_length=50)
    rationale: str = Field(min_length=1, max_length=4000)
    manager: str
    chair: str


class IcpcHeld(_Event):
    type: Literal["icpc_held"]
    outcome: Literal["cp_plan", "no_plan"]
    category: str | None = None

    @model_validator(mode="after")
    def _category(self) -> IcpcHeld:
        if self.outcome == "cp_plan":
            if self.category is None:
                raise ValueError("outcome 'cp_plan' needs a category (NEG PHY SAB EMO MUL)")
            if self.category not in codes.CATEGORY_OF_ABUSE:
                raise ValueError(f"{self.category!r} is not a category of abuse")
        elif self.category is not None:
            raise ValueError("category is only given when outcome is 'cp_plan'")
        return self


class Closed(_Event):
    type: Literal["closed"]
    reason: str

    @field_validator("reason")
    @classmethod
    def _rc(cls, v: str) -> str:
        if v not in codes.REASON_FOR_CLOSURE:
            raise ValueError(f"{v!r} is not a DfE reason for closure (RC1-RC9)")
        return v


EventRecord = Annotated[
    ContactReceived
    | ContactOutcome
    | ReferralDecision
    | AssessmentStarted
    | AssessmentAuthorised
    | StrategyDiscussion
    | SafetyPlanRecorded
    | S47Concluded
    | IcpcDelayAgreed
    | IcpcHeld
    | Closed,
    Field(discriminator="type"),
]
Record = Annotated[
    StaffRecord | ChildDetailsRecord | EventRecord | PracticeRecord,
    Field(discriminator="type"),
]

EVENT_TYPES: tuple[str, ...] = (
    "contact_received",
    "contact_outcome",
    "referral_decision",
    "assessment_started",
    "assessment_authorised",
    "strategy_discussion",
    "safety_plan_recorded",
    "s47_concluded",
    "icpc_delay_agreed",
    "icpc_held",
    "closed",
)
RECORD_TYPES: tuple[str, ...] = ("staff", "child_details", *EVENT_TYPES, *PRACTICE_TYPES)

# The outcome values each event type accepts (the pathway validator checks references to them).
EVENT_OUTCOMES: dict[str, frozenset[str]] = {
    "contact_outcome": frozenset(["no_further_action", "advice", "early_help", "referral"]),
    "referral_decision": frozenset(["assessment", "strategy_discussion", "no_further_action"]),
    "assessment_authorised": frozenset(
        ["no_further_action", "cin_plan", "early_help", "strategy_discussion"]
    ),
    "strategy_discussion": frozenset(["s47", "no_s47"]),
    "s47_concluded": frozenset(["icpc", "no_icpc"]),
    "icpc_held": frozenset(["cp_plan", "no_plan"]),
}

_ADAPTER: TypeAdapter[Any] = TypeAdapter(Record)


class RecordError(ValueError):
    """A record that cannot be accepted, with a message fit to show the person importing."""


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        # drop the discriminator tag pydantic puts first in the location
        if loc and loc[0] in RECORD_TYPES:
            loc = loc[1:]
        where = ".".join(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "missing":
            msg = "required field missing"
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def parse_record(data: Any) -> StaffRecord | ChildDetailsRecord | _Event | PracticeModel:
    """Validate one decoded JSON object into its record model, or raise :class:`RecordError`."""
    if not isinstance(data, dict):
        raise RecordError("each line must be a JSON object")
    rtype = data.get("type")
    if rtype is None:
        raise RecordError("type: required field missing")
    if rtype not in RECORD_TYPES:
        raise RecordError(f"type: unknown record type {rtype!r}")
    try:
        rec = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise RecordError(_describe(exc)) from None
    assert isinstance(rec, StaffRecord | ChildDetailsRecord | _Event | PracticeModel)
    return rec


JourneyEvent = _Event
"""Public name of the base class of every journey event record."""


def payload(record: BaseModel) -> dict[str, Any]:
    """The record in canonical JSON form (as stored, and compared for idempotent re-import)."""
    return record.model_dump(mode="json", exclude_none=True)
