"""The team digest: per team, the clocks overdue and due within 5 working days, and the email
to the team manager. Returns frozen snapshots (no ORM rows), pseudonymous only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import col, select

from config.settings import get_settings
from models.context import current_calendar, database_url
from models.dashboard import Scope, clock_rows
from models.db import session_scope
from models.tables import Staff
from notifications.digest import DigestLine, render_digest
from notifications.senders import OutgoingMessage
from tasks.deliver import default_sender


@dataclass(frozen=True)
class TeamDigest:
    team: str
    as_of: date
    manager_id: str | None
    manager_email: str | None
    lines: tuple[DigestLine, ...]


def build_digests(as_of: date) -> list[TeamDigest]:
    """One digest per team with open journeys (teams with nothing due get an empty digest)."""
    horizon = current_calendar().add_working_days(as_of, 5)
    everyone = Scope("system", "system", "system", "", "all")
    with session_scope(database_url()) as session:
        rows = clock_rows(session, everyone, as_of)
        managers = {
            s.team: s
            for s in session.exec(
                select(Staff).where(Staff.role == "team_manager").order_by(col(Staff.staff_id))
            ).all()[::-1]
        }
    by_team: dict[str, list[DigestLine]] = {}
    for r in sorted(rows, key=lambda r: (r.due_on, r.journey, r.gate)):
        lines = by_team.setdefault(r.team, [])
        if r.status == "overdue" or r.due_on <= horizon:
            lines.append(DigestLine(r.journey, r.gate, r.due_on, r.status, r.worker))
    out = []
    for team in sorted(by_team):
        m = managers.get(team)
        out.append(
            TeamDigest(
                team,
                as_of,
                m.staff_id if m else None,
                m.email if m else None,
                tuple(by_team[team]),
            )
        )
    return out


def send_digest(d: TeamDigest) -> bool:
    """Email the digest to the team manager; False when the team has none. SMTP errors raise
    (the task retries)."""
    if not d.manager_email:
        return False
    settings = get_settings()
    msg = render_digest(d.team, d.as_of, list(d.lines), settings.dashboard_url)
    default_sender().send(
        OutgoingMessage(
            to=d.manager_email,
            subject=msg.subject,
            text=msg.text,
            html=msg.html,
            message_id=f"digest.{d.team}.{d.as_of.isoformat()}",
            sender=settings.mail_from,
        )
    )
    return True


build_digests_task = task(name="build-team-digests", cache_policy=NO_CACHE, persist_result=False)(
    build_digests
)
send_digest_task = task(
    name="send-team-digest",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=3,
    retry_delay_seconds=[30, 120, 600],
)(send_digest)
