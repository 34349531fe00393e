"""Practice records: the contract (shape), the action rules and the report's arithmetic.

Pure: no database, no Prefect.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from timescales.guards import StaffFact
from timescales.pathway import load_pathway, pathway_from_dict
from timescales.practice import ActionSpec, FeedbackReceived, SupervisionHeld
from timescales.practice_report import (
    ActionFact,
    AuditFact,
    DispensationFact,
    FeedbackFact,
    JourneyFact,
    ReportInputs,
    SupervisionFact,
    WorkerFact,
    build_report,
)
from timescales.practice_rules import (
    action_due,
    action_status,
    escalation_recipient,
    may_complete,
    plan_action_timers,
)
from timescales.records import RecordError, parse_record, payload

PATHWAY = load_pathway(Path(__file__).resolve().parents[2] / "pathways" / "default.yaml")
CAL = PATHWAY.working_calendar()

STAFF = {
    "hos": StaffFact("hos", "head_of_service", "service", None),
    "sm": StaffFact("sm", "service_manager", "service", "hos"),
    "tm": StaffFact("tm", "team_manager", "north", "sm"),
    "sw": StaffFact("sw", "social_worker", "north", "tm"),
    "sw2": StaffFact("sw2", "social_worker", "north", "tm"),
    "tm2": StaffFact("tm2", "team_manager", "south", "sm"),
}


def sup(**over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": "s1",
        "type": "supervision_held",
        "child": "C1",
        "at": "2026-10-05",
        "supervisor": "tm",
        "worker": "sw",
        "summary_ref": "docs/1",
        "actions": [{"action_id": "A1", "description": "d", "owner": "sw", "due_on": "2026-10-09"}],
    }
    rec.update(over)
    return rec


def refused(data: dict[str, Any]) -> str:
    with pytest.raises(RecordError) as exc:
        parse_record(data)
    return str(exc.value)


# ---- the contract --------------------------------------------------------------------------


def test_supervision_is_parsed_with_its_actions() -> None:
    rec = parse_record(sup())
    assert isinstance(rec, SupervisionHeld)
    assert rec.actions[0] == ActionSpec(
        action_id="A1", description="d", owner="sw", due_on=date(2026, 10, 9)
    )


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"due_in_working_days": 3}, "action 'A1' has no owner"),
        ({"owner": "sw"}, "action 'A1' has no due date (give due_in_working_days or due_on)"),
        ({}, "action 'A1' has no owner (a staff_id) and has no due date"),
        (
            {"owner": "sw", "due_on": "2026-10-09", "due_in_working_days": 3},
            "give due_in_working_days or due_on, not both",
        ),
        ({"owner": "sw", "due_in_working_days": -1}, "greater than or equal to 0"),
    ],
)
def test_an_action_needs_an_owner_and_one_due_date(action: dict[str, Any], message: str) -> None:
    data = sup(actions=[{"action_id": "A1", "description": "d", **action}])
    assert message in refused(data)


def test_other_supervision_and_audit_refusals() -> None:
    assert "give the child or the journey" in refused(sup(child=None) | {"child": None})
    twice = [{"action_id": "A1", "description": "d", "owner": "sw", "due_in_working_days": 1}] * 2
    assert "action 'A1' is listed twice" in refused(sup(actions=twice))
    assert "summary_ref: required field missing" in refused(
        {k: v for k, v in sup().items() if k != "summary_ref"}
    )
    audit = {
        "id": "a1",
        "type": "audit_completed",
        "audit_id": "AU1",
        "kind": "practice_review",
        "at": "2026-10-05",
        "auditor": "tm",
        "team": "north",
        "grade": "good",
        "feedback_considered": [],
    }
    assert parse_record(audit).type == "audit_completed"
    assert "kind: Input should be" in refused(audit | {"kind": "peer_chat"})
    assert "grade: Input should be" in refused(audit | {"grade": "fine"})
    assert "feedback_considered: required field missing" in refused(
        {k: v for k, v in audit.items() if k != "feedback_considered"}
    )


def test_completion_and_feedback_shape() -> None:
    done = {
        "id": "d1",
        "type": "action_completed",
        "action_id": "A1",
        "at": "2026-10-06",
        "by": "sw",
        "evidence": "docs/2",
    }
    assert parse_record(done).type == "action_completed"
    assert "evidence: required field missing" in refused(
        {k: v for k, v in done.items() if k != "evidence"}
    )
    fb = {
        "id": "f1",
        "type": "feedback_received",
        "feedback_id": "FB1",
        "journey": "J-7F3K2Q",
        "at": "2026-10-06",
        "from": "child",
        "channel": "survey",
        "rating": 5,
        "themes": ["Being Heard", "being heard "],
        "text_ref": "docs/3",
    }
    rec = parse_record(fb)
    assert isinstance(rec, FeedbackReceived) and rec.themes == ("being heard",)
    assert payload(rec)["from"] == "child"  # stored as it arrived, under its contract name
    assert "rating: Input should be less than or equal to 5" in refused(fb | {"rating": 6})
    assert "from: Input should be" in refused(fb | {"from": "neighbour"})
    assert "text: unknown field" in refused(fb | {"text": "free text about the child"})


# ---- rules ---------------------------------------------------------------------------------


def test_due_dates_count_working_days_from_the_day_agreed() -> None:
    spec = ActionSpec(action_id="A", description="d", owner="sw", due_in_working_days=5)
    # Thu 24 Dec 2026 + 5 wd: Tue 29, Wed 30, Thu 31 (Christmas, Boxing Day's substitute Mon 28
    # and New Year's Day skipped), Mon 4, Tue 5 Jan
    assert action_due(CAL, date(2026, 12, 24), spec) == date(2027, 1, 5)
    early = ActionSpec(action_id="A", description="d", owner="sw", due_on=date(2026, 10, 1))
    with pytest.raises(RecordError, match="before it was agreed"):
        action_due(CAL, date(2026, 10, 5), early)


def test_timer_plan_follows_the_pathway_ladder_with_action_templates() -> None:
    ladder = PATHWAY.action_ladder()
    plans = plan_action_timers(
        tuple((r.level, r.before_due, r.to, r.template) for r in ladder.reminders),
        tuple((e.level, e.after_due, e.to, e.template) for e in ladder.escalations),
        "supervision_action",
        date(2026, 10, 5),
        date(2026, 10, 8),
        CAL,
    )
    assert [(p.kind, p.level, p.due_on.isoformat(), p.to, p.template) for p in plans] == [
        ("reminder", 1, "2026-10-06", "allocated_worker", "action_reminder"),
        ("reminder", 2, "2026-10-08", "allocated_worker", "action_reminder"),
        ("escalation", 1, "2026-10-09", "team_manager", "action_escalation"),
        ("escalation", 2, "2026-10-13", "service_manager", "action_escalation"),
        ("escalation", 3, "2026-10-15", "head_of_service", "action_escalation"),
    ]


def test_an_actions_ladder_in_the_pathway_is_checked() -> None:
    import yaml

    data = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "pathways" / "default.yaml").read_text()
    )
    data["actions"]["ladder"] = {
        "reminders": [{"level": 1, "before_due": 1, "to": "owner", "template": "nope"}],
        "escalations": [],
    }
    with pytest.raises(ValueError, match="reminder level 1 to unknown role 'owner'"):
        pathway_from_dict(data)


def test_completion_rights_follow_the_line_of_management() -> None:
    assert may_complete(STAFF, "sw", "sw")
    assert may_complete(STAFF, "tm", "sw") and may_complete(STAFF, "hos", "sw")
    assert not may_complete(STAFF, "sw2", "sw")  # a colleague
    assert not may_complete(STAFF, "tm2", "sw")  # another team's manager
    assert not may_complete(STAFF, "sw", "tm")  # not down the line


def test_escalations_climb_from_the_owners_manager() -> None:
    assert escalation_recipient(STAFF, "sw", "allocated_worker") == "sw"
    assert escalation_recipient(STAFF, "sw", "team_manager") == "tm"
    assert escalation_recipient(STAFF, "sw", "head_of_service") == "hos"
    assert escalation_recipient(STAFF, "tm", "team_manager") == "sm"  # never the owner
    assert escalation_recipient(STAFF, "hos", "team_manager") is None


def test_action_status_is_the_gate_rule() -> None:
    soon = date(2026, 10, 6)
    due = date(2026, 10, 8)
    start = date(2026, 10, 5)
    assert action_status(start, due, soon, None, date(2026, 10, 5)) == "open"
    assert action_status(start, due, soon, None, date(2026, 10, 7)) == "due_soon"
    assert action_status(start, due, soon, None, date(2026, 10, 9)) == "overdue"
    assert action_status(start, due, soon, date(2026, 10, 8), date(2026, 10, 9)) == "met"
    assert action_status(start, due, soon, date(2026, 10, 9), date(2026, 10, 9)) == "met_late"


# ---- the report ----------------------------------------------------------------------------


def _act(ref: str, kind: str, team: str, due: str, done: str | None) -> ActionFact:
    d = date.fromisoformat(due)
    return ActionFact(
        ref, kind, team, "sw", date(2026, 9, 1), d, d, date.fromisoformat(done) if done else None
    )


def test_report_arithmetic_on_a_tiny_hand_built_set() -> None:
    inputs = ReportInputs(
        actions=(
            _act("A-1", "supervision_action", "north", "2026-09-10", "2026-09-09"),  # met
            _act("A-2", "supervision_action", "north", "2026-09-11", "2026-09-15"),  # late
            _act("A-3", "audit_action", "north", "2026-09-30", None),  # 22 wd overdue on 30 Oct
            _act("A-4", "audit_action", "north", "2026-10-29", None),  # 1 wd overdue
            _act("A-5", "audit_action", "north", "2026-11-20", None),  # not due in the period
        ),
        supervisions=(SupervisionFact("sw", "north", date(2026, 10, 20), "C1", None),),
        audits=(
            AuditFact("AU1", "case_audit", "north", date(2026, 9, 3), "good", ("FB1",)),
            AuditFact("AU2", "case_audit", "north", date(2026, 9, 4), "good", ()),
            AuditFact("AU3", "case_audit", "north", date(2026, 9, 7), "inadequate", ()),
        ),
        feedback=(
            FeedbackFact("FB1", "north", date(2026, 9, 2), "child", 1, ("safety",)),
            FeedbackFact("FB2", "north", date(2026, 9, 2), "child", 2, ("safety",)),
            FeedbackFact("FB3", None, date(2026, 9, 2), "child", 5, ()),  # no team: all only
        ),
        journeys=(
            JourneyFact("J-1", "C1", "north", "sw", date(2026, 9, 1), None),
            JourneyFact("J-2", "C2", "north", "sw", date(2026, 9, 1), None),
            JourneyFact("J-3", "C3", "north", "sw", date(2026, 9, 1), date(2026, 9, 30)),
        ),
        workers=(WorkerFact("sw", "north"), WorkerFact("sw9", "north")),
        dispensations=(
            DispensationFact("e1", "J-1", "north", date(2026, 9, 1), "tm", "team_manager", True),
            DispensationFact("e2", "J-2", "north", date(2026, 9, 1), "x", None, True),
            DispensationFact("e3", "J-2", "north", date(2026, 9, 2), "tm", "team_manager", False),
        ),
    )
    r = build_report(inputs, date(2026, 9, 1), date(2026, 10, 30), CAL, team="north")
    assert r["actions"]["due"] == {
        "due": 4, "met": 1, "met_late": 1, "overdue": 2, "on_time_pct": 25.0
    }  # fmt: skip
    assert r["actions"]["overdue_by_age"] == {"1-5": 1, "6-10": 0, "11-20": 0, "21+": 1}
    assert [m["month"] for m in r["actions"]["trend"]] == ["2026-09", "2026-10"]
    assert r["audits"]["considered_feedback_pct"] == 33.3
    assert r["audits"]["by_grade"] == {"good": 2, "inadequate": 1}
    assert r["feedback"]["count"] == 2 and r["feedback"]["average_rating"] == 1.5
    assert r["supervision"]["per_worker"] == [
        {"worker": "sw", "team": "north", "sessions": 1, "last_on": "2026-10-20"},
        {"worker": "sw9", "team": "north", "sessions": 0, "last_on": None},
    ]
    # C1 supervised on 20 Oct; J-3 ended
    assert [j["journey"] for j in r["supervision"]["journeys_without_supervision"]] == ["J-2"]
    why = {e["record"]: e["why"] for e in r["consent_dispensations"]["exceptions"]}
    assert why == {"e2": "approver not on the staff roster", "e3": "no reason recorded"}
    assert build_report(inputs, date(2026, 9, 1), date(2026, 10, 30), CAL)["feedback"][
        "average_rating"
    ] == round(8 / 3, 2)
    with pytest.raises(ValueError):
        build_report(inputs, date(2026, 10, 30), date(2026, 9, 1), CAL)
