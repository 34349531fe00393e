"""What every chasing message says about its history and timing, for journey gates and
practice actions alike (tasks/notify.py, tasks/practice.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from config.clock import LONDON
from models.notify import Roster
from models.tables import Outbox
from notifications.render import ToldBefore
from timescales.calendar import WorkingCalendar
from timescales.evaluate import working_days_late


def told_before(roster: Roster, messages: Iterable[Outbox]) -> tuple[ToldBefore, ...]:
    """Who was told before about this clock, oldest first (messages with nobody to send to are
    left out: nobody was told)."""
    out = []
    for m in messages:
        if m.recipient_staff_id is None:
            continue
        member = roster.by_id.get(m.recipient_staff_id)
        out.append(
            ToldBefore(
                recipient_name=member.name if member else "unknown",
                recipient_role=m.recipient_role,
                kind=m.kind,
                level=m.level,
                sent_on=(m.sent_at or m.created_at).astimezone(LONDON).date(),
            )
        )
    return tuple(out)


def late_and_left(cal: WorkingCalendar, due_on: date, today: date) -> tuple[int, int]:
    """(working days late, working days left): both 0 on the due day."""
    left = max(0, cal.working_days_between(today, due_on)) if today <= due_on else 0
    return working_days_late(cal, due_on, today), left
