"""What-if: replay recorded events under two pathways and compare, gate by gate.

Pure domain: imports nothing from the project above it, nor prefect, sqlmodel, sqlalchemy or jinja2.
Nothing here writes or sends: it is a function of (pathway, calendar, events, period).

Counted per gate, for clocks **started within the period** [``start``, ``end``], as of ``end``:

- ``clocks``: clocks started; ``met`` stopped by the due date; ``met_late`` stopped after it;
  ``breached`` still open at ``end`` and past due; ``open`` still open and not yet due;
  ``cancelled``.
- ``reminders`` / ``escalations``: ladder rungs that a sweep running every day would have sent
  within the period: the rung's date falls in the period and the clock had not stopped or been
  cancelled before that day. Reporting-only gates send nothing. (Superseding after downtime does
  not arise when the sweep runs daily.)

A journey's **outcome changes** when any gate started in the period has a different status at
``end`` under the two pathways (or a clock under only one); a due date that moves while the status
stays the same is not an outcome change.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from timescales.calendar import WorkingCalendar
from timescales.evaluate import Clock, EventFact, evaluate, status_of
from timescales.pathway import Pathway

COUNTS = ("clocks", "met", "met_late", "breached", "open", "cancelled", "reminders", "escalations")


@dataclass
class GateCounts:
    clocks: int = 0
    met: int = 0
    met_late: int = 0
    breached: int = 0
    open: int = 0
    cancelled: int = 0
    reminders: int = 0
    escalations: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in COUNTS}


@dataclass(frozen=True)
class Outcome:
    status: str
    due_on: date


@dataclass
class Replay:
    """One pathway's replay of a period: counts per gate and each journey's gate outcomes."""

    per_gate: dict[str, GateCounts] = field(default_factory=dict)
    outcomes: dict[Hashable, dict[str, Outcome]] = field(default_factory=dict)


def _closed_before(c: Clock, on: date) -> bool:
    return (c.stopped_on is not None and c.stopped_on < on) or (
        c.cancelled_on is not None and c.cancelled_on < on
    )


# one clock's contribution: gate, status as of the end, due date, reminders and escalations sent
_Contribution = tuple[str, str, date, int, int]


def _contribution(
    pathway: Pathway, cal: WorkingCalendar, c: Clock, start: date, end: date
) -> _Contribution:
    status = status_of(c, end)
    reminders = escalations = 0
    if not c.reporting_only:
        ladder = pathway.ladder_for(pathway.gate(c.gate))
        for r in ladder.reminders:
            on = cal.add_working_days(c.due_on, -r.before_due)
            if c.started_on <= on and start <= on <= end and not _closed_before(c, on):
                reminders += 1
        for e in ladder.escalations:
            on = cal.add_working_days(c.due_on, e.after_due)
            if on > end:
                break
            if start <= on and not _closed_before(c, on):
                escalations += 1
    return (c.gate, status, c.due_on, reminders, escalations)


_FIELD = {"met": "met", "met_late": "met_late", "overdue": "breached", "cancelled": "cancelled"}


def replay(
    pathway: Pathway,
    cal: WorkingCalendar,
    journeys: Mapping[Any, Sequence[EventFact]],
    start: date,
    end: date,
) -> Replay:
    """Replay every journey's events (those dated up to ``end``) under ``pathway``.

    Journeys whose events have the same shape (types, outcomes and dates in replay order) have
    the same clocks, so each shape is evaluated once: most journeys of a year are a contact and
    its outcome, and their shapes repeat day after day.
    """
    out = Replay(per_gate={g.id: GateCounts() for g in pathway.gates})
    memo: dict[tuple[tuple[str, date, str | None], ...], tuple[_Contribution, ...]] = {}
    for key, facts in journeys.items():
        ordered = sorted((f for f in facts if f.on <= end), key=EventFact.sort_key)
        shape = tuple((f.type, f.on, f.outcome) for f in ordered)
        found = memo.get(shape)
        if found is None:
            ev = evaluate(pathway, cal, ordered)
            found = tuple(
                _contribution(pathway, cal, c, start, end)
                for c in ev.clocks
                if start <= c.started_on <= end
            )
            memo[shape] = found
        mine: dict[str, Outcome] = {}
        for gate, status, due_on, reminders, escalations in found:
            n = out.per_gate[gate]
            n.clocks += 1
            fld = _FIELD.get(status, "open")
            setattr(n, fld, getattr(n, fld) + 1)
            n.reminders += reminders
            n.escalations += escalations
            mine[gate] = Outcome(status, due_on)
        out.outcomes[key] = mine
    return out


@dataclass(frozen=True)
class ChangedJourney:
    key: Hashable
    changes: tuple[tuple[str, str, str], ...]  # (gate, active, proposed)


def _describe(o: Outcome | None) -> str:
    return "-" if o is None else f"{o.status} (due {o.due_on.isoformat()})"


def changed_journeys(active: Replay, proposed: Replay) -> list[ChangedJourney]:
    out: list[ChangedJourney] = []
    for key, a in active.outcomes.items():
        p = proposed.outcomes.get(key, {})
        diffs = []
        for gate in sorted(set(a) | set(p)):
            x, y = a.get(gate), p.get(gate)
            if (x is None) != (y is None) or (x and y and x.status != y.status):
                diffs.append((gate, _describe(x), _describe(y)))
        if diffs:
            out.append(ChangedJourney(key, tuple(diffs)))
    return out


def gate_order(*pathways: Pathway) -> list[str]:
    order: list[str] = []
    for p in pathways:
        order += [g.id for g in p.gates if g.id not in order]
    return order


def totals(per_gate: Iterable[GateCounts]) -> GateCounts:
    t = GateCounts()
    for n in per_gate:
        for k in COUNTS:
            setattr(t, k, getattr(t, k) + getattr(n, k))
    return t
