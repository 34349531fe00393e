"""Action clocks through the real sweep (timescale_sweep under prefect_test_harness), the one
outbox and a real SMTP server: reminders to the owner, escalations up the owner's line, the same
idempotency, completion cancelling what is left, and no child data in any email.

Calendar: supervision Mon 5 Oct 2026; action due +3 wd = Thu 8 Oct. Default ladder: reminders
Tue 6 Oct (2 wd before) and Thu 8 Oct (due day); escalations Fri 9 Oct (+1, team manager),
Tue 13 Oct (+3, service manager), Thu 15 Oct (+5, head of service).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import HOS, SM, SW, TM, cli_import, staff_records, write_jsonl
from sqlmodel import Session, select

from models.db import get_engine
from models.practice import PracticeAction
from models.tables import Outbox, Timer

pytestmark = pytest.mark.usefixtures("prefect_harness")

CHILD = "C-SECRET-7"


def supervision(actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "S1",
        "type": "supervision_held",
        "child": CHILD,
        "at": "2026-10-05",
        "supervisor": TM,
        "worker": SW,
        "summary_ref": "docs/s1",
        "actions": actions,
    }


def sweep(as_of: str) -> dict[str, Any]:
    from flows.timescale_sweep import timescale_sweep

    result: dict[str, Any] = timescale_sweep(as_of=as_of, publish=False)
    return result


def test_action_reminds_its_owner_escalates_up_the_line_and_stops_when_done(
    sqlite_url: str, smtp_server: Any, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            *staff_records(),
            supervision(
                [
                    {
                        "action_id": "A1",
                        "description": f"Visit {CHILD} at home",
                        "owner": SW,
                        "due_in_working_days": 3,
                    },
                    {
                        "action_id": "A2",
                        "description": "Team manager to chair a review",
                        "owner": TM,
                        "due_in_working_days": 3,
                    },
                ]
            ),
        ],
    )
    assert cli_import(path).exit_code == 0

    assert sweep("2026-10-05T18:00:00+00:00")["enqueue_queued"] == 0
    first = sweep("2026-10-06T08:30:00+00:00")  # level 1 reminders, to each owner
    assert first["enqueue_by_kind"] == {"reminder": 2} and first["delivery_sent"] == 2
    again = sweep("2026-10-06T08:35:00+00:00")  # the same sweep twice sends nothing
    assert again["enqueue_queued"] == 0 and again["delivery_sent"] == 0
    to = [m["To"] for m in smtp_server.messages()]
    assert sorted(to) == [f"{SW}@example.gov.uk", f"{TM}@example.gov.uk"]

    # Fri 9 Oct after downtime: the due-day reminder is superseded by escalation level 1
    late = sweep("2026-10-09T08:30:00+00:00")
    assert late["enqueue_by_kind"] == {"escalation": 2} and late["enqueue_superseded"] == 2
    new = smtp_server.messages()[2:]
    # A1 (owner sw.north) goes to the team manager; A2 (owner tm.north) to the service manager,
    # never back to its owner
    assert sorted(m["To"] for m in new) == [f"{SM}@example.gov.uk", f"{TM}@example.gov.uk"]

    # the team manager completes A1 on Mon 12 Oct: A1's remaining rungs are cancelled
    done = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {
                "id": "D1",
                "type": "action_completed",
                "action_id": "A1",
                "at": "2026-10-12",
                "by": TM,
                "evidence": "docs/visit-note",
            }
        ],
    )
    assert cli_import(done).exit_code == 0
    with Session(get_engine(sqlite_url)) as s:
        ids = {a.action_id: a.id for a in s.exec(select(PracticeAction)).all()}
        left = s.exec(
            select(Timer).where(Timer.action_id != None, Timer.claimed_at == None)  # noqa: E711
        ).all()
    cancelled = {(t.action_id, t.level) for t in left if t.cancelled_at is not None}
    waiting = {(t.action_id, t.level) for t in left if t.cancelled_at is None}
    assert cancelled == {(ids["A1"], 2), (ids["A1"], 3)}
    assert waiting == {(ids["A2"], 2), (ids["A2"], 3)}
    end = sweep("2026-10-20T08:30:00+00:00")
    # only A2 climbs on: level 2 (service manager) and level 3 (head of service)
    assert end["enqueue_by_kind"] == {"escalation": 2}
    messages = smtp_server.messages()
    assert len(messages) == 6
    assert sorted(m["To"] for m in messages[4:]) == [
        f"{HOS}@example.gov.uk",
        f"{SM}@example.gov.uk",
    ]
    with Session(get_engine(sqlite_url)) as s:
        rows = s.exec(select(Outbox).order_by(Outbox.id)).all()
    assert all(r.journey_id is None and r.action_id is not None for r in rows)
    assert len({r.idempotency_key for r in rows}) == 6
    for m in messages:
        whole = m.as_string()
        body = m.get_body(preferencelist=("plain",)).get_content()
        assert re.search(r"A-[0-9A-Z]{6}", m["Subject"]) and re.search(r"A-[0-9A-Z]{6}", body)
        assert CHILD not in whole and "Visit" not in whole and "review" not in m["Subject"]
        assert "Supervision action" in m["Subject"]
    reminder = messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "which you own, is due by the end of Thu 8 Oct 2026" in reminder
    escalation = messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert "climbs the action owner's line of management" in escalation
    assert "Who has been told before" in escalation and "escalation level 1" in escalation


def test_actions_cli_json_is_the_view_of_the_clocks(sqlite_url: str, tmp_path: Path) -> None:
    from helpers import cli

    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            *staff_records(),
            supervision(
                [{"action_id": "A1", "description": "x", "owner": SW, "due_on": "2026-10-08"}]
            ),
        ],
    )
    assert cli_import(path).exit_code == 0
    rows = json.loads(cli("actions", "--as-of", "2026-10-09", "--json").stdout)
    assert [(r["action_id"], r["status"], r["due_on"]) for r in rows] == [
        ("A1", "overdue", "2026-10-08")
    ]
