"""`frontdoor timescales`, `frontdoor calendar` and `frontdoor templates`: ops tune timescales.

Versioned pathways (show, check, diff, what-if, publish), calendar corrections (add-closure,
remove-closure, show) and notification templates (preview, check). Every refusal is one clear
message with exit code 2.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

timescales_app = typer.Typer(
    help="Versioned pathways: show, check, diff, what-if and publish.", no_args_is_help=True
)
calendar_app = typer.Typer(help="Working-day calendar corrections.", no_args_is_help=True)
templates_app = typer.Typer(help="Notification templates: preview and check.", no_args_is_help=True)

T = TypeVar("T")


def register(app: typer.Typer) -> None:
    app.add_typer(timescales_app, name="timescales")
    app.add_typer(calendar_app, name="calendar")
    app.add_typer(templates_app, name="templates")


def _run(fn: Callable[[], T]) -> T:
    from frontdoor.cli import UserError, _guard
    from models.pathways import CalendarRefused, PublishRefused
    from notifications.render import TemplateNotFoundError

    def wrapped() -> T:
        try:
            return fn()
        except (CalendarRefused, PublishRefused, TemplateNotFoundError) as exc:
            raise UserError(str(exc)) from None
        except KeyError as exc:
            raise UserError(f"unknown {exc.args[0]!r}") from None

    return _guard(wrapped)


def _db() -> str:
    from frontdoor.cli import _db as cli_db

    return cli_db()


def _date(value: str, option: str) -> date:
    from frontdoor.cli import UserError

    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{option} {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _read(file: Path) -> str:
    from frontdoor.cli import UserError

    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{file}: cannot read ({exc})") from None


def _checked(file: Path) -> Any:
    """The proposed pathway, or exit 2 listing every problem with its line."""
    from frontdoor.cli import UserError
    from frontdoor.timescales_admin import full_check

    result = full_check(_read(file))
    if not result.ok:
        for p in result.problems:
            typer.echo(f"{file}: {p}", err=True)
        raise UserError(f"{file}: {len(result.problems)} problem(s); not a usable pathway")
    return result.pathway


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(x) for x in r] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *cells, strict=False)]
    typer.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for r in cells:
        typer.echo("  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip())


# ------------------------------------------------------------------------------ timescales


@timescales_app.command("show")
def show_cmd(
    version: Annotated[
        int | None, typer.Option(help="a published version (default: in force)")
    ] = None,
) -> None:
    """Every gate with its start/stop events, limit, kind, reminders and ladder."""
    from config.clock import today_london
    from frontdoor.cli import UserError
    from models.context import current_versions

    def run() -> None:
        _db()
        versions = current_versions()
        today = today_london()
        try:
            v = versions.by_number(version) if version is not None else versions.in_force(today)
        except KeyError:
            raise UserError(f"no pathway version {version}") from None
        _versions_table(versions, today)
        p = v.pathway
        typer.echo(f"\n{p.pathway} version {v.version}: {p.title}")
        rows = []
        for g in p.gates:
            ladder = p.ladder_for(g)
            start = (
                f"day after {g.start_after_gate_due} due"
                if g.start_after_gate_due
                else _events(g.start) + (" (latest)" if g.start_occurrence == "latest" else "")
            )
            reminders = (
                "-" if g.reporting_only else " ".join(f"-{r.before_due}" for r in ladder.reminders)
            )
            esc = (
                "-"
                if g.reporting_only
                else " ".join(f"+{e.after_due}:{e.to}" for e in ladder.escalations)
            )
            kind = g.kind + (" (reporting)" if g.reporting_only else "")
            rows.append(
                (g.id, start, _events(g.stop), f"{g.limit_working_days} wd", kind, reminders, esc)
            )
        _table(("gate", "starts at", "stops at", "limit", "kind", "reminders", "ladder"), rows)

    _run(run)


def _events(ms: Sequence[Any]) -> str:
    return ", ".join(m.event + (f"[{'/'.join(m.outcome)}]" if m.outcome else "") for m in ms)


def _versions_table(versions: Any, today: date) -> None:
    from models.context import database_url
    from models.db import session_scope
    from models.pathways import version_rows

    with session_scope(database_url()) as session:
        rows = {r.version: r for r in version_rows(session)}
    in_force = versions.in_force(today).version
    out = []
    for v in versions.all:
        r = rows.get(v.version)
        eff = "(from the start)" if v.effective_from.year < 1950 else v.effective_from.isoformat()
        who = f"{r.published_by} at {r.published_at:%Y-%m-%d %H:%M}Z" if r else "pathway file"
        state = (
            "in force"
            if v.version == in_force
            else ("scheduled" if v.effective_from > today else "superseded")
        )
        out.append((v.version, eff, state, who, r.content_hash[:12] if r else "-"))
    _table(("version", "effective from", "state", "published by", "sha256"), out)


@timescales_app.command("history")
def history_cmd() -> None:
    """Every version: when it takes effect, who published it, and what it changed."""
    from config.clock import today_london
    from models.context import current_versions
    from timescales.pathway_diff import describe_changes

    def run() -> None:
        _db()
        versions = current_versions()
        _versions_table(versions, today_london())
        by_number = sorted(versions.all, key=lambda v: v.version)
        for before, after in itertools.pairwise(by_number):
            typer.echo(f"\nversion {after.version} (against version {before.version}):")
            for line in describe_changes(before.pathway, after.pathway) or ["no changes"]:
                typer.echo(f"  {line}")

    _run(run)


@timescales_app.command("check")
def check_cmd(file: Annotated[Path, typer.Argument(help="proposed pathway YAML")]) -> None:
    """Validate a proposed pathway: errors name the YAML line and the field."""
    p = _run(lambda: _checked(file))
    typer.echo(f"{file}: {p.pathway}: {len(p.gates)} gates, OK")


def _active() -> Any:
    from config.clock import today_london
    from models.context import current_versions

    _db()
    return current_versions().in_force(today_london())


@timescales_app.command("diff")
def diff_cmd(file: Annotated[Path, typer.Argument(help="proposed pathway YAML")]) -> None:
    """What changes against the version in force, in words."""
    from timescales.pathway_diff import describe_changes

    def run() -> list[str]:
        proposed = _checked(file)
        active = _active()
        typer.echo(f"against version {active.version} (in force):")
        return describe_changes(active.pathway, proposed)

    lines = _run(run)
    for line in lines or ["no changes"]:
        typer.echo(f"  {line}")


@timescales_app.command("what-if")
def what_if_cmd(
    file: Annotated[Path, typer.Argument(help="proposed pathway YAML")],
    from_: Annotated[str, typer.Option("--from", help="first day of the period (ISO date)")],
    to: Annotated[str, typer.Option("--to", help="last day of the period (ISO date)")],
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    show: Annotated[int, typer.Option(help="changed journeys to list")] = 20,
) -> None:
    """Replay the period's recorded events under the proposed and the active pathway. Writes
    nothing (but the access log entry) and sends nothing."""
    from config.clock import now_utc
    from config.settings import get_settings
    from frontdoor.cli import UserError
    from frontdoor.timescales_admin import what_if
    from models.db import session_scope
    from models.pathways import working_calendar

    def run() -> Any:
        start, end = _date(from_, "--from"), _date(to, "--to")
        if end < start:
            raise UserError("--to is before --from")
        proposed = _checked(file)
        active = _active()
        with session_scope(_db()) as session:
            return what_if(
                session,
                proposed,
                active.pathway,
                working_calendar(session, proposed),
                working_calendar(session, active.pathway),
                start,
                end,
                actor=get_settings().acting_user(),
                now=now_utc(),
            )

    r = _run(run)
    _print_what_if(r, as_json, show)


def _print_what_if(r: Any, as_json: bool, show: int) -> None:
    from timescales.whatif import COUNTS, GateCounts

    gates = list(dict.fromkeys([*r.active.per_gate, *r.proposed.per_gate]))
    if as_json:
        doc = {
            "from": r.start.isoformat(),
            "to": r.end.isoformat(),
            "active_version": r.active_version,
            "journeys": r.journeys,
            "events": r.events,
            "gates": {
                g: {
                    "active": r.active.per_gate.get(g, GateCounts()).as_dict(),
                    "proposed": r.proposed.per_gate.get(g, GateCounts()).as_dict(),
                }
                for g in gates
            },
            "changed_journeys": [
                {"journey": r.refs.get(c.key, str(c.key)), "changes": [list(x) for x in c.changes]}
                for c in r.changed
            ],
        }
        typer.echo(json.dumps(doc, indent=1))
        return
    typer.echo(
        f"what-if {r.start.isoformat()} to {r.end.isoformat()}: {r.journeys} journeys, "
        f"{r.events} events; active = version {r.active_version}; nothing written or sent"
    )
    rows = []
    for g in gates:
        a = r.active.per_gate.get(g, GateCounts()).as_dict()
        p = r.proposed.per_gate.get(g, GateCounts()).as_dict()
        rows.append([g, *(f"{a[k]}" if a[k] == p[k] else f"{a[k]} -> {p[k]}" for k in COUNTS)])
    _table(("gate", *COUNTS), rows)
    typer.echo(f"{len(r.changed)} journey(s) whose outcome would change")
    for c in r.changed[:show]:
        ref = r.refs.get(c.key, str(c.key))
        typer.echo(f"  {ref}: " + "; ".join(f"{g} {a} -> {p}" for g, a, p in c.changes))
    if len(r.changed) > show:
        typer.echo(f"  ... and {len(r.changed) - show} more (--show N or --json)")


@timescales_app.command("publish")
def publish_cmd(
    file: Annotated[Path, typer.Argument(help="the pathway YAML to publish")],
    effective_from: Annotated[str, typer.Option("--effective-from", help="ISO date")],
) -> None:
    """Check, then record the file as the next version in force from a date (audited)."""
    from config.clock import now_utc, today_london
    from config.settings import get_settings
    from models.context import file_pathway, pathway_file
    from models.db import session_scope
    from models.pathways import publish
    from notifications.render import available_templates
    from timescales.pathway_diff import describe_changes

    def run() -> tuple[int, list[str]]:
        eff = _date(effective_from, "--effective-from")
        proposed = _checked(file)
        active = _active()
        boot = pathway_file()
        file_pathway()  # the bootstrap file must be valid before it becomes version 1
        with session_scope(_db()) as session:
            row = publish(
                session,
                _read(file),
                source=str(file),
                effective_from=eff,
                today=today_london(),
                actor=get_settings().acting_user(),
                now=now_utc(),
                bootstrap_text=_read(boot),
                bootstrap_source=str(boot),
                templates=sorted(available_templates()),
            )
            return row.version, describe_changes(active.pathway, proposed)

    number, changes = _run(run)
    typer.echo(f"published version {number}, in force from {effective_from}")
    for line in changes:
        typer.echo(f"  {line}")


@timescales_app.command("audit")
def audit_cmd(limit: Annotated[int, typer.Option(help="entries to show")] = 50) -> None:
    """Publications, calendar changes and the clocks they moved, newest first."""
    from models.db import session_scope
    from models.pathways import audit_entries

    def run() -> list[tuple[object, ...]]:
        with session_scope(_db()) as session:
            return [
                (
                    f"{a.at:%Y-%m-%d %H:%M}Z",
                    a.actor,
                    a.action,
                    a.pathway_version or "",
                    a.closure_day or "",
                    a.gate or "",
                    f"{a.old_due_on} -> {a.new_due_on}" if a.old_due_on else "",
                    a.detail,
                )
                for a in audit_entries(session, limit)
            ]

    rows = _run(run)
    _table(("at", "actor", "action", "version", "day", "gate", "due", "detail"), rows)


# ------------------------------------------------------------------------------ calendar


def _calendar_change(day_text: str, reason: str, add: bool) -> None:
    from config.clock import now_utc
    from config.settings import get_settings
    from models.context import current_pathway
    from models.db import session_scope
    from models.pathways import add_closure, remove_closure

    def run() -> Any:
        day = _date(day_text, "DATE")
        with session_scope(_db()) as session:
            fn = add_closure if add else remove_closure
            return fn(
                session,
                day,
                reason,
                pathway=current_pathway(),
                actor=get_settings().acting_user(),
                now=now_utc(),
            )

    change = _run(run)
    verb = "added" if add else "removed"
    typer.echo(
        f"closure {change.day.isoformat()} {verb}; {change.journeys_refreshed} journey(s) with "
        f"open clocks re-evaluated, {len(change.moved)} clock(s) moved, timers rescheduled"
    )
    for ref, gate, old, new in change.moved:
        typer.echo(f"  {ref} {gate}: due {old.isoformat()} -> {new.isoformat()}")


@calendar_app.command("add-closure")
def add_closure_cmd(
    day: Annotated[str, typer.Argument(metavar="DATE", help="ISO date")],
    reason: Annotated[str, typer.Option(help="why the authority is closed that day")],
) -> None:
    """A local closure day or newly proclaimed bank holiday; open clocks it moves are
    recomputed and their timers rescheduled."""
    _calendar_change(day, reason, add=True)


@calendar_app.command("remove-closure")
def remove_closure_cmd(
    day: Annotated[str, typer.Argument(metavar="DATE", help="ISO date")],
    reason: Annotated[str, typer.Option(help="why it is removed")] = "removed",
) -> None:
    """Remove a recorded closure day (the record of it is kept)."""
    _calendar_change(day, reason, add=False)


@calendar_app.command("show")
def calendar_show_cmd(year: Annotated[int, typer.Option(help="calendar year")]) -> None:
    """The year's non-working weekdays (bank holidays and closures) and its working days."""
    import holidays as holidays_lib

    from models.context import current_pathway, database_url
    from models.db import session_scope
    from models.pathways import active_closures, working_calendar
    from timescales.calendar import OutsideCalendarHorizon

    def run() -> list[tuple[str, str, str]]:
        _db()
        pathway = current_pathway()
        with session_scope(database_url()) as session:
            cal = working_calendar(session, pathway)
            recorded = {c.day: c for c in active_closures(session)}
        first, last = cal.horizon
        if not (first.year <= year <= last.year):
            raise OutsideCalendarHorizon(
                f"{year} is outside the working-day calendar ({first.year} to {last.year})"
            )
        bank = holidays_lib.country_holidays("GB", subdiv="ENG", years=[year])
        rows = []
        d, end = date(year, 1, 1), date(year, 12, 31)
        working = 0
        while d <= end:
            if d.weekday() < 5:
                if cal.is_working_day(d):
                    working += 1
                elif d in recorded:
                    c = recorded[d]
                    rows.append((d.isoformat(), "closure", f"{c.reason} ({c.added_by})"))
                elif d in pathway.calendar.extra_closures:
                    rows.append((d.isoformat(), "closure", "pathway calendar.extra_closures"))
                else:
                    rows.append((d.isoformat(), "bank holiday", str(bank.get(d, ""))))
            d += timedelta(days=1)
        rows.append(("", "", f"{working} working days in {year}"))
        return rows

    rows = _run(run)
    _table(("date", "kind", "what"), rows)


