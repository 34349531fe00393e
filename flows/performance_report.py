"""performance_report: the monthly front-door scorecard, published as Prefect artifacts.

Runs on the first working day of each month for the month before (prefect.yaml cron on days 1-4
at 07:00 Europe/London with a server; APScheduler when embedded) and checks inside that the day
really is the first working day, so a bank holiday on the 1st moves it, never doubles it. The
artifacts hold figures only (no journey references, no personal data).
"""

from __future__ import annotations

import re
from datetime import date

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from config.clock import today_london
from models.context import current_calendar
from tasks.returns import scorecard_task
from timescales.scorecard import Month, report_due


@flow(name="performance_report", persist_result=False, log_prints=False)
def performance_report(
    today: str | None = None, month: str | None = None, team: str | None = None
) -> dict[str, object]:
    """The scorecard for ``month`` (YYYY-MM), or, when not given, for the month before
    ``today`` (ISO date; default today in London) if today is its month's first working day."""
    day = date.fromisoformat(today) if today else today_london()
    if month is None:
        due = report_due(day, current_calendar())
        if due is None:
            get_run_logger().info("%s is not the first working day of the month: no report", day)
            return {"produced": False, "today": day.isoformat()}
        month = str(due)
    else:
        month = str(Month.parse(month))
    out = scorecard_task(month, team)
    suffix = re.sub(r"[^a-z0-9-]", "-", f"-{team}".lower()) if team else ""
    create_markdown_artifact(
        key=f"front-door-scorecard{suffix}",
        markdown=out.markdown,
        description=f"Front-door scorecard for {month}",
    )
    create_table_artifact(
        key=f"front-door-figures{suffix}",
        table=[{"measure": k, "value": v} for k, v in out.figures.items()],
        description=f"Front-door figures for {month}",
    )
    return {"produced": True, "month": month, "figures": out.figures}
