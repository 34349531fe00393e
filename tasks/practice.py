"""Turn a claimed timer of a practice action into an outbox message (the sweep's one outbox).

Called by :func:`tasks.notify.enqueue_due` inside its transaction, for timers whose
``action_id`` is set. The message names the action by its pseudonymous reference (A-XXXXXX) and
its kind only: never the action's text, which may speak of the child.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from config.clock import today_london
from config.settings import get_settings
from models.context import current_calendar
from models.notify import Roster, idempotency_key
from models.practice import PracticeAction
from models.tables import Outbox, Timer
from notifications.render import NotificationContext, render
from tasks.messages import late_and_left, told_before
from timescales.guards import StaffFact
from timescales.practice_rules import ACTION_BASIS, ACTION_TITLES, escalation_recipient


def queue_action_message(session: Session, t: Timer, roster: Roster, now: datetime) -> str:
    """``queued``, ``no_recipient`` (recorded, not sent) or ``stale`` (the action is done)."""
    action = session.get(PracticeAction, t.action_id)
    if action is None or action.completed_on is not None:
        return "stale"
    staff = {
        s.staff_id: StaffFact(s.staff_id, s.role, s.team, s.manager) for s in roster.by_id.values()
    }
    who = escalation_recipient(staff, action.owner, t.recipient_role)
    member = roster.by_id.get(who) if who else None
    cal = current_calendar()
    today = today_london(now)
    before = session.exec(
        select(Outbox)
        .where(Outbox.action_id == action.id, Outbox.cycle == t.cycle)
        .order_by(col(Outbox.created_at), col(Outbox.id))
    ).all()
    told = told_before(roster, before)
    late, left = late_and_left(cal, action.due_on, today)
    ctx = NotificationContext(
        journey_ref=action.ref,  # the subject's pseudonymous reference: here, the action's
        gate_id=action.kind,
        gate_title=ACTION_TITLES.get(action.kind, action.kind),
        gate_basis=ACTION_BASIS.get(action.kind, ""),
        gate_kind="local",
        kind=t.kind,
        level=t.level,
        started_on=action.opened_on,
        due_on=action.due_on,
        working_days_late=late,
        working_days_left=left,
        team=action.team,
        recipient_name=member.name if member else "(nobody holds this role)",
        recipient_role=(
            "action_owner"
            if member and t.kind == "reminder"
            else member.role
            if member
            else t.recipient_role
        ),
        told_before=told,
        dashboard_url=get_settings().dashboard_url,
    )
    message = render(t.template, ctx)
    session.add(
        Outbox(
            idempotency_key=idempotency_key(action.ref, t),
            timer_id=t.id,
            journey_id=None,
            action_id=action.id,
            gate=t.gate,
            cycle=t.cycle,
            kind=t.kind,
            level=t.level,
            recipient_role=t.recipient_role,
            recipient_staff_id=member.staff_id if member else None,
            recipient_email=member.email if member else None,
            subject=message.subject,
            body_text=message.text,
            body_html=message.html,
            status="pending" if member else "no_recipient",
            next_attempt_at=now if member else None,
            last_error=None if member else f"nobody in the owner's line holds {t.recipient_role}",
            created_at=now,
        )
    )
    session.flush()
    return "queued" if member else "no_recipient"
