"""Claim due timers and turn them into outbox messages, claim and message in one transaction.

The outbox row holds the rendered message, so delivery needs no re-rendering and an SMTP
outage changes nothing but the time of sending.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session, select

from config.clock import today_london
from config.settings import get_settings
from models.context import current_calendar, current_versions, database_url
from models.db import session_scope
from models.journeys import due_instant
from models.notify import (
    RepeatKey,
    Roster,
    acknowledged_rungs,
    claim_due_timers,
    idempotency_key,
    journeys_by_id,
    messages_by_clock,
    open_clocks,
    planned_repeats,
    retry_errored_timers,
    supersede,
)
from models.tables import Clock, Journey, Outbox, Timer
from notifications.render import NotificationContext, render
from tasks.messages import late_and_left, told_before
from tasks.practice import queue_action_message
from timescales.calendar import WorkingCalendar
from timescales.pathway import Pathway
from timescales.versions import PathwayVersions


@dataclass
class EnqueueReport:
    claimed: int = 0
    queued: int = 0
    superseded: int = 0
    stale: int = 0
    acknowledged: int = 0
    no_recipient: int = 0
    errors: int = 0
    retried: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    journeys: list[str] = field(default_factory=list)
    error_details: list[str] = field(default_factory=list)


class NotificationErrors(RuntimeError):
    """Some messages could not be prepared; the rest of the sweep went ahead (say which)."""


CHUNK = 500  # timers claimed and queued per transaction: the SQLite write lock is held briefly
RETRY_ERRORS_AFTER = timedelta(hours=1)
_log = logging.getLogger(__name__)


def enqueue_due(
    now: datetime, limit: int = 10_000, journey_ref: str | None = None
) -> EnqueueReport:
    """Claim every timer due by ``now`` (optionally of one journey) and queue its message.

    Works in chunks of :data:`CHUNK` timers, each claimed and queued in one transaction, so a
    large backlog never holds the database's write lock for long and a crash loses nothing: an
    uncommitted chunk's claims roll back with its outbox rows.

    A message that cannot be prepared (a template or date error: a bug, not bad data) does not
    stop the others: its timer is marked ``error``, counted in ``errors`` with a line in
    ``error_details`` (pseudonymous references only), and put back in the queue an hour later
    (:func:`models.notify.retry_errored_timers`).
    """
    report = EnqueueReport()
    kinds: Counter[str] = Counter()
    touched: set[str] = set()
    url = database_url()
    journey_id: int | None = None
    if journey_ref is not None:
        with session_scope(url) as session:
            journey_id = session.exec(select(Journey.id).where(Journey.ref == journey_ref)).first()
        if journey_id is None:
            return report
    ctx = _SweepContext.load(now)
    if journey_ref is None:
        with session_scope(url) as session:
            report.retried = retry_errored_timers(session, now - RETRY_ERRORS_AFTER)
    while report.claimed < limit:
        with session_scope(url) as session:
            batch = min(CHUNK, limit - report.claimed)
            claimed = claim_due_timers(session, now, limit=batch, journey_id=journey_id)
            report.claimed += len(claimed)
            _queue_chunk(session, claimed, ctx, report, kinds, touched)
        if len(claimed) < batch:
            break
    report.by_kind = {k: n for k, n in kinds.items() if n}
    report.journeys = sorted(touched)
    return report


@dataclass(frozen=True)
class _SweepContext:
    """What every message of one sweep shares, read once."""

    now: datetime
    today: date
    versions: PathwayVersions
    cal: WorkingCalendar
    dashboard_url: str | None

    @classmethod
    def load(cls, now: datetime) -> _SweepContext:
        return cls(
            now,
            today_london(now),
            current_versions(),
            current_calendar(),
            get_settings().dashboard_url,
        )

    def pathway_for(self, version: int) -> Pathway:
        """The rules a clock opened under (a later version may word or drop the gate)."""
        try:
            return self.versions.by_number(version).pathway
        except KeyError:
            return self.versions.in_force(self.today).pathway


def _queue_chunk(
    session: Session,
    claimed: list[Timer],
    ctx: _SweepContext,
    report: EnqueueReport,
    kinds: Counter[str],
    touched: set[str],
) -> None:
    if not claimed:
        return
    send, skip = supersede(claimed)
    for t in skip:
        t.outcome = "superseded"
        session.add(t)
    report.superseded += len(skip)
    jids = [t.journey_id for t in send if t.journey_id is not None]
    journeys = journeys_by_id(session, jids)
    clocks = open_clocks(session, jids)
    history = messages_by_clock(session, jids)
    acks = acknowledged_rungs(session, jids)
    repeats = planned_repeats(session, jids)
    roster = Roster.load(session)
    for t in send:
        try:
            status = _queue_one(
                session, t, journeys, clocks, history, acks, repeats, roster, ctx, touched
            )
        except Exception as exc:  # nothing of this timer's was written: rendering comes first
            status = "error"
            line = _error_line(t, journeys, exc)
            report.error_details.append(line)
            _log.error("message not prepared (retried in an hour): %s", line)
        t.outcome = status
        session.add(t)
        report.errors += status == "error"
        report.stale += status == "stale"
        report.superseded += status == "superseded"
        report.acknowledged += status == "acknowledged"
        report.no_recipient += status == "no_recipient"
        report.queued += status == "queued"
        kinds[t.kind] += status == "queued"


def _error_line(t: Timer, journeys: dict[int, Journey], exc: Exception) -> str:
    """What failed, by pseudonymous reference only (no names, no dates of birth)."""
    journey = journeys.get(t.journey_id) if t.journey_id is not None else None
    subject = journey.ref if journey else f"action {t.action_id}"
    return f"{subject} {t.gate} {t.kind} level {t.level}: {type(exc).__name__}: {exc}"[:300]


def _queue_one(
    session: Session,
    t: Timer,
    journeys: dict[int, Journey],
    clocks: dict[tuple[int, str], Clock],
    history: dict[tuple[int, str, date], list[Outbox]],
    acks: set[tuple[int, str, date, int]],
    repeats: set[RepeatKey],
    roster: Roster,
    ctx: _SweepContext,
    touched: set[str],
) -> str:
    """Queue ``t``'s message (or say why not); its outcome. Everything that can fail (rendering,
    dates) happens before anything is added to the session."""
    if t.action_id is not None:  # a practice action's clock (tasks/practice.py)
        return queue_action_message(session, t, roster, ctx.now)
    assert t.journey_id is not None
    journey = journeys[t.journey_id]
    clock = clocks.get((t.journey_id, t.gate))
    before = history[(t.journey_id, t.gate, t.cycle)]
    if clock is None or clock.started_on != t.cycle:
        return "stale"  # the clock stopped (or restarted) after this was planned
    if t.repeat and (t.journey_id, t.gate, t.cycle, t.level) in acks:
        return "acknowledged"
    if t.repeat and any(m.kind == "escalation" and m.level > t.level for m in before):
        return "superseded"  # the next rung has fired: this one stops repeating
    message = _message(t, journey, clock, before, roster, ctx)
    repeat = _repeat_timer(t, clock, ctx, repeats) if t.kind == "escalation" else None
    session.add(message)
    if repeat is not None:
        session.add(repeat)
        repeats.add((t.journey_id, t.gate, t.cycle, t.kind, t.level, repeat.repeat))
    before.append(message)
    touched.add(journey.ref)
    return "queued" if message.status == "pending" else "no_recipient"


def _repeat_timer(
    t: Timer, clock: Clock, ctx: _SweepContext, planned: set[RepeatKey]
) -> Timer | None:
    """The timer that sends this rung again in ``repeat_every`` working days (unless it is
    acknowledged, the next rung fires or the clock stops first: all checked when the repeat
    falls due); None when the rung does not repeat or its repeat is already planned."""
    pathway = ctx.pathway_for(clock.pathway_version)
    rung = next(
        (e for e in pathway.ladder_for(pathway.gate(t.gate)).escalations if e.level == t.level),
        None,
    )
    if rung is None or rung.repeat_every is None:
        return None
    assert t.journey_id is not None
    if (t.journey_id, t.gate, t.cycle, t.kind, t.level, t.repeat + 1) in planned:
        return None
    # from today, not from the rung's own date: after downtime a rung repeats once, not in a burst
    due_on = ctx.cal.add_working_days(max(t.due_on, ctx.today), rung.repeat_every)
    return Timer(
        journey_id=t.journey_id,
        gate=t.gate,
        cycle=t.cycle,
        kind=t.kind,
        level=t.level,
        repeat=t.repeat + 1,
        recipient_role=t.recipient_role,
        template=t.template,
        due_on=due_on,
        due_at=due_instant(due_on, pathway.notify_time),
        created_at=ctx.now,
    )


def _message(
    t: Timer,
    journey: Journey,
    clock: Clock,
    before: list[Outbox],
    roster: Roster,
    ctx: _SweepContext,
) -> Outbox:
    gate = ctx.pathway_for(clock.pathway_version).gate(t.gate)
    recipient = roster.resolve(t.recipient_role, journey.team, journey.worker)
    told = told_before(roster, before)
    today, cal = ctx.today, ctx.cal
    late, left = late_and_left(cal, clock.due_on, today)
    rendered = render(
        t.template,
        NotificationContext(
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
            dashboard_url=ctx.dashboard_url,
        ),
    )
    return Outbox(
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
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        status="pending" if recipient else "no_recipient",
        next_attempt_at=ctx.now if recipient else None,
        last_error=None if recipient else f"no staff member holds {t.recipient_role}",
        created_at=ctx.now,
    )


enqueue_due_task = task(
    name="enqueue-due-notifications", cache_policy=NO_CACHE, persist_result=False
)(enqueue_due)
