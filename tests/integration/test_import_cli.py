"""`frontdoor import` and `frontdoor gates` through the real CLI (Typer's CliRunner) on a real
SQLite file. No Prefect: every import runs with --no-flows.

Calendar used (England, 2026; [x] = bank holiday):

    March 2026            April 2026                     May 2026           June 2026
    Mo Tu We Th Fr        Mo Tu We Th Fr                 Mo Tu We Th Fr     Mo Tu We Th Fr
     2  3  4  5  6              1  2 [3] Good Friday                  1      1  2  3  4  5
     9 10 11 12 13        [6] 7  8  9 10  Easter Monday  [4] 5  6  7  8      8  9 10 11 12
    16 17 18 19 20        13 14 15 16 17                 11 12 13 14 15
    23 24 25 26 27        20 21 22 23 24                 18 19 20 21 22
    30 31                 27 28 29 30                   [25]26 27 28 29

    December 2026: Fri 25 Christmas, Sat 26 Boxing Day, Mon 28 Boxing Day (substitute).
    January 2027: Fri 1 New Year's Day.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    HOS,
    SW,
    SW2,
    TM,
    JourneyBuilder,
    Record,
    child_details,
    cli,
    cli_gates,
    cli_import,
    jsonl,
    row_counts,
    staff_records,
    use_database,
    without_journey,
    write_jsonl,
)
from sqlmodel import Session, col, select

from config.clock import today_london
from config.settings import reset_settings
from models.db import get_engine
from models.tables import AccessLog, Child, Clock, Event, Journey, Staff, Timer

GATE_ROW_KEYS = {
    "journey",
    "child",
    "team",
    "gate",
    "kind",
    "reporting_only",
    "started_on",
    "due_on",
    "stopped_on",
    "cancelled_on",
    "status",
}
STATUSES = {"open", "due_soon", "overdue", "met", "met_late", "cancelled"}


# ---- scenario builders -----------------------------------------------------------------------


def s47_journey(child: str = "C-A") -> JourneyBuilder:
    """Contact Mon 2 Mar, referral Tue 3 Mar, strategy discussion decided Wed 4 Mar and held
    (s47) Thu 5 Mar 2026. Open."""
    j = JourneyBuilder(child)
    j.contact("2026-03-02")
    j.outcome("2026-03-03", "referral")
    j.referral_decision("2026-03-04", "strategy_discussion", primary_need="N1")
    j.strategy("2026-03-05", "s47")
    return j


def contact_only(child: str = "C-B", at: str = "2026-03-02") -> JourneyBuilder:
    j = JourneyBuilder(child, worker=SW2)
    j.contact(at)
    return j


def base_records() -> list[Record]:
    return [
        *staff_records(),
        child_details("C-A"),
        child_details("C-B", sex="M", ethnicity="MWBC"),
        *s47_journey().records,
        *contact_only().records,
    ]


def stored_journeys(url: str) -> list[Journey]:
    with Session(get_engine(url)) as s:
        return list(s.exec(select(Journey).order_by(col(Journey.child_id), col(Journey.id))))


def import_ok(path: Path) -> Any:
    result = cli_import(path)
    assert result.exit_code == 0, result.output
    return result


def error_lines(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


# ---- a valid file ----------------------------------------------------------------------------


def test_valid_file_imports_and_writes_rows(sqlite_url: str, tmp_path: Path) -> None:
    records = base_records()
    path = write_jsonl(tmp_path / "caseload.jsonl", records)

    result = cli_import(path)

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.stdout.strip() == (
        "imported 13 new record(s) (0 already recorded): 6 staff, 2 children, 5 events; "
        "2 journey(s) opened, 2 updated"
    )
    counts = row_counts(sqlite_url)
    assert counts["staff"] == 6
    assert counts["child"] == 2
    assert counts["event"] == 13  # every accepted record is kept as it arrived
    assert counts["journey"] == 2
    assert counts["outbox"] == 0

    with Session(get_engine(sqlite_url)) as s:
        staff = {m.staff_id: m for m in s.exec(select(Staff))}
        assert staff[SW].role == "social_worker" and staff[SW].manager == TM
        assert staff[HOS].manager is None
        child = s.get(Child, "C-B")
        assert child is not None and (child.sex, child.ethnicity) == ("M", "MWBC")
        assert child.birth_date == date(2016, 5, 4)

        journeys = {j.child_id: j for j in s.exec(select(Journey))}
        a, b = journeys["C-A"], journeys["C-B"]
        assert a.ref != b.ref and a.ref.startswith("J-")
        assert (a.opened_on, a.ended_on, a.stage, a.worker) == (
            date(2026, 3, 2),
            None,
            "section47",
            SW,
        )
        assert (b.opened_on, b.ended_on, b.stage, b.worker) == (
            date(2026, 3, 2),
            None,
            "contact",
            SW2,
        )

        events = s.exec(select(Event).where(col(Event.journey_id).is_not(None))).all()
        assert {(e.record_id, e.journey_id) for e in events} == {
            ("C-A-01", a.id),
            ("C-A-02", a.id),
            ("C-A-03", a.id),
            ("C-A-04", a.id),
            ("C-B-01", b.id),
        }
        assert {e.source for e in s.exec(select(Event))} == {"caseload.jsonl"}
        stored = s.exec(select(Event).where(Event.record_id == "C-A-04")).one()
        assert (stored.type, stored.on_date, stored.outcome) == (
            "strategy_discussion",
            date(2026, 3, 5),
            "s47",
        )
        assert json.loads(stored.payload) == records[11]  # the record as it arrived

        clocks = {(c.journey_id, c.gate): c for c in s.exec(select(Clock))}
        assert {g for (jid, g) in clocks if jid == a.id} == {
            "contact_decision",
            "referral_decision",
            "assessment",
            "strategy_discussion",
            "icpc",
            "icpc_s47_start",
            "icpc_delay_rationale",
        }
        assert {g for (jid, g) in clocks if jid == b.id} == {"contact_decision"}
        icpc = clocks[(a.id, "icpc")]
        # strategy discussion Thu 5 Mar + 15 working days = Thu 26 Mar 2026
        assert (icpc.started_on, icpc.due_on, icpc.stopped_on) == (
            date(2026, 3, 5),
            date(2026, 3, 26),
            None,
        )
        timers = s.exec(select(Timer).where(Timer.journey_id == b.id)).all()
        # contact Mon 2 Mar: due Tue 3 Mar; due-day reminder, escalations Wed 4, Fri 6, Tue 10
        assert sorted((t.kind, t.level, t.due_on) for t in timers) == [
            ("escalation", 1, date(2026, 3, 4)),
            ("escalation", 2, date(2026, 3, 6)),
            ("escalation", 3, date(2026, 3, 10)),
            ("reminder", 2, date(2026, 3, 3)),
        ]


def test_reimporting_an_identical_file_is_a_no_op(sqlite_url: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "caseload.jsonl", base_records())
    import_ok(path)
    before = row_counts(sqlite_url)
    with Session(get_engine(sqlite_url)) as s:
        journeys_before = [j.model_dump() for j in s.exec(select(Journey).order_by(Journey.id))]

    again = cli_import(path)

    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("imported 0 new record(s) (13 already recorded): ")
    assert "0 journey(s) opened, 0 updated" in again.stdout
    assert row_counts(sqlite_url) == before
    with Session(get_engine(sqlite_url)) as s:
        assert [j.model_dump() for j in s.exec(select(Journey).order_by(Journey.id))] == (
            journeys_before
        )

    # the same records with keys in another order and explicit nulls are still "identical"
    shuffled = [dict(reversed(list(r.items()))) for r in base_records()]
    shuffled[-1]["by"] = None
    again = cli_import(write_jsonl(tmp_path / "again.jsonl", shuffled))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("imported 0 new record(s) (13 already recorded): ")
    assert row_counts(sqlite_url) == before


def test_same_id_different_content_is_refused_and_nothing_written(
    sqlite_url: str, tmp_path: Path
) -> None:
    import_ok(write_jsonl(tmp_path / "first.jsonl", base_records()))
    before = row_counts(sqlite_url)

    changed = dict(s47_journey().records[0], source="2A")  # C-A-01 with another referral source
    fresh = contact_only("C-NEW", at="2026-03-09").records[0]
    path = write_jsonl(tmp_path / "second.jsonl", [fresh, changed, child_details("C-NEW")])

    result = cli_import(path)

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert error_lines(result) == [
        "second.jsonl: line 2 (id C-A-01): id already used by a different stored record",
        "error: 1 invalid record(s) in second.jsonl; nothing was imported",
    ]
    assert row_counts(sqlite_url) == before


def test_same_id_twice_in_one_file_with_different_content(sqlite_url: str, tmp_path: Path) -> None:
    before = row_counts(sqlite_url)
    j = contact_only("C-DUP")
    dup = dict(j.records[0], source="2A")
    path = write_jsonl(tmp_path / "dup.jsonl", [*staff_records(), j.records[0], dup])

    result = cli_import(path)

    assert result.exit_code == 2
    assert "dup.jsonl: line 8 (id C-DUP-01): id already used on line 7 by a different record" in (
        result.stderr
    )
    assert row_counts(sqlite_url) == before


# ---- bad lines: nothing written, line + id + reason named -------------------------------------

FUTURE = (today_london() + timedelta(days=3)).isoformat()

BadCase = Callable[[], tuple[Record | str, str | None, str]]

BAD_CASES: dict[str, BadCase] = {
    "invalid_json": lambda: (
        '{"id": "C-B-09", "type": "contact_outcome", "child": "C-B",',
        None,
        "not valid JSON (",
    ),
    "not_an_object": lambda: (
        '["C-B", "contact_outcome"]',
        None,
        "each line must be a JSON object",
    ),
    "unknown_field": lambda: (
        {**contact_only("C-X").records[0], "id": "bad-field", "colour": "blue"},
        "bad-field",
        "colour: unknown field",
    ),
    "unknown_type": lambda: (
        {"id": "bad-type", "type": "home_visit", "child": "C-B", "at": "2026-03-04"},
        "bad-type",
        "type: unknown record type 'home_visit'",
    ),
    "missing_field": lambda: (
        {"id": "bad-missing", "type": "contact_outcome", "child": "C-B", "at": "2026-03-04"},
        "bad-missing",
        "outcome: required field missing",
    ),
    "future_date": lambda: (
        {**contact_only("C-X", at=FUTURE).records[0], "id": "bad-future"},
        "bad-future",
        f"at: {FUTURE} is in the future",
    ),
    "naive_datetime": lambda: (
        {**contact_only("C-X").records[0], "id": "bad-naive", "at": "2026-03-04T10:00:00"},
        "bad-naive",
        "has no UTC offset",
    ),
    "consent_dispensed_by_social_worker": lambda: (
        {
            "id": "bad-consent",
            "type": "contact_outcome",
            "child": "C-B",
            "at": "2026-03-04",
            "outcome": "referral",
            "consent": "dispensed",
            "consent_reason": "Seeking consent would place the child at risk.",
            "approved_by": SW,
        },
        "bad-consent",
        f"approved_by: '{SW}' is a social_worker; dispensing with consent needs a team manager "
        "or above",
    ),
    "consent_dispensed_without_reason": lambda: (
        {
            "id": "bad-reason",
            "type": "contact_outcome",
            "child": "C-B",
            "at": "2026-03-04",
            "outcome": "referral",
            "consent": "dispensed",
            "approved_by": TM,
        },
        "bad-reason",
        "consent 'dispensed' needs a consent_reason",
    ),
    "consent_approver_not_on_roster": lambda: (
        {
            "id": "bad-approver",
            "type": "contact_outcome",
            "child": "C-B",
            "at": "2026-03-04",
            "outcome": "referral",
            "consent": "dispensed",
            "consent_reason": "Risk of harm.",
            "approved_by": "nobody",
        },
        "bad-approver",
        "approved_by: 'nobody' is not on the staff roster",
    ),
    "worker_not_on_roster": lambda: (
        {**contact_only("C-X").records[0], "id": "bad-worker", "worker": "nobody"},
        "bad-worker",
        "worker: 'nobody' is not on the staff roster",
    ),
    "icpc_held_without_s47": lambda: (
        {**JourneyBuilder("C-B").icpc("2026-03-04"), "id": "bad-icpc"},
        "bad-icpc",
        "type: an ICPC cannot be recorded before any strategy discussion with outcome 's47' "
        "in this journey",
    ),
    "s47_concluded_before_the_s47_discussion": lambda: (
        # C-A's s47 strategy discussion is on Thu 5 Mar; this conclusion is dated Wed 4 Mar
        {**JourneyBuilder("C-A").s47_concluded("2026-03-04"), "id": "bad-s47"},
        "bad-s47",
        "type: an s47 conclusion cannot be recorded before any strategy discussion with "
        "outcome 's47' in this journey",
    ),
    "no_open_journey": lambda: (
        {**JourneyBuilder("C-NOBODY").referral_decision("2026-03-04"), "id": "bad-nobody"},
        "bad-nobody",
        "child 'C-NOBODY' has no open journey on 2026-03-04 (a contact_received opens one)",
    ),
    "icpc_delay_manager_is_a_social_worker": lambda: (
        {**JourneyBuilder("C-A").icpc_delay("2026-03-27", manager=SW), "id": "bad-mgr"},
        "bad-mgr",
        f"manager: '{SW}' is a social_worker; an ICPC delay must be agreed by a team manager "
        "or above",
    ),
    "icpc_delay_chair_is_not_a_chair": lambda: (
        {**JourneyBuilder("C-A").icpc_delay("2026-03-27", chair=TM), "id": "bad-chair"},
        "bad-chair",
        f"chair: '{TM}' is a team_manager, not a conference chair",
    ),
    "stored_id_with_different_content": lambda: (
        dict(s47_journey().records[1], outcome="early_help"),
        "C-A-02",
        "id already used by a different stored record",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_a_bad_line_among_good_ones_writes_nothing(
    case: str, sqlite_url: str, tmp_path: Path
) -> None:
    import_ok(write_jsonl(tmp_path / "base.jsonl", base_records()))
    before = row_counts(sqlite_url)
    bad, bad_id, reason = BAD_CASES[case]()

    new = JourneyBuilder("C-NEW")
    new.contact("2026-03-09")
    new.outcome("2026-03-10", "referral")
    lines: list[Record | str] = [
        child_details("C-NEW"),
        new.records[0],
        bad,  # line 3
        JourneyBuilder("C-A", prefix="C-A-late").safety_plan("2026-03-06"),
        new.records[1],
    ]
    path = write_jsonl(tmp_path / "batch.jsonl", lines)

    result = cli_import(path)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    where = f"line 3 (id {bad_id})" if bad_id else "line 3"
    errors = error_lines(result)
    assert len(errors) == 2, result.stderr
    assert errors[0].startswith(f"batch.jsonl: {where}: "), errors[0]
    assert reason in errors[0]
    assert errors[1] == "error: 1 invalid record(s) in batch.jsonl; nothing was imported"
    assert result.stdout == ""
    assert row_counts(sqlite_url) == before


def test_every_bad_line_is_listed_and_nothing_written(sqlite_url: str, tmp_path: Path) -> None:
    before = row_counts(sqlite_url)
    j = JourneyBuilder("C-M")
    lines: list[Record | str] = [
        *staff_records(),  # lines 1-6
        j.contact("2026-03-02"),  # 7
        {"id": "m-type", "type": "visit", "child": "C-M", "at": "2026-03-03"},  # 8
        j.outcome("2026-03-03", "referral"),  # 9
        "not json at all",  # 10
        j.referral_decision("2026-03-04", "strategy_discussion"),  # 11
        {**JourneyBuilder("C-M").strategy(FUTURE), "id": "m-future"},  # 12
        {**JourneyBuilder("C-M").icpc("2026-03-05"), "id": "m-icpc"},  # 13: no s47 yet
        j.strategy("2026-03-06", "no_s47"),  # 14
    ]
    result = cli_import(write_jsonl(tmp_path / "multi.jsonl", lines))

    assert result.exit_code == 2
    errors = error_lines(result)
    assert [e.split(":")[1].strip() for e in errors[:-1]] == [
        "line 8 (id m-type)",
        "line 10",
        "line 12 (id m-future)",
        "line 13 (id m-icpc)",
    ]
    assert "unknown record type 'visit'" in errors[0]
    assert "not valid JSON" in errors[1]
    assert "is in the future" in errors[2]
    assert "an ICPC cannot be recorded" in errors[3]
    assert errors[-1] == "error: 4 invalid record(s) in multi.jsonl; nothing was imported"
    assert row_counts(sqlite_url) == before == dict.fromkeys(before, 0)


# ---- journeys: joining, ending, opening again --------------------------------------------------


def test_contact_after_advice_opens_a_new_journey_and_open_journeys_are_joined(
    sqlite_url: str, tmp_path: Path
) -> None:
    adv = JourneyBuilder("C-ADV")
    adv.contact("2026-03-02")
    adv.outcome("2026-03-03", "advice")  # ends the journey
    joined = JourneyBuilder("C-OPEN")
    joined.contact("2026-03-02")
    import_ok(
        write_jsonl(tmp_path / "one.jsonl", [*staff_records(), *adv.records, *joined.records])
    )

    (first_adv,) = [j for j in stored_journeys(sqlite_url) if j.child_id == "C-ADV"]
    assert (first_adv.ended_on, first_adv.stage) == (date(2026, 3, 3), "closed_at_contact")

    again = JourneyBuilder("C-ADV", prefix="C-ADV-2")
    again.contact("2026-03-09")
    second_contact = JourneyBuilder("C-OPEN", prefix="C-OPEN-2")
    second_contact.contact("2026-03-04", source="2A")
    result = import_ok(
        write_jsonl(tmp_path / "two.jsonl", [*again.records, *second_contact.records])
    )
    assert "1 journey(s) opened, 2 updated" in result.stdout

    journeys = stored_journeys(sqlite_url)
    adv_journeys = [j for j in journeys if j.child_id == "C-ADV"]
    assert len(adv_journeys) == 2
    old, new = adv_journeys
    assert old.ref == first_adv.ref and old.ended_on == date(2026, 3, 3)
    assert new.ref != old.ref
    assert (new.opened_on, new.ended_on, new.stage) == (date(2026, 3, 9), None, "contact")

    open_journeys = [j for j in journeys if j.child_id == "C-OPEN"]
    assert len(open_journeys) == 1
    with Session(get_engine(sqlite_url)) as s:
        by_record = {
            e.record_id: e.journey_id
            for e in s.exec(select(Event).where(col(Event.child_id).in_(["C-ADV", "C-OPEN"])))
        }
    assert by_record == {
        "C-ADV-01": old.id,
        "C-ADV-02": old.id,
        "C-ADV-2-01": new.id,
        "C-OPEN-01": open_journeys[0].id,
        "C-OPEN-2-01": open_journeys[0].id,
    }

    rows = [r for r in cli_gates("2026-03-11") if r["child"] == "C-ADV"]
    assert sorted((r["journey"], r["started_on"], r["status"]) for r in rows) == sorted(
        [(old.ref, "2026-03-02", "met"), (new.ref, "2026-03-09", "overdue")]
    )


def test_contact_after_advice_in_the_same_file_opens_a_new_journey(
    sqlite_url: str, tmp_path: Path
) -> None:
    adv = JourneyBuilder("C-ADV")
    adv.contact("2026-03-02")
    adv.outcome("2026-03-03", "advice")
    adv.contact("2026-03-09")
    result = import_ok(write_jsonl(tmp_path / "f.jsonl", [*staff_records(), *adv.records]))
    assert "2 journey(s) opened" in result.stdout
    journeys = stored_journeys(sqlite_url)
    assert [(j.opened_on, j.ended_on) for j in journeys] == [
        (date(2026, 3, 2), date(2026, 3, 3)),
        (date(2026, 3, 9), None),
    ]
    assert journeys[0].ref != journeys[1].ref


def late_entry_journey() -> tuple[list[Record], list[Record]]:
    """(first file, second file): the second carries events dated before the last event of the
    first, and they change the journey's clocks."""
    j = JourneyBuilder("C-LATE")
    j.contact("2026-03-02")
    j.outcome("2026-03-03", "referral")
    j.referral_decision("2026-03-04", "strategy_discussion")
    j.strategy("2026-03-05", "s47")
    j.s47_concluded("2026-03-20", "icpc")
    j.icpc("2026-04-01", "cp_plan", category="EMO")
    first = [*staff_records(), *j.records]
    late = JourneyBuilder("C-LATE", prefix="C-LATE-late")
    late.safety_plan("2026-03-23")  # before the ICPC of Wed 1 Apr
    late.strategy("2026-03-10", "s47")  # a later s47 discussion restarts the ICPC clock
    other = contact_only("C-B")
    return first, [*late.records, *other.records]


