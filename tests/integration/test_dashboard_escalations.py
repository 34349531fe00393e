"""Escalations awaiting acknowledgement, held to a plain-Python reading of the raw rows.

The caseload is imported in two steps with a sweep after each, as a live service sees it: the
second step's events stop clocks the first sweep escalated, so the outbox holds escalations whose
clocks have since stopped (history), repeats of a rung, and rungs a manager acknowledges.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

FIRST = date(2026, 2, 2)  # the first import and sweep
DAY = date(2026, 3, 4)  # the second: 22 working days on


@dataclass
class Case:
    url: str
    acked: int


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Case]:
    """The caseload on a SQLite file and on a fresh PostgreSQL database (the query is planned
    differently on each: see ``models.dashboard._OrderedJoin``)."""
    from tests.conftest import fresh_postgres_database

    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('esc') / 'frontdoor.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database("frontdoor_esc"))
        yield from _load_case(url)


def _load_case(url: str) -> Iterator[Case]:
    from config.clock import parse_as_of
    from config.settings import reset_settings
    from frontdoor.seed import generate_caseload
    from models.context import current_calendar, current_pathway
    from models.dashboard import acknowledge
    from models.db import dispose_engines, init_db, session_scope
    from models.ingest import import_records
    from models.tables import Journey, Outbox
    from tasks.notify import enqueue_due

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FRONTDOOR_DATABASE_URL", url)
        reset_settings()
        init_db(url)
        records = generate_caseload(DAY, journeys=90, calendar=current_calendar())
        early = [r for r in records if str(r.get("at", ""))[:10] <= FIRST.isoformat()]
        later = [r for r in records if str(r.get("at", ""))[:10] > FIRST.isoformat()]
        for batch, day in ((early, FIRST), (later, DAY)):
            now = parse_as_of(day.isoformat())
            with session_scope(url) as s:
                import_records(
                    s,
                    list(enumerate(batch, 1)),
                    pathway=current_pathway(),
                    cal=current_calendar(),
                    now=now,
                    actor="test",
                    source="test",
                )
            while enqueue_due(now).claimed:
                pass
        # a manager acknowledges every third awaiting rung
        with session_scope(url) as s:
            rungs = s.execute(
                sa.select(Outbox.journey_id, Outbox.gate, Outbox.cycle, Outbox.level)
                .where(Outbox.kind == "escalation")
                .distinct()
                .order_by(Outbox.journey_id, Outbox.gate, Outbox.cycle, Outbox.level)
            ).all()
            acked = 0
            for i, (jid, gate, cycle, level) in enumerate(rungs):
                if i % 3 == 0:
                    journey = s.get(Journey, jid)
                    assert journey is not None
                    acknowledge(
                        s,
                        journey,
                        gate,
                        cycle,
                        level,
                        by="tm",
                        note="seen",
                        now=parse_as_of(DAY.isoformat()),
                    )
                    acked += 1
        yield Case(url, acked)
        dispose_engines()
        reset_settings()


def _oracle(url: str, scope: Any, team: str | None = None) -> list[tuple[str, str, date, int]]:
    """Awaiting rungs from the raw rows, in Python: escalation messages of a clock still open
    (same cycle, neither stopped nor cancelled), of a journey not ended, not acknowledged, in
    scope; one per rung, oldest first (first message's time, then id)."""
    from models.db import get_engine

    with get_engine(url).connect() as c:
        journeys = {
            r.id: r
            for r in c.execute(sa.text("SELECT id, ref, team, worker, ended_on FROM journey"))
        }
        clocks = {
            (r.journey_id, r.gate): r
            for r in c.execute(
                sa.text("SELECT journey_id, gate, started_on, stopped_on, cancelled_on FROM clock")
            )
        }
        acks = {
            (r.journey_id, r.gate, str(r.cycle), r.level)
            for r in c.execute(sa.text("SELECT journey_id, gate, cycle, level FROM escalationack"))
        }
        messages = c.execute(
            sa.text(
                "SELECT id, journey_id, gate, cycle, level, created_at FROM outbox "
                "WHERE kind = 'escalation'"
            )
        ).all()
    first: dict[tuple[Any, ...], tuple[str, int]] = {}
    for m in messages:
        key = (m.journey_id, m.gate, str(m.cycle), m.level)
        j, clock = journeys[m.journey_id], clocks.get((m.journey_id, m.gate))
        if (
            clock is None
            or str(clock.started_on) != str(m.cycle)
            or clock.stopped_on is not None
            or clock.cancelled_on is not None
            or j.ended_on is not None
            or key in acks
            or (team and j.team != team)
            or (scope.kind == "team" and j.team != scope.team)
            or (scope.kind == "worker" and j.worker != scope.staff_id)
            or scope.kind == "none"
        ):
            continue
        first[key] = min(first.get(key, (str(m.created_at), m.id)), (str(m.created_at), m.id))
    ordered = sorted(first.items(), key=lambda kv: kv[1])
    return [
        (journeys[k[0]].ref, k[1], date.fromisoformat(k[2][:10]), k[3]) for k, _first in ordered
    ]


def _scopes(url: str) -> list[Any]:
    from models.dashboard import Scope
    from models.db import get_engine

    with get_engine(url).connect() as c:
        worker = c.execute(
            sa.text(
                "SELECT worker FROM journey WHERE worker IS NOT NULL GROUP BY worker "
                "ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        team = c.execute(
            sa.text("SELECT team FROM journey WHERE worker = :w LIMIT 1"), {"w": worker}
        ).scalar_one()
    return [
        Scope("sm", "", "service_manager", "", "all"),
        Scope("tm", "", "team_manager", team, "team"),
        Scope(worker, "", "social_worker", team, "worker"),
        Scope("ops", "", "ops", "ops", "none"),
    ]


def test_the_case_has_history_repeats_and_acknowledgements(case: Case) -> None:
    """The comparison below bites only if the data holds each thing the query must exclude."""
    from models.db import get_engine

    with get_engine(case.url).connect() as c:
        stopped = c.execute(
            sa.text(
                "SELECT count(*) FROM outbox o JOIN clock k ON k.journey_id = o.journey_id "
                "AND k.gate = o.gate WHERE o.kind = 'escalation' AND (k.stopped_on IS NOT NULL "
                "OR k.cancelled_on IS NOT NULL OR k.started_on != o.cycle)"
            )
        ).scalar_one()
        repeats = c.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT 1 FROM outbox WHERE kind = 'escalation' "
                "GROUP BY journey_id, gate, cycle, level HAVING count(*) > 1) AS repeated"
            )
        ).scalar_one()
    assert stopped > 0 and repeats > 0 and case.acked > 0
    awaiting = _oracle(case.url, _scopes(case.url)[0])
    assert len(awaiting) > 3


def test_awaiting_escalations_are_those_of_the_raw_rows(case: Case) -> None:
    from models.dashboard import escalation_counts, escalations_awaiting, open_escalations
    from models.db import session_scope

    with session_scope(case.url) as s:
        for scope in _scopes(case.url):
            for team in (None, scope.team):
                want = _oracle(case.url, scope, team)
                got = open_escalations(s, scope, team=team)
                assert [(e.journey, e.gate, e.cycle, e.level) for e in got] == want, scope
                top, total = escalations_awaiting(s, scope, team=team, limit=5)
                assert total == len(want) and top == got[:5]
                per_team: dict[str, int] = defaultdict(int)
                for e in got:
                    per_team[e.team] += 1
                assert escalation_counts(s, scope, team=team) == dict(per_team)
            for e in open_escalations(s, scope)[:3]:  # and one journey's own
                mine = open_escalations(s, scope, journey_id=e.journey_id)
                assert e in mine and {m.journey for m in mine} == {e.journey}
