"""The performance report task: the month's scorecard as Markdown, HTML and figures.

Opens its own session (through :mod:`tasks.compose`) and returns plain data, never ORM rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.clock import now_utc
from models.context import database_url
from reports.scorecard_render import render
from tasks.compose import compute_scorecard
from timescales.scorecard import Month


@dataclass(frozen=True)
class ReportOutput:
    month: str
    markdown: str
    html: str
    figures: dict[str, float | int | None]


@task(name="build_scorecard", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=30)
def scorecard_task(month: str, team: str | None = None) -> ReportOutput:
    card = compute_scorecard(
        database_url(), Month.parse(month), team, now=now_utc(), actor="performance_report"
    )
    return ReportOutput(
        month=month,
        markdown=render(card, "md"),
        html=render(card, "html"),
        figures={f.key: f.value for f in card.figures},
    )
