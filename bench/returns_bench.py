"""Benchmark: the statutory returns over a 20,000-journey caseload, against a bare SQL read.

    .venv/bin/python -m bench.returns_bench [--journeys 20000] [--keep DIR]

Builds the caseload with the demo's seed generator (as of 2025-03-28, so it falls in the
2024-25 census year), imports it into a fresh SQLite file through the normal importer (not
timed), then times, in the same run:

- baseline: a bare SQL read of the same events (journey, type, date, outcome, payload);
- the CIN census export (read, derive, structure check, write XML);
- the Annex A export (CSV) and the monthly scorecard (JSON, with its 12-month trend).

The issue's target: the census export of 20,000 journeys in under 30 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

TODAY = date(2025, 3, 28)
BATCH = 500


def caseload(journeys: int, cal: Any) -> list[dict[str, Any]]:
    """``journeys`` journeys as batches of the seed generator (its repeat-child search is
    quadratic), each batch with its own seed and its children and record ids prefixed."""
    from frontdoor.seed import generate_caseload

    out: list[dict[str, Any]] = []
    for b in range(-(-journeys // BATCH)):
        n = min(BATCH, journeys - b * BATCH)
        for rec in generate_caseload(TODAY, journeys=n, seed=b + 1, calendar=cal):
            if rec["type"] == "staff":
                if b == 0:
                    out.append(rec)
                continue
            rec = {**rec, "id": f"b{b}-{rec['id']}", "child": f"B{b:02d}{rec['child']}"}
            out.append(rec)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.returns_bench")
    parser.add_argument("--journeys", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, help="keep the database and outputs here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="frontdoor-returns-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"

    from frontdoor.seed import default_calendar
    from models.db import get_engine, init_db, session_scope
    from models.ingest import import_records
    from models.returns import load_inputs
    from reports.annex_a import write_annex_a
    from reports.cin_xml import census_xml, check_structure, write_census
    from reports.scorecard_render import render
    from timescales.pathway import load_pathway
    from timescales.returns import build_annex_a, build_census, summarise
    from timescales.scorecard import Month, build_scorecard

    pathway = load_pathway(Path(__file__).resolve().parents[1] / "pathways" / "default.yaml")
    cal = default_calendar()
    t = time.perf_counter()
    records = caseload(args.journeys, cal)
    gen = time.perf_counter() - t
    init_db(url)
    t = time.perf_counter()
    with session_scope(url) as session:
        result = import_records(
            session,
            [(n, r) for n, r in enumerate(records, start=1)],
            pathway=pathway,
            cal=cal,
            now=datetime(2025, 3, 28, 18, tzinfo=UTC),
            actor="bench",
            source="bench",
        )
    imp = time.perf_counter() - t
    print(
        f"caseload: {result.journeys_opened} journeys, {result.events} events, "
        f"{result.children} children (generated in {gen:.1f}s, imported in {imp:.1f}s; not timed)"
    )

    engine = get_engine(url)
    t = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT journey_id, type, on_date, outcome, payload FROM event "
                "WHERE journey_id IS NOT NULL"
            )
        ).all()
    baseline = time.perf_counter() - t
    print(f"baseline  bare SQL read of {len(rows)} events: {baseline:.2f}s")

    t = time.perf_counter()
    with session_scope(url) as session:
        inputs = load_inputs(session, up_to=date(2025, 3, 31))
    read = time.perf_counter() - t
    t = time.perf_counter()
    census = build_census(inputs.journeys, inputs.children, year=2025, la_code="201", cal=cal)
    derive = time.perf_counter() - t
    t = time.perf_counter()
    now = datetime.now(UTC)
    assert check_structure(census_xml(census, generated_at=now)) == []
    out = work / "cin-2025.xml"
    write_census(census, out, generated_at=now)
    write = time.perf_counter() - t
    total = read + derive + write
    episodes = sum(len(c.episodes) for c in census.children)
    print(
        f"CIN census: {len(census.children)} children, {episodes} episodes, "
        f"{out.stat().st_size / 1e6:.1f} MB: read {read:.2f}s + derive {derive:.2f}s + "
        f"check and write {write:.2f}s = {total:.2f}s ({total / baseline:.1f}x the bare read; "
        f"target < 30 s: {'met' if total < 30 else 'MISSED'})"
    )

    t = time.perf_counter()
    annex = build_annex_a(
        inputs.journeys, inputs.children, as_of=TODAY, staff_names=inputs.staff_names
    )
    write_annex_a(annex, work / "annex-a")
    ann = time.perf_counter() - t
    rows_n = sum(len(v) for v in annex.lists.values())
    print(f"Annex A (after the read): {rows_n} rows in {ann:.2f}s ({ann / baseline:.1f}x)")

    t = time.perf_counter()
    month = Month(2025, 2)
    facts = [f for j in inputs.journeys if (f := summarise(j, month.last)) is not None]
    card = build_scorecard(facts, month, cal, roles=inputs.staff_roles)
    render(card, "json")
    sc = time.perf_counter() - t
    print(
        f"scorecard 2025-02 with 12-month trend (after the read): {sc:.2f}s ({sc / baseline:.1f}x)"
    )
    print(f"outputs in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
