"""The synthetic caseload: deterministic, valid record by record, and covering every path."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from frontdoor.seed import (
    DEFAULT_PATHWAY,
    WINDOW_WORKING_DAYS,
    generate_caseload,
    main,
    write_jsonl,
)
from timescales.calendar import WorkingCalendar
from timescales.evaluate import (
    FLAG_ICPC_WITHOUT_SAFETY_PLAN,
    STATUSES,
    EventFact,
    JourneyEvaluation,
    evaluate,
    status_of,
)
from timescales.guards import StaffFact, check_not_future, check_sequence, check_staff_refs
from timescales.pathway import Pathway, load_pathway
from timescales.records import (
    LONDON,
    ChildDetailsRecord,
    JourneyEvent,
    StaffRecord,
    parse_record,
)

TODAY = date(2026, 11, 27)  # a Friday
ENDS = ("closed",)


@pytest.fixture(scope="module")
def pathway() -> Pathway:
    return load_pathway(DEFAULT_PATHWAY)


@pytest.fixture(scope="module")
def cal(pathway: Pathway) -> WorkingCalendar:
    return pathway.working_calendar()


@pytest.fixture(scope="module")
def records(cal: WorkingCalendar) -> list[dict[str, Any]]:
    return generate_caseload(TODAY, calendar=cal)


@pytest.fixture(scope="module")
def parsed(records: list[dict[str, Any]]) -> list[Any]:
    return [parse_record(r) for r in records]


@pytest.fixture(scope="module")
def staff(parsed: list[Any]) -> dict[str, StaffFact]:
    return {
        p.staff_id: StaffFact(p.staff_id, p.role.value, p.team, p.manager)
        for p in parsed
        if isinstance(p, StaffRecord)
    }


def _ends_journey(ev: EventFact) -> bool:
    return ev.type in ENDS or (ev.type == "contact_outcome" and ev.outcome != "referral")


@pytest.fixture(scope="module")
def journeys(parsed: list[Any]) -> list[list[tuple[EventFact, JourneyEvent]]]:
    """Each child's events replayed in evaluation order and cut into journeys: a contact opens
    one, a non-referral contact outcome or a closure ends it. Asserts no event falls outside."""
    by_child: dict[str, list[tuple[EventFact, JourneyEvent]]] = defaultdict(list)
    for seq, rec in enumerate(parsed):
        if isinstance(rec, StaffRecord | ChildDetailsRecord):
            continue
        fact = EventFact(
            rec.id, rec.type, rec.at.local_date, rec.at.instant, rec.outcome_value, seq
        )
        by_child[rec.child].append((fact, rec))
    out: list[list[tuple[EventFact, JourneyEvent]]] = []
    for child, events in by_child.items():
        events.sort(key=lambda pair: pair[0].sort_key())
        current: list[tuple[EventFact, JourneyEvent]] | None = None
        for fact, rec in events:
            if fact.type == "contact_received":
                assert current is None, f"{child}: {fact.id} contact while a journey is open"
                current = []
                out.append(current)
            assert current is not None, f"{child}: {fact.id} ({fact.type}) with no open journey"
            current.append((fact, rec))
            if _ends_journey(fact):
                current = None
    return out


@pytest.fixture(scope="module")
def evaluations(
    pathway: Pathway, cal: WorkingCalendar, journeys: list[list[tuple[EventFact, JourneyEvent]]]
) -> list[JourneyEvaluation]:
    return [evaluate(pathway, cal, [f for f, _ in j]) for j in journeys]


def test_same_arguments_same_records(cal: WorkingCalendar, records: list[dict[str, Any]]) -> None:
    assert generate_caseload(TODAY, 240, 7, calendar=cal) == records
    assert generate_caseload(TODAY) == records  # the default calendar is the pathway's
    assert generate_caseload(TODAY, seed=8, calendar=cal) != records


def test_order_and_ids(records: list[dict[str, Any]], parsed: list[Any]) -> None:
    kinds = [r["type"] for r in records]
    n_staff, n_children = kinds.count("staff"), kinds.count("child_details")
    assert kinds[:n_staff] == ["staff"] * n_staff
    assert kinds[n_staff : n_staff + n_children] == ["child_details"] * n_children
    events = parsed[n_staff + n_children :]
    assert all(not isinstance(e, StaffRecord | ChildDetailsRecord) for e in events)
    days = [e.at.local_date for e in events]
    assert days == sorted(days)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    assert [r["id"] for r in records[n_staff + n_children :]][:2] == ["ev-000001", "ev-000002"]
    json.dumps(records)  # JSON-ready


def test_roster(parsed: list[Any]) -> None:
    roster = [p for p in parsed if isinstance(p, StaffRecord)]
    by_role = Counter(p.role.value for p in roster)
    assert by_role == {
        "social_worker": 12,
        "team_manager": 3,
        "service_manager": 1,
        "head_of_service": 1,
        "conference_chair": 2,
        "ops": 1,
    }
    role_of = {p.staff_id: p.role.value for p in roster}
    for p in roster:
        assert p.email.endswith("@example.gov.uk")
        if p.role == "social_worker":
            assert p.manager == f"tm-{p.team}"
        elif p.role == "team_manager":
            assert p.manager is not None and role_of[p.manager] == "service_manager"
        elif p.role == "service_manager":
            assert p.manager is not None and role_of[p.manager] == "head_of_service"
    assert len({p.email for p in roster}) == len(roster)


def test_every_record_valid_and_guards_hold(
    parsed: list[Any],
    staff: dict[str, StaffFact],
    journeys: list[list[tuple[EventFact, JourneyEvent]]],
) -> None:
    now = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 59, 59, tzinfo=LONDON)
    children = {p.child for p in parsed if isinstance(p, ChildDetailsRecord)}
    n_events = 0
    for journey in journeys:
        facts = [f for f, _ in journey]
        team = journey[0][1].team
        for fact, rec in journey:
            n_events += 1
            assert rec.child in children
            assert rec.at.local_date <= TODAY
            check_not_future(rec, now)
            check_staff_refs(rec, staff)
            check_sequence(fact, facts)
            worker = getattr(rec, "worker", None)
            if worker is not None:
                assert staff[worker].role == "social_worker" and staff[worker].team == team
            if rec.type == "referral_decision":
                assert rec.worker is not None and rec.primary_need is not None
            if rec.type == "contact_outcome" and rec.consent == "dispensed":
                assert rec.approved_by == f"tm-{team}"
            if rec.type == "icpc_delay_agreed":
                assert staff[rec.manager].role == "team_manager"
                assert staff[rec.chair].role == "conference_chair"
    assert n_events == sum(1 for p in parsed if not isinstance(p, StaffRecord | ChildDetailsRecord))


def test_journeys_start_in_the_last_60_working_days(
    cal: WorkingCalendar, journeys: list[list[tuple[EventFact, JourneyEvent]]]
) -> None:
    assert len(journeys) >= 200
    for journey in journeys:
        start = journey[0][0].on
        assert cal.is_working_day(start)
        assert 1 <= cal.working_days_between(start, TODAY) <= WINDOW_WORKING_DAYS


def test_at_values_dates_and_london_times(records: list[dict[str, Any]]) -> None:
    ats = [r["at"] for r in records if "at" in r]
    timed = [a for a in ats if "T" in a]
    assert 0.05 * len(ats) < len(timed) < 0.5 * len(ats)
    offsets = {a[-6:] for a in timed}
    assert offsets == {"+00:00", "+01:00"}  # the window spans the end of British Summer Time
    for a in timed:
        dt = datetime.fromisoformat(a)
        assert dt.utcoffset() == dt.astimezone(LONDON).utcoffset()


def test_every_status_gate_and_flag_as_of_today(
    pathway: Pathway, evaluations: list[JourneyEvaluation]
) -> None:
    statuses = Counter(status_of(c, TODAY) for ev in evaluations for c in ev.clocks)
    for status in STATUSES:
        assert statuses[status] >= 1, status
    gates = {c.gate for ev in evaluations for c in ev.clocks}
    assert gates == {g.id for g in pathway.gates}
    assert any(FLAG_ICPC_WITHOUT_SAFETY_PLAN in ev.flags for ev in evaluations)
    # late ICPCs with and without a recorded delay rationale
    delay = Counter(
        status_of(c, TODAY)
        for ev in evaluations
        for c in ev.clocks
        if c.gate == "icpc_delay_rationale"
    )
    assert delay["met"] >= 1 and delay["overdue"] >= 1


def test_paths_and_special_cases(
    parsed: list[Any], journeys: list[list[tuple[EventFact, JourneyEvent]]]
) -> None:
    outcomes = Counter((f.type, f.outcome) for j in journeys for f, _ in j)
    expected = [
        ("contact_outcome", "no_further_action"),
        ("contact_outcome", "advice"),
        ("contact_outcome", "early_help"),
        ("contact_outcome", "referral"),
        ("referral_decision", "assessment"),
        ("referral_decision", "strategy_discussion"),
        ("referral_decision", "no_further_action"),
        ("assessment_authorised", "no_further_action"),
        ("assessment_authorised", "cin_plan"),
        ("assessment_authorised", "early_help"),
        ("assessment_authorised", "strategy_discussion"),
        ("strategy_discussion", "s47"),
        ("strategy_discussion", "no_s47"),
        ("s47_concluded", "icpc"),
        ("s47_concluded", "no_icpc"),
        ("icpc_held", "cp_plan"),
        ("icpc_held", "no_plan"),
        ("closed", None),
        ("icpc_delay_agreed", None),
        ("safety_plan_recorded", None),
    ]
    for key in expected:
        assert outcomes[key] >= 1, key
    contact_only = sum(
        1 for j in journeys if j[-1][0].type == "contact_outcome" and j[-1][0].outcome != "referral"
    )
    assert 0.25 < contact_only / len(journeys) < 0.45
    consents = Counter(getattr(p, "consent", None) for p in parsed if p.type == "contact_outcome")
    assert (
        consents["dispensed"] >= 1 and consents["obtained"] >= 1 and consents["not_required"] >= 1
    )
    assert any(
        sum(1 for f, _ in j if f.type == "strategy_discussion" and f.outcome == "s47") > 1
        for j in journeys
    )
    per_child = Counter(j[0][1].child for j in journeys)
    assert max(per_child.values()) == 2


def test_write_jsonl_and_cli(
    tmp_path: Path, records: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "caseload.jsonl"
    assert write_jsonl(records, out) == len(records)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records
    assert main(["--today", TODAY.isoformat(), "--journeys", "240", "--seed", "7"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == lines
