"""Real flows under prefect_test_harness, on a real SQLite file and a real SMTP server."""

from __future__ import annotations

import json
import socket
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from config.clock import now_utc
from config.settings import reset_settings
from models.context import current_calendar, current_pathway
from models.db import get_engine, session_scope
from models.ingest import decode_lines, import_records
from models.tables import DeliveryAttempt, Journey, Outbox, Timer

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROSTER = [
    {
        "type": "staff",
        "staff_id": "SW1",
        "name": "Sam Worker",
        "email": "sw1@example.gov.uk",
        "role": "social_worker",
        "team": "north",
        "manager": "TM1",
    },
    {
        "type": "staff",
        "staff_id": "TM1",
        "name": "Tia Manager",
        "email": "tm1@example.gov.uk",
        "role": "team_manager",
        "team": "north",
        "manager": "SM1",
    },
    {
        "type": "staff",
        "staff_id": "SM1",
        "name": "Sol Service",
        "email": "sm1@example.gov.uk",
        "role": "service_manager",
        "team": "north",
        "manager": "HS1",
    },
    {
        "type": "staff",
        "staff_id": "HS1",
        "name": "Hal Head",
        "email": "hs1@example.gov.uk",
        "role": "head_of_service",
        "team": "north",
    },
    {
        "type": "child_details",
        "child": "C-SECRET-1",
        "birth_date": "2015-03-02",
        "sex": "F",
        "ethnicity": "WBRI",
    },
]


def s47_journey(child: str = "C-SECRET-1") -> list[dict[str, Any]]:
    """Strategy discussion (s47) on Tue 6 Oct 2026: ICPC due Tue 27 Oct 2026, never held."""
    return [
        {
            "type": "contact_received",
            "child": child,
            "at": "2026-10-01",
            "source": "6",
            "team": "north",
            "worker": "SW1",
        },
        {
            "type": "contact_outcome",
            "child": child,
            "at": "2026-10-02",
            "outcome": "referral",
            "consent": "obtained",
        },
        {
            "type": "referral_decision",
            "child": child,
            "at": "2026-10-05",
            "outcome": "strategy_discussion",
            "worker": "SW1",
            "primary_need": "N1",
        },
        {"type": "strategy_discussion", "child": child, "at": "2026-10-06", "outcome": "s47"},
    ]


def load(records: list[dict[str, Any]], prefix: str = "r") -> list[str]:
    lines = [json.dumps({"id": f"{prefix}{i}", **r}) for i, r in enumerate(records)]
    with session_scope(_url()) as session:
        result = import_records(
            session,
            decode_lines(lines),
            pathway=current_pathway(),
            cal=current_calendar(),
            now=now_utc(),
            actor="test",
            source="test",
        )
    return result.journey_refs


def _url() -> str:
    from config.settings import get_settings

    return get_settings().database_url


def outbox(url: str) -> list[Outbox]:
    with Session(get_engine(url)) as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)).all())


def test_child_journey_run_is_named_tagged_and_says_where_the_journey_stands(
    sqlite_url: str,
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterName,
    )

    from flows.child_journey import child_journey

    (ref,) = load(ROSTER + s47_journey())
    child_journey(ref, as_of="2026-10-20")
    with Session(get_engine(sqlite_url)) as s:
        journey = s.exec(select(Journey).where(Journey.ref == ref)).one()
        assert journey.published_state == "Section47"
    assert outbox(sqlite_url) == []  # nothing is due on 20 Oct: ICPC due 27 Oct

    child_journey(ref, as_of="2026-11-27")
    with Session(get_engine(sqlite_url)) as s:
        journey = s.exec(select(Journey).where(Journey.ref == ref)).one()
        assert journey.published_state == "Overdue"
    sent = outbox(sqlite_url)
    # icpc overdue since 28 Oct and the delay rationale gate since 30 Oct: all three rungs each
    assert sorted((m.gate, m.kind, m.level) for m in sent) == sorted(
        [(g, "escalation", lvl) for g in ("icpc", "icpc_delay_rationale") for lvl in (1, 2, 3)]
    )
    assert {m.recipient_staff_id for m in sent} == {"TM1", "SM1", "HS1"}

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"journey {ref}"]))
        )
        assert len(runs) == 2
        names = sorted(r.state.name for r in runs if r.state is not None)
        assert names == ["Overdue", "Section47"]
        latest = max(runs, key=lambda r: r.expected_start_time or r.created)  # type: ignore[arg-type, return-value]
        assert {"team:north", "stage:section47", "gate:icpc"} <= set(latest.tags)
        assert all(set(r.parameters) == {"journey_ref", "as_of"} for r in runs)
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"journey-{ref.lower()}"]))
        )
        assert artifacts
        text = str(max(artifacts, key=lambda a: a.created or 0).data)  # type: ignore[arg-type, return-value]
        assert "| icpc |" in text and "overdue" in text
        assert "C-SECRET-1" not in text and "2015-03-02" not in text

    # idempotent: a third run as of the same day queues nothing new
    child_journey(ref, as_of="2026-11-27")
    assert len(outbox(sqlite_url)) == len(sent)


