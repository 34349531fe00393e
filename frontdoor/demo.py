"""`frontdoor demo`: the whole job on the embedded default, in one process.

A fresh SQLite database, a synthetic caseload spread over the last 60 working days, every
journey through the child_journey flow in Prefect's embedded mode, a timescale sweep (and a
second one, which must send nothing), the email delivered to a local SMTP server started here,
and a summary.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from config.clock import now_utc, today_london
from config.settings import get_settings, reset_settings


def _say(msg: str) -> None:
    typer.echo(msg)


def run_demo(out: Path, journeys: int) -> None:
    from frontdoor import prefect_env

    t_start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    db = (out / "frontdoor.db").resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.environ["FRONTDOOR_DATABASE_URL"] = f"sqlite:///{db}"
    prefect_env.configure(out / ".prefect")

    mail_dir = (out / "mail").resolve()
    smtp = _SmtpProcess(mail_dir)
    os.environ["FRONTDOOR_SMTP_HOST"] = smtp.host
    os.environ["FRONTDOOR_SMTP_PORT"] = str(smtp.port)
    reset_settings()
    try:
        _run(out, db, mail_dir, journeys, smtp, t_start)
    finally:
        smtp.stop()


class _SmtpProcess:
    """The demo's SMTP server (aiosmtpd, Maildir) in a child process of its own: in this process
    its event-loop thread measurably slowed every Prefect flow run (0.69 s against 0.42 s)."""

    def __init__(self, maildir: Path) -> None:
        ctx = multiprocessing.get_context("spawn")
        ready: Any = ctx.Queue()
        self._stop = ctx.Event()
        self._proc = ctx.Process(
            target=_smtp_child, args=(str(maildir), ready, self._stop), daemon=True
        )
        self._proc.start()
        self.host, self.port = ready.get(timeout=60)

    def stop(self) -> None:
        self._stop.set()
        self._proc.join(10)


def _smtp_child(maildir: str, ready: Any, stop: Any) -> None:
    from notifications.senders import start_local_smtp

    server = start_local_smtp(Path(maildir))
    ready.put((server.host, server.port))
    stop.wait()
    server.stop()


def _run(out: Path, db: Path, mail_dir: Path, journeys: int, smtp: _SmtpProcess, t0: float) -> None:
    from sqlmodel import col, select

    from frontdoor.cli import _run_journeys, run_sweep
    from frontdoor.seed import generate_caseload, write_jsonl
    from models.context import current_calendar, current_pathway
    from models.db import init_db, session_scope
    from models.ingest import decode_lines, import_records
    from models.tables import Journey
    from models.views import summary

    url = get_settings().database_url
    init_db(url)
    now = now_utc()
    today = today_london(now)
    pathway = current_pathway()
    cal = current_calendar()
    _say(f"frontdoor demo: as of {today.isoformat()} (London), database {db}")
    _say(f"  local SMTP server (aiosmtpd, its own process) on {smtp.host}:{smtp.port}")

    records = generate_caseload(today, journeys=journeys, calendar=cal)
    caseload = out / "caseload.jsonl"
    write_jsonl(records, caseload)
    t = time.perf_counter()
    with session_scope(url) as session:
        result = import_records(
            session,
            decode_lines(caseload.read_text(encoding="utf-8").splitlines()),
            pathway=pathway,
            cal=cal,
            now=now,
            actor="demo",
            source=caseload.name,
        )
    _say(
        f"1. imported {result.new} records ({result.staff} staff, {result.children} children, "
        f"{result.events} events) from {caseload}: {result.journeys_opened} journeys, "
        f"clocks evaluated in-process in {time.perf_counter() - t:.2f}s"
    )

    practice = _import_practice(url, out, records, today, now)

    with session_scope(url) as session:
        refs_list = list(session.exec(select(Journey.ref).order_by(col(Journey.id))).all())
    _say(
        f"2. running the child_journey flow for {len(refs_list)} journeys "
        "(Prefect embedded mode; first run starts Prefect's local API) ..."
    )
    n, secs = _run_journeys(refs_list, None)
    _say(f"   {n} flow runs in {secs:.1f}s ({n / secs:.1f} runs/s)")

    t = time.perf_counter()
    first = run_sweep(None)
    _say(
        f"3. timescale sweep: queued {first['enqueue_queued']} new message(s), delivered "
        f"{first['delivery_sent']} by SMTP ({first['delivery_retrying']} retrying, "
        f"{first['delivery_failed']} failed) in {time.perf_counter() - t:.1f}s"
    )
    second = run_sweep(None)
    _say(
        f"4. second sweep: {second['enqueue_queued']} queued, {second['delivery_sent']} "
        "delivered (idempotent: nothing is sent twice)"
    )

    with session_scope(url) as session:
        s = summary(session, today)
    _say("")
    _say("Journeys by stage:")
    for stage, count in sorted(s.journeys_by_stage.items(), key=lambda kv: -kv[1]):
        _say(f"  {pathway.state_name(stage):28} {count:5}")
    _say(f"  {'(open journeys)':28} {s.open_journeys:5}")
    _say("")
    _say(f"Clocks as of {today.isoformat()}:")
    for status in ("open", "due_soon", "overdue", "met", "met_late", "cancelled"):
        _say(f"  {status:12} {s.clocks_by_status.get(status, 0):6}")
    overdue_by_gate = Counter(
        {g: n for (g, st), n in s.clocks_by_gate_status.items() if st == "overdue"}
    )
    if overdue_by_gate:
        _say(
            "  overdue by gate: " + ", ".join(f"{g} {n}" for g, n in overdue_by_gate.most_common())
        )
    _say("")
    _say("Notifications:")
    for kind in ("reminder", "escalation"):
        sent = s.messages_by_kind_status.get((kind, "sent"), 0)
        other = {
            st: n for (k, st), n in s.messages_by_kind_status.items() if k == kind and st != "sent"
        }
        extra = ", ".join(f"{n} {st}" for st, n in sorted(other.items()))
        _say(f"  {kind + 's':12} sent {sent:5}" + (f"  ({extra})" if extra else ""))
    _practice_summary(url, out, db, today, practice)
    files = sorted((mail_dir / "new").glob("*")) if (mail_dir / "new").exists() else []
    _say("")
    _say(f"Emails received by the local SMTP server: {len(files)}, in the Maildir {mail_dir}")
    if files:
        _say(f"  read one:  less {files[0]}")
    _say(f"  the caseload that was loaded: {caseload}")
    _say("")
    _say(demo_sign_ins(url, now))
    _say("")
    _say("Next:")
    _say(
        f"  FRONTDOOR_DATABASE_URL=sqlite:///{db} .venv/bin/frontdoor gates --as-of "
        f"{today.isoformat()}"
    )
    _say(
        f"  FRONTDOOR_DATABASE_URL=sqlite:///{db} .venv/bin/frontdoor serve   "
        "--port 8000   (the dashboard on http://127.0.0.1:8000/ and the embedded scheduler)"
    )
    year = today.year + (1 if today.month > 3 else 0)
    _say(
        f"  FRONTDOOR_DATABASE_URL=sqlite:///{db} .venv/bin/frontdoor export cin-census "
        f"--year {year} --la-code 201 --out {out / 'cin-census.xml'}   (also: export annex-a "
        f"--as-of {today.isoformat()} --out {out / 'annex-a'}; scorecard --month "
        f"{today.isoformat()[:7]} --format html --out {out / 'scorecard.html'})"
    )
    _say(
        f"  Prefect's view of the flow runs: PREFECT_HOME={(out / '.prefect').resolve()} "
        ".venv/bin/prefect server start"
    )
    _say(f"demo finished in {time.perf_counter() - t0:.0f}s")


DEMO_PASSWORD = "frontdoor-demo"
DEMO_USERS = ("tm-north", "sw-north-1", "sm-1", "ops-1")


def demo_sign_ins(url: str, now: object) -> str:
    """Give a few demo staff a known password (synthetic data only) and say so."""
    from frontdoor.web.auth import set_password
    from models.db import session_scope
    from models.tables import Staff

    lines = [f"Dashboard sign-ins (synthetic demo data; password {DEMO_PASSWORD!r} for all):"]
    with session_scope(url) as session:
        for staff_id in DEMO_USERS:
            staff = session.get(Staff, staff_id)
            if staff is None:
                continue
            set_password(session, staff_id, DEMO_PASSWORD, now)  # type: ignore[arg-type]
            lines.append(f"  {staff_id:12} {staff.role} ({staff.team})")
    return "\n".join(lines)


def _import_practice(url: str, out: Path, caseload: list[Any], today: Any, now: Any) -> Path:
    """Supervision sessions, audits, feedback and action completions, through the same import."""
    from frontdoor.seed import write_jsonl
    from frontdoor.seed_practice import generate_practice
    from models.context import current_calendar, current_pathway
    from models.db import session_scope
    from models.ingest import decode_lines, import_records

    records = generate_practice(today, caseload, current_calendar())
    path = out / "practice.jsonl"
    write_jsonl(records, path)
    kinds = Counter(r["type"] for r in records)
    with session_scope(url) as session:
        result = import_records(
            session,
            decode_lines(path.read_text(encoding="utf-8").splitlines()),
            pathway=current_pathway(),
            cal=current_calendar(),
            now=now,
            actor="demo",
            source=path.name,
        )
    _say(
        f"   and {result.practice} practice records from {path}: "
        f"{kinds['supervision_held']} supervision sessions, {kinds['audit_completed']} audits, "
        f"{kinds['feedback_received']} pieces of feedback, {kinds['action_completed']} action "
        f"completions; {result.actions_opened} actions on the clock"
    )
    return path


def _practice_summary(url: str, out: Path, db: Path, today: Any, practice: Path) -> None:
    from frontdoor.cli_practice import practice_report, render_report
    from models.db import session_scope
    from models.practice import action_message_counts, action_rows, report_inputs

    with session_scope(url) as session:
        rows = action_rows(session, today)
        messages = action_message_counts(session)
        inputs = report_inputs(session, today)
    by_status = Counter(r.status for r in rows)
    _say("")
    _say(f"Practice actions (supervision and audit) as of {today.isoformat()}:")
    for status in ("open", "due_soon", "overdue", "met", "met_late"):
        _say(f"  {status:12} {by_status.get(status, 0):6}")
    sent = {k: messages.get((k, "sent"), 0) for k in ("reminder", "escalation")}
    _say(
        f"  emails about actions: {sent['reminder']} reminders to owners, "
        f"{sent['escalation']} escalations up their line of management (included above)"
    )
    start = today.replace(day=1) - timedelta(days=62)
    report = practice_report(inputs, start.replace(day=1), today, None)
    for fmt in ("md", "html"):
        (out / f"practice-report.{fmt}").write_text(render_report(report, fmt), encoding="utf-8")
    a = report["actions"]["due"]
    _say(
        f"  practice report {report['period']['from']} to {report['period']['to']}: "
        f"{a['on_time_pct']}% of {a['due']} actions due were completed on time; "
        f"{report['audits']['count']} audits, "
        f"{report['audits']['considered_feedback_pct']}% considered feedback; "
        f"{report['feedback']['count']} pieces of feedback (average rating "
        f"{report['feedback']['average_rating']}); "
        f"{len(report['supervision']['journeys_without_supervision'])} journeys with no "
        "recent supervision"
    )
    _say(f"  read it: {(out / 'practice-report.html').resolve()} (and .md beside it)")
    _say(
        f"  FRONTDOOR_DATABASE_URL=sqlite:///{db} .venv/bin/frontdoor actions --as-of "
        f"{today.isoformat()}"
    )
    _say(f"  the practice records that were loaded: {practice}")
