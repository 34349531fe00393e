"""Sweep and gates benchmark: the timescale sweep and the gates view at 10k-100k open journeys,
each against the bare SQL that does the same database work, measured in the same run.

    .venv/bin/python -m bench.sweep_bench [--sizes 10000,100000] [--db sqlite|postgres|both]

The caseload is built fast and faithfully: a few journey shapes (event lists) are replayed through
:func:`timescales.evaluate.evaluate` once per (shape, start date), event by event, as the system
would have seen them arrive; clock rows come from the final evaluation, and timer rows from the
whole replay: timers that a later event cancelled stay as cancelled rows, and timers that fell due
before today were claimed by earlier sweeps (``claimed_at`` set, outcome ``queued``, a sent outbox
row). So the tables hold what they would hold in steady state, and as of ``now`` (today, just after
the pathway's notify time) only the timers falling due today are waiting for the sweep. The rows
are then bulk-inserted with SQLAlchemy Core.

This module imports prefect only inside the sweep measurement (``tasks.notify`` needs it), so the
builder can be used from the unit tests.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time as _time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from models.db import dispose_engines, get_engine, init_db
from models.journeys import due_instant
from models.notify import claim_due_timers
from models.tables import Clock, Event, Journey, Outbox, Staff, Timer, UTCDateTime
from models.views import iter_gate_rows, summary
from timescales.calendar import WorkingCalendar
from timescales.evaluate import EventFact, JourneyEvaluation, evaluate
from timescales.pathway import Pathway, load_pathway

LONDON = ZoneInfo("Europe/London")
REPO = Path(__file__).resolve().parent.parent
PATHWAY_FILE = REPO / "pathways" / "default.yaml"
PG_URL = os.environ.get("FRONTDOOR_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# A fixed working day, so that runs on different days compare (Wednesday, GMT: London = UTC).
DEFAULT_TODAY = date(2026, 11, 25)
WINDOW_WORKING_DAYS = 60  # journeys opened over the last 60 working days
TEAMS = ("north", "south", "east", "west", "central")
SWEEP_LAG = timedelta(minutes=5)  # earlier sweeps ran every few minutes
CHUNK = 10_000  # rows per executemany
REFRESH_JOURNEYS = 1_000
MICRO_REPEAT = 25  # runs of a sub-millisecond measurement (median)
_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # as models.journeys.new_journey_ref

_T = TypeVar("_T")


# --- journey shapes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    offset: int  # working days after the journey opened (day 0)
    type: str
    outcome: str | None
    at: time  # London time of day


def _s(offset: int, type_: str, outcome: str | None, hhmm: str) -> Step:
    hh, mm = (int(x) for x in hhmm.split(":"))
    return Step(offset, type_, outcome, time(hh, mm))


_FRONT = (
    _s(0, "contact_received", None, "09:30"),
    _s(0, "contact_outcome", "referral", "14:00"),
)
_S47 = (
    *_FRONT,
    _s(0, "referral_decision", "strategy_discussion", "16:00"),
    _s(1, "strategy_discussion", "s47", "10:00"),
)

# Events after ``now`` have not happened yet, so a young journey of any shape is still open at an
# earlier stage: that is what spreads the clocks and their timers over the window.
SHAPES: dict[str, tuple[Step, ...]] = {
    # referral accepted for assessment; the 45-working-day assessment clock is running
    "assessment_open": (
        *_FRONT,
        _s(1, "referral_decision", "assessment", "10:00"),
        _s(3, "assessment_started", None, "11:00"),
    ),
    # assessment authorised with a child-in-need plan after 20 working days: every clock met
    "cin_plan": (
        *_FRONT,
        _s(1, "referral_decision", "assessment", "10:00"),
        _s(3, "assessment_started", None, "11:00"),
        _s(20, "assessment_authorised", "cin_plan", "16:00"),
    ),
    # s47 with a safety plan, ICPC held on day 14 (awaiting ICPC until then); assessment running
    "s47_icpc": (
        *_S47,
        _s(2, "safety_plan_recorded", None, "12:00"),
        _s(6, "s47_concluded", "icpc", "16:00"),
        _s(14, "icpc_held", "cp_plan", "11:00"),
    ),
    # s47 concluded 'icpc' with no safety plan on record: the safety plan clock stays overdue
    "safety_plan_missing": (
        *_S47,
        _s(6, "s47_concluded", "icpc", "16:00"),
        _s(14, "icpc_held", "cp_plan", "11:00"),
    ),
    # awaiting an ICPC that never happens: ICPC overdue and the delay-rationale clock running
    "icpc_stalled": (
        *_S47,
        _s(2, "safety_plan_recorded", None, "12:00"),
        _s(6, "s47_concluded", "icpc", "16:00"),
    ),
}
# The mix, in twentieths of all journeys.
SHAPE_WHEEL: tuple[str, ...] = (
    *["assessment_open"] * 11,
    *["cin_plan"] * 4,
    *["s47_icpc"] * 3,
    "safety_plan_missing",
    "icpc_stalled",
)
_WORKER_EVENTS = frozenset({"contact_received", "referral_decision", "assessment_started"})


def shape_and_age(i: int) -> tuple[str, int]:
    """Journey ``i``'s shape and age in working days (1..60); every block of 1,200 consecutive
    journeys holds each (shape, age) pair once, and both change from one journey to the next."""
    age = 1 + i % WINDOW_WORKING_DAYS
    shape = SHAPE_WHEEL[(i // WINDOW_WORKING_DAYS + i) % len(SHAPE_WHEEL)]
    return shape, age


# --- planning: replay a shape through the evaluator ---------------------------------------------


@dataclass
class _TimerState:
    gate: str
    cycle: date
    kind: str
    level: int
    recipient_role: str
    template: str
    due_on: date
    due_at: datetime
    created_at: datetime
    claimed_at: datetime | None = None
    cancelled_at: datetime | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class JourneyPlan:
    opened_on: date
    facts: tuple[EventFact, ...]
    evaluation: JourneyEvaluation
    clocks: tuple[dict[str, Any], ...]  # Clock row values, without id and journey_id
    timers: tuple[dict[str, Any], ...]  # Timer row values, without id and journey_id
    sent: tuple[int, ...]  # indexes of ``timers`` that earlier sweeps claimed and sent
    created_at: datetime
    evaluated_at: datetime


class Planner:
    """Replays shapes through the pathway, cached by (shape, start date)."""

    def __init__(self, pathway: Pathway, cal: WorkingCalendar, today: date) -> None:
        self.pathway, self.cal, self.today = pathway, cal, today
        self.batch_at = due_instant(today, pathway.notify_time)  # today's timers fall due here
        self.now = self.batch_at + SWEEP_LAG + timedelta(microseconds=123)  # the sweep under test
        self.before_due = self.batch_at - timedelta(minutes=1)  # the previous sweep: nothing due
        self._cache: dict[tuple[str, date], JourneyPlan] = {}

    def opened_on(self, age: int) -> date:
        return self.cal.add_working_days(self.today, -age)

    def plan(self, shape: str, age: int) -> JourneyPlan:
        opened = self.opened_on(age)
        key = (shape, opened)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._replay(shape, opened)
        return cached

    def facts(self, shape: str, opened: date) -> tuple[EventFact, ...]:
        out = []
        for k, step in enumerate(SHAPES[shape]):
            on = self.cal.add_working_days(opened, step.offset)
            instant = datetime.combine(on, step.at, tzinfo=LONDON).astimezone(UTC)
            if instant <= self.now:
                out.append(EventFact(f"e{k}", step.type, on, instant, step.outcome, k))
        return tuple(sorted(out, key=EventFact.sort_key))

    def _replay(self, shape: str, opened: date) -> JourneyPlan:
        facts = self.facts(shape, opened)
        rows: dict[tuple[str, date, str, int], _TimerState] = {}
        ev = evaluate(self.pathway, self.cal, ())
        for i, fact in enumerate(facts):
            self._claim(rows, fact.instant)
            ev = evaluate(self.pathway, self.cal, facts[: i + 1])
            self._sync(rows, ev, fact.instant)
        self._claim(rows, self.before_due)
        last = facts[-1].instant
        clocks = tuple(
            {
                "gate": c.gate,
                "kind": c.kind,
                "reporting_only": c.reporting_only,
                "limit_working_days": c.limit_working_days,
                "pathway_version": ev.pathway_version,
                "started_on": c.started_on,
                "due_on": c.due_on,
                "due_soon_from": c.due_soon_from,
                "stopped_on": c.stopped_on,
                "cancelled_on": c.cancelled_on,
                "start_event": c.start_event,
                "stop_event": c.stop_event,
                "updated_at": last,
            }
            for c in ev.clocks
        )
        timers = tuple(
            {
                "gate": t.gate,
                "cycle": t.cycle,
                "kind": t.kind,
                "level": t.level,
                "recipient_role": t.recipient_role,
                "template": t.template,
                "due_on": t.due_on,
                "due_at": t.due_at,
                "claimed_at": t.claimed_at,
                "cancelled_at": t.cancelled_at,
                "outcome": t.outcome,
                "created_at": t.created_at,
            }
            for t in rows.values()
        )
        sent = tuple(i for i, t in enumerate(rows.values()) if t.outcome == "queued")
        return JourneyPlan(opened, facts, ev, clocks, timers, sent, facts[0].instant, last)

    @staticmethod
    def _claim(rows: dict[Any, _TimerState], until: datetime) -> None:
        """What the sweeps before ``until`` claimed: every live timer, just after it fell due."""
        for t in rows.values():
            if t.claimed_at is None and t.cancelled_at is None:
                fired = max(t.due_at, t.created_at) + SWEEP_LAG
                if fired < until:
                    t.claimed_at, t.outcome = fired, "queued"

    def _sync(self, rows: dict[Any, _TimerState], ev: JourneyEvaluation, at: datetime) -> None:
        """What ``models.journeys._sync_timers`` does to the timer rows after an event."""
        cycles = {c.gate: c.started_on for c in ev.clocks}
        wanted = {(t.gate, cycles[t.gate], t.kind, t.level): t for t in ev.timers}
        for key, row in rows.items():
            if key not in wanted and row.claimed_at is None and row.cancelled_at is None:
                row.cancelled_at, row.outcome = at, "cancelled"
        for key, plan in wanted.items():
            due_at = due_instant(plan.due_on, self.pathway.notify_time)
            existing = rows.get(key)
            if existing is None:
                gate, cycle, kind, level = key
                rows[key] = _TimerState(
                    gate, cycle, kind, level, plan.to, plan.template, plan.due_on, due_at, at
                )
            elif existing.claimed_at is None and (
                existing.cancelled_at is not None
                or existing.due_at != due_at
                or existing.recipient_role != plan.to
            ):
                existing.cancelled_at = existing.outcome = None
                existing.due_on, existing.due_at = plan.due_on, due_at
                existing.recipient_role, existing.template = plan.to, plan.template


# --- building the database ----------------------------------------------------------------------


@dataclass
class BuildInfo:
    url: str
    dialect: str
    journeys: int = 0
    clocks: int = 0
    timers: int = 0
    timers_live: int = 0  # neither claimed nor cancelled
    timers_due: int = 0  # live and due by ``now``
    outbox: int = 0
    events: int = 0
    refresh_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    plan_seconds: float = 0.0
    today: date = DEFAULT_TODAY
    now: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    before_due: datetime = datetime(2000, 1, 1, tzinfo=UTC)


def staff_rows(at: datetime) -> list[dict[str, Any]]:
    """A social worker and a team manager per team, one service manager, one head of service."""

    def person(sid: str, name: str, role: str, team: str, manager: str | None) -> dict[str, Any]:
        email = f"{sid}@example.gov.uk"
        return {
            "staff_id": sid,
            "name": name,
            "email": email,
            "role": role,
            "team": team,
            "manager": manager,
            "updated_at": at,
        }

    rows = [
        person("hos-1", "Hana Headley", "head_of_service", "service", None),
        person("sm-1", "Sami Servicer", "service_manager", "service", "hos-1"),
    ]
    for team in TEAMS:
        rows.append(
            person(f"tm-{team}", f"Team Manager {team.title()}", "team_manager", team, "sm-1")
        )
        rows.append(
            person(
                f"sw-{team}", f"Social Worker {team.title()}", "social_worker", team, f"tm-{team}"
            )
        )
    return rows


def _recipient(role: str, team: str) -> str:
    return {
        "allocated_worker": f"sw-{team}",
        "team_manager": f"tm-{team}",
        "service_manager": "sm-1",
        "head_of_service": "hos-1",
    }[role]


def _sample_messages(pathway: Pathway, today: date) -> dict[str, tuple[str, str, str]]:
    """One rendered message per template, stored as the body of the already-sent outbox rows."""
    from notifications.render import NotificationContext, render

    gate = pathway.gates[0]
    out = {}
    for template, kind in (("reminder", "reminder"), ("escalation", "escalation")):
        ctx = NotificationContext(
            journey_ref="J-000000",
            gate_id=gate.id,
            gate_title=gate.title,
            gate_basis=gate.basis,
            gate_kind=gate.kind,
            kind=kind,
            level=1,
            started_on=today,
            due_on=today,
            working_days_late=0,
            working_days_left=0,
            team="north",
            recipient_name="Social Worker North",
            recipient_role="social_worker",
            told_before=(),
        )
        m = render(template, ctx)
        out[template] = (m.subject, m.text, m.html)
    return out


def _refs(n: int, rng: random.Random) -> list[str]:
    refs = []
    for v in rng.sample(range(32**6), n):
        chars = []
        for _ in range(6):
            v, r = divmod(v, 32)
            chars.append(_REF_ALPHABET[r])
        refs.append("J-" + "".join(chars))
    return refs


class _Store:
    """Values as the column types would bind them, so that the bulk insert can skip SQLAlchemy's
    per-value type processing (most of the build time otherwise)."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def row(self, table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` completed with the columns' scalar defaults, in the driver's form."""
        merged = {
            c.name: c.default.arg  # type: ignore[attr-defined]
            for c in table.columns
            if c.name not in values and c.default is not None and c.default.is_scalar
        }
        merged.update(values)
        if not self.sqlite:  # psycopg adapts date, bool and aware datetimes as the types would
            return merged
        return {k: self._sqlite(table.c[k].type, v) for k, v in merged.items()}

    @staticmethod
    def _sqlite(typ: Any, v: Any) -> Any:
        if v is None:
            return None
        if isinstance(typ, UTCDateTime):  # naive UTC text, as SQLAlchemy's SQLite DATETIME
            return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(typ, sa.Date):
            return v.isoformat()
        if isinstance(typ, sa.Boolean):
            return int(v)
        return v