def test_two_sweeps_send_one_email_each_and_no_personal_data(
    sqlite_url: str, smtp_server: Any
) -> None:
    from flows.timescale_sweep import timescale_sweep

    (ref,) = load(ROSTER + s47_journey())
    first = timescale_sweep(as_of="2026-11-27T09:00:00+00:00")
    second = timescale_sweep(as_of="2026-11-27T09:05:00+00:00")
    assert first["enqueue_queued"] == 6 and first["delivery_sent"] == 6
    assert second["enqueue_queued"] == 0 and second["delivery_sent"] == 0
    messages = smtp_server.messages()
    assert len(messages) == 6
    assert len({m["Message-ID"] for m in messages}) == 6
    for m in messages:
        body = m.get_body(preferencelist=("plain",)).get_content()
        assert ref in body
        assert "C-SECRET-1" not in m.as_string() and "2015" not in m.as_string()
    assert {m["To"] for m in messages} == {
        "tm1@example.gov.uk",
        "sm1@example.gov.uk",
        "hs1@example.gov.uk",
    }


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_smtp_outage_delays_mail_and_loses_nothing(
    sqlite_url: str, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.timescale_sweep import timescale_sweep

    load(ROSTER + s47_journey())
    live_port = smtp_server.port
    monkeypatch.setenv("FRONTDOOR_SMTP_PORT", str(_dead_port()))
    reset_settings()
    down = timescale_sweep(as_of="2026-11-27T09:00:00+00:00")
    assert down["enqueue_queued"] == 6
    assert down["delivery_sent"] == 0 and down["delivery_retrying"] == 6
    pending = outbox(sqlite_url)
    assert {m.status for m in pending} == {"pending"} and {m.attempts for m in pending} == {1}

    # still down a minute later: the retry is not due yet (30 s backoff) -> tried once more
    monkeypatch.setenv("FRONTDOOR_SMTP_PORT", str(live_port))
    reset_settings()
    early = timescale_sweep(as_of="2026-11-27T09:00:10+00:00")
    assert early["delivery_sent"] == 0  # backoff not elapsed: nothing attempted
    back = timescale_sweep(as_of="2026-11-27T09:05:00+00:00")
    assert back["delivery_sent"] == 6 and back["enqueue_queued"] == 0
    assert len(smtp_server.messages()) == 6
    with Session(get_engine(sqlite_url)) as s:
        attempts = s.exec(select(DeliveryAttempt)).all()
    assert sorted(a.ok for a in attempts) == [False] * 6 + [True] * 6
    assert {m.status for m in outbox(sqlite_url)} == {"sent"}


def test_a_clock_that_runs_out_escalates_and_a_stop_cancels_what_is_left(
    sqlite_url: str, smtp_server: Any
) -> None:
    from flows.timescale_sweep import timescale_sweep

    # contact Thu 19 Nov 2026, referral Fri 20 Nov: referral decision due Mon 23 Nov
    child = "C-SECRET-1"
    load(
        [
            *ROSTER,
            {
                "type": "contact_received",
                "child": child,
                "at": "2026-11-19",
                "source": "2A",
                "team": "north",
                "worker": "SW1",
            },
            {
                "type": "contact_outcome",
                "child": child,
                "at": "2026-11-19",
                "outcome": "referral",
                "consent": "obtained",
            },
        ]
    )
    before = timescale_sweep(as_of="2026-11-19T18:00:00+00:00")
    assert before["enqueue_queued"] == 0
    due_day = timescale_sweep(as_of="2026-11-20T08:30:00+00:00")  # reminder on the due day
    assert due_day["enqueue_by_kind"] == {"reminder": 1}
    late = timescale_sweep(as_of="2026-11-23T08:30:00+00:00")  # 1 wd overdue: team manager
    assert late["enqueue_by_kind"] == {"escalation": 1}
    assert [m["To"] for m in smtp_server.messages()] == ["sw1@example.gov.uk", "tm1@example.gov.uk"]
    load(
        [
            {
                "type": "referral_decision",
                "child": child,
                "at": "2026-11-24",
                "outcome": "assessment",
                "worker": "SW1",
            }
        ],
        prefix="late",
    )
    with Session(get_engine(sqlite_url)) as s:
        left = s.exec(
            select(Timer).where(Timer.gate == "referral_decision", Timer.claimed_at == None)  # noqa: E711
        ).all()
    assert left and all(t.cancelled_at is not None for t in left)
    after = timescale_sweep(as_of="2026-11-27T08:30:00+00:00")
    assert after["enqueue_queued"] == 0
    assert len(smtp_server.messages()) == 2
    assert date(2026, 11, 27) > date(2026, 11, 23)  # the later rungs' dates have passed


def test_the_top_rung_repeats_until_acknowledged_and_stops_with_the_clock(
    sqlite_url: str, smtp_server: Any
) -> None:
    from flows.timescale_sweep import timescale_sweep
    from models.dashboard import acknowledge

    (ref,) = load(ROSTER + s47_journey())

    def icpc_rungs() -> list[tuple[int, str]]:
        return [
            (m.level, m.idempotency_key.rsplit(":", 1)[-1])
            for m in outbox(sqlite_url)
            if m.gate == "icpc" and m.kind == "escalation"
        ]

    # ICPC due Tue 27 Oct: rungs on 28 Oct, 30 Oct and Tue 3 Nov (head of service, repeats /5 wd)
    timescale_sweep(as_of="2026-11-03T09:00:00+00:00")
    assert icpc_rungs() == [(1, "1"), (2, "2"), (3, "3")]
    timescale_sweep(as_of="2026-11-09T09:00:00+00:00")  # not yet: the repeat is due 10 Nov
    assert len(icpc_rungs()) == 3
    timescale_sweep(as_of="2026-11-10T09:00:00+00:00")
    assert icpc_rungs()[-1] == (3, "r1")
    repeat = outbox(sqlite_url)[-1]
    assert repeat.recipient_staff_id == "HS1"

    with session_scope(sqlite_url) as session:
        journey = session.exec(select(Journey).where(Journey.ref == ref)).one()
        acknowledge(
            session,
            journey,
            "icpc",
            date(2026, 10, 6),
            3,
            by="SM1",
            note="Conference booked for 20 Nov",
            now=now_utc(),
        )
    timescale_sweep(as_of="2026-11-17T09:00:00+00:00")
    assert [r for r in icpc_rungs() if r[1].startswith("r")] == [(3, "r1")]  # acknowledged
    # the unacknowledged delay-rationale rung keeps repeating
    rationale = [
        m.idempotency_key.rsplit(":", 1)[-1]
        for m in outbox(sqlite_url)
        if m.gate == "icpc_delay_rationale" and m.level == 3
    ]
    assert rationale[:2] == ["3", "r1"]
    with Session(get_engine(sqlite_url)) as s:
        pending = s.exec(
            select(Timer).where(Timer.repeat > 0, Timer.claimed_at == None)  # noqa: E711
        ).all()
    assert pending and all(t.cancelled_at is None for t in pending)
    load(
        [
            {
                "type": "s47_concluded",
                "child": "C-SECRET-1",
                "at": "2026-11-18",
                "outcome": "no_icpc",
            }
        ],
        prefix="end",
    )
    with Session(get_engine(sqlite_url)) as s:
        left = s.exec(
            select(Timer).where(Timer.repeat > 0, Timer.claimed_at == None)  # noqa: E711
        ).all()
    assert left and all(t.cancelled_at is not None for t in left)  # the clocks stopped