# ------------------------------------------------------------------------------ templates


@templates_app.command("preview")
def preview_cmd(
    name: Annotated[str, typer.Argument(help="template name, e.g. reminder")],
    gate: Annotated[str, typer.Option(help="the gate whose variables to use")],
    level: Annotated[int, typer.Option(help="ladder rung")] = 1,
    html: Annotated[bool, typer.Option("--html", help="show the HTML part too")] = False,
) -> None:
    """Render a template with a realistic example context (no personal data)."""
    from frontdoor.timescales_admin import preview
    from models.context import current_pathway

    def run() -> Any:
        from frontdoor.cli import UserError

        pathway = current_pathway()
        if gate not in {g.id for g in pathway.gates}:
            known = ", ".join(g.id for g in pathway.gates)
            raise UserError(f"no gate {gate!r} in the pathway in force (gates: {known})")
        return preview(pathway, name, gate, level=level)

    msg = _run(run)
    typer.echo(f"Subject: {msg.subject}\n")
    typer.echo(msg.text)
    if html:
        typer.echo(msg.html)


@templates_app.command("check")
def templates_check_cmd(
    pathway_file: Annotated[
        Path | None, typer.Option("--pathway", help="pathway YAML (default: the one in force)")
    ] = None,
) -> None:
    """Render every template the pathway uses, for every gate, under StrictUndefined."""
    from frontdoor.cli import UserError
    from frontdoor.timescales_admin import template_problems
    from models.context import current_pathway

    def run() -> int:
        p = _checked(pathway_file) if pathway_file else current_pathway()
        problems = template_problems(p)
        for x in problems:
            typer.echo(f"{x}", err=True)
        if problems:
            raise UserError(f"{len(problems)} template problem(s)")
        return len(p.gates)

    n = _run(run)
    typer.echo(f"templates render for all {n} gates: OK")