@dataclass(frozen=True)
class _Rows:
    """One (shape, age)'s rows, ready for the driver, without the per-journey fields."""

    journey: dict[str, Any]
    clocks: tuple[dict[str, Any], ...]
    timers: tuple[dict[str, Any], ...]
    outbox: tuple[tuple[int, str, dict[str, Any]], ...]  # (timer index, key suffix, values)
    facts: tuple[EventFact, ...]
    live: int
    due: int


def _required(table: sa.Table) -> set[str]:
    """Columns an INSERT must name: NOT NULL, no default, not an integer primary key."""
    return {
        c.name
        for c in table.columns
        if not c.nullable
        and c.default is None
        and c.server_default is None
        and not (c.primary_key and isinstance(c.type, sa.Integer))
    }


def _tables() -> dict[str, sa.Table]:
    models = (Staff, Journey, Clock, Timer, Outbox, Event)
    return {str(m.__tablename__): m.__table__ for m in models}  # type: ignore[union-attr]


def _rows(
    plan: JourneyPlan,
    store: _Store,
    now: datetime,
    messages: dict[str, tuple[str, str, str]],
) -> _Rows:
    tables = _tables()
    ev = plan.evaluation
    journey = store.row(
        tables["journey"],
        {
            "opened_on": plan.opened_on,
            "ended_on": ev.ended_on,
            "stage": ev.stage,
            "flags": " ".join(ev.flags),
            "pathway_version": ev.pathway_version,
            "published_state": None,
            "published_at": None,
            "evaluated_at": plan.evaluated_at,
            "created_at": plan.created_at,
        },
    )
    clocks = tuple(store.row(tables["clock"], c) for c in plan.clocks)
    timers = tuple(store.row(tables["timer"], t) for t in plan.timers)
    outbox = []
    for k in plan.sent:
        t = plan.timers[k]
        subject, text, html = messages[t["template"]]
        suffix = f"{t['gate']}:{t['cycle'].isoformat()}:{t['kind']}:{t['level']}"
        values = {
            "gate": t["gate"],
            "cycle": t["cycle"],
            "kind": t["kind"],
            "level": t["level"],
            "recipient_role": t["recipient_role"],
            "subject": subject,
            "body_text": text,
            "body_html": html,
            "status": "sent",
            "attempts": 1,
            "next_attempt_at": None,
            "last_error": None,
            "created_at": t["claimed_at"],
            "sent_at": t["claimed_at"] + timedelta(seconds=20),
        }
        outbox.append((k, suffix, store.row(tables["outbox"], values)))
    live = [t for t in plan.timers if t["claimed_at"] is None and t["cancelled_at"] is None]
    due = sum(1 for t in live if t["due_at"] <= now)
    return _Rows(journey, clocks, timers, tuple(outbox), plan.facts, len(live), due)


