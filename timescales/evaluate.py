"""Gate evaluation: replay a journey's events through the pathway into clocks and timer plans.

Pure domain: imports nothing from the project, nor prefect, sqlmodel, sqlalchemy or jinja2.

Everything here is a function of (pathway, calendar, events): no clock is read, so the sweep, the
CLI, the flows and the dashboard all compute the same answer. Events are replayed in the order
they happened (local date, then pathway order of the event type, then instant, then arrival),
not the order they were entered, so late entry is normal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from timescales.calendar import WorkingCalendar
from timescales.pathway import Gate, Pathway
from timescales.records import EVENT_TYPES

Status = Literal["not_started", "open", "due_soon", "overdue", "met", "met_late", "cancelled"]
STATUSES: tuple[Status, ...] = ("open", "due_soon", "overdue", "met", "met_late", "cancelled")
_RANK = {t: i for i, t in enumerate(EVENT_TYPES)}

FLAG_ICPC_WITHOUT_SAFETY_PLAN = "icpc_held_without_safety_plan"


@dataclass(frozen=True)
class EventFact:
    """What the evaluator needs of one recorded event."""

    id: str
    type: str
    on: date  # local (Europe/London) date
    instant: datetime
    outcome: str | None = None
    seq: int = 0  # arrival order, the last tie-breaker

    def sort_key(self) -> tuple[date, int, datetime, int, str]:
        return (self.on, _RANK.get(self.type, 99), self.instant, self.seq, self.id)


@dataclass(frozen=True)
class Clock:
    gate: str
    kind: str
    reporting_only: bool
    limit_working_days: int
    started_on: date
    due_on: date
    due_soon_from: date
    stopped_on: date | None = None
    cancelled_on: date | None = None
    start_event: str | None = None
    stop_event: str | None = None
    pathway_version: int = 0  # the version of the rules this clock runs under

    @property
    def is_open(self) -> bool:
        return self.stopped_on is None and self.cancelled_on is None


@dataclass(frozen=True)
class TimerPlan:
    gate: str
    kind: Literal["reminder", "escalation"]
    level: int
    due_on: date
    to: str
    template: str


@dataclass(frozen=True)
class JourneyEvaluation:
    pathway_version: int
    stage: str
    ended_on: date | None
    clocks: tuple[Clock, ...]
    timers: tuple[TimerPlan, ...]
    flags: tuple[str, ...]

    def clock(self, gate: str) -> Clock | None:
        for c in self.clocks:
            if c.gate == gate:
                return c
        return None


@dataclass
class _Run:
    started_on: date | None = None
    start_event: str | None = None
    stopped_on: date | None = None
    stop_event: str | None = None
    cancelled_on: date | None = None
    early_stop: EventFact | None = None


def _matches(matches: Iterable[object], ev: EventFact) -> bool:
    return any(m.matches(ev.type, ev.outcome) for m in matches)  # type: ignore[attr-defined]


def _replay_gate(gate: Gate, closing: Sequence[str], events: Sequence[EventFact]) -> _Run:
    run = _Run()
    for ev in events:
        if run.started_on is None:
            if _matches(gate.start, ev):
                run.started_on, run.start_event = ev.on, ev.id
                if gate.stop_may_precede_start and run.early_stop is not None:
                    run.stopped_on, run.stop_event = ev.on, run.early_stop.id
            elif gate.stop_may_precede_start and run.early_stop is None and _matches(gate.stop, ev):
                run.early_stop = ev
            continue
        if run.stopped_on is not None or run.cancelled_on is not None:
            continue
        if _matches(gate.stop, ev):
            run.stopped_on, run.stop_event = ev.on, ev.id
        elif ev.type in closing or _matches(gate.cancel, ev):
            run.cancelled_on = ev.on
        elif gate.start_occurrence == "latest" and _matches(gate.start, ev):
            run.started_on, run.start_event = ev.on, ev.id
    return run


def _replay_derived(
    gate: Gate,
    after: Clock,
    closing: Sequence[str],
    events: Sequence[EventFact],
    cal: WorkingCalendar,
) -> _Run | None:
    """A gate that starts the working day after another gate's due date, if that gate was
    neither stopped nor cancelled by its due date (e.g. the ICPC delay rationale)."""
    if after.stopped_on is not None and after.stopped_on <= after.due_on:
        return None
    if after.cancelled_on is not None and after.cancelled_on <= after.due_on:
        return None
    start = cal.add_working_days(after.due_on, 1)
    run = _Run(started_on=start)
    early = next((e for e in events if _matches(gate.stop, e) and e.on <= start), None)
    if early is not None:
        run.stopped_on, run.stop_event = start, early.id
        return run
    for ev in events:
        if ev.on < start:
            # a cancel before the derived start (after the other gate's due date) still counts
            if ev.type in closing or _matches(gate.cancel, ev):
                run.cancelled_on = ev.on if ev.on > after.due_on else start
                return run
            continue
        if _matches(gate.stop, ev):
            run.stopped_on, run.stop_event = ev.on, ev.id
            return run
        if ev.type in closing or _matches(gate.cancel, ev):
            run.cancelled_on = ev.on
            return run
    return run


def _clock(pathway: Pathway, gate: Gate, run: _Run, cal: WorkingCalendar) -> Clock:
    assert run.started_on is not None
    due = cal.add_working_days(run.started_on, gate.limit_working_days)
    soon = cal.add_working_days(due, -pathway.first_reminder_offset(gate))
    if soon < run.started_on:
        soon = run.started_on
    return Clock(
        gate=gate.id,
        kind=gate.kind,
        reporting_only=gate.reporting_only,
        limit_working_days=gate.limit_working_days,
        started_on=run.started_on,
        due_on=due,
        due_soon_from=soon,
        stopped_on=run.stopped_on,
        cancelled_on=run.cancelled_on,
        start_event=run.start_event,
        stop_event=run.stop_event,
        pathway_version=pathway.version,
    )


def plan_timers(pathway: Pathway, clock: Clock, cal: WorkingCalendar) -> list[TimerPlan]:
    """Reminders and escalations for an open clock. Reminders that would fall before the clock
    started are dropped (a 1-day clock gets only its due-day reminder)."""
    if not clock.is_open or clock.reporting_only:
        return []
    ladder = pathway.ladder_for(pathway.gate(clock.gate))
    plans: list[TimerPlan] = []
    for r in ladder.reminders:
        on = cal.add_working_days(clock.due_on, -r.before_due)
        if on < clock.started_on:
            continue
        plans.append(TimerPlan(clock.gate, "reminder", r.level, on, r.to, r.template))
    for e in ladder.escalations:
        on = cal.add_working_days(clock.due_on, e.after_due)
        plans.append(TimerPlan(clock.gate, "escalation", e.level, on, e.to, e.template))
    return plans


def evaluate(
    pathway: Pathway, cal: WorkingCalendar, events: Iterable[EventFact]
) -> JourneyEvaluation:
    """Replay ``events`` through ``pathway``: the journey's clocks, timers, stage and flags."""
    ordered = sorted(events, key=EventFact.sort_key)
    closing = pathway.closing_events
    clocks: dict[str, Clock] = {}
    for gate in pathway.gates:
        if gate.start_after_gate_due is not None:
            continue
        run = _replay_gate(gate, closing, ordered)
        if run.started_on is not None:
            clocks[gate.id] = _clock(pathway, gate, run, cal)
    for gate in pathway.gates:
        if gate.start_after_gate_due is None:
            continue
        after = clocks.get(gate.start_after_gate_due)
        if after is None:
            continue
        derived = _replay_derived(gate, after, closing, ordered, cal)
        if derived is not None:
            clocks[gate.id] = _clock(pathway, gate, derived, cal)

    stage = "contact"
    ended_on: date | None = None
    flags: list[str] = []
    plan_seen = False
    for ev in ordered:
        if ev.type == "safety_plan_recorded":
            plan_seen = True
        if ev.type == "icpc_held" and not plan_seen and FLAG_ICPC_WITHOUT_SAFETY_PLAN not in flags:
            flags.append(FLAG_ICPC_WITHOUT_SAFETY_PLAN)
        for rule in pathway.stage_rules:
            if rule.matches(ev.type, ev.outcome):
                stage = rule.stage
                if rule.ends_journey and ended_on is None:
                    ended_on = ev.on
                break

    ordered_clocks = tuple(clocks[g.id] for g in pathway.gates if g.id in clocks)
    timers: list[TimerPlan] = []
    for c in ordered_clocks:
        timers.extend(plan_timers(pathway, c, cal))
    return JourneyEvaluation(
        pathway_version=pathway.version,
        stage=stage,
        ended_on=ended_on,
        clocks=ordered_clocks,
        timers=tuple(timers),
        flags=tuple(flags),
    )


