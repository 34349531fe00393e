"""Rules of practice actions: due dates, reminder/escalation plans, who may complete one.

Pure domain: imports nothing from prefect, sqlmodel, sqlalchemy or jinja2.

An action's clock is a gate without a journey: it starts on the date of the supervision or
audit that agreed it (day 0), is due on its ``due_on`` or ``due_in_working_days`` after day 0,
and runs the pathway's ladder (:meth:`timescales.pathway.Pathway.action_ladder`). Status as of a
date is :func:`timescales.evaluate.clock_status`, the same rule as the journey gates.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date

from timescales.calendar import WorkingCalendar
from timescales.evaluate import Status, TimerPlan, clock_status
from timescales.guards import StaffFact
from timescales.practice import ActionSpec, AuditCompleted, SupervisionHeld
from timescales.records import MANAGEMENT_LINE, RecordError, role_at_least

_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as journey refs

ACTION_TITLES = {
    "supervision_action": "Supervision action",
    "audit_action": "Audit action",
}
ACTION_BASIS = {
    "supervision_action": "Ofsted finding - supervision actions need an owner and a timescale, "
    "and are tracked to completion",
    "audit_action": "Ofsted finding - practice review and audit actions are tracked to completion",
}


def new_action_ref(taken: set[str] | None = None) -> str:
    """A random pseudonymous reference, e.g. A-7F3K2Q: what emails name instead of anything
    about the child or the action's text."""
    while True:
        ref = "A-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))
        if taken is None or ref not in taken:
            return ref


def action_kind(rec: SupervisionHeld | AuditCompleted) -> str:
    return "supervision_action" if isinstance(rec, SupervisionHeld) else "audit_action"


def action_due(cal: WorkingCalendar, opened_on: date, spec: ActionSpec) -> date:
    """The action's due date; a ``due_on`` before the day it was agreed is refused."""
    if spec.due_on is not None:
        if spec.due_on < opened_on:
            raise RecordError(
                f"actions: action {spec.action_id!r} is due on {spec.due_on.isoformat()}, "
                f"before it was agreed on {opened_on.isoformat()}"
            )
        cal.add_working_days(spec.due_on, 0)  # refuses a date beyond the calendar
        return spec.due_on
    assert spec.due_in_working_days is not None  # the record model requires one of the two
    return cal.add_working_days(opened_on, spec.due_in_working_days)


def due_soon_from(cal: WorkingCalendar, opened_on: date, due_on: date, offset: int) -> date:
    soon = cal.add_working_days(cal.next_working_day_on_or_after(due_on), -offset)
    return max(opened_on, min(soon, due_on))


def plan_action_timers(
    ladder_reminders: tuple[tuple[int, int, str, str], ...],
    ladder_escalations: tuple[tuple[int, int, str, str], ...],
    kind: str,
    opened_on: date,
    due_on: date,
    cal: WorkingCalendar,
) -> list[TimerPlan]:
    """Reminders and escalations of an open action, as for a gate (``plan_timers``).

    Ladder rungs are ``(level, working days, role, template)``; reminders that would fall
    before the action was agreed are dropped.
    """
    due = cal.next_working_day_on_or_after(due_on)
    plans: list[TimerPlan] = []
    for level, before, to, template in ladder_reminders:
        on = cal.add_working_days(due, -before)
        if on < opened_on:
            continue
        plans.append(TimerPlan(kind, "reminder", level, on, to, template))
    for level, after, to, template in ladder_escalations:
        on = cal.add_working_days(due, after)
        plans.append(TimerPlan(kind, "escalation", level, on, to, template))
    return plans


def action_status(
    opened_on: date, due_on: date, soon: date, completed_on: date | None, as_of: date
) -> Status:
    """open, due_soon, overdue, met, met_late (or not_started before it was agreed)."""
    return clock_status(opened_on, due_on, soon, completed_on, None, as_of)


def management_line(staff: Mapping[str, StaffFact], staff_id: str) -> list[str]:
    """The staff member's managers, nearest first (``staff.manager``, then theirs, ...)."""
    line: list[str] = []
    seen = {staff_id}
    node = staff.get(staff_id)
    while node is not None and node.manager and node.manager not in seen:
        line.append(node.manager)
        seen.add(node.manager)
        node = staff.get(node.manager)
    return line


def may_complete(staff: Mapping[str, StaffFact], by: str, owner: str) -> bool:
    """Only the owner, or someone in the owner's line of management, completes an action."""
    return by == owner or by in management_line(staff, owner)


def check_completion(staff: Mapping[str, StaffFact], action_id: str, by: str, owner: str) -> None:
    if by not in staff:
        raise RecordError(f"by: {by!r} is not on the staff roster")
    if not may_complete(staff, by, owner):
        raise RecordError(
            f"by: {by!r} may not complete action {action_id!r}: only its owner {owner!r} or "
            "their manager (up the owner's line of management) may"
        )


def escalation_recipient(staff: Mapping[str, StaffFact], owner: str, role: str) -> str | None:
    """Who an escalation rung reaches: the first of the owner's managers, climbing from the
    owner's own manager, who holds ``role`` or a role above it. Never the owner themself (a
    team manager's overdue action goes to the service manager)."""
    if role == "allocated_worker":
        return owner if owner in staff else None
    wanted = role if role in {r.value for r in MANAGEMENT_LINE} else "team_manager"
    for manager in management_line(staff, owner):
        member = staff.get(manager)
        if member is not None and role_at_least(member.role, wanted):
            return manager
    return None


def check_practice_staff(
    rec: SupervisionHeld | AuditCompleted, staff: Mapping[str, StaffFact]
) -> None:
    """Every staff reference of a supervision or audit is on the roster."""
    refs: list[tuple[str, str]] = []
    if isinstance(rec, SupervisionHeld):
        refs += [("supervisor", rec.supervisor), ("worker", rec.worker)]
    else:
        refs.append(("auditor", rec.auditor))
    for a in rec.actions:
        assert a.owner is not None
        refs.append((f"actions: action {a.action_id!r} owner", a.owner))
    for where, staff_id in refs:
        if staff_id not in staff:
            raise RecordError(f"{where}: {staff_id!r} is not on the staff roster")
