"""Practice records through the real CLI on a real SQLite file: import (validation, completion
rights, all or nothing), `frontdoor actions`, and `frontdoor practice-report` checked against a
hand-built data set. No Prefect: imports run with --no-flows.

The data set (team north unless said; the report covers Tue 1 Sep to Fri 30 Oct 2026):

    journeys   C-1 opened 1 Sep (consent dispensed, approved by tm.north), C-2 14 Sep,
               C-3 26 Oct (too new to count as unsupervised), C-4 (south) 2 Sep (dispensed,
               approved by tm.south, who is later re-rostered as a social worker: an exception)
    supervision S1 Thu 10 Sep sw.north about C-1: A1 due +5 wd (Thu 17 Sep), done 16 Sep by the
               owner (met); A2 due Wed 30 Sep, done Fri 2 Oct by tm.north, the owner's manager
               (met late)
               S2 Mon 5 Oct sw2.north about journey C-2: A3 due +3 wd (Thu 8 Oct), never done
               (16 wd overdue on 30 Oct)
               S3 Tue 20 Oct (south) sw.south about C-4: A4 due Tue 27 Oct, done 26 Oct by
               tm.south (met)
    audits     AU1 Wed 14 Oct practice_review, requires_improvement, considered FB1; A5 owned by
               tm.north due +5 wd (Wed 21 Oct), never done (7 wd overdue on 30 Oct)
               AU2 Fri 25 Sep case_audit, good, no feedback; AU3 (south) 1 Oct, good
    feedback   FB1 20 Sep C-1 parent rating 4 [listened to, communication]; FB2 2 Oct C-2 child
               rating 2 [communication]; FB3 10 Oct C-2 carer, no rating; FB4 (south) 12 Oct C-4
               parent rating 5 [timeliness]
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    HOS,
    SM,
    SW,
    SW2,
    TM,
    JourneyBuilder,
    Record,
    cli,
    cli_import,
    row_counts,
    staff_record,
    staff_records,
    write_jsonl,
)
from sqlmodel import Session, col, select

from models.db import get_engine
from models.tables import Outbox

TMS, SWS = "tm.south", "sw.south"


def roster() -> list[Record]:
    return [
        *staff_records(),
        staff_record(TMS, "team_manager", team="south", manager=SM),
        staff_record(SWS, "social_worker", team="south", manager=TMS),
    ]


def action(action_id: str, owner: str | None, **due: Any) -> Record:
    a: Record = {"action_id": action_id, "description": f"do {action_id}"}
    if owner is not None:
        a["owner"] = owner
    a.update(due)
    return a


def supervision(
    rid: str, at: str, worker: str, supervisor: str, actions: list[Record], **about: str
) -> Record:
    return {
        "id": rid,
        "type": "supervision_held",
        "at": at,
        "supervisor": supervisor,
        "worker": worker,
        "summary_ref": f"docs/{rid}",
        "actions": actions,
        **about,
    }


def completed(rid: str, action_id: str, at: str, by: str) -> Record:
    return {
        "id": rid,
        "type": "action_completed",
        "action_id": action_id,
        "at": at,
        "by": by,
        "evidence": f"docs/{rid}",
    }


def feedback(
    rid: str, at: str, child: str, who: str, rating: int | None, themes: list[str]
) -> Record:
    rec: Record = {
        "id": rid,
        "type": "feedback_received",
        "feedback_id": rid,
        "child": child,
        "at": at,
        "from": who,
        "channel": "phone",
        "themes": themes,
        "text_ref": f"docs/{rid}",
    }
    if rating is not None:
        rec["rating"] = rating
    return rec


def audit(
    audit_id: str, at: str, kind: str, grade: str, team: str, auditor: str, **extra: Any
) -> Record:
    return {
        "id": f"rec-{audit_id}",
        "type": "audit_completed",
        "audit_id": audit_id,
        "kind": kind,
        "at": at,
        "auditor": auditor,
        "team": team,
        "grade": grade,
        "feedback_considered": [],
        **extra,
    }


def journeys() -> list[Record]:
    j1 = JourneyBuilder("C-1", worker=SW)
    j1.contact("2026-09-01")
    j1.outcome("2026-09-01", consent="dispensed", consent_reason="risk of harm", approved_by=TM)
    j2 = JourneyBuilder("C-2", worker=SW2)
    j2.contact("2026-09-14")
    j2.outcome("2026-09-14")
    j3 = JourneyBuilder("C-3", worker=SW)
    j3.contact("2026-10-26")
    j4 = JourneyBuilder("C-4", worker=SWS, team="south")
    j4.contact("2026-09-02")
    j4.outcome(
        "2026-09-02", consent="dispensed", consent_reason="police investigation", approved_by=TMS
    )
    return [*j1.records, *j2.records, *j3.records, *j4.records]


def ref_of(child: str) -> str:
    rows = json.loads(cli("gates", "--as-of", "2026-10-30", "--json").stdout)
    refs = {r["journey"] for r in rows if r["child"] == child}
    assert len(refs) == 1
    return refs.pop()


def load_data_set(tmp_path: Path) -> dict[str, str]:
    first = write_jsonl(tmp_path / "one.jsonl", [*roster(), *journeys()])
    assert cli_import(first).exit_code == 0
    j2 = ref_of("C-2")
    j1 = ref_of("C-1")
    records = [
        supervision(
            "S1",
            "2026-09-10",
            SW,
            TM,
            [action("A1", SW, due_in_working_days=5), action("A2", SW, due_on="2026-09-30")],
            child="C-1",
        ),
        supervision(
            "S2", "2026-10-05", SW2, TM, [action("A3", SW2, due_in_working_days=3)], journey=j2
        ),
        supervision(
            "S3", "2026-10-20", SWS, TMS, [action("A4", SWS, due_on="2026-10-27")], child="C-4"
        ),
        feedback("FB1", "2026-09-20", "C-1", "parent", 4, ["Listened to", "communication"]),
        feedback("FB2", "2026-10-02", "C-2", "child", 2, ["communication"]),
        feedback("FB3", "2026-10-10", "C-2", "carer", None, []),
        feedback("FB4", "2026-10-12", "C-4", "parent", 5, ["timeliness"]),
        audit(
            "AU1",
            "2026-10-14",
            "practice_review",
            "requires_improvement",
            "north",
            SM,
            journeys=[j1],
            feedback_considered=["FB1"],
            actions=[action("A5", TM, due_in_working_days=5)],
        ),
        audit("AU2", "2026-09-25", "case_audit", "good", "north", TM),
        audit("AU3", "2026-10-01", "multi_agency_audit", "good", "south", TMS),
        completed("D1", "A1", "2026-09-16", SW),
        completed("D2", "A2", "2026-10-02", TM),
        completed("D4", "A4", "2026-10-26", TMS),
        # tm.south is re-rostered as a social worker: their earlier dispensation is an exception
        staff_record(TMS, "social_worker", team="south", manager=SM, record_id="staff-tms-2"),
    ]
    second = write_jsonl(tmp_path / "two.jsonl", records)
    result = cli_import(second)
    assert result.exit_code == 0, result.output
    assert "14 practice record(s)" not in result.stdout  # the staff record is not one
    assert "13 practice record(s)" in result.stdout and "5 action(s) opened" in result.stdout
    return {"j1": j1, "j2": j2}


def test_an_action_without_owner_or_due_date_is_refused_naming_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            *roster(),
            supervision(
                "S1", "2026-10-05", SW, TM, [action("A1", None, due_on="2026-10-09")], child="C-9"
            ),
            supervision("S2", "2026-10-05", SW, TM, [action("A2", SW)], child="C-9"),
            audit(
                "AU1",
                "2026-10-05",
                "case_audit",
                "good",
                "north",
                TM,
                actions=[action("A3", "nobody", due_in_working_days=2)],
            ),
            audit(
                "AU2", "2026-10-05", "case_audit", "good", "north", TM, feedback_considered=["FB-X"]
            ),
            feedback("FB1", "2026-10-05", "C-9", "parent", 7, []),
            completed("D9", "A-unknown", "2026-10-06", SW),
            supervision("S3", "2099-01-05", SW, TM, [], child="C-9"),
        ],
    )
    before = row_counts(sqlite_url)
    result = cli_import(path)
    assert result.exit_code == 2
    err = result.stderr
    assert re.search(r"line 9 \(id S1\): actions\.0: action 'A1' has no owner", err)
    assert re.search(r"line 10 \(id S2\): actions\.0: action 'A2' has no due date", err)
    assert (
        "line 11 (id rec-AU1): actions: action 'A3' owner: 'nobody' is not on the staff roster"
        in err
    )
    assert "line 12 (id rec-AU2): feedback_considered: no feedback recorded as FB-X" in err
    assert "line 13 (id FB1): rating: Input should be less than or equal to 5" in err
    assert "line 14 (id D9): action_id: no action 'A-unknown' has been agreed" in err
    assert "line 15 (id S3): at: 2099-01-05 is in the future" in err
    assert "7 invalid record(s)" in err and "Traceback" not in result.output
    assert row_counts(sqlite_url) == before  # not even the roster


def test_only_the_owner_or_their_managers_complete_an_action(
    sqlite_url: str, tmp_path: Path
) -> None:
    agreed = write_jsonl(
        tmp_path / "a.jsonl",
        [
            *roster(),
            supervision(
                "S1", "2026-10-05", SW, TM,
                [action("A1", SW, due_in_working_days=3), action("A2", SW, due_in_working_days=3),
                 action("A3", SW, due_in_working_days=3)],
                child="C-9",
            ),
        ],
    )  # fmt: skip
    assert cli_import(agreed).exit_code == 0
    refused = cli_import(
        write_jsonl(
            tmp_path / "b.jsonl",
            [
                completed("D1", "A1", "2026-10-06", SW2),  # a colleague
                completed("D2", "A1", "2026-10-06", TMS),  # another team's manager
                completed("D3", "A1", "2026-10-02", SW),  # before it was agreed
            ],
        )
    )
    assert refused.exit_code == 2
    assert (
        "line 1 (id D1): by: 'sw2.north' may not complete action 'A1': only its owner "
        "'sw.north' or their manager" in refused.stderr
    )
    assert "line 2 (id D2): by: 'tm.south' may not complete action 'A1'" in refused.stderr
    assert "line 3 (id D3): at: action 'A1' cannot be completed before it was agreed" in (
        refused.stderr
    )
    ok = cli_import(
        write_jsonl(
            tmp_path / "c.jsonl",
            [
                completed("D4", "A1", "2026-10-06", SW),  # the owner
                completed("D5", "A2", "2026-10-07", TM),  # the owner's manager
                completed("D6", "A3", "2026-10-12", HOS),  # up the line
            ],
        )
    )
    assert ok.exit_code == 0, ok.output
    again = cli_import(write_jsonl(tmp_path / "d.jsonl", [completed("D7", "A1", "2026-10-08", SW)]))
    assert again.exit_code == 2
    assert "action 'A1' was already completed on 2026-10-06 (record D4)" in again.stderr
    rows = json.loads(cli("actions", "--as-of", "2026-10-30", "--json").stdout)
    assert {r["action_id"]: (r["status"], r["completed_by"]) for r in rows} == {
        "A1": ("met", SW),
        "A2": ("met", TM),
        "A3": ("met_late", HOS),  # due Thu 8 Oct
    }
    # re-importing the same file is a no-op
    assert cli_import(tmp_path / "c.jsonl").exit_code == 0


def test_actions_view_statuses_and_filters(sqlite_url: str, tmp_path: Path) -> None:
    load_data_set(tmp_path)
    rows = json.loads(cli("actions", "--as-of", "2026-10-07", "--json").stdout)
    status = {r["action_id"]: r["status"] for r in rows}
    # A3 due Thu 8 Oct: due soon from Tue 6 Oct; A2 done 2 Oct after its due date 30 Sep
    assert status == {"A1": "met", "A2": "met_late", "A3": "due_soon"}
    assert all(re.fullmatch(r"A-[0-9A-Z]{6}", r["ref"]) for r in rows)
    rows = json.loads(cli("actions", "--as-of", "2026-10-30", "--json").stdout)
    assert {r["action_id"]: r["status"] for r in rows} == {
        "A1": "met",
        "A2": "met_late",
        "A3": "overdue",
        "A4": "met",
        "A5": "overdue",
    }
    south = json.loads(cli("actions", "--as-of", "2026-10-30", "--team", "south", "--json").stdout)
    assert [r["action_id"] for r in south] == ["A4"]
    mine = json.loads(cli("actions", "--as-of", "2026-10-30", "--owner", TM, "--json").stdout)
    assert [(r["action_id"], r["kind"]) for r in mine] == [("A5", "audit_action")]
    table = cli("actions", "--as-of", "2026-10-30")
    assert table.exit_code == 0
    assert "5 action(s) as of 2026-10-30: 2 met, 1 met_late, 2 overdue" in table.stdout


def test_practice_report_figures_match_the_hand_built_data_set(
    sqlite_url: str, tmp_path: Path
) -> None:
    refs = load_data_set(tmp_path)
    result = cli(
        "practice-report", "--from", "2026-09-01", "--to", "2026-10-30", "--team", "north",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    r = json.loads(result.stdout)
    sup = r["supervision"]
    assert sup["sessions"] == 2
    assert sup["per_worker"] == [
        {"worker": SW, "team": "north", "sessions": 1, "last_on": "2026-09-10"},
        {"worker": SW2, "team": "north", "sessions": 1, "last_on": "2026-10-05"},
    ]
    # C-1's only supervision (10 Sep) is older than 20 wd before 30 Oct (Fri 2 Oct); C-2's
    # journey was supervised on 5 Oct; C-3's journey is too new to count
    assert [j["journey"] for j in sup["journeys_without_supervision"]] == [refs["j1"]]
    assert sup["journeys_without_supervision"][0]["last_supervised_on"] == "2026-09-10"
    act = r["actions"]
    assert act["agreed"] == 4
    assert act["due"] == {"due": 4, "met": 1, "met_late": 1, "overdue": 2, "on_time_pct": 25.0}
    assert act["by_kind"]["supervision_action"]["on_time_pct"] == 33.3
    assert act["by_kind"]["audit_action"] == {
        "due": 1, "met": 0, "met_late": 0, "overdue": 1, "on_time_pct": 0.0
    }  # fmt: skip
    assert act["overdue_by_age"] == {"1-5": 0, "6-10": 1, "11-20": 1, "21+": 0}
    assert [(o["working_days_overdue"], o["owner"]) for o in act["overdue"]] == [(16, SW2), (7, TM)]
    assert [(m["month"], m["due"], m["on_time_pct"]) for m in act["trend"]] == [
        ("2026-09", 2, 50.0),
        ("2026-10", 2, 0.0),
    ]
    aud = r["audits"]
    assert aud["count"] == 2
    assert aud["by_grade"] == {"good": 1, "requires_improvement": 1}
    assert aud["considered_feedback"] == 1 and aud["considered_feedback_pct"] == 50.0
    fb = r["feedback"]
    assert fb["count"] == 3 and fb["rated"] == 2 and fb["average_rating"] == 3.0
    assert fb["themes"] == [
        {"theme": "communication", "count": 2},
        {"theme": "listened to", "count": 1},
    ]
    assert fb["by_from"] == {"carer": 1, "child": 1, "parent": 1}
    cd = r["consent_dispensations"]
    assert cd["count"] == 1
    assert cd["by_role_team"] == [{"role": "team_manager", "team": "north", "count": 1}]
    assert cd["exceptions"] == []

    everyone = json.loads(
        cli(
            "practice-report", "--from", "2026-09-01", "--to", "2026-10-30", "--format", "json"
        ).stdout
    )
    assert everyone["actions"]["due"]["on_time_pct"] == 40.0  # A4 (south) met
    assert everyone["feedback"]["average_rating"] == 3.67
    exceptions = everyone["consent_dispensations"]["exceptions"]
    assert [(e["approver"], e["team"], e["why"]) for e in exceptions] == [
        (TMS, "south", "approver is a social_worker, not a team manager or above")
    ]


def test_practice_report_markdown_and_html_with_charts(sqlite_url: str, tmp_path: Path) -> None:
    load_data_set(tmp_path)
    md = cli("practice-report", "--from", "2026-09-01", "--to", "2026-10-30", "--team", "north")
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith("# Practice report 2026-09-01 to 2026-10-30 (team north)")
    assert "| 2026-09 | 2 | 1 | 50.0% |" in md.stdout
    assert "of 4 due in it, 1 met on time (25.0%)" in md.stdout
    out = tmp_path / "report.html"
    html = cli(
        "practice-report", "--from", "2026-09-01", "--to", "2026-10-30", "--format", "html",
        "-o", str(out),
    )  # fmt: skip
    assert html.exit_code == 0, html.output
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 3 and "pygal-chart" in page
    assert "Actions completed on time, by month due (%)" in page
    assert "<script src" not in page and "C-1" not in page  # stands alone; no child ids
    bad = cli("practice-report", "--from", "2026-10-30", "--to", "2026-09-01")
    assert bad.exit_code == 2 and "--to is before --from" in bad.stderr
    assert cli("practice-report", "--from", "x", "--to", "2026-09-01").exit_code == 2


@pytest.mark.postgres
def test_practice_on_postgres_report_and_action_messages(postgres_url: str, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tasks.notify import enqueue_due

    load_data_set(tmp_path)
    r = json.loads(
        cli(
            "practice-report", "--from", "2026-09-01", "--to", "2026-10-30", "--team", "north",
            "--format", "json",
        ).stdout
    )  # fmt: skip
    assert r["actions"]["due"]["on_time_pct"] == 25.0
    now = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
    first = enqueue_due(now)
    second = enqueue_due(now)
    assert second.claimed == 0
    with Session(get_engine(postgres_url)) as s:
        rows = s.exec(select(Outbox).where(col(Outbox.action_id).is_not(None))).all()
    # A3 (owner sw2.north, due 8 Oct): team manager, service manager, head of service. A5
    # (owner tm.north, due 21 Oct): the first in the owner's line holding each rung's role or
    # above: the service manager for rungs 1 and 2, then the head of service. Reminders superseded.
    assert sorted((m.level, m.recipient_staff_id) for m in rows) == [
        (1, SM), (1, TM), (2, SM), (2, SM), (3, HOS), (3, HOS)
    ]  # fmt: skip
    assert first.queued >= len(rows) and len({m.idempotency_key for m in rows}) == 6
