"""The embedded scheduler's job: runs at once, never dropped after downtime, never twice at once."""

from __future__ import annotations

import threading

from apscheduler.schedulers.background import BackgroundScheduler

from frontdoor.scheduler import JOB_ID, add_sweep_job


def test_sweep_job_runs_at_start_and_is_configured_not_to_drop_or_overlap() -> None:
    ran = threading.Event()
    scheduler = BackgroundScheduler(timezone="Europe/London")
    add_sweep_job(scheduler, 5, ran.set)
    job = scheduler.get_job(JOB_ID)
    assert job is not None
    assert job.misfire_grace_time is None  # APScheduler's default (1 s) drops runs silently
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.trigger.interval.total_seconds() == 300
    scheduler.start()
    try:
        assert ran.wait(10), "the first sweep should run as soon as the scheduler starts"
    finally:
        scheduler.shutdown(wait=False)


def test_adding_the_job_twice_keeps_one_owner_of_time() -> None:
    scheduler = BackgroundScheduler(timezone="Europe/London")
    scheduler.start(paused=True)
    try:
        add_sweep_job(scheduler, 5, lambda: None)
        add_sweep_job(scheduler, 10, lambda: None)
        jobs = scheduler.get_jobs()
        assert [j.id for j in jobs] == [JOB_ID]
        assert jobs[0].trigger.interval.total_seconds() == 600
    finally:
        scheduler.shutdown(wait=False)


def test_report_job_runs_on_days_1_to_4_at_seven_london_and_never_drops() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from frontdoor.scheduler import REPORT_JOB_ID, add_report_job

    scheduler = BackgroundScheduler(timezone="Europe/London")
    scheduler.start(paused=True)
    try:
        add_report_job(scheduler, lambda: None)
        add_sweep_job(scheduler, 5, lambda: None)
        job = scheduler.get_job(REPORT_JOB_ID)
        assert job is not None
        assert job.misfire_grace_time is None and job.coalesce is True and job.max_instances == 1
        london = ZoneInfo("Europe/London")
        fire = job.trigger.get_next_fire_time(None, datetime(2026, 1, 4, 8, tzinfo=london))
        assert fire == datetime(2026, 2, 1, 7, tzinfo=london)
        assert {j.id for j in scheduler.get_jobs()} == {JOB_ID, REPORT_JOB_ID}
    finally:
        scheduler.shutdown(wait=False)


def test_the_embedded_scheduler_owns_sweep_digest_and_report_with_safe_settings() -> None:
    from frontdoor.scheduler import DIGEST_JOB_ID, REPORT_JOB_ID, add_embedded_jobs

    scheduler = BackgroundScheduler(timezone="Europe/London")
    scheduler.start(paused=True)
    try:
        add_embedded_jobs(scheduler, 5, lambda _result: None, "08:00")
        jobs = {j.id: j for j in scheduler.get_jobs()}
        assert set(jobs) == {JOB_ID, DIGEST_JOB_ID, REPORT_JOB_ID}
        for job in jobs.values():
            assert job.misfire_grace_time is None and job.coalesce and job.max_instances == 1
        assert str(jobs[DIGEST_JOB_ID].trigger) == (
            "cron[day_of_week='mon-fri', hour='8', minute='0']"
        )
    finally:
        scheduler.shutdown(wait=False)