def build(
    url: str,
    n: int,
    *,
    today: date = DEFAULT_TODAY,
    refresh_journeys: int = REFRESH_JOURNEYS,
    seed: int = 20261125,
    pathway: Pathway | None = None,
) -> BuildInfo:
    """Create the tables at ``url`` and fill them with ``n`` open journeys (see module doc)."""
    started = _time.perf_counter()
    pathway = pathway or load_pathway(PATHWAY_FILE)
    cal = pathway.working_calendar()
    if not cal.is_working_day(today):
        raise SystemExit(f"--today {today} is not a working day")
    planner = Planner(pathway, cal, today)
    rng = random.Random(seed)
    refs = _refs(n, rng)
    refresh_ids = set(rng.sample(range(1, n + 1), min(refresh_journeys, n)))
    messages = _sample_messages(pathway, today)

    engine = init_db(url)
    info = BuildInfo(
        url=url,
        dialect=engine.dialect.name,
        today=today,
        now=planner.now,
        before_due=planner.before_due,
    )
    store = _Store(info.dialect)
    tables = _tables()
    # Column-only table clauses: no type processing on insert (the values are ready already).
    light = {
        name: sa.table(name, *(sa.column(c.name) for c in t.columns)) for name, t in tables.items()
    }
    order = ("staff", "journey", "clock", "timer", "outbox", "event")  # foreign keys first
    buf: dict[str, list[dict[str, Any]]] = {name: [] for name in order}
    templates: dict[tuple[str, int], _Rows] = {}
    clock_id = timer_id = 0
    plan_s = 0.0
    checked: set[str] = set()
    opening = "opening_record" in tables["journey"].c

    def flush(conn: sa.Connection) -> None:
        for name in order:
            rows = buf[name]
            if rows and name not in checked:  # the schema moves on: say what is missing
                missing = _required(tables[name]) - set(rows[0])
                if missing:
                    raise RuntimeError(f"bench builder gives no value for {name}.{missing}")
                checked.add(name)
            for i in range(0, len(rows), CHUNK):
                conn.execute(light[name].insert(), rows[i : i + CHUNK])
            rows.clear()

    with engine.connect() as conn:
        sqlite = info.dialect == "sqlite"
        if sqlite:  # the build only: a crash just means building again
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.commit()
        try:
            with conn.begin():
                buf["staff"] = [
                    store.row(tables["staff"], r)
                    for r in staff_rows(planner.now - timedelta(days=120))
                ]
                for i in range(n):
                    t0 = _time.perf_counter()
                    jid, ref, child = i + 1, refs[i], f"CH{i + 1:07d}"
                    team = TEAMS[i % len(TEAMS)]
                    worker = f"sw-{team}"
                    shape, age = shape_and_age(i)
                    tpl = templates.get((shape, age))
                    if tpl is None:
                        plan = planner.plan(shape, age)
                        tpl = templates[(shape, age)] = _rows(plan, store, planner.now, messages)
                    buf["journey"].append(
                        {
                            **tpl.journey,
                            "id": jid,
                            "ref": ref,
                            "child_id": child,
                            "team": team,
                            "worker": worker,
                            **({"opening_record": f"{ref}-e0"} if opening else {}),
                        }
                    )
                    for c in tpl.clocks:
                        clock_id += 1
                        buf["clock"].append(
                            {
                                **c,
                                "id": clock_id,
                                "journey_id": jid,
                                "start_event": c["start_event"] and f"{ref}-{c['start_event']}",
                                "stop_event": c["stop_event"] and f"{ref}-{c['stop_event']}",
                            }
                        )
                    first_timer = timer_id + 1
                    for t in tpl.timers:
                        timer_id += 1
                        buf["timer"].append({**t, "id": timer_id, "journey_id": jid})
                    for k, suffix, values in tpl.outbox:
                        staff = _recipient(values["recipient_role"], team)
                        buf["outbox"].append(
                            {
                                **values,
                                "idempotency_key": f"{ref}:{suffix}",
                                "timer_id": first_timer + k,
                                "journey_id": jid,
                                "recipient_staff_id": staff,
                                "recipient_email": f"{staff}@example.gov.uk",
                            }
                        )
                    if jid in refresh_ids:
                        buf["event"] += _event_rows(store, tpl.facts, jid, ref, child, worker)
                        info.events += len(tpl.facts)
                    info.clocks += len(tpl.clocks)
                    info.timers += len(tpl.timers)
                    info.timers_live += tpl.live
                    info.timers_due += tpl.due
                    info.outbox += len(tpl.outbox)
                    plan_s += _time.perf_counter() - t0
                    if len(buf["timer"]) >= CHUNK:
                        flush(conn)
                flush(conn)
                if info.dialect == "postgresql":
                    for table in ("journey", "clock", "timer"):  # ids were given explicitly
                        conn.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                conn.commit()
        if info.dialect == "postgresql":
            # autovacuum would analyse the freshly loaded tables within a minute; do it now
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    info.journeys = n
    info.refresh_ids = sorted(refresh_ids)
    info.plan_seconds = plan_s
    info.seconds = _time.perf_counter() - started
    return info


