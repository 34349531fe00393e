"""Read, compute and render the scorecard: the one composition the CLI and the flow share.

Plain functions (no Prefect import), so `frontdoor scorecard` starts quickly; the
`performance_report` flow wraps them in a task (:mod:`tasks.returns`).
"""

from __future__ import annotations

from datetime import datetime

from models.context import current_calendar
from models.db import session_scope
from models.returns import load_inputs, log_access
from reports.scorecard_render import render
from timescales.returns import summarise
from timescales.scorecard import Month, Scorecard, build_scorecard


def compute_scorecard(
    url: str, month: Month, team: str | None, *, now: datetime, actor: str
) -> Scorecard:
    """The scorecard for ``month`` from the database at ``url``; the read is access-logged."""
    end = month.last
    with session_scope(url) as session:
        inputs = load_inputs(session, up_to=end)
        facts = [f for j in inputs.journeys if (f := summarise(j, end)) is not None]
        card = build_scorecard(
            facts, month, current_calendar(), team=team, roles=inputs.staff_roles
        )
        log_access(
            session,
            at=now,
            actor=actor,
            action="scorecard",
            detail=f"month={month} team={team or '*'}",
        )
    return card


def scorecard_text(
    url: str, month: Month, team: str | None, fmt: str, *, now: datetime, actor: str
) -> str:
    return render(compute_scorecard(url, month, team, now=now, actor=actor), fmt)
