"""`frontdoor actions` and `frontdoor practice-report`: practice actions and the practice report.

Registered on the main app by :mod:`frontdoor.cli`. Both reads are written to the access log.
The report's figures come from :func:`timescales.practice_report.build_report` (pure); this
module only formats them: Markdown, JSON, or HTML with charts drawn by pygal (inline SVG, no
external assets or scripts, so the file can be mailed or archived as it is).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from config.clock import now_utc
from config.settings import get_settings


def _cli() -> Any:
    from frontdoor import cli

    return cli


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _cli().UserError(f"{option} {value!r} is not an ISO date (YYYY-MM-DD)") from None


def actions_cmd(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO date (default: today, London)")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="only this owner's actions")] = None,
    team: Annotated[str | None, typer.Option(help="only this team's actions")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="a JSON array instead of a table")
    ] = False,
) -> None:
    """Every supervision and audit action agreed by a date, with its due date and status."""
    cli = _cli()

    def run() -> tuple[date, list[Any]]:
        from models.db import session_scope
        from models.practice import action_rows
        from models.tables import AccessLog

        day = cli._as_of_date(as_of)
        url = cli._db()
        with session_scope(url) as session:
            rows = action_rows(session, day, owner=owner, team=team)
            session.add(
                AccessLog(
                    at=now_utc(),
                    actor=get_settings().acting_user(),
                    action="list_actions",
                    detail=f"as_of={day.isoformat()} owner={owner or '*'} team={team or '*'} "
                    f"rows={len(rows)}",
                )
            )
        return day, rows

    day, rows = cli._guard(run)
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in rows], indent=1))
        return
    header = (
        "ref",
        "action_id",
        "kind",
        "owner",
        "team",
        "opened_on",
        "due_on",
        "completed",
        "status",
    )
    table = [
        (
            r.ref,
            r.action_id,
            r.kind,
            r.owner,
            r.team,
            r.opened_on.isoformat(),
            r.due_on.isoformat(),
            r.completed_on.isoformat() if r.completed_on else "-",
            r.status,
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in c) for c in zip(header, *table, strict=False)]
    typer.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for line in table:
        typer.echo("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    typer.echo(f"{len(rows)} action(s) as of {day.isoformat()}" + (f": {summary}" if rows else ""))


Format = Literal["md", "html", "json"]


def practice_report_cmd(
    from_: Annotated[str, typer.Option("--from", help="first day of the period (ISO date)")],
    to: Annotated[str, typer.Option("--to", help="last day of the period (ISO date)")],
    team: Annotated[str | None, typer.Option(help="only this team")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md, html or json")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write to this file (default: stdout)")
    ] = None,
) -> None:
    """Supervision, actions on time, overdue actions, audits, feedback and consent
    dispensations over a period."""
    cli = _cli()
    if fmt not in ("md", "html", "json"):
        cli._fail(f"--format {fmt!r}: give md, html or json")
    text = cli._guard(lambda: render_report(_load_report(from_, to, team), fmt))  # type: ignore[arg-type]
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"practice report ({fmt}) written to {output}")


def _load_report(from_: str, to: str, team: str | None) -> dict[str, Any]:
    cli = _cli()
    from models.db import session_scope
    from models.practice import report_inputs
    from models.tables import AccessLog

    start, end = _date(from_, "--from"), _date(to, "--to")
    if end < start:
        raise cli.UserError("--to is before --from")
    url = cli._db()
    with session_scope(url) as session:
        inputs = report_inputs(session, end)
        session.add(
            AccessLog(
                at=now_utc(),
                actor=get_settings().acting_user(),
                action="practice_report",
                detail=f"from={start.isoformat()} to={end.isoformat()} team={team or '*'}",
            )
        )
    return practice_report(inputs, start, end, team)


def practice_report(inputs: Any, start: date, end: date, team: str | None) -> dict[str, Any]:
    from models.context import current_calendar, current_pathway
    from timescales.practice_report import build_report

    return build_report(
        inputs,
        start,
        end,
        current_calendar(),
        team=team,
        no_supervision_working_days=current_pathway().actions.no_supervision_working_days,
    )


# ---- formats ------------------------------------------------------------------------------


def render_report(report: dict[str, Any], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(report, indent=1) + "\n"
    if fmt == "md":
        return _markdown(report)
    return _html(report)


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join("-" if c is None else str(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def _sections(r: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]], str]]:
    """(title, header, rows, note) of each table, shared by Markdown and HTML."""
    sup, act, aud, fb, cd = (
        r["supervision"],
        r["actions"],
        r["audits"],
        r["feedback"],
        r["consent_dispensations"],
    )
    due = act["due"]
    return [
        (
            "Supervision per worker",
            ["worker", "team", "sessions in period", "last supervised"],
            [[w["worker"], w["team"], w["sessions"], w["last_on"]] for w in sup["per_worker"]],
            f"{sup['sessions']} supervision session(s) in the period.",
        ),
        (
            f"Journeys with no supervision in the last {sup['no_supervision_working_days']} "
            "working days",
            ["journey", "team", "worker", "opened", "last supervised"],
            [
                [j["journey"], j["team"], j["worker"], j["opened_on"], j["last_supervised_on"]]
                for j in sup["journeys_without_supervision"]
            ],
            "Open journeys, open at least that long, with no supervision of the journey or child.",
        ),
        (
            "Actions completed on time, by kind and team",
            ["kind", "team", "due", "met", "met late", "overdue", "on time"],
            [
                [
                    k["kind"],
                    k["team"],
                    k["due"],
                    k["met"],
                    k["met_late"],
                    k["overdue"],
                    _p(k["on_time_pct"]),
                ]
                for k in act["by_kind_team"]
            ],
            f"{act['agreed']} action(s) agreed in the period; of {due['due']} due in it, "
            f"{due['met']} met on time ({_p(due['on_time_pct'])}), {due['met_late']} late, "
            f"{due['overdue']} still overdue.",
        ),
        (
            "On-time completion by month (actions due that month)",
            ["month", "due", "met", "on time"],
            [[m["month"], m["due"], m["met"], _p(m["on_time_pct"])] for m in act["trend"]],
            "",
        ),
        (
            "Overdue actions by age (working days overdue)",
            ["age", "actions"],
            [[k, v] for k, v in act["overdue_by_age"].items()],
            "",
        ),
        (
            "Overdue actions",
            ["ref", "kind", "team", "owner", "due", "working days overdue"],
            [
                [o["ref"], o["kind"], o["team"], o["owner"], o["due_on"], o["working_days_overdue"]]
                for o in act["overdue"]
            ],
            "",
        ),
        (
            "Audits by grade",
            ["grade", "audits"],
            [[g, n] for g, n in aud["by_grade"].items()],
            f"{aud['count']} audit(s); {aud['considered_feedback']} considered feedback from "
            f"children and families ({_p(aud['considered_feedback_pct'])}). By kind: "
            + (", ".join(f"{k} {n}" for k, n in aud["by_kind"].items()) or "none")
            + ".",
        ),
        (
            "Feedback themes",
            ["theme", "mentions"],
            [[t["theme"], t["count"]] for t in fb["themes"]],
            f"{fb['count']} piece(s) of feedback; {fb['rated']} rated, average rating "
            f"{fb['average_rating'] if fb['average_rating'] is not None else '-'} (1-5). From: "
            + (", ".join(f"{k} {n}" for k, n in fb["by_from"].items()) or "nobody")
            + ".",
        ),
        (
            "Consent dispensations by approver role and team",
            ["approver role", "team", "dispensations"],
            [[x["role"], x["team"], x["count"]] for x in cd["by_role_team"]],
            f"{cd['count']} contact(s) with consent dispensed with in the period.",
        ),
        (
            "Consent dispensation exceptions",
            ["record", "journey", "team", "date", "approver", "role", "why"],
            [
                [
                    e["record"],
                    e["journey"],
                    e["team"],
                    e["on"],
                    e["approver"],
                    e["approver_role"],
                    e["why"],
                ]
                for e in cd["exceptions"]
            ],
            "Dispensations whose approver lacked the role (team manager or above) or the reason.",
        ),
    ]


def _title(r: dict[str, Any]) -> str:
    scope = f"team {r['team']}" if r["team"] else "all teams"
    return f"Practice report {r['period']['from']} to {r['period']['to']} ({scope})"


def _markdown(r: dict[str, Any]) -> str:
    lines = [f"# {_title(r)}", ""]
    for title, header, rows, note in _sections(r):
        lines += [f"## {title}", ""]
        if note:
            lines += [note, ""]
        lines += _table(header, rows)
    return "\n".join(lines)


def _pygal() -> Any:
    """pygal, without the legacy import hook it appends to ``sys.meta_path`` (for map plugins,
    which we do not use): it has no ``find_spec``, so every later import in the process that
    reaches it raises an ImportWarning."""
    import sys

    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


def charts(r: dict[str, Any]) -> list[str]:
    """Inline SVG charts (pygal): on-time trend by month, overdue by age, audits by grade."""
    pygal = _pygal()
    from pygal.style import DefaultStyle

    common: dict[str, Any] = {
        "js": [],  # no external scripts: the report stands alone
        "disable_xml_declaration": True,
        "style": DefaultStyle,
        "width": 720,
        "height": 360,
        "explicit_size": True,
    }
    out = []
    trend = r["actions"]["trend"]
    line = pygal.Line(
        title="Actions completed on time, by month due (%)",
        range=(0, 100),
        show_legend=False,
        **common,
    )
    line.x_labels = [m["month"] for m in trend]
    line.add("on time %", [m["on_time_pct"] for m in trend])
    out.append(line.render(is_unicode=True))
    bar = pygal.Bar(title="Overdue actions by working days overdue", show_legend=False, **common)
    ages = r["actions"]["overdue_by_age"]
    bar.x_labels = list(ages)
    bar.add("actions", list(ages.values()))
    out.append(bar.render(is_unicode=True))
    grades = pygal.Bar(title="Audits by grade", show_legend=False, **common)
    grades.x_labels = list(r["audits"]["by_grade"])
    grades.add("audits", list(r["audits"]["by_grade"].values()))
    out.append(grades.render(is_unicode=True))
    return out


_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: Arial, Helvetica, sans-serif; max-width: 960px; margin: 0 auto; padding: 24px;
       color: #0b0c0c; }
table { border-collapse: collapse; margin: 0 0 24px 0; }
th, td { text-align: left; padding: 4px 12px 4px 0; border-bottom: 1px solid #b1b4b6; }
figure { margin: 0 0 24px 0; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<section aria-label="charts">
{% for svg in charts %}<figure>{{ svg|safe }}</figure>
{% endfor %}
</section>
{% for title, header, rows, note in sections %}
<h2>{{ title }}</h2>
{% if note %}<p>{{ note }}</p>{% endif %}
{% if rows %}
<table>
<thead><tr>{% for h in header %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr>{% for c in row %}<td>{{ "-" if c is none else c }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
{% else %}<p>(none)</p>{% endif %}
{% endfor %}
</body>
</html>
"""


def _html(r: dict[str, Any]) -> str:
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(_HTML).render(title=_title(r), charts=charts(r), sections=_sections(r))
