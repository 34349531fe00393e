"""The manager's dashboard: sign-in credentials, escalation acknowledgements and the read models
behind the team, journey, forecast and service views.

Query functions: they take a Session and never commit. Clock status always comes from
:func:`timescales.evaluate.clock_status`, the rule the sweep uses, so a screen and an email never
disagree. Access scope is applied in SQL here (a journey outside the scope is simply not found),
so that no view can forget it.
Imports: sqlmodel/sqlalchemy, models.tables and timescales only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlmodel import Field, Session, SQLModel, col, select

from models.tables import AccessLog, Clock, Event, Journey, Outbox, Staff, Timer, _ts
from timescales.calendar import WorkingCalendar
from timescales.evaluate import Status, clock_status

LIVE: tuple[Status, ...] = ("open", "due_soon", "overdue")
SEE_ALL_ROLES = ("service_manager", "head_of_service")


class UserCredential(SQLModel, table=True):
    """A built-in sign-in for a member of the staff roster (argon2 hash, never the password)."""

    staff_id: str = Field(primary_key=True, max_length=100)
    password_hash: str = Field(max_length=300)
    updated_at: datetime = Field(sa_column=_ts())


class EscalationAck(SQLModel, table=True):
    """A manager has seen an escalation (one rung of one clock's cycle) and says what happens.

    Keyed like the outbox idempotency key, so it covers every message of that rung, repeats
    included; the next rung is another key and still fires if the clock stays overdue.
    """

    __table_args__ = (sa.UniqueConstraint("journey_id", "gate", "cycle", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    journey_id: int = Field(foreign_key="journey.id", index=True)
    gate: str = Field(max_length=40)
    cycle: date
    level: int
    acknowledged_by: str = Field(max_length=100)
    acknowledged_at: datetime = Field(sa_column=_ts())
    note: str = Field(max_length=2000)


# ---------------------------------------------------------------------------------------------
# Indexes the dashboard's queries need (on the engine's tables, defined here to keep the views'
# needs together). ``create_all`` makes them with a new table; :func:`_create_dashboard_indexes`
# adds them to an existing database (``init_db`` runs ``create_all`` at every start).

# Escalations awaiting acknowledgement: rungs found from the index alone (the outbox rows hold
# whole email bodies, so a table scan reads megabytes).
OUTBOX_RUNG_INDEX = sa.Index(
    "ix_outbox_escalation_rung",
    Outbox.__table__.c.kind,  # type: ignore[attr-defined]
    Outbox.__table__.c.journey_id,  # type: ignore[attr-defined]
    Outbox.__table__.c.gate,  # type: ignore[attr-defined]
    Outbox.__table__.c.cycle,  # type: ignore[attr-defined]
    Outbox.__table__.c.level,  # type: ignore[attr-defined]
    Outbox.__table__.c.created_at,  # type: ignore[attr-defined]
)
# (An index on clock.due_on was measured for the team view's pages and did not help: the pages
# order by due date, journey and gate, so SQLite sorts the live clocks either way.)
DASHBOARD_INDEXES = (OUTBOX_RUNG_INDEX,)


@sa.event.listens_for(SQLModel.metadata, "after_create")
def _create_dashboard_indexes(_metadata: Any, connection: Any, **_kw: Any) -> None:
    for index in DASHBOARD_INDEXES:
        index.create(connection, checkfirst=True)


# ---------------------------------------------------------------------------------------------
# Who may see what


@dataclass(frozen=True)
class Scope:
    """What a signed-in member of staff may see. ``kind``: ``worker`` (journeys allocated to
    them), ``team`` (their team's), ``all``, or ``none`` (ops: configuration and reports only)."""

    staff_id: str
    name: str
    role: str
    team: str
    kind: Literal["worker", "team", "all", "none"]

    @property
    def sees_cases(self) -> bool:
        return self.kind != "none"

    @property
    def is_manager(self) -> bool:
        return self.role in ("team_manager", *SEE_ALL_ROLES)

    @property
    def is_ops(self) -> bool:
        return self.role == "ops"


def scope_for(staff: Staff) -> Scope:
    kind: Literal["worker", "team", "all", "none"]
    if staff.role in SEE_ALL_ROLES:
        kind = "all"
    elif staff.role == "team_manager":
        kind = "team"
    elif staff.role == "social_worker":
        kind = "worker"
    else:  # ops and conference chairs: no case pages
        kind = "none"
    return Scope(staff.staff_id, staff.name, staff.role, staff.team, kind)


def scoped(q: Any, scope: Scope) -> Any:
    """Restrict a query that selects from Journey to the journeys ``scope`` may see."""
    if scope.kind == "all":
        return q
    if scope.kind == "team":
        return q.where(col(Journey.team) == scope.team)
    if scope.kind == "worker":
        return q.where(col(Journey.worker) == scope.staff_id)
    return q.where(sa.false())


def journey_in_scope(session: Session, ref: str, scope: Scope) -> Journey | None:
    """The journey, or None when it does not exist *or* is out of scope (callers answer 404
    either way, so existence does not leak)."""
    return session.exec(scoped(select(Journey).where(Journey.ref == ref), scope)).first()  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# Clock rows


@dataclass(frozen=True)
class ClockRow:
    journey: str
    journey_id: int
    team: str
    worker: str | None
    stage: str
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
            "team": self.team,
            "worker": self.worker,
            "stage": self.stage,
            "gate": self.gate,
            "kind": self.kind,
            "reporting_only": self.reporting_only,
            "started_on": self.started_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "stopped_on": self.stopped_on.isoformat() if self.stopped_on else None,
            "cancelled_on": self.cancelled_on.isoformat() if self.cancelled_on else None,
            "status": self.status,
        }


def _clock_query(
    scope: Scope,
    as_of: date,
    *,
    open_only: bool = True,
    journey_id: int | None = None,
    worker: str | None = None,
    stage: str | None = None,
    gate: str | None = None,
    team: str | None = None,
) -> Any:
    q = (
        sa.select(
            col(Journey.ref),
            col(Journey.id),
            col(Journey.team),
            col(Journey.worker),
            col(Journey.stage),
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
    )
    q = scoped(q, scope)
    if open_only:
        q = q.where(
            col(Journey.ended_on).is_(None),
            col(Journey.merged_into).is_(None),
            col(Clock.reporting_only).is_(False),
            sa.or_(col(Clock.stopped_on).is_(None), col(Clock.stopped_on) > as_of),
            sa.or_(col(Clock.cancelled_on).is_(None), col(Clock.cancelled_on) > as_of),
        )
    if journey_id is not None:
        q = q.where(col(Journey.id) == journey_id)
    if worker:
        q = q.where(col(Journey.worker) == worker)
    if stage:
        q = q.where(col(Journey.stage) == stage)
    if gate:
        q = q.where(col(Clock.gate) == gate)
    if team:
        q = q.where(col(Journey.team) == team)
    return q


def _clock_row(row: Any, as_of: date) -> ClockRow:
    ref, jid, tm, wk, stg, g, kind, rep, start, due, soon, stop, cancel = row
    stopped = stop if stop is not None and stop <= as_of else None
    cancelled = cancel if cancel is not None and cancel <= as_of else None
    status = clock_status(start, due, soon, stop, cancel, as_of)
    return ClockRow(ref, jid, tm, wk, stg, g, kind, rep, start, due, stopped, cancelled, status)


def clock_rows(
    session: Session,
    scope: Scope,
    as_of: date,
    *,
    open_only: bool = True,
    journey_id: int | None = None,
    worker: str | None = None,
    stage: str | None = None,
    gate: str | None = None,
    team: str | None = None,
) -> list[ClockRow]:
    """Clocks of the journeys in scope with their status as of ``as_of`` (same rule as the
    sweep). ``open_only``: journeys not ended, clocks still live (open, due soon, overdue)."""
    q = _clock_query(
        scope,
        as_of,
        open_only=open_only,
        journey_id=journey_id,
        worker=worker,
        stage=stage,
        gate=gate,
        team=team,
    )
    return [_clock_row(row, as_of) for row in session.execute(q)]


@dataclass(frozen=True)
class ClockPage:
    rows: list[ClockRow]
    total: int  # live clocks matching the filters, on every page
    page: int  # 1-based, clamped to 1..pages
    pages: int


def clock_page(
    session: Session,
    scope: Scope,
    as_of: date,
    *,
    page: int = 1,
    page_size: int = 100,
    descending: bool = False,
    worker: str | None = None,
    stage: str | None = None,
    gate: str | None = None,
    team: str | None = None,
    total: int | None = None,
) -> ClockPage:
    """One page of the live clocks in scope (as :func:`clock_rows` with ``open_only``), ordered
    by due date (then journey ref and gate, so pages never overlap), paged in SQL (a count and
    a LIMIT/OFFSET query): only one page of rows is read and evaluated in Python. ``total``:
    the count when the caller knows it already (:attr:`Counts.live_clocks` without filters)."""
    q = _clock_query(scope, as_of, worker=worker, stage=stage, gate=gate, team=team)
    # two passes (a count, then the page) measured cheaper than one with a window count
    if total is None:
        total = int(
            session.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
        )
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    keys = (col(Clock.due_on), col(Journey.ref), col(Clock.gate))
    q = q.order_by(*(k.desc() for k in keys) if descending else keys)
    q = q.limit(page_size).offset((page - 1) * page_size)
    return ClockPage([_clock_row(row, as_of) for row in session.execute(q)], total, page, pages)


# ---------------------------------------------------------------------------------------------
# Escalations


@dataclass(frozen=True)
class OpenEscalation:
    journey: str
    journey_id: int
    team: str
    gate: str
    cycle: date
    level: int
    recipient_role: str
    recipient_staff_id: str | None
    sent_at: datetime | None
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "journey": self.journey,
            "team": self.team,
            "gate": self.gate,
            "cycle": self.cycle.isoformat(),
            "level": self.level,
            "recipient_role": self.recipient_role,
            "recipient": self.recipient_staff_id,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


class _OrderedJoin(sa.sql.selectable.Join):
    """An inner join that SQLite must plan in the written order (left table outermost).

    SQLite keeps the order of a ``CROSS JOIN`` (its documented way to fix a join order); other
    databases get a plain ``JOIN`` and plan it freely."""

    inherit_cache = True


@compiles(_OrderedJoin, "sqlite")
def _sqlite_ordered_join(join: _OrderedJoin, compiler: Any, **kw: Any) -> str:
    return str(compiler.visit_join(join, **kw)).replace(" JOIN ", " CROSS JOIN ", 1)


def _live_clocks(scope: Scope, *, team: str | None = None, journey_id: int | None = None) -> Any:
    """The live clocks of open journeys in scope, as a CTE ``live_clock`` (``journey_id, gate,
    started_on, team``): what an escalation must belong to, to await acknowledgement."""
    live = (
        sa.select(col(Clock.journey_id), col(Clock.gate), col(Clock.started_on), col(Journey.team))
        .join(Journey, col(Journey.id) == col(Clock.journey_id))
        .where(
            col(Clock.stopped_on).is_(None),
            col(Clock.cancelled_on).is_(None),
            col(Journey.ended_on).is_(None),
        )
    )
    live = scoped(live, scope)
    if team:
        live = live.where(col(Journey.team) == team)
    if journey_id is not None:
        live = live.where(col(Journey.id) == journey_id)
    return live.cte("live_clock").prefix_with("MATERIALIZED", dialect="sqlite")


def _awaiting(live: Any, *columns: Any) -> Any:
    """Escalation messages of the ``live`` clocks (same cycle) whose rung nobody has
    acknowledged, selecting ``columns``.

    Driven from the live clocks, each looking up its escalation messages over
    :data:`OUTBOX_RUNG_INDEX`, so the cost follows the live caseload, not the outbox's history
    (escalations of clocks long stopped are never read). On SQLite the CTE is materialised and
    joined first (:class:`_OrderedJoin`); left to itself, SQLite's planner scans every escalation
    ever queued and looks each one's clock up (measured: bench/DASHBOARD.md)."""
    ack = sa.exists().where(
        col(EscalationAck.journey_id) == col(Outbox.journey_id),
        col(EscalationAck.gate) == col(Outbox.gate),
        col(EscalationAck.cycle) == col(Outbox.cycle),
        col(EscalationAck.level) == col(Outbox.level),
    )
    joined = _OrderedJoin(
        live,
        Outbox.__table__,  # type: ignore[attr-defined]
        sa.and_(
            col(Outbox.kind) == "escalation",
            col(Outbox.journey_id) == live.c.journey_id,
            col(Outbox.gate) == live.c.gate,
            col(Outbox.cycle) == live.c.started_on,
        ),
    )
    return sa.select(*columns).select_from(joined).where(~ack)


_RUNG = (col(Outbox.journey_id), col(Outbox.gate), col(Outbox.cycle), col(Outbox.level))


def open_escalations(
    session: Session,
    scope: Scope,
    *,
    journey_id: int | None = None,
    team: str | None = None,
    limit: int | None = None,
) -> list[OpenEscalation]:
    """Escalations (one per rung, shown by its first message) whose clock is still open and
    that nobody has acknowledged, oldest first; at most ``limit`` of them. The rungs are found,
    ordered and limited in SQL, then their first messages read."""
    first_id = sa.func.min(col(Outbox.id)).label("first_id")
    first_at = sa.func.min(col(Outbox.created_at)).label("first_at")
    live = _live_clocks(scope, team=team, journey_id=journey_id)
    rungs = _awaiting(live, first_id, first_at).group_by(*_RUNG).order_by(first_at, first_id)
    if limit is not None:
        rungs = rungs.limit(limit)
    ids = [int(i) for i, _at in session.execute(rungs)]
    return _first_messages(session, ids)


def escalations_awaiting(
    session: Session, scope: Scope, *, team: str | None = None, limit: int = 50
) -> tuple[list[OpenEscalation], int]:
    """The ``limit`` oldest escalations awaiting acknowledgement (as :func:`open_escalations`)
    and how many there are in all, from one pass over the rungs (a window count)."""
    first_id = sa.func.min(col(Outbox.id)).label("first_id")
    first_at = sa.func.min(col(Outbox.created_at)).label("first_at")
    live = _live_clocks(scope, team=team)
    rungs = (
        _awaiting(live, first_id, first_at, sa.func.count().over())
        .group_by(*_RUNG)
        .order_by(first_at, first_id)
        .limit(limit)
    )
    found = list(session.execute(rungs))
    total = int(found[0][2]) if found else 0
    return _first_messages(session, [int(r[0]) for r in found]), total


def _first_messages(session: Session, ids: list[int]) -> list[OpenEscalation]:
    if not ids:
        return []
    q = (
        sa.select(
            col(Journey.ref),
            col(Journey.id),
            col(Journey.team),
            col(Outbox.gate),
            col(Outbox.cycle),
            col(Outbox.level),
            col(Outbox.recipient_role),
            col(Outbox.recipient_staff_id),
            col(Outbox.sent_at),
            col(Outbox.created_at),
            col(Outbox.id),
        )
        .join(Journey, col(Journey.id) == col(Outbox.journey_id))
        .where(col(Outbox.id).in_(ids))
    )
    found = {row[-1]: OpenEscalation(*row[:-1]) for row in session.execute(q)}
    return [found[i] for i in ids if i in found]


def escalation_counts(session: Session, scope: Scope, *, team: str | None = None) -> dict[str, int]:
    """How many escalations (rungs, not messages) await acknowledgement, per team, in SQL:
    ``len(open_escalations(...))`` by team without loading them."""
    live = _live_clocks(scope, team=team)
    sub = _awaiting(live, live.c.team, *_RUNG).group_by(live.c.team, *_RUNG).subquery()
    q = sa.select(sub.c.team, sa.func.count()).group_by(sub.c.team)
    return {t: int(n) for t, n in session.execute(q)}


@dataclass(frozen=True)
class StuckMessage:
    """A reminder or escalation the sweep could not prepare (``timer.outcome='error'``): it is
    retried every hour, and shown on the dashboard until it goes out, so it is never missed
    silently."""

    subject: str  # the journey's (or practice action's) pseudonymous reference
    team: str
    gate: str
    kind: str
    level: int
    due_on: date
    since: datetime  # when it first failed (the claim), UTC

    def as_json(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "team": self.team,
            "gate": self.gate,
            "kind": self.kind,
            "level": self.level,
            "due_on": self.due_on.isoformat(),
            "failing_since": self.since.isoformat(),
        }


def stuck_messages(session: Session, scope: Scope) -> list[StuckMessage]:
    """The messages set aside with an error that ``scope`` may know of, oldest first: journeys
    in scope; practice actions for those who see every team (and ops, who see no case)."""
    from models.practice import PracticeAction

    errored = (col(Timer.outcome) == "error", col(Timer.cancelled_at).is_(None))
    cols = (
        col(Timer.gate),
        col(Timer.kind),
        col(Timer.level),
        col(Timer.due_on),
        col(Timer.claimed_at),
    )
    out = [
        StuckMessage(ref, team, *rest)
        for ref, team, *rest in session.execute(
            scoped(
                sa.select(col(Journey.ref), col(Journey.team), *cols)
                .join(Journey, col(Journey.id) == col(Timer.journey_id))
                .where(*errored),
                scope if scope.kind != "none" else Scope("", "", "", "", "all"),
            )
        )
    ]
    if scope.kind in ("all", "none"):
        out += [
            StuckMessage(ref, team, *rest)
            for ref, team, *rest in session.execute(
                sa.select(col(PracticeAction.ref), col(PracticeAction.team), *cols)
                .join(PracticeAction, col(PracticeAction.id) == col(Timer.action_id))
                .where(*errored)
            )
        ]
    return sorted(out, key=lambda m: (m.since, m.subject, m.gate, m.level))


class AckError(ValueError):
    pass


def acknowledge(
    session: Session,
    journey: Journey,
    gate: str,
    cycle: date,
    level: int,
    *,
    by: str,
    note: str,
    now: datetime,
) -> EscalationAck:
    """Record that ``by`` has acknowledged an escalation. Refuses an escalation that was never
    sent for this journey, an empty note, and a second acknowledgement of the same rung."""
    note = note.strip()
    if not note:
        raise AckError("note: say what will happen (a note is required)")
    sent = session.exec(
        select(Outbox.id).where(
            Outbox.journey_id == journey.id,
            Outbox.gate == gate,
            Outbox.cycle == cycle,
            Outbox.level == level,
            Outbox.kind == "escalation",
        )
    ).first()
    if sent is None:
        raise AckError(f"no level {level} escalation of gate {gate!r} for this journey")
    assert journey.id is not None
    if session.exec(
        select(EscalationAck.id).where(
            EscalationAck.journey_id == journey.id,
            EscalationAck.gate == gate,
            EscalationAck.cycle == cycle,
            EscalationAck.level == level,
        )
    ).first():
        raise AckError("this escalation has already been acknowledged")
    row = EscalationAck(
        journey_id=journey.id,
        gate=gate,
        cycle=cycle,
        level=level,
        acknowledged_by=by,
        acknowledged_at=now,
        note=note[:2000],
    )
    session.add(row)
    session.flush()
    return row


def acknowledged(session: Session, journey_id: int, gate: str, cycle: date, level: int) -> bool:
    return (
        session.exec(
            select(EscalationAck.id).where(
                EscalationAck.journey_id == journey_id,
                EscalationAck.gate == gate,
                EscalationAck.cycle == cycle,
                EscalationAck.level == level,
            )
        ).first()
        is not None
    )


# ---------------------------------------------------------------------------------------------
# Counts, forecast, service view


@dataclass
class Counts:
    open_journeys: int = 0
    overdue: int = 0
    due_next_5: int = 0
    escalations_awaiting: int = 0
    icpc_at_risk: int = 0
    safety_plans_missing: int = 0
    live_clocks: int = 0

    def as_json(self) -> dict[str, int]:
        return dict(self.__dict__)


def counts_from(
    rows: list[ClockRow], escalations: list[OpenEscalation], horizon: date
) -> dict[str, Counts]:
    """Counts per team (and ``"*"`` for all): overdue, due within 5 working days (``horizon``),
    escalations awaiting acknowledgement, ICPCs at risk (overdue or due by the horizon) and
    safety plans missing (the safety-plan clock is running)."""
    by_team: dict[str, Counts] = defaultdict(Counts)
    journeys: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        for key in (r.team, "*"):
            c = by_team[key]
            journeys[key].add(r.journey)
            c.live_clocks += 1
            if r.status == "overdue":
                c.overdue += 1
            elif r.due_on <= horizon:
                c.due_next_5 += 1
            if r.gate == "icpc" and (r.status == "overdue" or r.due_on <= horizon):
                c.icpc_at_risk += 1
            if r.gate == "safety_plan":
                c.safety_plans_missing += 1
    for e in escalations:
        by_team[e.team].escalations_awaiting += 1
        by_team["*"].escalations_awaiting += 1
    for key, refs in journeys.items():
        by_team[key].open_journeys = len(refs)
    by_team.setdefault("*", Counts())
    return dict(by_team)


def open_journey_counts(session: Session, scope: Scope) -> dict[str, int]:
    q = (
        sa.select(col(Journey.team), sa.func.count())
        .where(col(Journey.ended_on).is_(None), col(Journey.merged_into).is_(None))
        .group_by(col(Journey.team))
    )
    return {team: int(n) for team, n in session.execute(scoped(q, scope))}


@dataclass(frozen=True)
class ForecastRow:
    team: str
    worker: str | None
    clocks: int
    rows: tuple[ClockRow, ...] = field(default=())


def forecast(
    rows: list[ClockRow], cal: WorkingCalendar, today: date, days: int
) -> list[ForecastRow]:
    """Clocks not yet overdue that will be overdue within ``days`` working days, by team and
    worker: those whose due date falls before the ``days``-th working day from today."""
    horizon = cal.add_working_days(today, days)
    groups: dict[tuple[str, str | None], list[ClockRow]] = defaultdict(list)
    for r in rows:
        if r.status != "overdue" and r.due_on < horizon:
            groups[(r.team, r.worker)].append(r)
    return [
        ForecastRow(team, worker, len(items), tuple(sorted(items, key=lambda r: r.due_on)))
        for (team, worker), items in sorted(
            groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        )
    ]


# ---------------------------------------------------------------------------------------------
# Journey page


@dataclass(frozen=True)
class EventLine:
    record_id: str
    type: str
    on: date | None
    outcome: str | None
    fields: dict[str, Any]
    recorded_by: str
    source: str


@dataclass(frozen=True)
class MessageLine:
    kind: str
    level: int
    gate: str
    recipient_role: str
    recipient: str | None
    status: str
    created_at: datetime
    sent_at: datetime | None


def journey_events(session: Session, journey_id: int) -> list[EventLine]:
    import json

    rows = session.exec(
        select(Event)
        .where(Event.journey_id == journey_id)
        .order_by(col(Event.on_date), col(Event.at_utc), col(Event.seq))
    ).all()
    out = []
    for e in rows:
        body = json.loads(e.payload)
        extra = {
            k: v
            for k, v in body.items()
            if k not in ("id", "type", "child", "at", "journey", "outcome")
        }
        out.append(
            EventLine(e.record_id, e.type, e.on_date, e.outcome, extra, e.recorded_by, e.source)
        )
    return out


def journey_messages(session: Session, journey_id: int) -> list[MessageLine]:
    rows = session.exec(
        select(Outbox)
        .where(Outbox.journey_id == journey_id)
        .order_by(col(Outbox.created_at), col(Outbox.id))
    ).all()
    return [
        MessageLine(
            m.kind,
            m.level,
            m.gate,
            m.recipient_role,
            m.recipient_staff_id,
            m.status,
            m.created_at,
            m.sent_at,
        )
        for m in rows
    ]


def staff_names(session: Session) -> dict[str, str]:
    return {s.staff_id: s.name for s in session.exec(select(Staff)).all()}


def staff_in_scope(session: Session, scope: Scope) -> list[Staff]:
    q = select(Staff).order_by(col(Staff.team), col(Staff.staff_id))
    if scope.kind in ("team", "worker"):
        q = q.where(Staff.team == scope.team)
    return list(session.exec(q).all())


# ---------------------------------------------------------------------------------------------
# Access log


def log_access(
    session: Session,
    *,
    actor: str,
    action: str,
    now: datetime,
    journey_id: int | None = None,
    detail: str = "",
) -> None:
    session.add(
        AccessLog(at=now, actor=actor, action=action, journey_id=journey_id, detail=detail[:500])
    )


@dataclass(frozen=True)
class AccessFilter:
    """Which access-log entries: all of these that are given (dates are UTC, inclusive)."""

    journey: str | None = None  # a journey reference
    actor: str | None = None  # "staff:tm-north", or a bare staff id
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.__dict__.items() if v not in (None, "")]
        return " ".join(parts) or "all"


@dataclass(frozen=True)
class AccessEntry:
    id: int
    at: datetime
    actor: str
    action: str
    journey: str | None  # the journey's reference (the log keeps its id)
    journey_id: int | None
    detail: str

    def as_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "journey": self.journey,
            "journey_id": self.journey_id,
            "detail": self.detail,
        }


