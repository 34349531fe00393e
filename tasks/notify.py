"""Claim due timers and turn them into outbox messages, in one transaction.

The outbox row holds the rendered message, so delivery needs no re-rendering and an SMTP
outage changes nothing but the time of sending.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session, select

from config.clock import LONDON, today_london
from config.settings import get_settings
from models.context import current_calendar, database_url, pathway_for_version
from models.db import session_scope
from models.notify import (
    Roster,
    claim_due_timers,
    idempotency_key,
    journeys_by_id,
    open_clock,
    previous_messages,
    supersede,
)
from models.pathways import clock_version
from models.tables import Journey, Outbox, Timer
from notifications.render import NotificationContext, ToldBefore, render
from timescales.evaluate import working_days_late


@dataclass
class EnqueueReport:
    claimed: int = 0
    queued: int = 0
    superseded: int = 0
    stale: int = 0
    no_recipient: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    journeys: list[str] = field(default_factory=list)


def enqueue_due(
    now: datetime, limit: int = 10_000, journey_ref: str | None = None
) -> EnqueueReport:
    """Claim every timer due by ``now`` (optionally of one journey) and queue its message."""
    report = EnqueueReport()
    with session_scope(database_url()) as session:
        journey_id = None
        if journey_ref is not None:
            journey_id = session.exec(select(Journey.id).where(Journey.ref == journey_ref)).first()
            if journey_id is None:
                return report
        claimed = claim_due_timers(session, now, limit=limit, journey_id=journey_id)
        report.claimed = len(claimed)
        if not claimed:
            return report
        send, skip = supersede(claimed)
        for t in skip:
            t.outcome = "superseded"
            session.add(t)
        report.superseded = len(skip)
        journeys = journeys_by_id(session, [t.journey_id for t in send])
        roster = Roster.load(session)
        kinds: Counter[str] = Counter()
        touched: set[str] = set()
        for t in send:
            journey = journeys[t.journey_id]
            if open_clock(session, t.journey_id, t.gate) is None:
                # the clock stopped after the timer was planned: nothing to chase
                t.outcome = "stale"
                session.add(t)
                report.stale += 1
                continue
            status = _queue(session, t, journey, roster, now)
            t.outcome = status
            session.add(t)
            if status == "no_recipient":
                report.no_recipient += 1
            else:
                report.queued += 1
                kinds[t.kind] += 1
            touched.add(journey.ref)
        report.by_kind = dict(kinds)
        report.journeys = sorted(touched)
    return report


def _queue(session: Session, t: Timer, journey: Journey, roster: Roster, now: datetime) -> str:
    pathway = pathway_for_version(clock_version(session, t.journey_id, t.gate))
    cal = current_calendar()
    settings = get_settings()
    gate = pathway.gate(t.gate)
    clock = open_clock(session, t.journey_id, t.gate)
    assert clock is not None
    today = today_london(now)
    recipient = roster.resolve(t.recipient_role, journey.team, journey.worker)
    before = previous_messages(session, t.journey_id, t.gate, t.cycle)
    told = tuple(
        ToldBefore(
            recipient_name=_name(roster, m.recipient_staff_id),
            recipient_role=m.recipient_role,
            kind=m.kind,
            level=m.level,
            sent_on=(m.sent_at or m.created_at).astimezone(LONDON).date(),
        )
        for m in before
        if m.recipient_staff_id is not None
    )
    late = working_days_late(cal, clock.due_on, today)
    left = max(0, cal.working_days_between(today, clock.due_on)) if today <= clock.due_on else 0
    ctx = NotificationContext(
        journey_ref=journey.ref,
        gate_id=gate.id,
        gate_title=gate.title,
        gate_basis=gate.basis,
        gate_kind=gate.kind,
        kind=t.kind,
        level=t.level,
        started_on=clock.started_on,
        due_on=clock.due_on,
        working_days_late=late,
        working_days_left=left,
        team=journey.team,
        recipient_name=recipient.name if recipient else "(nobody holds this role)",
        recipient_role=recipient.role if recipient else t.recipient_role,
        told_before=told,
        dashboard_url=settings.dashboard_url,
    )
    message = render(t.template, ctx)
    status = "pending" if recipient is not None else "no_recipient"
    session.add(
        Outbox(
            idempotency_key=idempotency_key(journey.ref, t),
            timer_id=t.id,
            journey_id=t.journey_id,
            gate=t.gate,
            cycle=t.cycle,
            kind=t.kind,
            level=t.level,
            recipient_role=t.recipient_role,
            recipient_staff_id=recipient.staff_id if recipient else None,
            recipient_email=recipient.email if recipient else None,
            subject=message.subject,
            body_text=message.text,
            body_html=message.html,
            status=status,
            next_attempt_at=now if recipient else None,
            last_error=None if recipient else f"no staff member holds {t.recipient_role}",
            created_at=now,
        )
    )
    session.flush()
    return "queued" if recipient else "no_recipient"


def _name(roster: Roster, staff_id: str | None) -> str:
    member = roster.by_id.get(staff_id) if staff_id else None
    return member.name if member else "unknown"


enqueue_due_task = task(
    name="enqueue-due-notifications", cache_policy=NO_CACHE, persist_result=False
)(enqueue_due)
