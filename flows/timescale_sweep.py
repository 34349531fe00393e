"""timescale_sweep: the one owner of time.

Every few minutes (prefect.yaml cron with a Prefect server; APScheduler when embedded, never
both): claim due timers into the outbox, refresh the Prefect picture of journeys whose standing
changed (in bounded batches), deliver pending messages, and remove the bodies of messages past
their retention period (tasks/retention.py).
"""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from config.clock import parse_as_of
from config.settings import get_settings
from flows.child_journey import run_child_journey
from tasks.deliver import deliver_pending_task
from tasks.journey import stale_journeys_task
from tasks.notify import NotificationErrors, enqueue_due_task
from tasks.retention import remove_message_bodies_task


@flow(name="timescale_sweep", persist_result=False, log_prints=False)
def timescale_sweep(
    as_of: str | None = None, limit: int = 10_000, publish: bool = True
) -> dict[str, object]:
    """One sweep as of ``as_of`` (ISO datetime; default now). Safe to run twice."""
    now = parse_as_of(as_of)
    settings = get_settings()
    queued = enqueue_due_task(now, limit)
    refreshed: list[str] = []
    if publish:
        for ref in stale_journeys_task(now, settings.sweep_publish_batch):
            run_child_journey(ref, as_of=now.isoformat())
            refreshed.append(ref)
    delivered = deliver_pending_task(now)
    removed = remove_message_bodies_task(now)
    result: dict[str, object] = {
        "as_of": now.isoformat(),
        **{
            f"enqueue_{k}": v
            for k, v in asdict(queued).items()
            if k not in ("journeys", "error_details")
        },
        "journeys_refreshed": len(refreshed),
        **{f"delivery_{k}": v for k, v in asdict(delivered).items()},
        "bodies_removed": removed,
    }
    create_markdown_artifact(
        key="timescale-sweep",
        markdown="# Timescale sweep\n\n| measure | value |\n|---|---|\n"
        + "".join(f"| {k} | {v} |\n" for k, v in result.items()),
        description="Last sweep: timers claimed, messages queued and delivered, bodies removed",
    )
    get_run_logger().info("sweep: %s", result)
    if queued.error_details:
        # the run ends Failed (red in the Prefect UI) after everything else was done and sent
        raise NotificationErrors(
            f"{len(queued.error_details)} message(s) could not be prepared and will be tried "
            "again in an hour; the rest of the sweep went ahead:\n"
            + "\n".join(queued.error_details[:50])
        )
    return result
