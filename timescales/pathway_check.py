"""Check a proposed pathway file and name the YAML line and field of every problem.

Pure domain: imports nothing from the project above it, nor prefect, sqlmodel, sqlalchemy or jinja2.

The file is parsed twice from the same text: ``yaml.safe_load`` for the values and
``yaml.compose`` for the node tree, whose marks give the line of every mapping key and sequence
item by its path (``("gates", 4, "limit_working_days")``). Pydantic's error locations and the
meaning checks' field paths are the same kind of path, so each problem is mapped to the line of
the deepest part of its path that the file contains (an unknown key is its own line; a missing
key is reported on the line of the mapping that lacks it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from timescales.pathway import TEMPLATES, Loc, Pathway, meaning_problems


@dataclass(frozen=True)
class CheckProblem:
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass(frozen=True)
class CheckResult:
    pathway: Pathway | None
    problems: tuple[CheckProblem, ...]
    lines: Mapping[Loc, int]

    @property
    def ok(self) -> bool:
        return self.pathway is not None and not self.problems


def yaml_lines(text: str) -> dict[Loc, int]:
    """1-based line of every mapping key and sequence item, by path."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Loc, int] = {}
    if root is None:
        return lines
    lines[()] = root.start_mark.line + 1

    def walk(node: yaml.Node, path: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                p: Loc = (*path, str(key.value))
                lines[p] = key.start_mark.line + 1
                walk(value, p)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                p = (*path, i)
                lines[p] = item.start_mark.line + 1
                walk(item, p)

    walk(root, ())
    return lines


def line_of(lines: Mapping[Loc, int], loc: Loc) -> int | None:
    for n in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:n]))
        if line is not None:
            return line
    return None


def field_name(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_text(text: str, templates: Collection[str] = TEMPLATES) -> CheckResult:
    """Validate a pathway's YAML text: syntax, schema, meaning and statutory limits."""
    try:
        data: Any = yaml.safe_load(text)
        lines = yaml_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return CheckResult(None, (CheckProblem(line, "", f"not valid YAML: {problem}"),), {})
    if not isinstance(data, dict):
        return CheckResult(None, (CheckProblem(1, "", "a pathway must be a YAML mapping"),), lines)
    try:
        pathway = Pathway.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc: Loc = tuple(err["loc"])
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(CheckProblem(line_of(lines, loc), field_name(loc), msg))
        return CheckResult(None, tuple(problems), lines)
    found = tuple(
        CheckProblem(line_of(lines, loc), field_name(loc), msg)
        for loc, msg in meaning_problems(pathway, templates)
    )
    return CheckResult(pathway, found, lines)
