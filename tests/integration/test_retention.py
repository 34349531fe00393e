"""Storage limitation: message bodies are removed by the sweep once past the retention period;
the record of who was told what and when stays, and nothing pending is touched. Real SQLite
file, real SMTP server, the real timescale_sweep flow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, col, select

from config.settings import reset_settings
from models.db import get_engine
from models.tables import Outbox
from tests.integration.test_flows import ROSTER, load, s47_journey

pytestmark = pytest.mark.usefixtures("prefect_harness")

FIRST = "2026-11-27T09:00:00+00:00"


def _rows(url: str) -> list[Outbox]:
    with Session(get_engine(url)) as s:
        return list(s.exec(select(Outbox).order_by(col(Outbox.id))).all())


def test_the_sweep_removes_bodies_past_the_retention_period(
    sqlite_url: str, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.timescale_sweep import timescale_sweep

    monkeypatch.setenv("FRONTDOOR_MESSAGE_BODY_DAYS", "30")
    reset_settings()
    load(ROSTER + s47_journey())
    first = timescale_sweep(as_of=FIRST)
    assert first["delivery_sent"] == 6 and first["bodies_removed"] == 0
    sent = {m.id: m for m in _rows(sqlite_url)}
    assert all(m.body_text and m.body_html for m in sent.values())

    # 29 days on: every body still held (and later sweeps queue repeats of the top rung)
    kept = timescale_sweep(as_of="2026-12-26T09:00:00+00:00", publish=False)
    assert kept["bodies_removed"] == 0

    # 31 days after the first messages were queued: those six lose their bodies, nothing else
    aged = timescale_sweep(as_of="2026-12-28T09:00:00+00:00", publish=False)
    assert aged["bodies_removed"] == 6
    rows = {m.id: m for m in _rows(sqlite_url)}
    for mid, before in sent.items():
        m = rows[mid]
        assert m.body_text == "" and m.body_html == ""
        assert m.body_removed_at == datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
        # who was told what and when is kept
        assert (m.subject, m.recipient_email, m.status, m.sent_at, m.level, m.gate) == (
            before.subject,
            before.recipient_email,
            "sent",
            before.sent_at,
            before.level,
            before.gate,
        )
    younger = [m for mid, m in rows.items() if mid not in sent]
    assert younger and all(m.body_text and m.body_removed_at is None for m in younger)
    again = timescale_sweep(as_of="2026-12-28T09:05:00+00:00", publish=False)
    assert again["bodies_removed"] == 0  # once only


def test_pending_messages_keep_their_bodies_and_zero_keeps_everything(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.notify import enqueue_due
    from tasks.retention import remove_message_bodies

    load(ROSTER + s47_journey())
    enqueue_due(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # queued, never delivered
    queued = _rows(sqlite_url)
    assert queued and {m.status for m in queued} == {"pending"}
    assert remove_message_bodies(datetime(2027, 11, 27, 9, 0, tzinfo=UTC)) == 0
    assert all(m.body_text for m in _rows(sqlite_url))

    with Session(get_engine(sqlite_url)) as s:  # as if delivered
        for m in s.exec(select(Outbox)).all():
            m.status = "sent"
            s.add(m)
        s.commit()
    monkeypatch.setenv("FRONTDOOR_MESSAGE_BODY_DAYS", "0")
    reset_settings()
    assert remove_message_bodies(datetime(2027, 11, 27, 9, 0, tzinfo=UTC)) == 0
    monkeypatch.setenv("FRONTDOOR_MESSAGE_BODY_DAYS", "90")
    reset_settings()
    assert remove_message_bodies(datetime(2027, 11, 27, 9, 0, tzinfo=UTC)) == len(queued)
    assert not any(m.body_text for m in _rows(sqlite_url))
