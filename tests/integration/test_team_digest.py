"""team_digest under the Prefect harness: a table artifact per team and the email to the team
manager over real SMTP, with pseudonymous references only."""

from __future__ import annotations

from datetime import date
from typing import Any

from config.clock import parse_as_of
from models.context import current_calendar, current_pathway
from models.db import session_scope
from models.ingest import import_records

DAY = date(2026, 3, 4)


def test_team_digest_publishes_and_emails(
    prefect_harness: None, sqlite_url: str, smtp_server: Any
) -> None:
    from prefect.client.orchestration import get_client

    from flows.team_digest import artifact_key, team_digest
    from frontdoor.seed import generate_caseload

    records = generate_caseload(
        DAY, journeys=30, teams=("north", "south"), calendar=current_calendar()
    )
    with session_scope(sqlite_url) as s:
        import_records(
            s,
            list(enumerate(records, 1)),
            pathway=current_pathway(),
            cal=current_calendar(),
            now=parse_as_of(DAY.isoformat()),
            actor="t",
            source="t",
        )
    result = team_digest(as_of=DAY.isoformat())
    assert result == {"as_of": "2026-03-04", "teams": 2, "emailed": 2}
    mail = smtp_server.messages()
    assert sorted(m["To"] for m in mail) == sorted(
        r["email"] for r in records if r.get("role") == "team_manager"
    )
    children = {r["child"] for r in records if "child" in r}
    for m in mail:
        body = m.get_body(("plain",)).get_content()
        assert "J-" in body and "Overdue" in body
        assert not any(c in body for c in children)  # no child identifiers

    async def artifacts() -> list[Any]:
        async with get_client() as client:
            return await client.read_artifacts()

    import asyncio

    keys = {a.key for a in asyncio.run(artifacts())}
    assert {artifact_key("north"), artifact_key("south")} <= keys
