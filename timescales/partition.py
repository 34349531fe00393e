"""Split a child's events into journeys, in the order the events happened.

Pure domain: imports nothing from the project, nor prefect, sqlmodel, sqlalchemy or jinja2.

A journey is a function of the child's events, not of the order they were typed in: replayed in
date order, a `contact_received` with no journey open opens one; the journey ends at its first
event that the pathway says ends a journey (a contact outcome other than referral, `closed`);
events dated on the day a journey ended still belong to it. Late entry can therefore move a
journey's boundaries (a late `closed` ends a journey earlier; a late earlier contact opens it
earlier), and the importer re-partitions the child's whole history each time.

An event dated after its journey ended that is not a new contact belongs to no journey: it
describes a journey that does not exist, so the importer refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from timescales.evaluate import EventFact
from timescales.pathway import Pathway


@dataclass
class Partition:
    events: list[EventFact] = field(default_factory=list)
    ended_on: date | None = None

    @property
    def opening(self) -> EventFact:
        return self.events[0]


@dataclass(frozen=True)
class Partitioned:
    journeys: tuple[Partition, ...]
    orphans: tuple[EventFact, ...]  # events that fall in no journey


def ends_journey(pathway: Pathway, fact: EventFact) -> bool:
    for rule in pathway.stage_rules:
        if rule.matches(fact.type, fact.outcome):
            return rule.ends_journey
    return False


def partition(pathway: Pathway, facts: Iterable[EventFact]) -> Partitioned:
    journeys: list[Partition] = []
    orphans: list[EventFact] = []
    current: Partition | None = None
    for f in sorted(facts, key=EventFact.sort_key):
        if current is not None and current.ended_on is not None and f.on > current.ended_on:
            current = None
        if current is None:
            if f.type == "contact_received":
                current = Partition()
                journeys.append(current)
            else:
                orphans.append(f)
                continue
        current.events.append(f)
        if current.ended_on is None and ends_journey(pathway, f):
            current.ended_on = f.on
    return Partitioned(tuple(journeys), tuple(orphans))