def clock_status(
    started_on: date,
    due_on: date,
    due_soon_from: date,
    stopped_on: date | None,
    cancelled_on: date | None,
    as_of: date,
) -> Status:
    """Status of one clock as of a date; facts dated after ``as_of`` have not happened yet."""
    if started_on > as_of:
        return "not_started"
    if stopped_on is not None and stopped_on <= as_of:
        return "met" if stopped_on <= due_on else "met_late"
    if cancelled_on is not None and cancelled_on <= as_of:
        return "cancelled"
    if as_of > due_on:
        return "overdue"
    if as_of >= due_soon_from:
        return "due_soon"
    return "open"


def status_of(clock: Clock, as_of: date) -> Status:
    return clock_status(
        clock.started_on,
        clock.due_on,
        clock.due_soon_from,
        clock.stopped_on,
        clock.cancelled_on,
        as_of,
    )


def state_name(pathway: Pathway, evaluation: JourneyEvaluation, as_of: date) -> str:
    """What a team manager should read first: 'Overdue' when any chasing clock is past due,
    otherwise the name of the journey's stage."""
    for c in evaluation.clocks:
        if not c.reporting_only and status_of(c, as_of) == "overdue":
            return "Overdue"
    return pathway.state_name(evaluation.stage)


def working_days_late(cal: WorkingCalendar, due_on: date, on: date) -> int:
    return max(0, cal.working_days_between(due_on, on))
