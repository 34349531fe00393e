"""Recording events from the dashboard and the API: the same path as ``frontdoor import``.

Records go through :func:`models.ingest.import_records` (same validation, same errors), recorded
by ``staff:<id>`` of the signed-in user, in one transaction. After validation, every journey the
records touched must be in the user's scope; otherwise nothing is written and the caller answers
404, as for any journey it may not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select

from config.clock import now_utc
from models.context import current_calendar, current_pathway
from models.dashboard import Scope, log_access, scoped
from models.db import session_scope
from models.ingest import ImportSummary, import_records
from models.tables import Journey


class OutOfScope(Exception):
    """A record touches a journey the user may not see; nothing was written."""


class RosterChangeRefused(Exception):
    """Only service managers, heads of service and ops change the staff roster."""


def record(
    url: str, user: Scope, records: Sequence[Any], *, source: str, action: str
) -> ImportSummary:
    if not user.sees_cases and any(
        isinstance(r, dict) and r.get("type") not in ("staff",) for r in records
    ):
        raise OutOfScope()
    if any(isinstance(r, dict) and r.get("type") == "staff" for r in records) and not (
        user.kind == "all" or user.is_ops
    ):
        raise RosterChangeRefused()
    now = now_utc()
    actor = f"staff:{user.staff_id}"
    with session_scope(url) as session:
        summary = import_records(
            session,
            list(enumerate(records, start=1)),
            pathway=current_pathway(),
            cal=current_calendar(),
            now=now,
            actor=actor,
            source=source,
        )
        if summary.journeys_touched:
            visible = set(
                session.exec(
                    scoped(
                        select(Journey.id).where(col(Journey.id).in_(summary.journeys_touched)),
                        user,
                    )
                ).all()
            )
            if visible != set(summary.journeys_touched):
                raise OutOfScope()  # rolls the whole import back
        targets: list[int | None] = list(summary.journeys_touched) or [None]
        for jid in targets:
            log_access(
                session,
                actor=actor,
                action=action,
                now=now,
                journey_id=jid,
                detail=f"{summary.new} record(s): "
                + ", ".join(sorted({str(r.get("type")) for r in records if isinstance(r, dict)})),
            )
        return summary
