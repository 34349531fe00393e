"""team_digest: every morning, per team, the clocks overdue and due in the next 5 working days.

A table artifact per team (key ``team-digest-<team>``) for the Prefect UI, and the same digest
emailed to the team manager. 08:00 Europe/London: prefect.yaml with a server, APScheduler when
embedded. Pseudonymous only: journey references, gates, dates, statuses, staff ids.
"""

from __future__ import annotations

import re

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from config.clock import parse_as_of, today_london
from tasks.digest import build_digests_task, send_digest_task


def artifact_key(team: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    return "team-digest-" + (re.sub(r"[^a-z0-9-]+", "-", team.lower()).strip("-") or "team")


@flow(name="team_digest", persist_result=False, log_prints=False)
def team_digest(as_of: str | None = None) -> dict[str, object]:
    """The digest as of ``as_of`` (ISO date or datetime; default now)."""
    day = today_london(parse_as_of(as_of))
    digests = build_digests_task(day)
    emailed = 0
    for d in digests:
        create_table_artifact(
            key=artifact_key(d.team),
            table=[
                {
                    "journey": x.journey_ref,
                    "gate": x.gate,
                    "due": x.due_on.isoformat(),
                    "status": x.status,
                    "worker": x.worker or "",
                }
                for x in d.lines
            ],
            description=f"Team {d.team}: clocks overdue or due within 5 working days of "
            f"{day.isoformat()}",
        )
        if send_digest_task(d):
            emailed += 1
    result: dict[str, object] = {
        "as_of": day.isoformat(),
        "teams": len(digests),
        "emailed": emailed,
    }
    get_run_logger().info("team digest: %s", result)
    return result
