"""The embedded scheduler: APScheduler triggers the timescale sweep when no Prefect server runs.

In-memory job store (timers are rows in our database, so there is nothing to persist),
misfire_grace_time=None (run late rather than silently drop a sweep after downtime),
coalesce=True and max_instances=1 (never two sweeps at once from this process). Never run this
beside the prefect.yaml schedule: one owner of time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

JOB_ID = "timescale-sweep"


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


def run_forever(minutes: int, report: Callable[[dict[str, Any]], None]) -> None:
    from frontdoor.cli import run_sweep

    def sweep() -> None:
        try:
            report(run_sweep(None))
        except Exception as exc:  # one failed sweep must not stop the scheduler
            print(f"frontdoor: sweep failed: {exc}", flush=True)

    scheduler = BlockingScheduler(timezone="Europe/London")
    add_sweep_job(scheduler, minutes, sweep)
    print(f"frontdoor: sweeping every {minutes} minute(s); Ctrl-C to stop", flush=True)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
