"""Journeys as a function of a child's events in date order (late entry re-partitions)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from timescales.evaluate import EventFact
from timescales.partition import partition
from timescales.pathway import Pathway, load_pathway

PATHWAY = Path(__file__).resolve().parents[2] / "pathways" / "default.yaml"


@pytest.fixture(scope="module")
def pathway() -> Pathway:
    return load_pathway(PATHWAY)


def fact(i: int, kind: str, on: str, outcome: str | None = None) -> EventFact:
    d = date.fromisoformat(on)
    return EventFact(f"e{i}", kind, d, datetime(d.year, d.month, d.day, 12, tzinfo=UTC), outcome, i)


def ids(parts: object) -> list[list[str]]:
    return [[f.id for f in p.events] for p in parts.journeys]  # type: ignore[attr-defined]


def test_a_contact_opens_and_a_second_contact_joins_the_open_journey(pathway: Pathway) -> None:
    result = partition(
        pathway,
        [fact(1, "contact_received", "2026-03-02"), fact(2, "contact_received", "2026-03-09")],
    )
    assert ids(result) == [["e1", "e2"]]
    assert result.orphans == ()


def test_a_contact_after_an_ending_outcome_opens_a_new_journey(pathway: Pathway) -> None:
    result = partition(
        pathway,
        [
            fact(1, "contact_received", "2026-03-02"),
            fact(2, "contact_outcome", "2026-03-03", "advice"),
            fact(3, "contact_received", "2026-03-09"),
        ],
    )
    assert ids(result) == [["e1", "e2"], ["e3"]]
    assert result.journeys[0].ended_on == date(2026, 3, 3)
    assert result.journeys[1].ended_on is None


def test_input_order_does_not_matter(pathway: Pathway) -> None:
    events = [
        fact(3, "contact_received", "2026-03-09"),
        fact(2, "contact_outcome", "2026-03-03", "advice"),
        fact(1, "contact_received", "2026-03-02"),
    ]
    assert ids(partition(pathway, events)) == [["e1", "e2"], ["e3"]]


def test_an_event_after_the_end_that_is_not_a_contact_is_an_orphan(pathway: Pathway) -> None:
    result = partition(
        pathway,
        [
            fact(1, "contact_received", "2026-03-02"),
            fact(2, "contact_outcome", "2026-03-02", "referral"),
            fact(3, "closed", "2026-03-05", None),
            fact(4, "referral_decision", "2026-03-10", "assessment"),
        ],
    )
    assert [f.id for f in result.orphans] == ["e4"]
    assert ids(result) == [["e1", "e2", "e3"]]


def test_events_on_the_day_a_journey_ended_still_belong_to_it(pathway: Pathway) -> None:
    result = partition(
        pathway,
        [
            fact(1, "contact_received", "2026-03-02"),
            fact(2, "contact_outcome", "2026-03-02", "referral"),
            fact(3, "referral_decision", "2026-03-03", "no_further_action"),
            fact(4, "closed", "2026-03-04"),
            fact(5, "icpc_delay_agreed", "2026-03-04"),
        ],
    )
    # same-day events replay in pathway order (the closure last), all in the one journey
    assert sorted(ids(result)[0]) == ["e1", "e2", "e3", "e4", "e5"]
    assert result.journeys[0].ended_on == date(2026, 3, 4)
    assert result.orphans == ()


def test_an_event_before_any_contact_is_an_orphan(pathway: Pathway) -> None:
    result = partition(pathway, [fact(1, "strategy_discussion", "2026-03-02", "s47")])
    assert result.journeys == () and [f.id for f in result.orphans] == ["e1"]
