"""Bring journeys' clocks and timers up to date from their event log.

Query functions: they take a Session and never commit. Gate logic is not here: it is
:func:`timescales.evaluate.evaluate`, called on the journey's events; this module only stores the
result (clock rows) and opens/moves/cancels the timer rows that follow from it, in the caller's
transaction, so a stop event and the cancellation of its reminders land together.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.tables import Clock, Event, Journey, Timer
from timescales.calendar import WorkingCalendar
from timescales.evaluate import EventFact, JourneyEvaluation
from timescales.pathway import Pathway
from timescales.versions import evaluate_versioned

LONDON = ZoneInfo("Europe/London")
_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_CHUNK = 500


def new_journey_ref(taken: set[str] | None = None) -> str:
    """A random pseudonymous reference, e.g. J-7F3K2Q (32^6 ~ 10^9 values)."""
    while True:
        ref = "J-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))
        if taken is None or ref not in taken:
            return ref


def due_instant(on: date, notify_time: str) -> datetime:
    """The UTC instant at which something due on a London date should be sent."""
    hh, mm = (int(x) for x in notify_time.split(":"))
    return datetime.combine(on, time(hh, mm), tzinfo=LONDON).astimezone(UTC)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def load_facts(session: Session, journey_ids: Sequence[int]) -> dict[int, list[EventFact]]:
    facts: dict[int, list[EventFact]] = defaultdict(list)
    for chunk in _chunks(journey_ids):
        rows = session.execute(
            sa.select(
                col(Event.journey_id),
                col(Event.record_id),
                col(Event.type),
                col(Event.on_date),
                col(Event.at_utc),
                col(Event.outcome),
                col(Event.seq),
            ).where(col(Event.journey_id).in_(chunk))
        ).all()
        for jid, rid, typ, on, at, outcome, seq in rows:
            assert jid is not None and on is not None and at is not None and seq is not None
            facts[jid].append(EventFact(rid, typ, on, at, outcome, seq))
    return facts


def refresh_journeys(
    session: Session,
    journey_ids: Sequence[int],
    pathway: Pathway,
    cal: WorkingCalendar,
    now: datetime,
) -> dict[int, JourneyEvaluation]:
    """Re-evaluate the given journeys and store their clocks and timers. Idempotent.

    Each clock runs under the pathway version in force on its start date: the published versions
    (``models.pathways``) when there are any, else ``pathway`` alone (the bootstrap file).
    """
    ids = sorted(set(journey_ids))
    if not ids:
        return {}
    from models.pathways import load_versions  # here: models.pathways imports this module

    versions = load_versions(session, pathway)
    facts = load_facts(session, ids)
    journeys = {
        j.id: j
        for chunk in _chunks(ids)
        for j in session.exec(select(Journey).where(col(Journey.id).in_(chunk))).all()
    }
    clocks: dict[int, dict[str, Clock]] = defaultdict(dict)
    timers: dict[int, dict[tuple[str, date, str, int, int], Timer]] = defaultdict(dict)
    for chunk in _chunks(ids):
        for c in session.exec(select(Clock).where(col(Clock.journey_id).in_(chunk))).all():
            clocks[c.journey_id][c.gate] = c
        for t in session.exec(select(Timer).where(col(Timer.journey_id).in_(chunk))).all():
            assert t.journey_id is not None  # selected by journey
            timers[t.journey_id][(t.gate, t.cycle, t.kind, t.level, t.repeat)] = t
    workers = _workers(session, ids)

    results: dict[int, JourneyEvaluation] = {}
    for jid in ids:
        journey = journeys[jid]
        ev = evaluate_versioned(versions, cal, facts.get(jid, []))
        results[jid] = ev
        journey.stage = ev.stage
        journey.ended_on = ev.ended_on
        if journey.merged_into is not None:
            # late entry folded this journey into another: no events, no clocks, no timers
            journey.stage, journey.ended_on = "closed", journey.opened_on
        journey.flags = " ".join(ev.flags)
        journey.pathway_version = ev.pathway_version
        journey.worker = workers.get(jid, journey.worker)
        journey.evaluated_at = now
        session.add(journey)
        _sync_clocks(session, jid, ev, clocks[jid], now)
        _sync_timers(session, jid, ev, timers[jid], versions.latest.pathway, now)
    return results


def _workers(session: Session, ids: Sequence[int]) -> dict[int, str]:
    rows: dict[int, list[tuple[date, datetime, int, str]]] = defaultdict(list)
    for chunk in _chunks(ids):
        q = sa.select(
            col(Event.journey_id),
            col(Event.on_date),
            col(Event.at_utc),
            col(Event.seq),
            col(Event.payload),
        ).where(
            col(Event.journey_id).in_(chunk),
            col(Event.type).in_(["contact_received", "referral_decision", "assessment_started"]),
        )
        for jid, on, at, seq, payload in session.execute(q).all():
            worker = json.loads(payload).get("worker")
            if worker and jid is not None and on and at and seq is not None:
                rows[jid].append((on, at, seq, worker))
    return {jid: sorted(items)[-1][3] for jid, items in rows.items()}


def _sync_clocks(
    session: Session,
    jid: int,
    ev: JourneyEvaluation,
    existing: dict[str, Clock],
    now: datetime,
) -> None:
    wanted = {c.gate for c in ev.clocks}
    for gate, stale in existing.items():
        if gate not in wanted:
            session.delete(stale)
    for c in ev.clocks:
        row = existing.get(c.gate)
        values: dict[str, Any] = {
            "kind": c.kind,
            "reporting_only": c.reporting_only,
            "limit_working_days": c.limit_working_days,
            "pathway_version": c.pathway_version or ev.pathway_version,
            "started_on": c.started_on,
            "due_on": c.due_on,
            "due_soon_from": c.due_soon_from,
            "stopped_on": c.stopped_on,
            "cancelled_on": c.cancelled_on,
            "start_event": c.start_event,
            "stop_event": c.stop_event,
        }
        if row is None:
            session.add(Clock(journey_id=jid, gate=c.gate, updated_at=now, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
            session.add(row)


def _sync_timers(
    session: Session,
    jid: int,
    ev: JourneyEvaluation,
    existing: dict[tuple[str, date, str, int, int], Timer],
    pathway: Pathway,
    now: datetime,
) -> None:
    cycles = {c.gate: c.started_on for c in ev.clocks}
    open_cycles = {(c.gate, c.started_on) for c in ev.clocks if c.is_open}
    wanted: dict[tuple[str, date, str, int, int], tuple[date, str, str]] = {}
    for t in ev.timers:
        wanted[(t.gate, cycles[t.gate], t.kind, t.level, 0)] = (t.due_on, t.to, t.template)
    for key, old in existing.items():
        if old.repeat > 0 and (old.gate, old.cycle) in open_cycles:
            continue  # repeats are scheduled by the sweep, not planned: they end with the clock
        if key not in wanted and old.claimed_at is None and old.cancelled_at is None:
            old.cancelled_at = now
            old.outcome = "cancelled"
            session.add(old)
    for key, (due_on, to, template) in wanted.items():
        due_at = due_instant(due_on, pathway.notify_time)
        row = existing.get(key)
        if row is None:
            gate, cycle, kind, level, _repeat = key
            session.add(
                Timer(
                    journey_id=jid,
                    gate=gate,
                    cycle=cycle,
                    kind=kind,
                    level=level,
                    recipient_role=to,
                    template=template,
                    due_on=due_on,
                    due_at=due_at,
                    created_at=now,
                )
            )
        elif row.claimed_at is None and (
            row.cancelled_at is not None or row.due_at != due_at or row.recipient_role != to
        ):
            row.cancelled_at = None
            row.outcome = None
            row.due_on, row.due_at = due_on, due_at
            row.recipient_role, row.template = to, template
            session.add(row)


def all_journey_ids(session: Session) -> list[int]:
    return [i for i in session.exec(select(Journey.id)).all() if i is not None]
