"""Ops tune timescales on a real SQLite file: publish versions (a clock keeps its version across a
publish), calendar corrections moving due dates and timers, the audit trail, and the CLI.
No Prefect: imports run in-process, the CLI with CliRunner.

Calendar (England, 2026; [x] = bank holiday):

    March 2026            April 2026
    Mo Tu We Th Fr        Mo Tu We Th Fr
     2  3  4  5  6               1  2 [3]
     9 10 11 12 13        [6] 7  8  9 10
    16 17 18 19 20        13 14 15 16 17
    23 24 25 26 27
    30 31
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from helpers import JourneyBuilder, cli, staff_records, write_jsonl
from sqlmodel import Session, col, select

from config.settings import get_settings
from models.context import current_calendar, current_pathway
from models.db import get_engine, session_scope
from models.ingest import decode_lines, import_records
from models.journeys import refresh_journeys
from models.pathways import (
    CalendarRefused,
    PublishRefused,
    TimescaleAudit,
    add_closure,
    publish,
    remove_closure,
)
from models.tables import AccessLog, Clock, Journey, Timer

DEFAULT = Path(__file__).resolve().parents[2] / "pathways" / "default.yaml"
TEXT = DEFAULT.read_text(encoding="utf-8")
NOW = datetime(2026, 4, 20, 9, tzinfo=UTC)
TIGHTER = TEXT.replace("limit_working_days: 15", "limit_working_days: 10").replace(
    "    limit_working_days: 1\n    basis: Local target",
    "    limit_working_days: 3\n    basis: Local target",
)


def D(month: int, day: int) -> date:
    return date(2026, month, day)


def load(url: str, *builders: JourneyBuilder, roster: bool = True) -> None:
    records = [*(staff_records() if roster else []), *(r for b in builders for r in b.records)]
    import json

    with session_scope(url) as session:
        import_records(
            session,
            decode_lines([json.dumps(r) for r in records]),
            pathway=current_pathway(),
            cal=current_calendar(),
            now=NOW,
            actor="test",
            source="test.jsonl",
        )


def clocks(url: str, child: str) -> dict[str, Clock]:
    with Session(get_engine(url)) as s:
        jid = s.exec(select(Journey.id).where(Journey.child_id == child)).one()
        return {c.gate: c for c in s.exec(select(Clock).where(Clock.journey_id == jid))}


def do_publish(url: str, text: str, eff: date, today: date) -> int:
    with session_scope(url) as s:
        row = publish(
            s,
            text,
            source="tighter.yaml",
            effective_from=eff,
            today=today,
            actor="ops.anna",
            now=datetime.combine(today, datetime.min.time(), tzinfo=UTC),
            bootstrap_text=TEXT,
            bootstrap_source=str(DEFAULT),
        )
        return row.version


def s47(child: str, on: date) -> JourneyBuilder:
    j = JourneyBuilder(child)
    j.contact(on)
    j.outcome(on, "referral")
    j.referral_decision(on, "strategy_discussion")
    j.strategy(on, "s47")
    return j


def test_a_clock_keeps_its_version_across_a_publish(sqlite_url: str) -> None:
    load(sqlite_url, s47("C-OLD", D(3, 9)))
    assert do_publish(sqlite_url, TIGHTER, D(3, 16), today=D(3, 13)) == 2
    load(sqlite_url, s47("C-NEW", D(3, 17)), roster=False)
    # re-evaluating the old journey after the publish changes nothing
    with session_scope(sqlite_url) as s:
        ids = list(s.exec(select(Journey.id)).all())
        refresh_journeys(s, [i for i in ids if i], current_pathway(), current_calendar(), NOW)
    old, new = clocks(sqlite_url, "C-OLD"), clocks(sqlite_url, "C-NEW")
    # Mon 9 Mar + 15 wd = Mon 30 Mar under v1; Tue 17 Mar + 10 wd = Tue 31 Mar under v2
    assert (old["icpc"].pathway_version, old["icpc"].due_on) == (1, D(3, 30))
    assert (new["icpc"].pathway_version, new["icpc"].due_on) == (2, D(3, 31))
    assert (
        old["strategy_discussion"].limit_working_days,
        new["strategy_discussion"].limit_working_days,
    ) == (1, 3)
    with Session(get_engine(sqlite_url)) as s:
        audit = s.exec(select(TimescaleAudit).where(TimescaleAudit.action == "publish")).all()
        assert [(a.actor, a.pathway_version) for a in audit] == [("ops.anna", 2)]


def test_publish_refuses_the_past_and_bad_files(sqlite_url: str) -> None:
    with pytest.raises(PublishRefused, match="in the past"):
        do_publish(sqlite_url, TIGHTER, D(3, 10), today=D(3, 13))
    bad = TEXT.replace("limit_working_days: 45", "limit_working_days: 46")
    with pytest.raises(PublishRefused, match="loosens the statutory maximum"):
        do_publish(sqlite_url, bad, D(3, 20), today=D(3, 13))
    do_publish(sqlite_url, TIGHTER, D(3, 20), today=D(3, 13))
    with pytest.raises(PublishRefused, match="versions take effect in order"):
        do_publish(sqlite_url, TEXT, D(3, 18), today=D(3, 13))


def test_calendar_closure_moves_open_clocks_and_timers(sqlite_url: str) -> None:
    load(sqlite_url, s47("C-1", D(4, 1)))
    before = clocks(sqlite_url, "C-1")
    # Wed 1 Apr + 15 wd (Good Friday, Easter Monday) = Fri 24 Apr
    assert before["icpc"].due_on == D(4, 24)
    with session_scope(sqlite_url) as s:
        change = add_closure(
            s, D(4, 14), "Snow closure", pathway=current_pathway(), actor="ops.anna", now=NOW
        )
    moved = {(gate, old, new) for _ref, gate, old, new in change.moved}
    assert ("icpc", D(4, 24), D(4, 27)) in moved
    after = clocks(sqlite_url, "C-1")
    assert after["icpc"].due_on == D(4, 27)
    with Session(get_engine(sqlite_url)) as s:
        timers = s.exec(
            select(Timer).where(Timer.gate == "icpc", col(Timer.cancelled_at).is_(None))
        ).all()
        assert {(t.kind, t.level): t.due_on for t in timers}[("escalation", 1)] == D(4, 28)
        audit = s.exec(select(TimescaleAudit).order_by(col(TimescaleAudit.id))).all()
        assert audit[0].action == "add_closure" and audit[0].closure_day == D(4, 14)
        icpc_moves = [a for a in audit if a.action == "clock_moved" and a.gate == "icpc"]
        assert [(a.old_due_on, a.new_due_on, a.actor) for a in icpc_moves] == [
            (D(4, 24), D(4, 27), "ops.anna")
        ]
    # removing the closure moves it back, and that is recorded too
    with session_scope(sqlite_url) as s:
        back = remove_closure(
            s, D(4, 14), "opened after all", pathway=current_pathway(), actor="ops.bo", now=NOW
        )
    assert ("icpc", D(4, 27), D(4, 24)) in {(g, o, n) for _r, g, o, n in back.moved}
    assert clocks(sqlite_url, "C-1")["icpc"].due_on == D(4, 24)


def test_calendar_refusals(sqlite_url: str) -> None:
    p = current_pathway()
    with session_scope(sqlite_url) as s:
        with pytest.raises(CalendarRefused, match="outside the working-day calendar"):
            add_closure(s, date(2029, 1, 3), "too far", pathway=p, actor="x", now=NOW)
        with pytest.raises(CalendarRefused, match="weekend"):
            add_closure(s, D(4, 4), "Saturday", pathway=p, actor="x", now=NOW)
        with pytest.raises(CalendarRefused, match="bank holiday"):
            add_closure(s, D(4, 6), "Easter Monday", pathway=p, actor="x", now=NOW)
        with pytest.raises(CalendarRefused, match="not a recorded closure"):
            remove_closure(s, D(4, 7), "no", pathway=p, actor="x", now=NOW)


def test_cli_end_to_end(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDOOR_ACTOR", "ops.cli")
    get_settings.cache_clear()
    j = JourneyBuilder("C-CLI")
    j.contact(D(3, 2))
    j.outcome(D(3, 2), "referral")
    j.referral_decision(D(3, 2), "strategy_discussion")
    j.strategy(D(3, 4), "no_s47")
    res = cli(
        "import",
        str(write_jsonl(tmp_path / "in.jsonl", [*staff_records(), *j.records])),
        "--no-flows",
    )
    assert res.exit_code == 0, res.output
    proposed = write_jsonl(tmp_path / "p.yaml", [])
    proposed.write_text(TIGHTER, encoding="utf-8")

    res = cli("timescales", "check", str(proposed))
    assert res.exit_code == 0 and "OK" in res.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEXT.replace("limit_working_days: 45", "limit_working_days: 60"), "utf-8")
    res = cli("timescales", "check", str(bad))
    assert res.exit_code == 2
    line = 1 + TEXT[: TEXT.index("limit_working_days: 45")].count("\n")
    assert f"line {line}: gates[2].limit_working_days:" in res.stderr

    res = cli("timescales", "diff", str(proposed))
    assert res.exit_code == 0
    assert "strategy discussion limit 1 -> 3 working days" in res.stdout
    assert "icpc limit 15 -> 10 working days" in res.stdout

    res = cli("timescales", "what-if", str(proposed), "--from", "2026-03-02", "--to", "2026-03-20")
    assert res.exit_code == 0, res.output
    assert "1 journey(s) whose outcome would change" in res.stdout
    assert "strategy_discussion met_late (due 2026-03-03) -> met (due 2026-03-05)" in res.stdout
    assert "C-CLI" not in res.stdout  # pseudonymous references only
    with Session(get_engine(sqlite_url)) as s:
        assert s.exec(select(Timer)).all()  # from the import...
        assert [a.action for a in s.exec(select(AccessLog)).all()].count("what_if") == 1

    res = cli("timescales", "publish", str(proposed), "--effective-from", "2020-01-01")
    assert res.exit_code == 2 and "in the past" in res.stderr
    res = cli("timescales", "publish", str(proposed), "--effective-from", "2028-01-04")
    assert res.exit_code == 0, res.output
    assert "published version 2" in res.stdout
    res = cli("timescales", "show")
    assert res.exit_code == 0
    assert "scheduled" in res.stdout and "ops.cli" in res.stdout
    res = cli("timescales", "show", "--version", "2")
    assert "10 wd" in res.stdout
    res = cli("timescales", "show", "--version", "9")
    assert res.exit_code == 2 and "no pathway version 9" in res.stderr
    res = cli("timescales", "history")
    assert "version 2 (against version 1):" in res.stdout
    assert "icpc limit 15 -> 10 working days" in res.stdout

    res = cli("calendar", "add-closure", "2028-12-29", "--reason", "Local closure")
    assert res.exit_code == 0, res.output
    res = cli("calendar", "add-closure", "2029-01-02", "--reason", "x")
    assert res.exit_code == 2 and "outside the working-day calendar" in res.stderr
    res = cli("calendar", "show", "--year", "2028")
    assert "2028-12-29  closure       Local closure (ops.cli)" in res.stdout
    res = cli("timescales", "audit")
    assert "add_closure" in res.stdout and "publish" in res.stdout

    res = cli("templates", "preview", "reminder", "--gate", "icpc")
    assert res.exit_code == 0 and "Subject:" in res.stdout
    res = cli("templates", "preview", "reminder", "--gate", "nope")
    assert res.exit_code == 2
    res = cli("templates", "check")
    assert res.exit_code == 0
    get_settings.cache_clear()


@pytest.mark.postgres
def test_publish_closure_and_what_if_on_postgres(postgres_url: str) -> None:
    from frontdoor.timescales_admin import what_if
    from models.pathways import working_calendar
    from timescales.pathway_check import check_text

    load(postgres_url, s47("C-PG", D(3, 9)))
    assert do_publish(postgres_url, TIGHTER, D(3, 16), today=D(3, 13)) == 2
    load(postgres_url, s47("C-PG2", D(3, 17)), roster=False)
    assert clocks(postgres_url, "C-PG")["icpc"].pathway_version == 1
    assert clocks(postgres_url, "C-PG2")["icpc"].pathway_version == 2
    with session_scope(postgres_url) as s:
        change = add_closure(
            s, D(3, 27), "Local closure", pathway=current_pathway(), actor="ops", now=NOW
        )
    assert {(g, o, n) for _r, g, o, n in change.moved} >= {("icpc", D(3, 30), D(3, 31))}
    proposed = check_text(TIGHTER).pathway
    assert proposed is not None
    with session_scope(postgres_url) as s:
        cal = working_calendar(s, proposed)
        r = what_if(s, proposed, current_pathway(), cal, cal, D(3, 2), D(3, 31), actor="t", now=NOW)
    assert r.journeys == 2 and r.events == 8
    assert r.active.per_gate["icpc"].clocks == 2


def test_messages_use_the_rules_the_clock_opened_under(sqlite_url: str) -> None:
    from models.context import pathway_for_version

    without_strategy_title = TIGHTER.replace(
        "title: Strategy discussion held", "title: Strategy meeting"
    )
    do_publish(sqlite_url, without_strategy_title, D(3, 16), today=D(3, 13))
    assert pathway_for_version(1).gate("strategy_discussion").title == "Strategy discussion held"
    assert pathway_for_version(2).gate("strategy_discussion").title == "Strategy meeting"
    assert pathway_for_version(99).version == 2  # unknown: the version in force today
