"""Timers in, outbox rows out: claiming due timers and choosing who to tell.

Query functions: they take a Session and never commit. The claim and the outbox rows it leads
to are written in the caller's one transaction, and every outbox row carries a unique
idempotency key (journey, gate, cycle, kind, level): two sweeps can never send the same thing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.tables import Clock, Journey, Outbox, Staff, Timer

# Who stands above whom when we climb the ladder from the allocated worker.
LADDER_ROLES = ("social_worker", "team_manager", "service_manager", "head_of_service")


def claim_due_timers(
    session: Session, now: datetime, *, limit: int = 10_000, journey_id: int | None = None
) -> list[Timer]:
    """Atomically mark due, unclaimed, uncancelled timers as claimed and return them.

    ``UPDATE ... WHERE claimed_at IS NULL ... RETURNING``: a concurrent sweep either waits for
    this transaction (SQLite) or skips the locked rows (PostgreSQL ``SKIP LOCKED``), and finds
    them claimed.
    """
    pick = (
        select(Timer.id)
        .where(
            col(Timer.claimed_at).is_(None),
            col(Timer.cancelled_at).is_(None),
            col(Timer.due_at) <= now,
        )
        .order_by(col(Timer.due_at), col(Timer.id))
        .limit(limit)
    )
    if journey_id is not None:
        pick = pick.where(Timer.journey_id == journey_id)
    if session.get_bind().dialect.name == "postgresql":
        # MATERIALIZED: evaluated once. Inlined into `id IN (...)`, PostgreSQL re-runs the
        # LIMIT ... SKIP LOCKED subquery per row and claims past the limit (measured).
        picked = (
            pick.with_for_update(skip_locked=True)
            .cte("picked")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        stmt = (
            sa.update(Timer)
            .where(col(Timer.id) == picked.c.id, col(Timer.claimed_at).is_(None))
            .values(claimed_at=now)
            .returning(col(Timer.id))
        )
    else:
        stmt = (
            sa.update(Timer)
            .where(col(Timer.id).in_(pick.scalar_subquery()), col(Timer.claimed_at).is_(None))
            .values(claimed_at=now)
            .returning(col(Timer.id))
        )
    ids = [row[0] for row in session.execute(stmt).all()]
    if not ids:
        return []
    claimed: list[Timer] = []
    for i in range(0, len(ids), 500):
        claimed += session.exec(
            select(Timer)
            .where(col(Timer.id).in_(ids[i : i + 500]))
            .execution_options(populate_existing=True)
        ).all()
    return sorted(
        claimed, key=lambda t: (t.journey_id or 0, t.action_id or 0, t.gate, t.kind, t.level)
    )


def supersede(timers: Sequence[Timer]) -> tuple[list[Timer], list[Timer]]:
    """Split claimed timers into (to send, superseded).

    After downtime or a late import several rungs of one clock can fall due together. Every
    escalation is sent (each goes to a different rung of management), but a reminder is
    superseded by a later reminder or any escalation of the same clock: nobody needs "due in 2
    days" for something already overdue.
    """
    groups: dict[tuple[int | None, int | None, str, object], list[Timer]] = defaultdict(list)
    for t in timers:
        groups[(t.journey_id, t.action_id, t.gate, t.cycle)].append(t)
    send: list[Timer] = []
    skip: list[Timer] = []
    for items in groups.values():
        escalations = [t for t in items if t.kind == "escalation"]
        reminders = sorted((t for t in items if t.kind == "reminder"), key=lambda t: t.level)
        send.extend(sorted(escalations, key=lambda t: t.level))
        if escalations:
            skip.extend(reminders)
        elif reminders:
            send.append(reminders[-1])
            skip.extend(reminders[:-1])
    return send, skip


@dataclass(frozen=True)
class Recipient:
    staff_id: str
    name: str
    email: str
    role: str


class Roster:
    """The staff roster, loaded once per sweep, to find who holds a rung for a journey."""

    def __init__(self, staff: Sequence[Staff]) -> None:
        self.by_id = {s.staff_id: s for s in staff}

    @classmethod
    def load(cls, session: Session) -> Roster:
        return cls(session.exec(select(Staff)).all())

    def _with_role(self, role: str, team: str | None) -> Staff | None:
        pool = sorted((s for s in self.by_id.values() if s.role == role), key=lambda s: s.staff_id)
        same_team = [s for s in pool if s.team == team]
        chosen = same_team or pool
        return chosen[0] if chosen else None

    def resolve(self, role: str, team: str, worker: str | None) -> Recipient | None:
        """``allocated_worker``, or the first holder of ``role`` up the worker's management
        line; failing that, the holder of that role in the journey's team, then anywhere."""
        start = self.by_id.get(worker) if worker else None
        if role == "allocated_worker":
            found = start if start is not None else self._with_role("team_manager", team)
        else:
            found = None
            seen: set[str] = set()
            node = start if start is not None else self._with_role("team_manager", team)
            while node is not None and node.staff_id not in seen:
                if node.role == role:
                    found = node
                    break
                seen.add(node.staff_id)
                node = self.by_id.get(node.manager) if node.manager else None
            if found is None:
                found = self._with_role(role, team)
        if found is None:
            return None
        return Recipient(found.staff_id, found.name, found.email, found.role)


