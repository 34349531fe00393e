"""The pathway: gates, stages and the reminder/escalation ladder, loaded from YAML.

Pure domain: imports nothing from the project, nor prefect, sqlmodel, sqlalchemy or jinja2.

Ops staff edit ``pathways/*.yaml``; this module turns a file into frozen models and refuses a file
that is malformed (unknown keys, wrong types) or meaningless (a gate that starts on an event that
does not exist, a template that is not there, a statutory limit loosened). Statutory maxima are
written here, not in YAML, because the law is not configuration:

- referral: decide next steps within 1 working day of receipt (Working Together 2023, ch. 2);
- child and family assessment within 45 working days of the referral (WT 2023 ch. 2);
- initial child protection conference within 15 working days of the strategy discussion (WT 2023
  ch. 2; DfE statistics count from the s47 start: both clocks are kept).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from timescales.calendar import WorkingCalendar, calendar_from
from timescales.records import EVENT_OUTCOMES, EVENT_TYPES

STATUTORY_MAXIMA: dict[str, int] = {
    "referral_decision": 1,
    "assessment": 45,
    "icpc": 15,
    "icpc_s47_start": 15,
}

RECIPIENTS = ("allocated_worker", "team_manager", "service_manager", "head_of_service")
TEMPLATES = ("reminder", "escalation", "action_reminder", "action_escalation")


class PathwayError(ValueError):
    """The pathway file cannot be used; the message lists every problem found."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventMatch(_Frozen):
    """Matches an event by type and, optionally, by one of several outcomes."""

    event: str
    outcome: tuple[str, ...] = ()

    def matches(self, event_type: str, outcome: str | None) -> bool:
        return event_type == self.event and (not self.outcome or outcome in self.outcome)


class Reminder(_Frozen):
    level: int = Field(ge=1)
    before_due: int = Field(ge=0, le=30, description="working days before the due date")
    to: str = "allocated_worker"
    template: str = "reminder"


class Escalation(_Frozen):
    level: int = Field(ge=1)
    after_due: int = Field(ge=1, le=60, description="working days after the due date")
    to: str
    template: str = "escalation"
    repeat_every: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description="working days between repeats of this rung while it is neither acknowledged "
        "nor overtaken by the next rung, and the clock is still open",
    )


class Ladder(_Frozen):
    reminders: tuple[Reminder, ...]
    escalations: tuple[Escalation, ...]


