"""Ops tooling for timescales: template checks with example contexts, and the what-if run.

The shell layer: it may combine the pathway (timescales), the notification templates
(notifications) and the database (models). Nothing here sends or writes case data: what-if only
reads events, and records that it read them in the access log.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from jinja2 import TemplateError
from sqlmodel import Session

from models.pathways import load_period_facts
from models.tables import AccessLog
from notifications.render import (
    NotificationContext,
    RenderedMessage,
    TemplateNotFoundError,
    ToldBefore,
    available_templates,
    render,
)
from timescales.calendar import OutsideCalendarHorizon, WorkingCalendar
from timescales.pathway import Gate, Loc, Pathway
from timescales.pathway_check import CheckProblem, CheckResult, check_text, field_name, line_of
from timescales.whatif import ChangedJourney, Replay, changed_journeys, replay

EXAMPLE_REF = "J-7F3K2Q"
EXAMPLE_START = date(2026, 3, 2)
_NAMES = {
    "allocated_worker": "Sam Worker",
    "social_worker": "Sam Worker",
    "team_manager": "Tia Manager",
    "service_manager": "Sol Service",
    "head_of_service": "Hal Head",
}


def example_context(
    pathway: Pathway,
    gate: Gate,
    kind: str,
    level: int,
    cal: WorkingCalendar,
    *,
    days: int = 0,
    to: str = "allocated_worker",
) -> NotificationContext:
    """A realistic context for ``gate``'s rung: a reminder ``days`` working days before due or
    an escalation ``days`` after, with the earlier rungs as 'told before'."""
    try:
        started = cal.next_working_day_on_or_after(EXAMPLE_START)
        due = cal.add_working_days(started, gate.limit_working_days)
    except OutsideCalendarHorizon:
        started = due = EXAMPLE_START
    ladder = pathway.ladder_for(gate)
    told: list[ToldBefore] = []
    if kind == "escalation":
        told += [
            ToldBefore(_NAMES.get(r.to, r.to), r.to, "reminder", r.level, due)
            for r in ladder.reminders
        ]
        told += [
            ToldBefore(_NAMES.get(e.to, e.to), e.to, "escalation", e.level, due)
            for e in ladder.escalations
            if e.level < level
        ]
    return NotificationContext(
        journey_ref=EXAMPLE_REF,
        gate_id=gate.id,
        gate_title=gate.title,
        gate_basis=gate.basis,
        gate_kind=gate.kind,
        kind=kind,
        level=level,
        started_on=started,
        due_on=due,
        working_days_late=days if kind == "escalation" else 0,
        working_days_left=days if kind == "reminder" else 0,
        team="north",
        recipient_name=_NAMES.get(to, "A. Colleague"),
        recipient_role=to,
        told_before=tuple(told),
        dashboard_url="https://frontdoor.example.gov.uk/journeys/J-7F3K2Q",
    )


def _render_problem(template: str, exc: Exception) -> str:
    notes = "; ".join(getattr(exc, "__notes__", []) or [])
    what = f"template {template!r} does not render: {exc}"
    return f"{what} ({notes})" if notes else what


def template_problems(
    pathway: Pathway,
    lines: dict[Loc, int] | None = None,
    templates_dir: Path | None = None,
    only: Collection[str] | None = None,
) -> list[CheckProblem]:
    """Render every rung's template for every gate that sends (StrictUndefined): a template
    that refers to a variable the gate does not provide is a problem on the rung's line."""
    cal = pathway.working_calendar()
    lines = lines or {}
    seen: set[tuple[Loc, str]] = set()
    out: list[CheckProblem] = []
    for gi, gate in enumerate(pathway.gates):
        if gate.reporting_only:
            continue
        base: Loc = ("gates", gi, "ladder") if gate.ladder is not None else ("ladder",)
        ladder = pathway.ladder_for(gate)
        rungs: list[tuple[Loc, str, str, int, int, str]] = []
        for i, r in enumerate(ladder.reminders):
            loc: Loc = (*base, "reminders", i, "template")
            rungs.append((loc, r.template, "reminder", r.level, r.before_due, r.to))
        for i, e in enumerate(ladder.escalations):
            loc = (*base, "escalations", i, "template")
            rungs.append((loc, e.template, "escalation", e.level, e.after_due, e.to))
        for loc, template, kind, level, days, to in rungs:
            if only is not None and template not in only:
                continue  # an unknown template is already a problem of its own
            ctx = example_context(pathway, gate, kind, level, cal, days=days, to=to)
            try:
                render(template, ctx, templates_dir)
            except (TemplateNotFoundError, TemplateError) as exc:
                msg = _render_problem(template, exc)
                if (loc, msg) not in seen:
                    seen.add((loc, msg))
                    out.append(CheckProblem(line_of(lines, loc), field_name(loc), msg))
    return out


def full_check(text: str, templates_dir: Path | None = None) -> CheckResult:
    """Schema, meaning, statutory limits, known templates, and templates that render."""
    names: Collection[str] = available_templates(templates_dir)
    result = check_text(text, names)
    if result.pathway is None:
        return result
    extra = template_problems(result.pathway, dict(result.lines), templates_dir, names)
    return CheckResult(result.pathway, (*result.problems, *extra), result.lines)


def preview(
    pathway: Pathway, template: str, gate_id: str, kind: str | None = None, level: int = 1
) -> RenderedMessage:
    gate = pathway.gate(gate_id)
    ladder = pathway.ladder_for(gate)
    kind = kind or ("escalation" if "escalation" in template else "reminder")
    days, to = 0, "allocated_worker"
    for r in ladder.reminders:
        if kind == "reminder" and r.level == level:
            days, to = r.before_due, r.to
    for e in ladder.escalations:
        if kind == "escalation" and e.level == level:
            days, to = e.after_due, e.to
    if kind == "escalation" and days == 0:
        days = 1
    ctx = example_context(pathway, gate, kind, level, pathway.working_calendar(), days=days, to=to)
    return render(template, ctx)


@dataclass
class WhatIfReport:
    start: date
    end: date
    active_version: int
    journeys: int
    events: int
    active: Replay
    proposed: Replay
    changed: list[ChangedJourney]
    refs: dict[int, str]
    seconds: dict[str, float] = field(default_factory=dict)


def what_if(
    session: Session,
    proposed: Pathway,
    active: Pathway,
    cal_proposed: WorkingCalendar,
    cal_active: WorkingCalendar,
    start: date,
    end: date,
    *,
    actor: str,
    now: datetime,
    sides: Sequence[str] = ("active", "proposed"),
) -> WhatIfReport:
    """Read the period's events once, replay them under both pathways in-process."""
    t0 = time.perf_counter()
    facts, refs = load_period_facts(session, start, end)
    t1 = time.perf_counter()
    a = replay(active, cal_active, facts, start, end) if "active" in sides else Replay()
    t2 = time.perf_counter()
    p = replay(proposed, cal_proposed, facts, start, end) if "proposed" in sides else Replay()
    t3 = time.perf_counter()
    changed = changed_journeys(a, p) if len(sides) == 2 else []
    session.add(
        AccessLog(
            at=now,
            actor=actor,
            action="what_if",
            detail=f"{start.isoformat()}..{end.isoformat()} journeys={len(facts)}",
        )
    )
    return WhatIfReport(
        start=start,
        end=end,
        active_version=active.version,
        journeys=len(facts),
        events=sum(len(v) for v in facts.values()),
        active=a,
        proposed=p,
        changed=changed,
        refs=refs,
        seconds={"read": t1 - t0, "active": t2 - t1, "proposed": t3 - t2},
    )
