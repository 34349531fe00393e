"""Read models: clocks with their status as of a date, for the CLI, the flows and the dashboard.

Query functions: they take a Session and never commit. Status comes from
:func:`timescales.evaluate.clock_status`, the same rule the sweep uses, so a screen and an email
can never disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.tables import Clock, Journey, Outbox
from timescales.evaluate import Status, clock_status
from timescales.pathway import Pathway


@dataclass(frozen=True)
class GateRow:
    journey: str
    child: str
    team: str
    gate: str
    kind: str
    reporting_only: bool
    started_on: date
    due_on: date
    stopped_on: date | None
    cancelled_on: date | None
    status: Status

    def as_json(self) -> dict[str, object]:
        return {
            "journey": self.journey,
            "child": self.child,
            "team": self.team,
            "gate": self.gate,
            "kind": self.kind,
            "reporting_only": self.reporting_only,
            "started_on": self.started_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "stopped_on": self.stopped_on.isoformat() if self.stopped_on else None,
            "cancelled_on": self.cancelled_on.isoformat() if self.cancelled_on else None,
            "status": self.status,
        }


def iter_gate_rows(
    session: Session, as_of: date, *, team: str | None = None, journey_id: int | None = None
) -> Iterator[GateRow]:
    """One row per started gate of every journey, with its status as of ``as_of``.

    Facts dated after ``as_of`` are treated as not yet happened; gates that start after it are
    left out.
    """
    q = (
        sa.select(
            col(Journey.ref),
            col(Journey.child_id),
            col(Journey.team),
            col(Clock.gate),
            col(Clock.kind),
            col(Clock.reporting_only),
            col(Clock.started_on),
            col(Clock.due_on),
            col(Clock.due_soon_from),
            col(Clock.stopped_on),
            col(Clock.cancelled_on),
        )
        .join(Journey, col(Journey.id) == col(Clock.journey_id))
        .where(col(Clock.started_on) <= as_of)
        .order_by(col(Journey.ref), col(Clock.id))
    )
    if team is not None:
        q = q.where(col(Journey.team) == team)
    if journey_id is not None:
        q = q.where(col(Clock.journey_id) == journey_id)
    for ref, child, tm, gate, kind, rep, start, due, soon, stop, cancel in session.execute(q):
        stopped = stop if stop is not None and stop <= as_of else None
        cancelled = cancel if cancel is not None and cancel <= as_of else None
        yield GateRow(
            ref,
            child,
            tm,
            gate,
            kind,
            rep,
            start,
            due,
            stopped,
            cancelled,
            clock_status(start, due, soon, stop, cancel, as_of),
        )


def state_name_for(pathway: Pathway, stage: str, rows: list[GateRow]) -> str:
    if any(r.status == "overdue" and not r.reporting_only for r in rows):
        return "Overdue"
    return pathway.state_name(stage)


def focus_gate(rows: list[GateRow]) -> str | None:
    """The gate a manager should look at first: the most overdue chasing gate, else the open
    one due soonest."""
    live = [r for r in rows if r.status in ("overdue", "due_soon", "open") and not r.reporting_only]
    if not live:
        return None
    return min(live, key=lambda r: r.due_on).gate


@dataclass(frozen=True)
class Summary:
    journeys_by_stage: dict[str, int]
    open_journeys: int
    clocks_by_status: dict[str, int]
    clocks_by_gate_status: dict[tuple[str, str], int]
    messages_by_kind_status: dict[tuple[str, str], int]


def summary(session: Session, as_of: date) -> Summary:
    stages = Counter(
        {
            stage: n
            for stage, n in session.exec(
                select(Journey.stage, sa.func.count()).group_by(col(Journey.stage))
            ).all()
        }
    )
    open_n = session.exec(
        select(sa.func.count()).select_from(Journey).where(col(Journey.ended_on).is_(None))
    ).one()
    by_status: Counter[str] = Counter()
    by_gate: Counter[tuple[str, str]] = Counter()
    for row in iter_gate_rows(session, as_of):
        by_status[row.status] += 1
        by_gate[(row.gate, row.status)] += 1
    messages = Counter(
        {
            (kind, status): n
            for kind, status, n in session.exec(
                select(Outbox.kind, Outbox.status, sa.func.count()).group_by(
                    col(Outbox.kind), col(Outbox.status)
                )
            ).all()
        }
    )
    return Summary(dict(stages), int(open_n), dict(by_status), dict(by_gate), dict(messages))