class Gate(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    stage: str = Field(description="the stage a journey is in while this gate is open")
    kind: Literal["statutory", "local"]
    reporting_only: bool = Field(
        default=False, description="kept and reported, but sends no reminders or escalations"
    )
    limit_working_days: int = Field(ge=0, le=260)
    basis: str
    start: tuple[EventMatch, ...] = ()
    start_occurrence: Literal["first", "latest"] = "first"
    start_after_gate_due: str | None = Field(
        default=None,
        description="derived gate: starts the working day after that gate's due date "
        "if it was neither stopped nor cancelled by then",
    )
    stop: tuple[EventMatch, ...]
    stop_may_precede_start: bool = False
    cancel: tuple[EventMatch, ...] = ()
    ladder: Ladder | None = None


class StageRule(_Frozen):
    event: str
    outcome: tuple[str, ...] = ()
    stage: str
    ends_journey: bool = False

    def matches(self, event_type: str, outcome: str | None) -> bool:
        return event_type == self.event and (not self.outcome or outcome in self.outcome)


class Stage(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    state_name: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")


class CalendarConfig(_Frozen):
    first_year: int = 2015
    last_year: int = 2028
    extra_closures: tuple[date, ...] = ()
    working_overrides: tuple[date, ...] = ()


class ActionsConfig(_Frozen):
    """Clocks of practice actions (supervision_action, audit_action): same ladder by default."""

    ladder: Ladder | None = Field(
        default=None,
        description="omit to use the pathway's ladder (its levels, days and roles) with the "
        "action templates below",
    )
    reminder_template: str = "action_reminder"
    escalation_template: str = "action_escalation"
    no_supervision_working_days: int = Field(
        default=20, ge=1, le=260, description="practice report: journeys unsupervised this long"
    )


class Pathway(_Frozen):
    pathway: str
    version: int = Field(ge=1)
    title: str
    notify_time: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    calendar: CalendarConfig = CalendarConfig()
    closing_events: tuple[str, ...] = ("closed",)
    ladder: Ladder
    stages: tuple[Stage, ...]
    stage_rules: tuple[StageRule, ...]
    gates: tuple[Gate, ...]
    actions: ActionsConfig = ActionsConfig()

    @field_validator("gates")
    @classmethod
    def _unique_gates(cls, v: tuple[Gate, ...]) -> tuple[Gate, ...]:
        seen: set[str] = set()
        for g in v:
            if g.id in seen:
                raise ValueError(f"gate {g.id!r} is defined twice")
            seen.add(g.id)
        return v

    def gate(self, gate_id: str) -> Gate:
        for g in self.gates:
            if g.id == gate_id:
                return g
        raise KeyError(gate_id)

    def ladder_for(self, gate: Gate) -> Ladder:
        return gate.ladder or self.ladder

    def action_ladder(self) -> Ladder:
        """The ladder of practice actions: ``actions.ladder``, or the pathway's own ladder with
        the action templates (an action email names an action, not a journey)."""
        if self.actions.ladder is not None:
            return self.actions.ladder
        a = self.actions
        return Ladder(
            reminders=tuple(
                r.model_copy(update={"template": a.reminder_template})
                for r in self.ladder.reminders
            ),
            escalations=tuple(
                e.model_copy(update={"template": a.escalation_template})
                for e in self.ladder.escalations
            ),
        )

    def state_name(self, stage_id: str) -> str:
        for s in self.stages:
            if s.id == stage_id:
                return s.state_name
        raise KeyError(stage_id)

    def working_calendar(self) -> WorkingCalendar:
        c = self.calendar
        return calendar_from(
            first_year=c.first_year,
            last_year=c.last_year,
            extra_closures=c.extra_closures,
            working_overrides=c.working_overrides,
        )

    def first_reminder_offset(self, gate: Gate) -> int:
        """Working days before due when the gate becomes 'due soon' (its earliest reminder)."""
        rem = self.ladder_for(gate).reminders
        return max((r.before_due for r in rem), default=0)


Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


def _check_match(m: EventMatch, where: str, loc: Loc, problems: list[Problem]) -> None:
    if m.event not in EVENT_TYPES:
        problems.append(((*loc, "event"), f"{where}: unknown event {m.event!r}"))
        return
    allowed = EVENT_OUTCOMES.get(m.event, frozenset())
    for o in m.outcome:
        if o not in allowed:
            problems.append(((*loc, "outcome"), f"{where}: event {m.event!r} has no outcome {o!r}"))


def _check_ladder(
    ladder: Ladder, where: str, loc: Loc, problems: list[Problem], templates: Collection[str]
) -> None:
    for i, r in enumerate(ladder.reminders):
        at: Loc = (*loc, "reminders", i)
        if r.to not in RECIPIENTS:
            problems.append(
                ((*at, "to"), f"{where}: reminder level {r.level} to unknown role {r.to!r}")
            )
        if r.template not in templates:
            problems.append(((*at, "template"), f"{where}: unknown template {r.template!r}"))
    for i, e in enumerate(ladder.escalations):
        at = (*loc, "escalations", i)
        if e.to not in RECIPIENTS:
            problems.append(
                ((*at, "to"), f"{where}: escalation level {e.level} to unknown role {e.to!r}")
            )
        if e.template not in templates:
            problems.append(((*at, "template"), f"{where}: unknown template {e.template!r}"))
    for name, items in (("reminder", ladder.reminders), ("escalation", ladder.escalations)):
        levels = [i.level for i in items]
        if len(set(levels)) != len(levels):
            problems.append(((*loc, f"{name}s"), f"{where}: {name} levels repeat"))
    after = [e.after_due for e in sorted(ladder.escalations, key=lambda e: e.level)]
    if after != sorted(after) or len(set(after)) != len(after):
        problems.append(
            ((*loc, "escalations"), f"{where}: escalation levels must climb with days overdue")
        )
    before = [r.before_due for r in sorted(ladder.reminders, key=lambda r: r.level)]
    if before != sorted(before, reverse=True) or len(set(before)) != len(before):
        problems.append(
            (
                (*loc, "reminders"),
                f"{where}: reminder levels must come closer to the due date as they climb",
            )
        )


def meaning_problems(p: Pathway, templates: Collection[str] = TEMPLATES) -> list[Problem]:
    """What the schema cannot check, each problem with the path of the field at fault."""
    problems: list[Problem] = []
    stage_ids = {s.id for s in p.stages}
    gate_ids = {g.id for g in p.gates}
    for i, ev in enumerate(p.closing_events):
        if ev not in EVENT_TYPES:
            problems.append((("closing_events", i), f"closing_events: unknown event {ev!r}"))
    _check_ladder(p.ladder, "ladder", ("ladder",), problems, templates)
    if p.actions.ladder is not None:  # otherwise it is the ladder above, already checked
        _check_ladder(
            p.actions.ladder, "actions.ladder", ("actions", "ladder"), problems, templates
        )
    for i, rule in enumerate(p.stage_rules):
        loc: Loc = ("stage_rules", i)
        _check_match(
            EventMatch(event=rule.event, outcome=rule.outcome), f"stage_rules[{i}]", loc, problems
        )
        if rule.stage not in stage_ids:
            problems.append(((*loc, "stage"), f"stage_rules[{i}]: unknown stage {rule.stage!r}"))
    for gi, g in enumerate(p.gates):
        where = f"gate {g.id}"
        gloc: Loc = ("gates", gi)
        if g.stage not in stage_ids:
            problems.append(((*gloc, "stage"), f"{where}: unknown stage {g.stage!r}"))
        if bool(g.start) == bool(g.start_after_gate_due):
            problems.append(
                ((*gloc, "start"), f"{where}: give either start events or start_after_gate_due")
            )
        if g.start_after_gate_due is not None and g.start_after_gate_due not in gate_ids:
            problems.append(
                (
                    (*gloc, "start_after_gate_due"),
                    f"{where}: start_after_gate_due names unknown gate {g.start_after_gate_due!r}",
                )
            )
        for kind, matches in (("start", g.start), ("stop", g.stop), ("cancel", g.cancel)):
            for mi, m in enumerate(matches):
                _check_match(m, f"{where} {kind}", (*gloc, kind, mi), problems)
        if not g.stop:
            problems.append(((*gloc, "stop"), f"{where}: needs at least one stop event"))
        if g.ladder is not None:
            _check_ladder(g.ladder, where, (*gloc, "ladder"), problems, templates)
        maximum = STATUTORY_MAXIMA.get(g.id)
        if maximum is not None:
            if g.kind != "statutory":
                problems.append(
                    (
                        (*gloc, "kind"),
                        f"{where}: is a statutory timescale and must be kind 'statutory'",
                    )
                )
            if g.limit_working_days > maximum:
                problems.append(
                    (
                        (*gloc, "limit_working_days"),
                        f"{where}: limit {g.limit_working_days} working days loosens the "
                        f"statutory maximum of {maximum}",
                    )
                )
    missing = set(STATUTORY_MAXIMA) - gate_ids
    if missing:
        problems.append((("gates",), f"statutory gates missing: {', '.join(sorted(missing))}"))
    return problems


def validate_meaning(p: Pathway, templates: Collection[str] = TEMPLATES) -> None:
    """Check what the schema cannot: references exist and statutory limits hold."""
    problems = meaning_problems(p, templates)
    if problems:
        raise PathwayError("; ".join(msg for _loc, msg in problems))


def pathway_from_dict(data: Any, source: str = "pathway") -> Pathway:
    if not isinstance(data, dict):
        raise PathwayError(f"{source}: must be a mapping")
    try:
        p = Pathway.model_validate(data)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(x) for x in err["loc"])
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            msgs.append(f"{where}: {msg}")
        raise PathwayError(f"{source}: " + "; ".join(msgs)) from None
    try:
        validate_meaning(p)
    except PathwayError as exc:
        raise PathwayError(f"{source}: {exc}") from None
    return p


def load_pathway(path: Path) -> Pathway:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PathwayError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PathwayError(f"{path}: not valid YAML ({exc})") from None
    return pathway_from_dict(data, str(path))