def test_late_entry_gives_the_same_clocks_as_one_file(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = late_entry_journey()
    as_of = "2026-04-30"

    import_ok(write_jsonl(tmp_path / "a.jsonl", first))
    rows_first_only = without_journey(cli_gates(as_of))
    import_ok(write_jsonl(tmp_path / "b.jsonl", second))
    two_files = without_journey(cli_gates(as_of))

    use_database(monkeypatch, f"sqlite:///{tmp_path / 'fresh.db'}")
    import_ok(write_jsonl(tmp_path / "all.jsonl", [*first, *second]))
    one_file = without_journey(cli_gates(as_of))

    assert two_files == one_file
    status = {(r["child"], r["gate"]): r for r in one_file}
    # the late safety plan (Mon 23 Mar) meets the gate started by the s47 conclusion (Fri 20 Mar)
    assert status[("C-LATE", "safety_plan")]["status"] == "met"
    before = {(r["child"], r["gate"]): r for r in rows_first_only}
    assert before[("C-LATE", "safety_plan")]["status"] == "overdue"
    # the ICPC clock now runs from the latest s47 discussion (Tue 10 Mar): due Tue 31 Mar, held
    # Wed 1 Apr, so met late; from Thu 5 Mar it was due Thu 26 Mar, also late
    assert (status[("C-LATE", "icpc")]["started_on"], status[("C-LATE", "icpc")]["due_on"]) == (
        "2026-03-10",
        "2026-03-31",
    )
    assert before[("C-LATE", "icpc")]["due_on"] == "2026-03-26"
    assert status[("C-LATE", "icpc")]["status"] == "met_late"
    # the DfE measure keeps the first s47 start
    assert status[("C-LATE", "icpc_s47_start")]["started_on"] == "2026-03-05"


def test_late_entry_of_a_journey_end_before_a_later_contact(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second contact (Mon 9 Mar) joins the open journey; the advice outcome that ended that
    journey on Tue 3 Mar arrives later. Replayed in date order, the 9 Mar contact opens a new
    journey whose screening clock runs, as when everything arrives in one file."""
    j = JourneyBuilder("C-TWICE")
    c1 = j.contact("2026-03-02")
    c2 = j.contact("2026-03-09", source="2A")
    advice = j.outcome("2026-03-03", "advice")
    as_of = "2026-03-20"

    use_database(monkeypatch, f"sqlite:///{tmp_path / 'fresh.db'}")
    import_ok(write_jsonl(tmp_path / "all.jsonl", [*staff_records(), c1, advice, c2]))
    one_file = without_journey(cli_gates(as_of))
    assert [(r["started_on"], r["due_on"], r["stopped_on"], r["status"]) for r in one_file] == [
        ("2026-03-02", "2026-03-03", "2026-03-03", "met"),
        ("2026-03-09", "2026-03-10", None, "overdue"),
    ]

    use_database(monkeypatch, sqlite_url)
    import_ok(write_jsonl(tmp_path / "a.jsonl", [*staff_records(), c1, c2]))
    import_ok(write_jsonl(tmp_path / "b.jsonl", [advice]))
    two_files = without_journey(cli_gates(as_of))

    assert two_files == one_file


def test_line_order_within_a_file_does_not_matter(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole file is validated before anything is written and journeys are replayed in
    date order, so a file listing the same events newest first means the same thing."""
    adv = JourneyBuilder("C-ADV")
    adv.contact("2026-03-02")
    adv.outcome("2026-03-03", "advice")
    adv.contact("2026-03-09")
    events = [*s47_journey().records, *adv.records]
    as_of = "2026-03-20"

    import_ok(write_jsonl(tmp_path / "oldest-first.jsonl", [*staff_records(), *events]))
    oldest_first = without_journey(cli_gates(as_of))
    assert len(stored_journeys(sqlite_url)) == 3

    use_database(monkeypatch, f"sqlite:///{tmp_path / 'fresh.db'}")
    newest_first = cli_import(
        write_jsonl(tmp_path / "newest-first.jsonl", [*staff_records(), *reversed(events)])
    )
    assert newest_first.exit_code == 0, newest_first.output
    assert without_journey(cli_gates(as_of)) == oldest_first


# ---- input plumbing --------------------------------------------------------------------------


def test_dash_reads_standard_input(sqlite_url: str) -> None:
    result = cli_import("-", input=jsonl(base_records()))
    assert result.exit_code == 0, result.output
    assert "imported 13 new record(s)" in result.stdout
    assert row_counts(sqlite_url)["event"] == 13
    with Session(get_engine(sqlite_url)) as s:
        assert set(s.exec(select(Event.source))) == {"stdin"}

    bad = cli_import("-", input='{"id": "x", "type": "nope"}\n')
    assert bad.exit_code == 2
    assert "stdin: line 1 (id x): type: unknown record type 'nope'" in bad.stderr


def test_missing_file_is_a_one_line_error(sqlite_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.jsonl"
    result = cli_import(missing)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines() == [f"error: {missing}: no such file"]


# ---- gates -----------------------------------------------------------------------------------


def test_gates_json_rows_have_the_documented_keys_and_statuses(
    sqlite_url: str, tmp_path: Path
) -> None:
    first, second = late_entry_journey()
    import_ok(write_jsonl(tmp_path / "all.jsonl", [*base_records(), *first[6:], *second]))

    rows = cli_gates("2026-04-02")

    assert rows
    for r in rows:
        assert set(r) == GATE_ROW_KEYS
        assert r["status"] in STATUSES
        assert r["team"] == "north"
        assert isinstance(r["reporting_only"], bool)
        assert r["started_on"] <= "2026-04-02"
        date.fromisoformat(r["due_on"])
    refs = {r["journey"] for r in rows}
    assert len(refs) == len({r["child"] for r in rows}) == 3  # C-A, C-B, C-LATE
    # one row per started gate of every journey
    assert len({(r["journey"], r["gate"]) for r in rows}) == len(rows)
    assert {r["status"] for r in rows} >= {"met", "met_late", "overdue"}
    # the table form shows the same number of rows
    table = cli("gates", "--as-of", "2026-04-02")
    assert table.exit_code == 0
    assert table.stdout.strip().endswith(f"{len(rows)} gate(s) as of 2026-04-02")


EASTER_EXPECTED: dict[str, dict[str, tuple[str, str, str | None, str]]] = {
    # gate: (started_on, due_on, stopped_on, status)
    "2026-04-01": {
        "contact_decision": ("2026-04-01", "2026-04-02", None, "due_soon"),
    },
    "2026-04-07": {
        "contact_decision": ("2026-04-01", "2026-04-02", "2026-04-02", "met"),
        # Thu 2 Apr + 1 working day: Good Friday, weekend, Easter Monday -> Tue 7 Apr
        "referral_decision": ("2026-04-02", "2026-04-07", None, "due_soon"),
        "assessment": ("2026-04-02", "2026-06-10", None, "open"),
    },
    "2026-04-08": {
        "contact_decision": ("2026-04-01", "2026-04-02", "2026-04-02", "met"),
        "referral_decision": ("2026-04-02", "2026-04-07", "2026-04-08", "met_late"),
        "assessment": ("2026-04-02", "2026-06-10", None, "open"),
        "strategy_discussion": ("2026-04-08", "2026-04-09", None, "due_soon"),
    },
    "2026-04-29": {
        "contact_decision": ("2026-04-01", "2026-04-02", "2026-04-02", "met"),
        "referral_decision": ("2026-04-02", "2026-04-07", "2026-04-08", "met_late"),
        "assessment": ("2026-04-02", "2026-06-10", None, "open"),
        "strategy_discussion": ("2026-04-08", "2026-04-09", "2026-04-13", "met_late"),
        # Mon 13 Apr + 15 working days (Early May bank holiday Mon 4 May) = Tue 5 May;
        # due soon from 2 working days before: Thu 30 Apr
        "icpc": ("2026-04-13", "2026-05-05", None, "open"),
        "icpc_s47_start": ("2026-04-13", "2026-05-05", None, "open"),
    },
    "2026-04-30": {
        "contact_decision": ("2026-04-01", "2026-04-02", "2026-04-02", "met"),
        "referral_decision": ("2026-04-02", "2026-04-07", "2026-04-08", "met_late"),
        "assessment": ("2026-04-02", "2026-06-10", None, "open"),
        "strategy_discussion": ("2026-04-08", "2026-04-09", "2026-04-13", "met_late"),
        "icpc": ("2026-04-13", "2026-05-05", None, "due_soon"),
        "icpc_s47_start": ("2026-04-13", "2026-05-05", None, "due_soon"),
    },
    "2026-05-06": {
        "contact_decision": ("2026-04-01", "2026-04-02", "2026-04-02", "met"),
        "referral_decision": ("2026-04-02", "2026-04-07", "2026-04-08", "met_late"),
        "assessment": ("2026-04-02", "2026-06-10", None, "open"),
        "strategy_discussion": ("2026-04-08", "2026-04-09", "2026-04-13", "met_late"),
        "icpc": ("2026-04-13", "2026-05-05", None, "overdue"),
        "icpc_s47_start": ("2026-04-13", "2026-05-05", None, "overdue"),
        # starts the working day after the ICPC was due; 1 working day to agree the reason
        "icpc_delay_rationale": ("2026-05-06", "2026-05-07", None, "due_soon"),
    },
    "2026-06-11": {
        "contact_decision": ("2026-04-01", "2026-04-02", "2026-04-02", "met"),
        "referral_decision": ("2026-04-02", "2026-04-07", "2026-04-08", "met_late"),
        # 45 working days from Thu 2 Apr, skipping 3, 6 Apr, 4 and 25 May: Wed 10 Jun
        "assessment": ("2026-04-02", "2026-06-10", None, "overdue"),
        "strategy_discussion": ("2026-04-08", "2026-04-09", "2026-04-13", "met_late"),
        "icpc": ("2026-04-13", "2026-05-05", None, "overdue"),
        "icpc_s47_start": ("2026-04-13", "2026-05-05", None, "overdue"),
        "icpc_delay_rationale": ("2026-05-06", "2026-05-07", "2026-05-07", "met"),
    },
}


def test_gate_statuses_of_a_hand_built_journey(sqlite_url: str, tmp_path: Path) -> None:
    j = JourneyBuilder("C-HAND")
    j.contact("2026-04-01")  # Wed
    j.outcome("2026-04-02", "referral")  # Thu, the day before Good Friday
    j.referral_decision("2026-04-08", "strategy_discussion")  # Wed, one working day late
    j.strategy("2026-04-13", "s47")  # Mon
    j.icpc_delay("2026-05-07")  # Thu
    import_ok(write_jsonl(tmp_path / "hand.jsonl", [*staff_records(), *j.records]))

    for as_of, expected in EASTER_EXPECTED.items():
        rows = cli_gates(as_of)
        got = {
            r["gate"]: (r["started_on"], r["due_on"], r["stopped_on"], r["status"]) for r in rows
        }
        assert got == expected, as_of


def test_christmas_contact_is_due_after_the_substitute_bank_holiday(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The import refuses future dates, so run it as if on Fri 15 Jan 2027.
    monkeypatch.setattr("frontdoor.cli.now_utc", lambda: datetime(2027, 1, 15, 12, tzinfo=UTC))
    j = JourneyBuilder("C-XMAS")
    j.contact("2026-12-24")  # Thu
    j.outcome("2026-12-30", "referral")  # Wed
    import_ok(write_jsonl(tmp_path / "xmas.jsonl", [*staff_records(), *j.records]))

    def gates(as_of: str) -> dict[str, tuple[str, str | None, str]]:
        return {r["gate"]: (r["due_on"], r["stopped_on"], r["status"]) for r in cli_gates(as_of)}

    # day 0 Thu 24 Dec; Fri 25, Sat 26, Sun 27, Mon 28 (substitute Boxing Day) -> Tue 29 Dec
    assert gates("2026-12-24") == {"contact_decision": ("2026-12-29", None, "due_soon")}
    assert gates("2026-12-29") == {"contact_decision": ("2026-12-29", None, "due_soon")}
    assert gates("2026-12-30") == {
        "contact_decision": ("2026-12-29", "2026-12-30", "met_late"),
        # Wed 30 Dec + 1 working day = Thu 31 Dec
        "referral_decision": ("2026-12-31", None, "due_soon"),
        # 45 working days from Wed 30 Dec 2026 (New Year's Day off): Thu 4 Mar 2027
        "assessment": ("2027-03-04", None, "open"),
    }
    assert gates("2027-01-01")["referral_decision"] == ("2026-12-31", None, "overdue")


def test_gates_writes_an_access_log_row_with_the_actor(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_ok(write_jsonl(tmp_path / "caseload.jsonl", base_records()))
    monkeypatch.setenv("FRONTDOOR_ACTOR", "ana.auditor")
    reset_settings()
    with Session(get_engine(sqlite_url)) as s:
        assert s.exec(select(AccessLog)).all() == []

    rows = cli_gates("2026-03-04")

    with Session(get_engine(sqlite_url)) as s:
        logs = s.exec(select(AccessLog)).all()
    assert len(logs) == 1
    log = logs[0]
    assert (log.actor, log.action) == ("ana.auditor", "list_gates")
    assert log.detail == f"as_of=2026-03-04 team=* rows={len(rows)}"
    assert abs(log.at - datetime.now(UTC)) < timedelta(minutes=5)
    assert row_counts(sqlite_url)["accesslog"] == 1
