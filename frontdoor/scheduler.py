"""The embedded scheduler: APScheduler triggers the timescale sweep when no Prefect server runs.

In-memory job store (timers are rows in our database, so there is nothing to persist),
misfire_grace_time=None (run late rather than silently drop a sweep after downtime),
coalesce=True and max_instances=1 (never two sweeps at once from this process). Never run this
beside the prefect.yaml schedule: one owner of time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

JOB_ID = "timescale-sweep"
REPORT_JOB_ID = "performance-report"


def add_sweep_job(
    scheduler: BlockingScheduler | BackgroundScheduler,
    minutes: int,
    job: Callable[[], None],
) -> None:
    """Schedule ``job`` now and every ``minutes`` after."""
    scheduler.add_job(
        job,
        IntervalTrigger(minutes=minutes),
        id=JOB_ID,
        next_run_time=datetime.now(UTC),
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )


def add_report_job(
    scheduler: BlockingScheduler | BackgroundScheduler, job: Callable[[], None]
) -> None:
    """Schedule ``job`` at 07:00 London on days 1-4 of each month; the performance_report flow
    itself produces the report only on the first working day (as the prefect.yaml schedule)."""
    scheduler.add_job(
        job,
        CronTrigger(day="1-4", hour=7, minute=0, timezone="Europe/London"),
        id=REPORT_JOB_ID,
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )


def run_report() -> dict[str, Any]:
    from frontdoor import prefect_env

    prefect_env.configure()
    from flows.performance_report import performance_report

    with prefect_env.runtime():
        return performance_report()


DIGEST_JOB_ID = "team-digest"


def add_digest_job(
    scheduler: BlockingScheduler | BackgroundScheduler, at: str, job: Callable[[], None]
) -> None:
    """The daily team digest at ``at`` (HH:MM, Europe/London), with the sweep's job settings."""
    from apscheduler.triggers.cron import CronTrigger

    hh, mm = (int(x) for x in at.split(":"))
    scheduler.add_job(
        job,
        CronTrigger(day_of_week="mon-fri", hour=hh, minute=mm, timezone="Europe/London"),
        id=DIGEST_JOB_ID,
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )


def _guarded(name: str, fn: Callable[[], object]) -> Callable[[], None]:
    """A job that reports its own failure: one failed run must not stop the scheduler."""

    def job() -> None:
        try:
            fn()
        except Exception as exc:
            print(f"frontdoor: {name} failed: {exc}", flush=True)

    return job


def add_embedded_jobs(
    scheduler: BlockingScheduler | BackgroundScheduler,
    minutes: int,
    report: Callable[[dict[str, Any]], None],
    digest_at: str,
) -> None:
    """Every job the embedded scheduler owns: the sweep, the daily team digest and the monthly
    performance report (with a Prefect server, prefect.yaml's schedules own them instead)."""
    from frontdoor.cli import run_sweep

    add_sweep_job(scheduler, minutes, _guarded("sweep", lambda: report(run_sweep(None))))
    add_digest_job(
        scheduler,
        digest_at,
        _guarded(
            "team digest",
            lambda: print(f"frontdoor: team digest sent: {run_team_digest(None)}", flush=True),
        ),
    )
    add_report_job(scheduler, _guarded("performance report", run_report))


def start_background(
    minutes: int, report: Callable[[dict[str, Any]], None], digest_at: str
) -> BackgroundScheduler:
    """The embedded scheduler in a background thread (beside the web server in one process)."""
    scheduler = BackgroundScheduler(timezone="Europe/London")
    add_embedded_jobs(scheduler, minutes, report, digest_at)
    scheduler.start()
    return scheduler


def run_team_digest(as_of: str | None) -> dict[str, Any]:
    from frontdoor import prefect_env

    prefect_env.configure()
    from flows.team_digest import team_digest

    with prefect_env.runtime():
        return team_digest(as_of=as_of)