def idempotency_key(journey_ref: str, t: Timer) -> str:
    key = f"{journey_ref}:{t.gate}:{t.cycle.isoformat()}:{t.kind}:{t.level}"
    return f"{key}:r{t.repeat}" if t.repeat else key


def messages_by_clock(
    session: Session, journey_ids: Sequence[int]
) -> dict[tuple[int, str, date], list[Outbox]]:
    """Every message already queued for these journeys, by (journey, gate, cycle), oldest first."""
    out: dict[tuple[int, str, date], list[Outbox]] = defaultdict(list)
    ids = sorted(set(journey_ids))
    for i in range(0, len(ids), 500):
        for m in session.exec(
            select(Outbox)
            .where(col(Outbox.journey_id).in_(ids[i : i + 500]))
            .order_by(col(Outbox.created_at), col(Outbox.id))
        ):
            assert m.journey_id is not None
            out[(m.journey_id, m.gate, m.cycle)].append(m)
    return out


def open_clocks(session: Session, journey_ids: Sequence[int]) -> dict[tuple[int, str], Clock]:
    out: dict[tuple[int, str], Clock] = {}
    ids = sorted(set(journey_ids))
    for i in range(0, len(ids), 500):
        for c in session.exec(
            select(Clock).where(
                col(Clock.journey_id).in_(ids[i : i + 500]),
                col(Clock.stopped_on).is_(None),
                col(Clock.cancelled_on).is_(None),
            )
        ):
            out[(c.journey_id, c.gate)] = c
    return out


def acknowledged_rungs(
    session: Session, journey_ids: Sequence[int]
) -> set[tuple[int, str, date, int]]:
    """(journey, gate, cycle, level) of every escalation a manager has acknowledged."""
    from models.dashboard import EscalationAck

    ids = sorted(set(journey_ids))
    out: set[tuple[int, str, date, int]] = set()
    for i in range(0, len(ids), 500):
        for a in session.exec(
            select(EscalationAck).where(col(EscalationAck.journey_id).in_(ids[i : i + 500]))
        ):
            out.add((a.journey_id, a.gate, a.cycle, a.level))
    return out


RepeatKey = tuple[int, str, date, str, int, int]  # journey, gate, cycle, kind, level, repeat


def planned_repeats(session: Session, journey_ids: Sequence[int]) -> set[RepeatKey]:
    """(journey, gate, cycle, kind, level, repeat) of every repeat timer (``repeat > 0``) of
    these journeys, read once per sweep chunk so that scheduling the next repeat of an
    escalation needs no query of its own."""
    ids = sorted(set(journey_ids))
    out: set[RepeatKey] = set()
    for i in range(0, len(ids), 500):
        rows = session.execute(
            sa.select(
                col(Timer.journey_id),
                col(Timer.gate),
                col(Timer.cycle),
                col(Timer.kind),
                col(Timer.level),
                col(Timer.repeat),
            ).where(col(Timer.journey_id).in_(ids[i : i + 500]), col(Timer.repeat) > 0)
        )
        out.update((j, g, c, k, lv, r) for j, g, c, k, lv, r in rows)
    return out


def journeys_by_id(session: Session, ids: Sequence[int]) -> dict[int, Journey]:
    out: dict[int, Journey] = {}
    ids = sorted(set(ids))
    for i in range(0, len(ids), 500):
        for j in session.exec(select(Journey).where(col(Journey.id).in_(ids[i : i + 500]))):
            assert j.id is not None
            out[j.id] = j
    return out


def remove_old_bodies(session: Session, cutoff: datetime, now: datetime, limit: int) -> int:
    """Blank the bodies of at most ``limit`` messages queued before ``cutoff`` and no longer
    pending (sent, failed, or with nobody to send to), oldest first, marking them
    ``body_removed_at=now``; how many. Found through the partial index ``ix_outbox_body_held``,
    so a sweep with nothing to remove reads nothing."""
    picked = (
        sa.select(col(Outbox.id))
        .where(
            col(Outbox.body_removed_at).is_(None),
            col(Outbox.status) != "pending",
            col(Outbox.created_at) < cutoff,
        )
        .order_by(col(Outbox.created_at))
        .limit(limit)
    )
    ids = list(session.execute(picked).scalars())
    if ids:
        session.execute(
            sa.update(Outbox)
            .where(col(Outbox.id).in_(ids))
            .values(body_text="", body_html="", body_removed_at=now)
        )
    return len(ids)


def retry_errored_timers(session: Session, claimed_before: datetime) -> int:
    """Put timers whose message could not be prepared (``outcome='error'``) and that were
    claimed before ``claimed_before`` back in the queue; how many. The sweep calls this with
    an hour ago, so a message that keeps failing is tried once an hour and reported each time,
    and never holds up the others."""
    # found through the partial index ix_timer_errored (a read: no write lock when none are)
    ids = list(
        session.execute(
            sa.select(col(Timer.id)).where(
                col(Timer.outcome) == "error",
                col(Timer.claimed_at) < claimed_before,
                col(Timer.cancelled_at).is_(None),
            )
        ).scalars()
    )
    if ids:
        session.execute(
            sa.update(Timer).where(col(Timer.id).in_(ids)).values(claimed_at=None, outcome=None)
        )
    return len(ids)