def _event_rows(
    store: _Store, facts: Sequence[EventFact], jid: int, ref: str, child: str, worker: str
) -> list[dict[str, Any]]:
    """The journey's events as ingest stores them (payload: the record, as JSON)."""
    table = _tables()["event"]
    out = []
    for f in facts:
        record: dict[str, Any] = {
            "id": f"{ref}-{f.id}",
            "type": f.type,
            "journey": ref,
            "child": child,
            "at": f.instant.isoformat(),
        }
        if f.outcome is not None:
            record["outcome"] = f.outcome
        if f.type in _WORKER_EVENTS:
            record["worker"] = worker
        out.append(
            store.row(
                table,
                {
                    "record_id": record["id"],
                    "type": f.type,
                    "journey_id": jid,
                    "child_id": child,
                    "on_date": f.on,
                    "at_utc": f.instant,
                    "outcome": f.outcome,
                    "payload": json.dumps(record, sort_keys=True, separators=(",", ":")),
                    "recorded_at": f.instant,
                    "recorded_by": "bench",
                    "source": "bench",
                },
            )
        )
    return out


# --- measuring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    size: int
    db: str
    operation: str
    ours_ms: float
    baseline_ms: float
    rows: int
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours_ms / self.baseline_ms if self.baseline_ms > 0 else float("inf")


