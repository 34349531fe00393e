"""`frontdoor export cin-census`, `frontdoor export annex-a` and `frontdoor scorecard`.

Statutory returns and performance data straight from the journeys. Each command reads the
event log once, computes the return in the pure domain (:mod:`timescales.returns`,
:mod:`timescales.scorecard`), writes it through :mod:`reports`, and records the read in the
access log. Bad options are one clear error (exit code 2); nothing partial is written.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from config.clock import now_utc

export_app = typer.Typer(help="Statutory returns: the CIN census and Ofsted's Annex A lists.")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.command("scorecard")(scorecard_cmd)


def _helpers() -> Any:
    from frontdoor import cli

    return cli


@export_app.command("cin-census")
def cin_census_cmd(
    year: Annotated[int, typer.Option(help="collection year: the year ending 31 March YEAR")],
    la_code: Annotated[str, typer.Option("--la-code", help="the authority's 3-digit LA code")],
    out: Annotated[Path, typer.Option(help="the XML file to write")],
) -> None:
    """The Children in Need census (2024-25 format) for the year ending 31 March YEAR."""
    cli = _helpers()

    def run() -> Any:
        from config.settings import get_settings
        from models.context import current_calendar
        from models.db import session_scope
        from models.returns import load_inputs, log_access
        from reports.cin_xml import census_xml, check_structure, write_census
        from timescales.returns import build_census, collection_period

        if not 2000 <= year <= 2100:
            raise cli.UserError(f"--year {year} is not a collection year")
        if not (len(la_code) == 3 and la_code.isdigit()):
            raise cli.UserError(f"--la-code {la_code!r} must be three digits")
        if not out.parent.is_dir():
            raise cli.UserError(f"--out {out}: folder {out.parent} does not exist")
        _, ref_date = collection_period(year)
        url = cli._db()
        now = now_utc()
        with session_scope(url) as session:
            inputs = load_inputs(session, up_to=ref_date)
            census = build_census(
                inputs.journeys,
                inputs.children,
                year=year,
                la_code=la_code,
                cal=current_calendar(),
            )
            problems = check_structure(census_xml(census, generated_at=now))
            if problems:  # our own writer broke the specification: never hand that to DfE
                raise cli.UserError("census structure: " + "; ".join(problems[:5]))
            write_census(census, out, generated_at=now)
            log_access(
                session,
                at=now,
                actor=get_settings().acting_user(),
                action="export_cin_census",
                detail=f"year={year} children={len(census.children)} "
                f"withheld={len(census.withheld)}",
            )
        return census

    census = cli._guard(run)
    episodes = sum(len(c.episodes) for c in census.children)
    typer.echo(
        f"CIN census {census.year - 1}-{str(census.year)[2:]} (reference date "
        f"{census.reference_date.isoformat()}): {len(census.children)} children, "
        f"{episodes} episodes -> {out}"
    )
    if census.withheld:
        typer.echo(
            f"{len(census.withheld)} child(ren) withheld until their records are complete:",
            err=True,
        )
        for w in census.withheld:
            typer.echo(
                f"  {w.child_id} (journeys {' '.join(w.journeys)}): {'; '.join(w.problems)}",
                err=True,
            )


@export_app.command("annex-a")
def annex_a_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="ISO date: lists cover 6 months to it")],
    out: Annotated[Path, typer.Option(help="folder to write the lists into")],
    fmt: Annotated[str, typer.Option("--format", help="csv (one file a list) or xlsx")] = "csv",
) -> None:
    """Ofsted Annex A lists 1, 3, 4 and 5 for the six months up to --as-of."""
    cli = _helpers()

    def run() -> Any:
        from config.settings import get_settings
        from models.db import session_scope
        from models.returns import load_inputs, log_access
        from reports.annex_a import write_annex_a
        from timescales.returns import build_annex_a

        if fmt not in ("csv", "xlsx"):
            raise cli.UserError(f"--format {fmt!r}: use csv or xlsx")
        try:
            day = date.fromisoformat(as_of.strip())
        except ValueError:
            raise cli.UserError(f"--as-of {as_of!r} is not an ISO date (YYYY-MM-DD)") from None
        if out.exists() and not out.is_dir():
            raise cli.UserError(f"--out {out} is a file, not a folder")
        url = cli._db()
        with session_scope(url) as session:
            inputs = load_inputs(session, up_to=day)
            annex = build_annex_a(
                inputs.journeys, inputs.children, as_of=day, staff_names=inputs.staff_names
            )
            files = write_annex_a(annex, out, fmt)
            log_access(
                session,
                at=now_utc(),
                actor=get_settings().acting_user(),
                action="export_annex_a",
                detail=f"as_of={day.isoformat()} "
                + " ".join(f"{k}={len(v)}" for k, v in annex.lists.items()),
            )
        return annex, files

    annex, files = cli._guard(run)
    typer.echo(
        f"Annex A {annex.window_start.isoformat()} to {annex.as_of.isoformat()} (exclusive of "
        "the first day): " + ", ".join(f"{k} {len(v)} rows" for k, v in annex.lists.items())
    )
    for f in files:
        typer.echo(f"  {f}")


def scorecard_cmd(
    month: Annotated[str, typer.Option(help="the month, YYYY-MM")],
    team: Annotated[str | None, typer.Option(help="only this team's journeys")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md, html or json")] = "md",
    out: Annotated[Path | None, typer.Option(help="write to this file (default: stdout)")] = None,
) -> None:
    """The monthly front-door scorecard, with a 12-month trend and England's figures."""
    cli = _helpers()

    def run() -> str:
        from timescales.scorecard import Month

        if fmt not in ("md", "html", "json"):
            raise cli.UserError(f"--format {fmt!r}: use md, html or json")
        try:
            m = Month.parse(month)
        except ValueError as exc:
            raise cli.UserError(f"--month: {exc}") from None
        from config.settings import get_settings
        from tasks.compose import scorecard_text

        actor = get_settings().acting_user()
        return scorecard_text(cli._db(), m, team, fmt, now=now_utc(), actor=actor)

    text = cli._guard(run)
    if out is None:
        typer.echo(text, nl=False)
    else:
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        typer.echo(f"scorecard {month} -> {out}")
