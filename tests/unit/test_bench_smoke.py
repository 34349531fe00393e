"""The benchmark's caseload builder at N=50: the rows it promises are there, and some are due.

Imports nothing from prefect (bench.sweep_bench imports it only to time the sweep).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from bench.sweep_bench import PATHWAY_FILE, Planner, build, shape_and_age
from models.db import dispose_engines, get_engine
from models.notify import claim_due_timers
from timescales.pathway import load_pathway


def test_builder_fills_the_tables_and_leaves_some_timers_due(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    try:
        info = build(url, 50, refresh_journeys=10)
        pathway = load_pathway(PATHWAY_FILE)
        planner = Planner(pathway, pathway.working_calendar(), info.today)
        plans = [planner.plan(*shape_and_age(i)) for i in range(50)]

        with get_engine(url).connect() as conn:

            def count(sql: str) -> int:
                return int(conn.execute(sa.text(sql)).scalar_one())

            assert count("SELECT count(*) FROM journey WHERE ended_on IS NULL") == 50
            assert count("SELECT count(*) FROM clock") == sum(len(p.clocks) for p in plans)
            assert count("SELECT count(*) FROM timer") == sum(len(p.timers) for p in plans)
            assert count("SELECT count(*) FROM outbox") == sum(len(p.sent) for p in plans) > 0
            assert count("SELECT count(*) FROM event WHERE journey_id IS NOT NULL") == info.events
            assert count("SELECT count(*) FROM staff") == 12
            live = count(
                "SELECT count(*) FROM timer WHERE claimed_at IS NULL AND cancelled_at IS NULL"
            )
            assert live == info.timers_live
        assert info.journeys == 50 and 0 < info.timers_due < info.timers_live

        # the sweep's own claim finds exactly the timers the builder says are due, and none
        # just before today's notify time
        with Session(get_engine(url)) as session:
            assert claim_due_timers(session, info.before_due) == []
            assert len(claim_due_timers(session, info.now)) == info.timers_due
            session.rollback()
    finally:
        dispose_engines()


def test_importing_the_bench_does_not_import_prefect() -> None:
    # a fresh interpreter: in a whole-suite run, the integration tests have imported prefect
    code = "import sys, bench.sweep_bench; sys.exit('prefect' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