def parse_access_filter(
    journey: str, actor: str, action: str, since: str, until: str
) -> tuple[AccessFilter, str | None]:
    """The filter from the query (pages and API), or an error saying which field is wrong."""
    dates: dict[str, date | None] = {}
    for name, value in (("from", since), ("to", until)):
        try:
            dates[name] = date.fromisoformat(value.strip()) if value.strip() else None
        except ValueError:
            return AccessFilter(), f"{name}: {value!r} is not a date (YYYY-MM-DD)"
    f = AccessFilter(
        journey.strip() or None,
        actor.strip() or None,
        action.strip() or None,
        dates["from"],
        dates["to"],
    )
    if f.since and f.until and f.since > f.until:
        return f, "from: the first day comes after the last"
    return f, None


def _access_query(f: AccessFilter, *columns: Any) -> Any:
    q = (
        sa.select(*columns)
        .select_from(AccessLog)
        .outerjoin(Journey, col(Journey.id) == col(AccessLog.journey_id))
    )
    if f.journey:
        q = q.where(col(Journey.ref) == f.journey.strip().upper())
    if f.actor:
        actor = f.actor.strip()
        q = q.where(col(AccessLog.actor) == (actor if ":" in actor else f"staff:{actor}"))
    if f.action:
        q = q.where(col(AccessLog.action) == f.action)
    if f.since:
        q = q.where(col(AccessLog.at) >= datetime.combine(f.since, datetime.min.time(), UTC))
    if f.until:
        end = datetime.combine(f.until + timedelta(days=1), datetime.min.time(), UTC)
        q = q.where(col(AccessLog.at) < end)
    return q


