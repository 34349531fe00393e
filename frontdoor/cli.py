"""The `frontdoor` command line.

Errors a user can cause (bad files, bad dates, unreachable database) are reported in one clear
message with exit code 2, never as a traceback. Prefect is imported only by the commands that run
flows, so `import --no-flows` and `gates` start quickly.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from config.clock import now_utc, parse_as_of, today_london
from config.settings import get_settings
from frontdoor import cli_practice

app = typer.Typer(
    name="frontdoor",
    help="Keeps every statutory clock of the children's services front door.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
pathway_app = typer.Typer(help="Check and show the pathway (timescales as data).")
app.add_typer(pathway_app, name="pathway")
from frontdoor.cli_web import users_app  # noqa: E402  (the dashboard's commands)

app.add_typer(users_app, name="users")

T = TypeVar("T")

from frontdoor import cli_timescales  # noqa: E402  (timescales, calendar, templates: issue 5)

cli_timescales.register(app)


class UserError(Exception):
    """Something the user can fix; shown without a traceback, exit code 2."""


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _guard(fn: Callable[[], T]) -> T:
    """Run ``fn``, turning expected failures into one-line errors."""
    import sqlalchemy.exc

    from models.migrate import SchemaError
    from timescales.calendar import OutsideCalendarHorizon
    from timescales.pathway import PathwayError

    try:
        return fn()
    except (UserError, PathwayError, OutsideCalendarHorizon, SchemaError) as exc:
        _fail(str(exc))
    except sqlalchemy.exc.OperationalError as exc:
        _fail(f"cannot use the database {_safe_url()}: {exc.orig}")
    raise AssertionError("unreachable")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(get_settings().database_url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable FRONTDOOR_DATABASE_URL)"


def _as_of(value: str | None) -> datetime:
    try:
        return parse_as_of(value)
    except ValueError:
        raise UserError(f"--as-of {value!r} is not an ISO date or datetime") from None


def _as_of_date(value: str | None) -> date:
    """A London date from an --as-of date or datetime; today when not given."""
    if value and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise UserError(f"--as-of {value!r} is not an ISO date") from None
    return today_london(_as_of(value))


def _db() -> str:
    from models.context import database_url
    from models.db import init_db

    url = database_url()
    init_db(url)
    return url


@app.command("init-db")
def init_db_cmd() -> None:
    """Create the database tables, or bring them to the newest schema (safe to run again)."""
    from models.migrate import head

    _guard(_db)
    typer.echo(f"database ready: {_safe_url()} (schema revision {head()})")


@app.command("import")
def import_cmd(
    file: Annotated[str, typer.Argument(help="JSON Lines file, or - for standard input")],
    flows: Annotated[
        bool,
        typer.Option(
            "--flows/--no-flows",
            help="run the child_journey flow of each touched journey after the import "
            "(up to FRONTDOOR_IMPORT_FLOW_LIMIT; the sweep publishes the rest)",
        ),
    ] = True,
) -> None:
    """Validate a whole file, then record it in one transaction (all or nothing)."""
    result = _guard(lambda: _import(file))
    typer.echo(
        f"imported {result.new} new record(s) ({result.unchanged} already recorded): "
        f"{result.staff} staff, {result.children} children, {result.events} events; "
        f"{result.journeys_opened} journey(s) opened, {len(result.journeys_touched)} updated"
    )
    if result.practice:
        typer.echo(
            f"{result.practice} practice record(s) (supervision, audits, action completions, "
            f"feedback); {result.actions_opened} action(s) opened on the clock"
        )
    if flows and result.journey_refs:
        limit = get_settings().import_flow_limit
        refs = result.journey_refs
        if len(refs) > limit:
            typer.echo(
                f"{len(refs)} journeys touched: more than FRONTDOOR_IMPORT_FLOW_LIMIT={limit}; "
                "their clocks are current now and the sweep will publish them to Prefect"
            )
            return
        n, secs = _run_journeys(refs, None)
        typer.echo(f"ran child_journey for {n} journey(s) in {secs:.1f}s")


def _import(file: str) -> Any:
    from models.context import current_calendar, current_pathway
    from models.db import session_scope
    from models.ingest import ImportRejected, decode_lines, import_records

    if file == "-":
        lines = sys.stdin.read().splitlines()
        source = "stdin"
    else:
        path = Path(file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise UserError(f"{file}: no such file") from None
        except UnicodeDecodeError:
            raise UserError(f"{file}: not UTF-8 text") from None
        except OSError as exc:
            raise UserError(f"{file}: cannot read ({exc.strerror})") from None
        source = path.name
    url = _db()
    settings = get_settings()
    try:
        with session_scope(url) as session:
            return import_records(
                session,
                decode_lines(lines),
                pathway=current_pathway(),
                cal=current_calendar(),
                now=now_utc(),
                actor=settings.acting_user(),
                source=source[:200],
            )
    except ImportRejected as exc:
        for err in exc.errors:
            typer.echo(f"{source}: {err}", err=True)
        if exc.total > len(exc.errors):
            typer.echo(f"... and {exc.total - len(exc.errors)} more", err=True)
        raise UserError(
            f"{exc.total} invalid record(s) in {source}; nothing was imported"
        ) from None


def _run_journeys(refs: Sequence[str], as_of: str | None) -> tuple[int, float]:
    from frontdoor import prefect_env

    prefect_env.configure()
    from flows.child_journey import run_child_journey

    start = time.perf_counter()
    workers = max(1, get_settings().flow_workers)
    with prefect_env.runtime():
        if len(refs) <= 1 or workers == 1:
            for ref in refs:
                run_child_journey(ref, as_of=as_of)
        else:
            # With a Prefect server on PostgreSQL several runs at once can help; embedded on
            # SQLite one at a time is fastest (see Settings.flow_workers).
            from concurrent.futures import ThreadPoolExecutor

            # the first run alone: it starts Prefect's embedded API, which must start once
            run_child_journey(refs[0], as_of=as_of)
            with ThreadPoolExecutor(workers, thread_name_prefix="journey") as pool:
                list(pool.map(lambda ref: run_child_journey(ref, as_of=as_of), refs[1:]))
    return len(refs), time.perf_counter() - start


@app.command("gates")
def gates_cmd(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO date (default: today, London)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="a JSON array instead of a table")
    ] = False,
    team: Annotated[str | None, typer.Option(help="only this team's journeys")] = None,
) -> None:
    """One row per gate of every journey, with its status as of a date."""

    def run() -> tuple[date, list[Any]]:
        from models.db import session_scope
        from models.tables import AccessLog
        from models.views import iter_gate_rows

        day = _as_of_date(as_of)
        url = _db()
        with session_scope(url) as session:
            rows = list(iter_gate_rows(session, day, team=team))
            session.add(
                AccessLog(
                    at=now_utc(),
                    actor=get_settings().acting_user(),
                    action="list_gates",
                    detail=f"as_of={day.isoformat()} team={team or '*'} rows={len(rows)}",
                )
            )
        return day, rows

    day, rows = _guard(run)
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in rows], indent=1))
        return
    header = ("journey", "child", "gate", "started_on", "due_on", "stopped_on", "status")
    table = [
        (
            r.journey,
            r.child,
            r.gate,
            r.started_on.isoformat(),
            r.due_on.isoformat(),
            (r.stopped_on.isoformat() if r.stopped_on else "-"),
            r.status,
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table, strict=False)]
    typer.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for line in table:
        typer.echo("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))
    typer.echo(f"{len(rows)} gate(s) as of {day.isoformat()}")


@app.command("sweep")
def sweep_cmd(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO datetime (default: now)")
    ] = None,
    publish: Annotated[
        bool, typer.Option("--publish/--no-publish", help="refresh changed journeys in Prefect")
    ] = True,
) -> None:
    """Run the timescale_sweep flow once and print what it sent. Safe to run twice."""
    from tasks.notify import NotificationErrors

    when = _guard(lambda: _as_of(as_of))
    _guard(_db)
    try:
        result = _guard(lambda: run_sweep(when.isoformat(), publish))
    except NotificationErrors as exc:
        _fail(str(exc))
    _print_sweep(result)


def run_sweep(as_of: str | None, publish: bool = True) -> dict[str, Any]:
    from frontdoor import prefect_env

    prefect_env.configure()
    from flows.timescale_sweep import timescale_sweep

    with prefect_env.runtime():
        return timescale_sweep(as_of=as_of, publish=publish)


def _print_sweep(r: dict[str, Any]) -> None:
    typer.echo(
        f"sweep as of {r['as_of']}: {r['enqueue_claimed']} timer(s) due; "
        f"queued {r['enqueue_queued']} message(s) {r['enqueue_by_kind'] or ''}; "
        f"{r['enqueue_superseded']} superseded reminder(s); "
        f"{r['enqueue_no_recipient']} with nobody to tell; "
        f"delivered {r['delivery_sent']}, retrying {r['delivery_retrying']}, "
        f"failed {r['delivery_failed']}; {r['journeys_refreshed']} journey(s) refreshed"
        + (
            f"; {r['bodies_removed']} old message bod(ies) removed (retention)"
            if r.get("bodies_removed")
            else ""
        )
        + (
            f"; {r['enqueue_retried']} message(s) that had failed tried again"
            if r.get("enqueue_retried")
            else ""
        )
    )


@app.command("run-journeys")
def run_journeys_cmd(
    refs: Annotated[list[str] | None, typer.Argument(help="journey references")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every journey")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
) -> None:
    """Run the child_journey flow for some or all journeys."""
    from models.db import session_scope
    from models.journeys import all_journey_ids
    from models.tables import Journey

    def pick() -> list[str]:
        url = _db()
        if all_:
            with session_scope(url) as session:
                ids = all_journey_ids(session)
                return [j.ref for j in (session.get(Journey, i) for i in ids) if j is not None]
        if not refs:
            raise UserError("give journey references or --all")
        return list(refs)

    chosen = _guard(pick)
    n, secs = _guard(lambda: _run_journeys(chosen, as_of))
    typer.echo(f"ran child_journey for {n} journey(s) in {secs:.1f}s")


@app.command("serve")
def serve_cmd(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1 for the dashboard")] = 8000,
    interval: Annotated[
        int | None, typer.Option(help="minutes between sweeps (FRONTDOOR_SWEEP_INTERVAL_MINUTES)")
    ] = None,
) -> None:
    """The web dashboard on 127.0.0.1 and the embedded scheduler (sweeps, team digest)."""
    from frontdoor.cli_web import serve

    serve(port, interval)


@pathway_app.command("check")
def pathway_check(
    file: Annotated[
        Path | None, typer.Argument(help="pathway YAML (default: the one in force)")
    ] = None,
) -> None:
    """Validate a pathway file: schema, references and statutory limits."""
    from timescales.pathway import load_pathway

    p = _guard(lambda: load_pathway(file or get_settings().pathway_file))
    typer.echo(f"{p.pathway} v{p.version}: {len(p.gates)} gates, OK")
    for g in p.gates:
        typer.echo(f"  {g.id:22} {g.kind:9} {g.limit_working_days:3} wd  {g.title}")


app.command("actions")(cli_practice.actions_cmd)
app.command("practice-report")(cli_practice.practice_report_cmd)


@app.command("demo")
def demo_cmd(
    journeys: Annotated[int, typer.Option(help="synthetic journeys to load")] = 240,
    out: Annotated[Path, typer.Option(help="folder for the database and the emails")] = Path(
        "demo-output"
    ),
) -> None:
    """Load a synthetic caseload, run every journey flow and a sweep, deliver the email."""
    from frontdoor.demo import run_demo

    _guard(lambda: run_demo(out, journeys))


from frontdoor import cli_returns  # noqa: E402  (statutory returns and the scorecard)

cli_returns.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
