"""Read the journeys, children and staff that the statutory returns and the scorecard need.

Query functions: they take a Session and never commit. They return the pure inputs of
:mod:`timescales.returns` (no ORM rows), in one pass over the event log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from models.tables import AccessLog, Child, Event, Journey, Staff
from timescales.returns import ChildInfo, JourneyInput, ReturnEvent


@dataclass(frozen=True)
class ReturnInputs:
    journeys: tuple[JourneyInput, ...]
    children: dict[str, ChildInfo]
    staff_names: dict[str, str]
    staff_roles: dict[str, str]


def load_inputs(
    session: Session, *, up_to: date | None = None, team: str | None = None
) -> ReturnInputs:
    """Every journey (not folded into another) with its events dated on or before ``up_to``."""
    jq = sa.select(
        col(Journey.id), col(Journey.ref), col(Journey.child_id), col(Journey.team),
        col(Journey.worker),
    ).where(col(Journey.merged_into).is_(None))  # fmt: skip
    if team is not None:
        jq = jq.where(col(Journey.team) == team)
    if up_to is not None:
        jq = jq.where(col(Journey.opened_on) <= up_to)
    heads = {jid: (ref, child, tm, worker) for jid, ref, child, tm, worker in session.execute(jq)}
    eq = sa.select(
        col(Event.journey_id), col(Event.type), col(Event.on_date), col(Event.outcome),
        col(Event.payload), col(Event.seq),
    ).where(col(Event.journey_id).is_not(None))  # fmt: skip
    if up_to is not None:
        eq = eq.where(col(Event.on_date) <= up_to)
    events: dict[int, list[ReturnEvent]] = defaultdict(list)
    for jid, typ, on, outcome, payload, seq in session.execute(eq):
        if jid in heads and on is not None:
            events[jid].append(ReturnEvent.from_payload(typ, on, outcome, payload, seq or 0))
    journeys = tuple(
        JourneyInput(ref, child, tm, worker, tuple(events.get(jid, ())))
        for jid, (ref, child, tm, worker) in sorted(heads.items())
    )
    children = {
        c.child_id: ChildInfo(
            child_id=c.child_id,
            sex=c.sex or None,
            ethnicity=c.ethnicity or None,
            birth_date=c.birth_date,
            expected_birth_date=c.expected_birth_date,
            upn=c.upn,
            upn_unknown=c.upn_unknown,
            disabilities=tuple(c.disabilities.split()),
        )
        for c in session.execute(sa.select(Child)).scalars()
    }
    names: dict[str, str] = {}
    roles: dict[str, str] = {}
    for sid, name, role in session.execute(
        sa.select(col(Staff.staff_id), col(Staff.name), col(Staff.role))
    ):
        names[sid], roles[sid] = name, role
    return ReturnInputs(journeys, children, names, roles)


def log_access(session: Session, *, at: datetime, actor: str, action: str, detail: str) -> None:
    """Record that a return was produced: it reads every case it covers."""
    session.add(AccessLog(at=at, actor=actor, action=action, detail=detail[:500]))
