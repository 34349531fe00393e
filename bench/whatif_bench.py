"""What-if over a year of a large authority's events, against the plain replay as baseline.

    .venv/bin/python -m bench.whatif_bench [--events 500000] [--keep DIR]

Prints the sizes (events, journeys), the time of each phase and the ratio what-if / baseline.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from models.db import dispose_engines, init_db, session_scope
from models.tables import Event, Journey
from timescales.calendar import WorkingCalendar
from timescales.pathway import Pathway, load_pathway

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "pathways" / "default.yaml"
YEAR_START = date(2025, 4, 1)
YEAR_END = date(2026, 3, 31)


def proposed_from(active: Pathway) -> Pathway:
    data = active.model_dump()
    for g in data["gates"]:
        if g["id"] == "strategy_discussion":
            g["limit_working_days"] = 3
        if g["id"] == "assessment":
            g["limit_working_days"] = 40
    data["ladder"]["reminders"] = [
        {"level": 1, "before_due": 5, "to": "allocated_worker", "template": "reminder"},
        {"level": 2, "before_due": 2, "to": "allocated_worker", "template": "reminder"},
        {"level": 3, "before_due": 0, "to": "allocated_worker", "template": "reminder"},
    ]
    data["version"] = active.version + 1
    return Pathway.model_validate(data)


def _journey(rng: random.Random, cal: WorkingCalendar, start: date) -> list[tuple[str, date, Any]]:
    """One synthetic journey: (type, date, outcome) in order. ~3.6 events on average."""

    def later(d: date, lo: int, hi: int) -> date:
        return cal.add_working_days(d, rng.randint(lo, hi))

    ev: list[tuple[str, date, Any]] = [("contact_received", start, None)]
    d = later(start, 0, 2)
    if rng.random() < 0.72:
        ev.append(("contact_outcome", d, rng.choice(["no_further_action", "advice", "early_help"])))
        return ev
    ev.append(("contact_outcome", d, "referral"))
    d = later(d, 0, 2)
    if rng.random() < 0.12:
        ev.append(("referral_decision", d, "no_further_action"))
        return ev
    to_strategy = rng.random() < 0.25
    ev.append(("referral_decision", d, "strategy_discussion" if to_strategy else "assessment"))
    if not to_strategy:
        ev.append(("assessment_started", later(d, 0, 3), None))
        end = later(d, 15, 55)
        ev.append(("assessment_authorised", end, rng.choice(["cin_plan", "no_further_action"])))
        return ev
    d = later(d, 0, 4)
    s47 = rng.random() < 0.8
    ev.append(("strategy_discussion", d, "s47" if s47 else "no_s47"))
    if not s47:
        return ev
    ev.append(("assessment_started", d, None))
    c = later(d, 5, 12)
    icpc = rng.random() < 0.45
    if rng.random() < 0.8:
        ev.append(("safety_plan_recorded", later(d, 1, 8), None))
    ev.append(("s47_concluded", c, "icpc" if icpc else "no_icpc"))
    if icpc:
        held = later(d, 10, 20)
        if held > cal.add_working_days(d, 15) and rng.random() < 0.6:
            ev.append(("icpc_delay_agreed", later(d, 14, 16), None))
        ev.append(("icpc_held", held, rng.choice(["cp_plan", "no_plan"])))
    return ev


def build(url: str, events_wanted: int, cal: WorkingCalendar, seed: int = 11) -> tuple[int, int]:
    rng = random.Random(seed)
    days = [
        d
        for d in (YEAR_START + timedelta(days=i) for i in range((YEAR_END - YEAR_START).days + 1))
        if cal.is_working_day(d)
    ]
    now = datetime(2026, 4, 1, 9, tzinfo=UTC)
    journeys: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    jid = 0
    while len(events) < events_wanted:
        jid += 1
        ref = f"J-{jid:06d}"
        child = f"C{jid:07d}"
        evs = _journey(rng, cal, rng.choice(days))
        journeys.append(
            {
                "id": jid,
                "ref": ref,
                "child_id": child,
                "team": "north",
                "opening_record": f"ev-{jid}-0",
                "opened_on": evs[0][1],
                "stage": "contact",
                "flags": "",
                "pathway_version": 1,
                "evaluated_at": now,
                "created_at": now,
            }
        )
        for i, (typ, on, outcome) in enumerate(evs):
            events.append(
                {
                    "record_id": f"ev-{jid}-{i}",
                    "type": typ,
                    "journey_id": jid,
                    "child_id": child,
                    "on_date": on,
                    "at_utc": datetime.combine(on, dtime(10, i), tzinfo=UTC),
                    "outcome": outcome,
                    "payload": json.dumps({"type": typ}),
                    "recorded_at": now,
                    "recorded_by": "bench",
                    "source": "bench",
                }
            )
    engine = init_db(url)
    with engine.begin() as conn:
        for i in range(0, len(journeys), 20000):
            conn.execute(sa.insert(Journey.__table__), journeys[i : i + 20000])  # type: ignore[attr-defined]
        for i in range(0, len(events), 20000):
            conn.execute(sa.insert(Event.__table__), events[i : i + 20000])  # type: ignore[attr-defined]
    return len(events), len(journeys)


def main(argv: list[str] | None = None) -> int:
    from frontdoor.timescales_admin import what_if

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--keep", type=Path, default=None, help="keep the database in this folder")
    args = ap.parse_args(argv)

    active = load_pathway(DEFAULT)
    proposed = proposed_from(active)
    cal = active.working_calendar()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="whatif-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "bench.db"
    db.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    t = time.perf_counter()
    n_events, n_journeys = build(url, args.events, cal)
    print(
        f"built {n_events} events in {n_journeys} journeys ({YEAR_START} to {YEAR_END}) "
        f"with bulk SQL in {time.perf_counter() - t:.1f}s"
    )

    # baseline: the plain replay of the period under the active pathway (the same code path as
    # `frontdoor timescales what-if`, one side only)
    now = datetime(2026, 4, 1, 9, tzinfo=UTC)
    with session_scope(url) as session:
        t0 = time.perf_counter()
        base_report = what_if(
            session, proposed, active, cal, cal, YEAR_START, YEAR_END,
            actor="bench", now=now, sides=("active",),
        )  # fmt: skip
        t_base = time.perf_counter() - t0
    t_read = base_report.seconds["read"]
    base = base_report.active

    # what-if: read once, replay under both, compare
    with session_scope(url) as session:
        t0 = time.perf_counter()
        report = what_if(
            session, proposed, active, cal, cal, YEAR_START, YEAR_END, actor="bench", now=now
        )
        t_whatif = time.perf_counter() - t0
    t_read2 = report.seconds["read"]
    a, p, changed = report.active, report.proposed, report.changed
    facts = range(report.journeys)

    assert a.per_gate["assessment"].as_dict() == base.per_gate["assessment"].as_dict()
    clocks = sum(n.clocks for n in a.per_gate.values())
    print(f"replayed {len(facts)} journeys, {clocks} clocks per pathway")
    print(f"baseline  plain replay under the active pathway: {t_base:6.2f}s (read {t_read:.2f}s)")
    print(
        f"what-if   active + proposed, compared:           {t_whatif:6.2f}s "
        f"(read {t_read2:.2f}s); {len(changed)} journeys change outcome"
    )
    print(
        f"ratio     what-if / baseline = {t_whatif / t_base:.2f}; "
        f"{n_events / t_whatif:,.0f} events/s; target < 60 s: "
        f"{'met' if t_whatif < 60 else 'NOT met'}"
    )
    for g in ("strategy_discussion", "assessment"):
        print(f"  {g}: active {a.per_gate[g].as_dict()}")
        print(f"  {g}: proposed {p.per_gate[g].as_dict()}")
    dispose_engines()
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
