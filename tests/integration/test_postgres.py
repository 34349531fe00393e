"""The same system on PostgreSQL: import and gates as on SQLite, an exclusive claim of due timers
under concurrency, and idempotent enqueue then delivery over real SMTP.

Needs the PostgreSQL service on 127.0.0.1:5432 (the `postgres_url` fixture makes a fresh
database per test). No flow runs: importing `tasks.*` imports prefect, nothing more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import (
    SW,
    SW2,
    TM,
    JourneyBuilder,
    Record,
    child_details,
    cli_gates,
    cli_import,
    email_of,
    row_counts,
    staff_records,
    use_database,
    without_journey,
    write_jsonl,
)
from sqlmodel import Session, col, select

from models.db import get_engine
from models.notify import claim_due_timers
from models.tables import Journey, Outbox, Timer

pytestmark = pytest.mark.postgres

# Thu 5 Mar 2026, noon (GMT, so London = UTC)
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def caseload() -> list[Record]:
    """A mixed caseload: every stage of the pathway, an ended journey and a second journey of the
    same child, bank holidays, and a late-entered event."""
    records: list[Record] = [*staff_records(), child_details("C-A"), child_details("C-ADV")]
    a = JourneyBuilder("C-A")
    a.contact("2026-03-02")
    a.outcome("2026-03-03", "referral")
    a.referral_decision("2026-03-04", "strategy_discussion")
    a.strategy("2026-03-05", "s47")
    a.s47_concluded("2026-03-20", "icpc")
    a.icpc("2026-04-01", "cp_plan", category="PHY")
    a.safety_plan("2026-03-23")  # entered after the ICPC, dated before it
    adv = JourneyBuilder("C-ADV")
    adv.contact("2026-03-02", source="2A")
    adv.outcome("2026-03-03", "advice", consent="not_required")
    adv2 = JourneyBuilder("C-ADV", prefix="C-ADV-2")
    adv2.contact("2026-03-16")
    adv2.outcome(
        "2026-03-17",
        "referral",
        consent="dispensed",
        consent_reason="Asking would put the child at risk.",
        approved_by=TM,
    )
    adv2.referral_decision("2026-03-18", "assessment", worker=SW2)
    adv2.assessment_started("2026-03-19")
    adv2.assessment_authorised("2026-05-27", "no_further_action", factors=["21"])
    hand = JourneyBuilder("C-HAND")
    hand.contact("2026-04-01")
    hand.outcome("2026-04-02", "referral")
    hand.referral_decision("2026-04-08", "strategy_discussion")
    hand.strategy("2026-04-13", "s47")
    hand.icpc_delay("2026-05-07")
    closed = JourneyBuilder("C-CLOSED")
    closed.contact("2026-03-09")
    closed.outcome("2026-03-10", "referral")
    closed.closed("2026-03-12", "RC8")
    for j in (a, adv, adv2, hand, closed):
        records += j.records
    return records


def test_import_and_gates_match_sqlite(
    postgres_url: str,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_jsonl(tmp_path / "caseload.jsonl", caseload())
    as_of_dates = ("2026-03-03", "2026-03-11", "2026-04-07", "2026-05-06", "2026-06-30")

    gates: dict[str, dict[str, list[dict[str, Any]]]] = {}
    outputs: dict[str, str] = {}
    for name, url in (("postgresql", postgres_url), ("sqlite", sqlite_url)):
        use_database(monkeypatch, url)
        result = cli_import(path)
        assert result.exit_code == 0, result.output
        outputs[name] = result.stdout
        assert row_counts(url)["journey"] == 5
        gates[name] = {d: without_journey(cli_gates(d)) for d in as_of_dates}
        again = cli_import(path)
        assert again.exit_code == 0, again.output
        assert again.stdout.startswith(f"imported 0 new record(s) ({len(caseload())} already")

    assert outputs["postgresql"] == outputs["sqlite"]
    assert outputs["postgresql"].startswith(f"imported {len(caseload())} new record(s)")
    assert "5 journey(s) opened" in outputs["postgresql"]
    for d in as_of_dates:
        assert gates["postgresql"][d] == gates["sqlite"][d], d
        assert gates["postgresql"][d], d
    statuses = {r["status"] for rows in gates["postgresql"].values() for r in rows}
    assert statuses == {"open", "due_soon", "overdue", "met", "met_late", "cancelled"}


def test_a_bad_file_writes_nothing_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", caseload())
    assert cli_import(good).exit_code == 0
    before = row_counts(postgres_url)
    j = JourneyBuilder("C-NEW")
    j.contact("2026-03-02")
    bad = {**JourneyBuilder("C-NEW").icpc("2026-03-03"), "id": "bad-icpc"}
    result = cli_import(write_jsonl(tmp_path / "bad.jsonl", [*j.records, bad]))
    assert result.exit_code == 2
    assert "bad.jsonl: line 2 (id bad-icpc): type: an ICPC cannot be recorded" in result.stderr
    assert row_counts(postgres_url) == before


# ---- the claim -------------------------------------------------------------------------------


def open_contacts(n: int, worker: str = SW) -> list[Record]:
    """``n`` journeys with a contact on Mon 2 Mar 2026 and no decision: contact_decision due
    Tue 3 Mar. As of NOW two timers of each are due (the due-day reminder, Tue 3 Mar 08:00, and
    the first escalation, Wed 4 Mar 08:00); the other escalations (Fri 6, Tue 10 Mar) are not."""
    records: list[Record] = []
    for i in range(n):
        j = JourneyBuilder(f"C-{i:03d}", worker=worker)
        j.contact("2026-03-02")
        records += j.records
    return records


def due_timer_ids(url: str, now: datetime) -> tuple[set[int], set[int]]:
    with Session(get_engine(url)) as s:
        due = set(
            s.exec(
                select(Timer.id).where(
                    col(Timer.claimed_at).is_(None),
                    col(Timer.cancelled_at).is_(None),
                    col(Timer.due_at) <= now,
                )
            )
        )
        not_due = set(s.exec(select(Timer.id).where(col(Timer.due_at) > now)))
    return {i for i in due if i is not None}, {i for i in not_due if i is not None}


def run_in_two_threads(fn: Callable[[str], list[int]]) -> dict[str, list[int]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(fn, name) for name in ("a", "b")}
        return {name: f.result(timeout=60) for name, f in futures.items()}


def test_claim_respects_its_limit(postgres_url: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "open.jsonl", [*staff_records(), *open_contacts(10)])
    assert cli_import(path).exit_code == 0
    due, _ = due_timer_ids(postgres_url, NOW)
    assert len(due) == 20

    with Session(get_engine(postgres_url), expire_on_commit=False) as session:
        first = claim_due_timers(session, NOW, limit=6)
        session.commit()
    assert len(first) == 6
    # the earliest due first: the 10 due-day reminders (Tue 3 Mar 08:00), by id
    assert [t.id for t in first] == sorted(t.id for t in first)
    assert {(t.kind, t.due_on) for t in first} == {("reminder", date(2026, 3, 3))}


@pytest.mark.parametrize("limit", [10_000, 7])
def test_claim_is_exclusive_under_concurrency(
    postgres_url: str, tmp_path: Path, limit: int
) -> None:
    path = write_jsonl(tmp_path / "open.jsonl", [*staff_records(), *open_contacts(30)])
    assert cli_import(path).exit_code == 0
    due, not_due = due_timer_ids(postgres_url, NOW)
    assert len(due) == 60 and len(not_due) == 60

    engine = get_engine(postgres_url)
    start = threading.Barrier(2, timeout=20)

    def claim_all(_name: str) -> list[int]:
        got: list[int] = []
        with Session(engine) as session:
            start.wait()
            while True:
                batch = claim_due_timers(session, NOW, limit=limit)
                session.commit()
                if not batch:
                    return got
                assert all(t.claimed_at == NOW for t in batch)
                got += [t.id for t in batch if t.id is not None]

    claimed = run_in_two_threads(claim_all)

    a, b = claimed["a"], claimed["b"]
    assert len(a) == len(set(a)) and len(b) == len(set(b))
    assert set(a) & set(b) == set()
    assert set(a) | set(b) == due
    with Session(engine) as s:
        rows = {t.id: t for t in s.exec(select(Timer))}
    assert {i for i, t in rows.items() if t.claimed_at is not None} == due
    assert all(rows[i].claimed_at is None for i in not_due)


def test_overlapping_claims_skip_each_others_rows(postgres_url: str, tmp_path: Path) -> None:
    """Both transactions hold their claim open at the same time: the second skips the rows the
    first has locked (and does not wait for them), so both get rows and none twice."""
    path = write_jsonl(tmp_path / "open.jsonl", [*staff_records(), *open_contacts(10)])
    assert cli_import(path).exit_code == 0
    due, _ = due_timer_ids(postgres_url, NOW)
    assert len(due) == 20

    engine = get_engine(postgres_url)
    start = threading.Barrier(2, timeout=20)
    both_claimed = threading.Barrier(2, timeout=20)

    def claim_then_hold(_name: str) -> list[int]:
        with Session(engine) as session:
            start.wait()
            first = [t.id for t in claim_due_timers(session, NOW, limit=6) if t.id is not None]
            both_claimed.wait()  # neither has committed yet
            session.commit()
            rest: list[int] = []
            while batch := claim_due_timers(session, NOW, limit=4):
                session.commit()
                rest += [t.id for t in batch if t.id is not None]
            session.commit()
            return [*first, -1, *rest]  # -1 separates the overlapping claim from the rest

    claimed = run_in_two_threads(claim_then_hold)

    firsts = {k: v[: v.index(-1)] for k, v in claimed.items()}
    assert len(firsts["a"]) == len(firsts["b"]) == 6
    everything = {k: [i for i in v if i != -1] for k, v in claimed.items()}
    assert set(everything["a"]) & set(everything["b"]) == set()
    assert set(everything["a"]) | set(everything["b"]) == due
    assert sum(len(v) for v in everything.values()) == len(due)


# ---- enqueue and deliver -----------------------------------------------------------------------


def test_enqueue_twice_queues_once_and_delivery_sends_each_message(
    postgres_url: str, smtp_server: Any, tmp_path: Path
) -> None:
    from tasks.deliver import deliver_pending
    from tasks.notify import enqueue_due

    ref = JourneyBuilder("C-REF", worker=SW2)
    ref.contact("2026-03-02")
    ref.outcome("2026-03-03", "referral")  # meets contact_decision: its timers are cancelled
    records = [*staff_records(), *open_contacts(4), *ref.records]
    assert cli_import(write_jsonl(tmp_path / "due.jsonl", records)).exit_code == 0

    first = enqueue_due(NOW)
    # 4 open contacts: reminder (superseded) + escalation 1 each; C-REF: its referral decision
    # (due Wed 4 Mar) has the same two due; its met contact_decision timers were cancelled
    assert (first.claimed, first.queued, first.superseded) == (10, 5, 5)
    assert (first.stale, first.no_recipient) == (0, 0)
    assert first.by_kind == {"escalation": 5}

    second = enqueue_due(NOW)
    assert (second.claimed, second.queued, second.superseded) == (0, 0, 0)

    with Session(get_engine(postgres_url)) as s:
        outbox = s.exec(select(Outbox)).all()
        refs = {j.id: j.ref for j in s.exec(select(Journey))}
        n_keys = s.exec(select(sa.func.count(sa.distinct(Outbox.idempotency_key)))).one()
    assert len(outbox) == n_keys == 5
    assert {m.idempotency_key for m in outbox} == {
        f"{refs[m.journey_id]}:{m.gate}:{m.cycle.isoformat()}:escalation:1" for m in outbox
    }
    assert sorted(m.gate for m in outbox) == ["contact_decision"] * 4 + ["referral_decision"]
    assert {(m.status, m.recipient_email) for m in outbox} == {("pending", email_of(TM))}
    assert {m.cycle for m in outbox} == {date(2026, 3, 2), date(2026, 3, 3)}

    report = deliver_pending(NOW)
    assert (report.sent, report.retrying, report.failed) == (5, 0, 0)
    received = smtp_server.messages()
    assert len(received) == 5
    assert {str(m["To"]) for m in received} == {email_of(TM)}
    with Session(get_engine(postgres_url)) as s:
        assert {m.status for m in s.exec(select(Outbox))} == {"sent"}

    again = deliver_pending(NOW)
    assert (again.sent, again.retrying, again.failed) == (0, 0, 0)
    assert len(smtp_server.messages()) == 5
    assert row_counts(postgres_url)["deliveryattempt"] == 5
