"""The demo's synthetic practice records import cleanly and give every action status."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from config.clock import now_utc
from frontdoor.seed import generate_caseload
from frontdoor.seed_practice import generate_practice
from models.context import current_calendar, current_pathway
from models.db import session_scope
from models.ingest import decode_lines, import_records
from models.practice import action_rows


def test_demo_practice_records_import_and_cover_every_status(sqlite_url: str) -> None:
    today = date(2026, 11, 27)
    cal = current_calendar()
    caseload = generate_caseload(today, journeys=80, calendar=cal)
    practice = generate_practice(today, caseload, cal)
    assert practice == generate_practice(today, caseload, cal)  # deterministic
    kinds = Counter(r["type"] for r in practice)
    assert set(kinds) == {
        "supervision_held", "audit_completed", "feedback_received", "action_completed"
    }  # fmt: skip
    with session_scope(sqlite_url) as session:
        for records in (caseload, practice):
            import_records(
                session,
                decode_lines(json.dumps(r) for r in records),
                pathway=current_pathway(),
                cal=cal,
                now=now_utc(),
                actor="test",
                source="seed",
            )
        statuses = Counter(r.status for r in action_rows(session, today))
    assert {"met", "met_late", "overdue"} <= set(statuses)
    assert sum(statuses.values()) > 20
