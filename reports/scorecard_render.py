"""The monthly scorecard as Markdown, JSON or HTML (with pygal charts as inline SVG).

Every figure maps (JSON) or links (HTML) to the pseudonymous journey references behind it; no
personal data appears (journey references, teams and counts only).
"""

from __future__ import annotations

import html
import json
from typing import Any

from timescales.scorecard import Figure, Scorecard


def _fmt(f: Figure, value: float | int | None = None) -> str:
    v = f.value if value is None else value
    if v is None:
        return "-"
    return f"{v:.1f}%" if f.kind == "percent" else str(v)


def _detail(f: Figure) -> str:
    if f.kind == "percent":
        return f"{f.numerator} of {f.denominator}"
    if f.kind == "breakdown" and f.breakdown:
        return ", ".join(f"{role} {n}" for role, n in f.breakdown.items())
    return ""


def _title(card: Scorecard) -> str:
    return f"Front-door scorecard {card.month}" + (f", team {card.team}" if card.team else "")


def to_json(card: Scorecard) -> dict[str, Any]:
    return {
        "month": str(card.month),
        "team": card.team,
        "figures": [
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind,
                "value": f.value,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "england": f.england,
                "breakdown": dict(f.breakdown),
                "trend": [{"month": m, "value": v} for m, v in f.trend],
                "journeys": list(f.refs),
                "denominator_journeys": list(f.base_refs),
            }
            for f in card.figures
        ],
    }


def to_markdown(card: Scorecard) -> str:
    lines = [
        f"# {_title(card)}",
        "",
        "| measure | this month | detail | England | previous 12 months |",
        "|---|---:|---|---:|---|",
    ]
    for f in card.figures:
        eng = f"{f.england:.1f}%" if f.england is not None else ""
        trend = " ".join(_fmt(f, v) if v is not None else "-" for _, v in f.trend)
        lines.append(f"| {f.label} | {_fmt(f)} | {_detail(f)} | {eng} | {trend} |")
    lines.append("")
    lines.append("Journeys behind each figure: `frontdoor scorecard --format json`.")
    return "\n".join(lines) + "\n"


def _pygal() -> Any:
    """pygal, without the import hook it installs on ``sys.meta_path`` for its map plugins
    (unused here): the hook warns (ImportWarning) on every later import in the process."""
    import sys

    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


def _chart(f: Figure) -> str:
    pygal = _pygal()
    from pygal.style import CleanStyle

    chart = pygal.Bar if f.kind != "percent" else pygal.Line
    c = chart(
        width=420,
        height=180,
        show_legend=f.england is not None,
        legend_at_bottom=True,
        style=CleanStyle,
        x_label_rotation=30,
        range=(0, 100) if f.kind == "percent" else None,
        explicit_size=True,
        disable_xml_declaration=True,
        truncate_label=-1,
    )
    months = [m for m, _ in f.trend] + ["this month"]
    c.x_labels = [m[2:] if m[0].isdigit() else m for m in months]
    values = [v for _, v in f.trend] + [f.value]
    c.add("this authority", values)
    if f.england is not None:
        c.add("England", [f.england] * len(values))
    svg: str = c.render(is_unicode=True)
    return svg


def to_html(card: Scorecard) -> str:
    esc = html.escape
    rows = []
    sections = []
    for f in card.figures:
        anchor = f"journeys-{f.key}"
        eng = f"{f.england:.1f}%" if f.england is not None else ""
        rows.append(
            f"<tr><td>{esc(f.label)}</td>"
            f'<td class="n"><a href="#{anchor}">{esc(_fmt(f))}</a></td>'
            f"<td>{esc(_detail(f))}</td><td class='n'>{esc(eng)}</td>"
            f"<td>{_chart(f)}</td></tr>"
        )
        refs = " ".join(esc(r) for r in f.refs) or "(none)"
        extra = ""
        if f.kind == "percent":
            others = sorted(set(f.base_refs) - set(f.refs))
            extra = f"<p>Not met: {' '.join(esc(r) for r in others) or '(none)'}</p>"
        sections.append(
            f'<section id="{anchor}"><h3>{esc(f.label)}</h3>'
            f"<p>{'Met' if f.kind == 'percent' else 'Journeys'}: {refs}</p>{extra}</section>"
        )
    title = esc(_title(card))
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>"
        "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #ccc;padding:.3em .6em;vertical-align:middle}"
        ".n{text-align:right}section p{font-family:monospace;word-break:break-all}"
        "</style></head><body>"
        f"<h1>{title}</h1><table><thead><tr><th>measure</th><th>this month</th>"
        "<th>detail</th><th>England</th><th>trend (previous 12 months)</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table><h2>Journeys behind each figure</h2>"
        + "".join(sections)
        + "</body></html>\n"
    )


def render(card: Scorecard, fmt: str) -> str:
    if fmt == "md":
        return to_markdown(card)
    if fmt == "json":
        return json.dumps(to_json(card), indent=1) + "\n"
    if fmt == "html":
        return to_html(card)
    raise ValueError(f"unknown format {fmt!r} (md, html or json)")