def access_entries(
    session: Session, f: AccessFilter, *, page: int = 1, page_size: int = 100
) -> tuple[list[AccessEntry], int, int, int]:
    """One page of the access-log entries ``f`` selects, newest first, with the number of
    entries in all, the page (clamped) and the number of pages."""
    total = access_count(session, f)
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    return (
        list(iter_access_entries(session, f, offset=(page - 1) * page_size, limit=page_size)),
        total,
        page,
        pages,
    )


def access_count(session: Session, f: AccessFilter) -> int:
    return int(session.execute(_access_query(f, sa.func.count(col(AccessLog.id)))).scalar_one())


def iter_access_entries(
    session: Session, f: AccessFilter, *, offset: int = 0, limit: int | None = None
) -> Iterator[AccessEntry]:
    """The entries ``f`` selects, newest first (a generator: an export reads them in turn)."""
    q = _access_query(
        f,
        col(AccessLog.id),
        col(AccessLog.at),
        col(AccessLog.actor),
        col(AccessLog.action),
        col(Journey.ref),
        col(AccessLog.journey_id),
        col(AccessLog.detail),
    ).order_by(col(AccessLog.id).desc())
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    for row in session.execute(q.execution_options(yield_per=1000)):
        yield AccessEntry(*row)


def access_actions(session: Session, recent: int = 10_000) -> list[str]:
    """The kinds of entry among the ``recent`` newest (the filter's choices; reading the
    distinct kinds of the whole log would read the whole log)."""
    newest = (
        sa.select(col(AccessLog.action)).order_by(col(AccessLog.id).desc()).limit(recent)
    ).subquery()
    return sorted(session.execute(sa.select(newest.c.action).distinct()).scalars())