def _timed(fn: Callable[[], _T], repeat: int, *, collect: bool = True) -> tuple[float, _T]:
    """Median wall time of ``repeat`` calls in ms, and the last call's result.

    ``collect``: run the garbage collector before each call, so that a big read does not pay for
    the garbage of the one before. Sub-millisecond calls skip it and run more often instead.
    """
    times = []
    out: _T
    for _ in range(repeat):
        if collect:
            gc.collect()
        t0 = _time.perf_counter()
        out = fn()
        times.append((_time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def _sql(engine: sa.Engine, text: str) -> str:
    """The baselines are written with qmark placeholders; psycopg wants %s."""
    return text.replace("?", "%s") if engine.dialect.name == "postgresql" else text


def _bind_dt(engine: sa.Engine, dt: datetime) -> Any:
    # exec_driver_sql bypasses the UTCDateTime column type: on SQLite, bind the exact text that
    # SQLAlchemy stores (naive UTC with microseconds), or string comparison goes wrong.
    if engine.dialect.name == "sqlite":
        return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return dt


def _bind_date(engine: sa.Engine, d: date) -> Any:
    return d.isoformat() if engine.dialect.name == "sqlite" else d


SQL_DUE = "SELECT id FROM timer WHERE claimed_at IS NULL AND cancelled_at IS NULL AND due_at <= ?"
SQL_CLAIM = (
    "UPDATE timer SET claimed_at = ? "
    "WHERE claimed_at IS NULL AND cancelled_at IS NULL AND due_at <= ? RETURNING id"
)
SQL_GATES = (
    "SELECT j.ref, j.child_id, c.* FROM clock c JOIN journey j ON j.id = c.journey_id "
    "WHERE c.started_on <= ?"
)


def _reset_sweep(engine: sa.Engine, now: datetime) -> None:
    """Undo a sweep at ``now``: its outbox rows go, its timers are unclaimed again."""
    t, o = Timer.__table__, Outbox.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(sa.delete(o).where(o.c.created_at == now))
        conn.execute(sa.delete(t).where(t.c.created_at == now, t.c.repeat > 0))
        conn.execute(
            sa.update(t).where(t.c.claimed_at == now).values(claimed_at=None, outcome=None)
        )


def measure_empty_sweep(engine: sa.Engine, info: BuildInfo, repeat: int) -> Result:
    def ours() -> int:
        with Session(engine) as s:
            n = len(claim_due_timers(s, info.before_due))
            s.rollback()
        return n

    def base() -> int:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                _sql(engine, SQL_DUE), (_bind_dt(engine, info.before_due),)
            ).fetchall()
            conn.rollback()
        return len(rows)

    ms, rows = _timed(ours, max(repeat, MICRO_REPEAT), collect=False)
    base_ms, base_rows = _timed(base, max(repeat, MICRO_REPEAT), collect=False)
    assert rows == base_rows == 0, (rows, base_rows)
    return Result(info.journeys, info.dialect, "empty sweep (claim, none due)", ms, base_ms, rows)


def measure_claim(engine: sa.Engine, info: BuildInfo, repeat: int) -> Result:
    def ours() -> int:
        with Session(engine) as s:
            n = len(claim_due_timers(s, info.now))
            s.rollback()
        return n

    def base() -> int:
        with engine.connect() as conn:
            now = _bind_dt(engine, info.now)
            rows = conn.exec_driver_sql(_sql(engine, SQL_CLAIM), (now, now)).fetchall()
            conn.rollback()
        return len(rows)

    ms, rows = _timed(ours, repeat)
    base_ms, base_rows = _timed(base, repeat)
    note = "" if rows == base_rows else f"baseline claimed {base_rows}"
    return Result(
        info.journeys, info.dialect, "claim due timers (rolled back)", ms, base_ms, rows, note
    )


def measure_sweep(engine: sa.Engine, info: BuildInfo, repeat: int) -> list[Result]:
    """tasks.notify.enqueue_due: claim + supersede + recipients + render + outbox + commit."""
    from config.settings import reset_settings

    saved = {k: os.environ.get(k) for k in ("FRONTDOOR_DATABASE_URL", "FRONTDOOR_PATHWAY_FILE")}
    os.environ["FRONTDOOR_DATABASE_URL"] = info.url
    os.environ["FRONTDOOR_PATHWAY_FILE"] = str(PATHWAY_FILE)
    for key, value in (
        ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
        ("PREFECT_LOGGING_LEVEL", "WARNING"),
    ):
        os.environ.setdefault(key, value)
    reset_settings()
    try:
        from tasks.notify import enqueue_due  # imports prefect (~1-2 s, not timed)

        now = info.now
        t = Timer.__table__  # type: ignore[attr-defined]
        j = Journey.__table__  # type: ignore[attr-defined]
        with engine.connect() as conn:
            warm_ref = conn.execute(
                sa.select(j.c.ref)
                .join(t, t.c.journey_id == j.c.id)
                .where(t.c.claimed_at.is_(None), t.c.cancelled_at.is_(None), t.c.due_at <= now)
                .limit(1)
            ).scalar()
        if warm_ref is not None:  # compile the templates, warm the caches: then undo
            enqueue_due(now, journey_ref=warm_ref)
            _reset_sweep(engine, now)

        times, cpu, report = [], [], None
        for _ in range(repeat):
            gc.collect()
            t0, c0 = _time.perf_counter(), _time.process_time()
            report = enqueue_due(now)
            times.append((_time.perf_counter() - t0) * 1000)
            cpu.append((_time.process_time() - c0) * 1000)
            _reset_sweep(engine, now)
        assert report is not None

        base_times, base_rows = [], 0
        for _ in range(repeat):
            gc.collect()
            t0 = _time.perf_counter()
            with engine.begin() as conn:
                b = _bind_dt(engine, now)
                base_rows = len(conn.exec_driver_sql(_sql(engine, SQL_CLAIM), (b, b)).fetchall())
            base_times.append((_time.perf_counter() - t0) * 1000)
            _reset_sweep(engine, now)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings()

    ms, base_ms = statistics.median(times), statistics.median(base_times)
    note = (
        f"{repeat} run{'s' if repeat > 1 else ''}, our cpu {statistics.median(cpu):,.0f} ms; "
        f"claimed {report.claimed}, "
        f"queued {report.queued}, superseded {report.superseded}, stale {report.stale}, "
        f"no recipient {report.no_recipient}"
    )
    if base_rows != report.claimed:
        note += f"; baseline claimed {base_rows}"
    per = Result(
        info.journeys,
        info.dialect,
        "  per message (one sweep / claimed)",
        ms / max(1, report.claimed),
        base_ms / max(1, base_rows),
        1,
    )
    whole = Result(
        info.journeys,
        info.dialect,
        "one sweep (enqueue_due, commits)",
        ms,
        base_ms,
        report.claimed,
        note,
    )
    return [whole, per]


def measure_gates(engine: sa.Engine, info: BuildInfo, repeat: int) -> list[Result]:
    today = info.today

    def ours() -> tuple[int, Counter[str]]:
        with Session(engine) as s:
            rows = list(iter_gate_rows(s, today))
        return len(rows), Counter(r.status for r in rows)

    def base() -> int:
        with engine.connect() as conn:
            return len(
                conn.exec_driver_sql(_sql(engine, SQL_GATES), (_bind_date(engine, today),)).all()
            )

    def ours_summary() -> int:
        with Session(engine) as s:
            out = summary(s, today)
        return sum(out.clocks_by_status.values())

    def base_summary() -> int:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT stage, count(*) FROM journey GROUP BY stage").all()
            conn.exec_driver_sql("SELECT count(*) FROM journey WHERE ended_on IS NULL").all()
            n = len(
                conn.exec_driver_sql(_sql(engine, SQL_GATES), (_bind_date(engine, today),)).all()
            )
            conn.exec_driver_sql(
                "SELECT kind, status, count(*) FROM outbox GROUP BY kind, status"
            ).all()
        return n

    ms, (rows, statuses) = _timed(ours, repeat)
    base_ms, base_rows = _timed(base, repeat)
    s_ms, s_rows = _timed(ours_summary, repeat)
    sb_ms, _ = _timed(base_summary, repeat)
    note = " ".join(f"{k}={v}" for k, v in sorted(statuses.items()))
    if base_rows != rows:
        note += f"; baseline rows {base_rows}"
    return [
        Result(
            info.journeys,
            info.dialect,
            "gates evaluation (iter_gate_rows)",
            ms,
            base_ms,
            rows,
            note,
        ),
        Result(info.journeys, info.dialect, "summary (dashboard counts)", s_ms, sb_ms, s_rows),
    ]


def measure_refresh(engine: sa.Engine, info: BuildInfo, repeat: int) -> Result | None:
    ids = info.refresh_ids
    if not ids:
        return None
    pathway = load_pathway(PATHWAY_FILE)
    cal = pathway.working_calendar()
    from models.journeys import refresh_journeys

    problems: list[str] = []

    def ours() -> int:
        with Session(engine) as s:
            out = refresh_journeys(s, ids, pathway, cal, info.now)
            changed = {
                type(o).__name__ for o in s.dirty if not isinstance(o, Journey) and s.is_modified(o)
            }
            if s.new or s.deleted or changed:
                problems.append(
                    f"not idempotent: new={len(s.new)} deleted={len(s.deleted)} "
                    f"changed={sorted(changed)}"
                )
            s.flush()
            s.rollback()
        return len(out)

    def base() -> int:
        with engine.connect() as conn:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for table in ("event", "journey", "clock", "timer"):
                    col = "id" if table == "journey" else "journey_id"
                    conn.exec_driver_sql(
                        _sql(engine, f"SELECT * FROM {table} WHERE {col} IN ({marks})"),
                        tuple(chunk),
                    ).all()
            now = _bind_dt(engine, info.now)
            conn.exec_driver_sql(
                _sql(engine, "UPDATE journey SET evaluated_at = ? WHERE id = ?"),
                [(now, i) for i in ids],
            )
            conn.rollback()
        return len(ids)

    ms, rows = _timed(ours, repeat)
    base_ms, _ = _timed(base, repeat)
    note = f"{ms / rows:.2f} ms/journey"
    if problems:
        note += "; " + problems[0]
    return Result(
        info.journeys,
        info.dialect,
        f"refresh_journeys ({rows}, rolled back)",
        ms,
        base_ms,
        rows,
        note,
    )


# --- databases ----------------------------------------------------------------------------------


@contextmanager
def bench_database(kind: str, workdir: Path, n: int) -> Iterator[str]:
    """A fresh, empty database URL, removed afterwards."""
    if kind == "sqlite":
        path = workdir / f"bench-{n}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            dispose_engines()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"frontdoor_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            dispose_engines()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def run_size(
    kind: str, n: int, workdir: Path, repeat: int, sweep_repeat: int | None, today: date
) -> tuple[BuildInfo, list[Result]]:
    with bench_database(kind, workdir, n) as url:
        info = build(url, n, today=today)
        print(
            f"  built {n:,} journeys on {info.dialect} in {info.seconds:.1f} s "
            f"(planning {info.plan_seconds:.1f} s): {info.clocks:,} clocks, {info.timers:,} timers "
            f"({info.timers_live:,} live, {info.timers_due:,} due now = "
            f"{100 * info.timers_due / max(1, info.timers_live):.1f}% of live, "
            f"{100 * info.timers_due / max(1, info.timers):.1f}% of all), "
            f"{info.outbox:,} sent outbox rows, {info.events:,} events",
            flush=True,
        )
        engine = get_engine(url)
        load = os.getloadavg()[0]
        results: list[Result] = []
        results.append(measure_empty_sweep(engine, info, repeat))
        results.append(measure_claim(engine, info, repeat))
        results += measure_gates(engine, info, repeat)
        refresh = measure_refresh(engine, info, repeat)
        if refresh is not None:
            results.append(refresh)
        if sweep_repeat is None:  # a sweep of 10k messages takes ~25 s on SQLite: time it once
            sweep_repeat = 3 if info.timers_due <= 2_000 else 1
        results += measure_sweep(engine, info, sweep_repeat)
        for r in results:
            print("  " + _row(r), flush=True)
        # other work on the machine skews wall times: say how busy it was
        print(f"  load average (1 min): {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    return info, results


def _ms(v: float) -> str:
    return f"{v:.3f}" if v < 10 else f"{v:,.1f}"


HEADER = (
    f"{'size':>8}  {'db':<10} {'operation':<36} {'ours ms':>10} {'base ms':>10} "
    f"{'ratio':>7} {'rows':>8}  note"
)


def _row(r: Result) -> str:
    return (
        f"{r.size:>8,}  {r.db:<10} {r.operation:<36} {_ms(r.ours_ms):>10} "
        f"{_ms(r.baseline_ms):>10} {r.ratio:>6.1f}x {r.rows:>8,}  {r.note}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.sweep_bench", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated journey counts")
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    ap.add_argument("--repeat", type=int, default=3, help="runs per read-only measurement")
    ap.add_argument(
        "--sweep-repeat",
        type=int,
        default=None,
        help="sweeps to time, each undone (default: 3, or 1 when over 2,000 timers are due)",
    )
    ap.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]

    print(
        f"python {sys.version.split()[0]}, sqlite {__import__('sqlite3').sqlite_version}, "
        f"sqlalchemy {sa.__version__}, {os.cpu_count()} cpus; today {args.today}"
    )
    everything: list[Result] = []
    builds: list[tuple[str, BuildInfo]] = []
    with tempfile.TemporaryDirectory(prefix="frontdoor-bench-") as tmp:
        for kind in kinds:
            for n in sizes:
                print(f"{kind} {n:,} journeys", flush=True)
                info, results = run_size(
                    kind, n, Path(tmp), args.repeat, args.sweep_repeat, args.today
                )
                builds.append((kind, info))
                everything += results

    print()
    print("build times")
    for _kind, info in builds:
        print(
            f"{info.journeys:>8,}  {info.dialect:<10} {info.seconds:6.1f} s  "
            f"({info.timers:,} timers, {info.timers_due:,} due now)"
        )
    print()
    print(HEADER)
    for r in everything:
        print(_row(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
