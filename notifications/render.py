"""Render reminder and escalation emails from Jinja2 templates.

A notification is rendered from a :class:`NotificationContext`, which by construction carries no
personal data about the child: only the pseudonymous journey reference, the gate and its dates, the
team, the recipient and who was told before. Keep it so: the email leaves the authority's case
management system, and the journey reference is enough for a worker to find the record there.

Templates fail loudly (``StrictUndefined``) and the HTML part is autoescaped. Note that
``select_autoescape`` must list ``"html.j2"``: with ``["html"]`` alone an ``.html.j2`` template is
not escaped (DESIGN.md, Habits 3).

This module imports only jinja2 and the standard library: no prefect, sqlmodel or project layers
above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    select_autoescape,
)

__all__ = [
    "DEFAULT_TEMPLATES_DIR",
    "KINDS",
    "NotificationContext",
    "RenderedMessage",
    "TemplateNotFoundError",
    "ToldBefore",
    "available_templates",
    "format_date",
    "render",
]

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

KINDS = ("reminder", "escalation")
GATE_KINDS = ("statutory", "local")
PARTS = ("subject", "txt", "html")

# Template names are file-name stems chosen by ops staff in the pathway YAML; refuse anything that
# could reach outside the templates directory or collide with the shared "_" partials.
_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")

# Fixed English names rather than strftime("%a %b"), which follows the process locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class TemplateNotFoundError(LookupError):
    """No notification template of that name (all three parts: subject, txt, html) exists."""


@dataclass(frozen=True, slots=True)
class ToldBefore:
    """One earlier notification about the same clock."""

    recipient_name: str
    recipient_role: str
    kind: str
    level: int
    sent_on: date

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")


@dataclass(frozen=True, slots=True)
class NotificationContext:
    """Everything a reminder or escalation email may say. Deliberately no personal data."""

    journey_ref: str
    gate_id: str
    gate_title: str
    gate_basis: str
    gate_kind: str
    kind: str
    level: int
    started_on: date
    due_on: date
    working_days_late: int
    working_days_left: int
    team: str
    recipient_name: str
    recipient_role: str
    told_before: tuple[ToldBefore, ...]
    dashboard_url: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.gate_kind not in GATE_KINDS:
            raise ValueError(f"gate_kind must be one of {GATE_KINDS}, not {self.gate_kind!r}")
        if self.working_days_late < 0 or self.working_days_left < 0:
            raise ValueError("working_days_late and working_days_left cannot be negative")
        if self.working_days_late and self.working_days_left:
            raise ValueError("a clock cannot be both late and have working days left")
        # An empty URL (an unset environment variable) just means no link.
        if self.dashboard_url and not self.dashboard_url.startswith(("https://", "http://")):
            raise ValueError("dashboard_url must be an http(s) URL")


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


def format_date(value: date) -> str:
    """Format a date the way the emails show it, e.g. ``Tue 21 Jun 2022``."""
    return f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


def _working_days(n: int) -> str:
    return "1 working day" if n == 1 else f"{n} working days"


def _humanise(value: str) -> str:
    """``team_manager`` -> ``Team manager``; already readable text is left alone."""
    text = value.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=16)
def _environment(directory: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "html.j2"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["longdate"] = format_date
    env.filters["working_days"] = _working_days
    env.filters["humanise"] = _humanise
    return env


def available_templates(templates_dir: Path | None = None) -> frozenset[str]:
    """Names of the templates in ``templates_dir`` that have all three parts."""
    directory = (templates_dir or DEFAULT_TEMPLATES_DIR).resolve()
    if not directory.is_dir():
        return frozenset()
    names: set[str] = set()
    for path in directory.glob("*.subject.j2"):
        name = path.name.removesuffix(".subject.j2")
        if _TEMPLATE_NAME.match(name) and all(
            (directory / f"{name}.{part}.j2").is_file() for part in PARTS
        ):
            names.add(name)
    return frozenset(names)


def render(
    template: str, ctx: NotificationContext, templates_dir: Path | None = None
) -> RenderedMessage:
    """Render ``<template>.subject.j2``, ``.txt.j2`` and ``.html.j2`` for ``ctx``.

    Raises :class:`TemplateNotFoundError` if any part is missing, and lets Jinja2's
    ``UndefinedError`` propagate (with a note naming the template) if a template refers to a
    variable the context does not provide.
    """
    directory = (templates_dir or DEFAULT_TEMPLATES_DIR).resolve()
    if not _TEMPLATE_NAME.match(template):
        raise TemplateNotFoundError(f"invalid notification template name {template!r}")
    env = _environment(directory)
    variables: dict[str, Any] = {f.name: getattr(ctx, f.name) for f in fields(ctx)}

    rendered: dict[str, str] = {}
    for part in PARTS:
        filename = f"{template}.{part}.j2"
        try:
            rendered[part] = env.get_template(filename).render(variables)
        except TemplateNotFound as exc:
            if exc.name != filename:  # a missing partial is a broken template, not a missing one
                exc.add_note(f"while rendering notification template {filename} in {directory}")
                raise
            raise TemplateNotFoundError(
                f"notification template {template!r} has no {filename} in {directory}"
            ) from exc
        except (UndefinedError, TemplateSyntaxError) as exc:
            exc.add_note(f"while rendering notification template {filename} in {directory}")
            raise

    subject = " ".join(rendered["subject"].split())
    return RenderedMessage(subject=subject, text=rendered["txt"], html=rendered["html"])