def counter_by(rows: list[ClockRow], key: str) -> Counter[str]:
    return Counter(str(getattr(r, key)) for r in rows)


def service_counts(session: Session, as_of: date, horizon: date) -> dict[str, Counts]:
    """:func:`counts_from` per team, aggregated in SQL for the service view (10,000 journeys)."""
    return live_counts(session, Scope("", "", "", "", "all"), as_of, horizon)


def live_counts(
    session: Session, scope: Scope, as_of: date, horizon: date, *, team: str | None = None
) -> dict[str, Counts]:
    """:func:`counts_from` of the live clocks in scope (per team and ``"*"``), aggregated in SQL
    for the team and service views (10,000 journeys): overdue, due by ``horizon``, ICPCs at risk,
    safety plans missing and open journeys (journeys with a live clock). Escalations are
    counted by :func:`escalation_counts`.

    The CASE expressions are :func:`timescales.evaluate.clock_status` restricted to live clocks
    (started, neither stopped nor cancelled as of ``as_of``): overdue when ``as_of > due_on``.
    ``test_sql_counts_agree_with_the_gate_evaluation`` holds the two to the same answer.
    """
    live = sa.and_(
        col(Journey.ended_on).is_(None),
        col(Journey.merged_into).is_(None),
        col(Clock.reporting_only).is_(False),
        col(Clock.started_on) <= as_of,
        sa.or_(col(Clock.stopped_on).is_(None), col(Clock.stopped_on) > as_of),
        sa.or_(col(Clock.cancelled_on).is_(None), col(Clock.cancelled_on) > as_of),
    )
    overdue = col(Clock.due_on) < as_of
    q = (
        sa.select(
            col(Journey.team),
            sa.func.sum(sa.case((overdue, 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(~overdue, col(Clock.due_on) <= horizon), 1), else_=0)),
            sa.func.sum(
                sa.case(
                    (sa.and_(col(Clock.gate) == "icpc", col(Clock.due_on) <= horizon), 1), else_=0
                )
            ),
            sa.func.sum(sa.case((col(Clock.gate) == "safety_plan", 1), else_=0)),
            sa.func.count(sa.distinct(col(Journey.id))),
            sa.func.count(),
        )
        .join(Journey, col(Journey.id) == col(Clock.journey_id))
        .where(live)
        .group_by(col(Journey.team))
    )
    if team:
        q = q.where(col(Journey.team) == team)
    out: dict[str, Counts] = defaultdict(Counts)
    for tm, od, due, icpc, plan, journeys, clocks in session.execute(scoped(q, scope)):
        for key in (tm, "*"):
            c = out[key]
            c.overdue += int(od or 0)
            c.due_next_5 += int(due or 0)
            c.icpc_at_risk += int(icpc or 0)
            c.safety_plans_missing += int(plan or 0)
            c.open_journeys += int(journeys or 0)
            c.live_clocks += int(clocks or 0)
    out.setdefault("*", Counts())
    return dict(out)
