"""Versioned pathways: which rules a clock runs under when the pathway changes.

Pure domain: imports nothing from the project above it, nor prefect, sqlmodel, sqlalchemy or jinja2.

A pathway change is a new version with an ``effective_from`` date. The rule (issue 5):

- **A clock keeps the version in force on its start date.** A clock opened before a version's
  ``effective_from`` keeps the rules it opened under; one opened on or after it uses the new
  version. The journey is replayed under each version in force at some point between its first
  and last event (usually one), and each gate's clock is taken from the replay under the version
  in force on that clock's ``started_on`` in that very replay. If both an older and a newer
  version open a clock for the same gate (the start events changed), the earlier-opened clock
  wins: it was opened first and keeps its rules.
- **A derived gate follows the clock it derives from.** ``icpc_delay_rationale`` starts the
  working day after the ``icpc`` clock's due date, and that due date exists only under the version
  the ``icpc`` clock runs under. Taking the derived clock from that same replay keeps one chain of
  clocks under one rule set; choosing by the derived clock's own start date would be circular (its
  start depends on the parent's limit) and could make a publish reach into a clock already
  running.
- The journey's stage, end and flags follow the version in force on its latest event (stage rules
  describe what an event means now); the journey's ``pathway_version`` is the version it opened
  under.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from timescales.calendar import WorkingCalendar
from timescales.evaluate import Clock, EventFact, JourneyEvaluation, TimerPlan, evaluate
from timescales.pathway import Pathway

BOOTSTRAP_EFFECTIVE_FROM = date(1900, 1, 1)


@dataclass(frozen=True)
class PathwayVersion:
    version: int
    effective_from: date
    pathway: Pathway


class PathwayVersions:
    """Published versions ordered by ``effective_from`` (then version number: a later
    publication with the same date supersedes an earlier one)."""

    def __init__(self, versions: Iterable[PathwayVersion]) -> None:
        items = sorted(versions, key=lambda v: (v.effective_from, v.version))
        if not items:
            raise ValueError("at least one pathway version is needed")
        # keep only the last publication per effective date
        by_date: dict[date, PathwayVersion] = {}
        for v in items:
            by_date[v.effective_from] = v
        self.all: tuple[PathwayVersion, ...] = tuple(items)
        self.effective: tuple[PathwayVersion, ...] = tuple(by_date[d] for d in sorted(by_date))
        self._dates = [v.effective_from for v in self.effective]

    @classmethod
    def single(cls, pathway: Pathway) -> PathwayVersions:
        return cls([PathwayVersion(pathway.version, BOOTSTRAP_EFFECTIVE_FROM, pathway)])

    def in_force(self, on: date) -> PathwayVersion:
        """The version in force on ``on`` (the earliest one for dates before every version)."""
        i = bisect.bisect_right(self._dates, on) - 1
        return self.effective[max(i, 0)]

    def by_number(self, version: int) -> PathwayVersion:
        for v in self.all:
            if v.version == version:
                return v
        raise KeyError(version)

    @property
    def latest(self) -> PathwayVersion:
        return self.effective[-1]

    def between(self, first: date, last: date) -> list[PathwayVersion]:
        lo = self.in_force(first)
        return [v for v in self.effective if v is lo or first < v.effective_from <= last]


def evaluate_versioned(
    versions: PathwayVersions, cal: WorkingCalendar, events: Iterable[EventFact]
) -> JourneyEvaluation:
    """Replay a journey under the versions its clocks opened under (see the module docstring)."""
    ordered = sorted(events, key=EventFact.sort_key)
    if not ordered:
        return evaluate(versions.latest.pathway, cal, ordered)
    relevant = versions.between(ordered[0].on, ordered[-1].on)
    if len(relevant) == 1:
        return evaluate(relevant[0].pathway, cal, ordered)
    evals = {v.version: evaluate(v.pathway, cal, ordered) for v in relevant}
    derived = {
        (v.version, g.id): g.start_after_gate_due
        for v in relevant
        for g in v.pathway.gates
        if g.start_after_gate_due is not None
    }
    chosen: dict[str, Clock] = {}
    for v in relevant:
        for c in evals[v.version].clocks:
            if (v.version, c.gate) in derived:
                continue
            if versions.in_force(c.started_on).version != v.version:
                continue
            held = chosen.get(c.gate)
            if held is None or c.started_on < held.started_on:
                chosen[c.gate] = c
    for (version, gate), parent in derived.items():
        p = chosen.get(parent)
        if p is None or p.pathway_version != version:
            continue
        dc = evals[version].clock(gate)
        if dc is not None:
            chosen[gate] = dc
    order: list[str] = []
    for v in reversed(relevant):
        order += [g.id for g in v.pathway.gates if g.id not in order]
    clocks = tuple(chosen[g] for g in order if g in chosen)
    timers: list[TimerPlan] = []
    for c in clocks:
        timers += [t for t in evals[c.pathway_version].timers if t.gate == c.gate]
    now_rules = evals[versions.in_force(ordered[-1].on).version]
    opened = versions.in_force(ordered[0].on).version
    return replace(now_rules, pathway_version=opened, clocks=clocks, timers=tuple(timers))


def versions_of(items: Sequence[tuple[int, date, Pathway]]) -> PathwayVersions:
    return PathwayVersions(PathwayVersion(n, d, p) for n, d, p in items)
