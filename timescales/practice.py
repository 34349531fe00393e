"""Practice records (JSON Lines contract): supervision, audits, their actions, and feedback.

Pure domain: imports nothing from the project but :mod:`timescales.recordbase`, nor prefect,
sqlmodel, sqlalchemy or jinja2. :mod:`timescales.records` joins these models into the one record
union, so ``frontdoor import`` takes them in the same file as journey events.

An Ofsted focused visit found supervision actions with no timescales, audit actions nobody tracked
to completion and feedback that never reached practice reviews. So an action without an owner or a
due date is refused here, naming the action: that is the finding. Rules that need other records
(known staff, who may complete an action) live in :mod:`timescales.practice_rules`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from timescales.recordbase import EventTime, _check_id, _Record, parse_at

ACTION_KINDS = ("supervision_action", "audit_action")
AUDIT_KINDS = ("practice_review", "multi_agency_audit", "case_audit")
GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
FEEDBACK_FROM = ("child", "parent", "carer", "other")
CHANNELS = ("in_person", "phone", "email", "letter", "survey", "online", "other")

_At = Annotated[EventTime, BeforeValidator(parse_at), PlainSerializer(lambda t: t.raw)]
_Ref = Annotated[str, Field(min_length=1, max_length=200)]
_StaffId = Annotated[str, Field(min_length=1, max_length=100)]


class ActionSpec(BaseModel):
    """One agreed action: who will do what by when.

    ``owner`` and a due date are optional in the *shape* only so that a missing one is reported
    as the finding it is, naming the action, rather than as a bare "field required".
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    action_id: str = Field(min_length=1, max_length=100)
    description: str = Field(min_length=1, max_length=2000)
    owner: str | None = Field(default=None, max_length=100)
    due_in_working_days: int | None = Field(default=None, ge=0, le=260)
    due_on: date | None = None

    @field_validator("action_id")
    @classmethod
    def _id_ok(cls, v: str) -> str:
        return _check_id(v)

    @model_validator(mode="after")
    def _owner_and_due(self) -> ActionSpec:
        problems = []
        if not self.owner:
            problems.append("has no owner (a staff_id)")
        if self.due_in_working_days is None and self.due_on is None:
            problems.append("has no due date (give due_in_working_days or due_on)")
        elif self.due_in_working_days is not None and self.due_on is not None:
            problems.append("give due_in_working_days or due_on, not both")
        if problems:
            raise ValueError(f"action {self.action_id!r} " + " and ".join(problems))
        return self


def _unique_actions(actions: tuple[ActionSpec, ...]) -> tuple[ActionSpec, ...]:
    seen: set[str] = set()
    for a in actions:
        if a.action_id in seen:
            raise ValueError(f"action {a.action_id!r} is listed twice")
        seen.add(a.action_id)
    return actions


class _SubjectMixin(BaseModel):
    """A child or a journey (or both): what the record is about."""

    child: str | None = Field(default=None, min_length=1, max_length=100)
    journey: str | None = Field(default=None, min_length=1, max_length=12)

    @model_validator(mode="after")
    def _subject(self) -> _SubjectMixin:
        if self.child is None and self.journey is None:
            raise ValueError("give the child or the journey it is about")
        return self


class SupervisionHeld(_SubjectMixin, _Record):
    type: Literal["supervision_held"]
    at: _At
    supervisor: _StaffId
    worker: _StaffId
    summary_ref: _Ref = Field(description="a document reference, not free text about the child")
    actions: tuple[ActionSpec, ...] = ()

    _actions = field_validator("actions")(_unique_actions)


class AuditCompleted(_Record):
    type: Literal["audit_completed"]
    audit_id: str = Field(min_length=1, max_length=100)
    kind: Literal["practice_review", "multi_agency_audit", "case_audit"]
    at: _At
    auditor: _StaffId
    team: str = Field(min_length=1, max_length=100)
    journeys: tuple[str, ...] = ()
    grade: Literal["outstanding", "good", "requires_improvement", "inadequate"]
    actions: tuple[ActionSpec, ...] = ()
    feedback_considered: tuple[str, ...]

    _actions = field_validator("actions")(_unique_actions)

    @field_validator("audit_id")
    @classmethod
    def _audit_id(cls, v: str) -> str:
        return _check_id(v)


class ActionCompleted(_Record):
    type: Literal["action_completed"]
    action_id: str = Field(min_length=1, max_length=100)
    at: _At
    by: _StaffId
    evidence: _Ref


class FeedbackReceived(_SubjectMixin, _Record):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    type: Literal["feedback_received"]
    feedback_id: str = Field(min_length=1, max_length=100)
    at: _At
    from_: Literal["child", "parent", "carer", "other"] = Field(alias="from")
    channel: Literal["in_person", "phone", "email", "letter", "survey", "online", "other"]
    rating: int | None = Field(default=None, ge=1, le=5)
    themes: tuple[Annotated[str, Field(min_length=1, max_length=60)], ...] = ()
    text_ref: _Ref

    @field_validator("feedback_id")
    @classmethod
    def _feedback_id(cls, v: str) -> str:
        return _check_id(v)

    @field_validator("themes")
    @classmethod
    def _themes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.strip().lower() for t in v))


PracticeModel = SupervisionHeld | AuditCompleted | ActionCompleted | FeedbackReceived
PracticeRecord = PracticeModel
PRACTICE_TYPES: tuple[str, ...] = (
    "supervision_held",
    "audit_completed",
    "action_completed",
    "feedback_received",
)
