"""Journey tasks: re-evaluate one journey's clocks, describe it, record what Prefect shows.

Each task opens its own session and returns ids or frozen snapshots, never ORM rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session, col, select

from config.clock import today_london
from models.context import current_calendar, current_pathway, database_url
from models.db import session_scope
from models.journeys import refresh_journeys
from models.tables import Clock, Journey
from models.views import GateRow, focus_gate, iter_gate_rows, state_name_for
from tasks.notify import EnqueueReport, enqueue_due


class UnknownJourney(LookupError):
    pass


@dataclass(frozen=True)
class JourneySnapshot:
    """What may be shown in Prefect: the pseudonymous reference and clocks, nothing personal."""

    ref: str
    team: str
    stage: str
    state_name: str
    flags: tuple[str, ...]
    focus_gate: str | None
    as_of: date
    gates: tuple[GateRow, ...]

    @property
    def tags(self) -> list[str]:
        tags = [f"team:{self.team}", f"stage:{self.stage}"]
        if self.focus_gate:
            tags.append(f"gate:{self.focus_gate}")
        return tags


def _journey_id(session: Session, ref: str) -> int:
    jid = session.exec(select(Journey.id).where(Journey.ref == ref)).first()
    if jid is None:
        raise UnknownJourney(f"no journey {ref}")
    return jid


def _describe(session: Session, jid: int, now: datetime) -> JourneySnapshot:
    pathway = current_pathway()
    journey = session.get(Journey, jid)
    assert journey is not None
    as_of = today_london(now)
    rows = list(iter_gate_rows(session, as_of, journey_id=jid))
    return JourneySnapshot(
        ref=journey.ref,
        team=journey.team,
        stage=journey.stage,
        state_name=state_name_for(pathway, journey.stage, rows),
        flags=tuple(journey.flags.split()),
        focus_gate=focus_gate(rows),
        as_of=as_of,
        gates=tuple(rows),
    )


def describe(journey_ref: str, now: datetime) -> JourneySnapshot:
    """The journey as stored (no re-evaluation): used to tag a run before it starts."""
    with session_scope(database_url()) as session:
        return _describe(session, _journey_id(session, journey_ref), now)


def refresh_and_describe(journey_ref: str, now: datetime) -> JourneySnapshot:
    with session_scope(database_url()) as session:
        jid = _journey_id(session, journey_ref)
        refresh_journeys(session, [jid], current_pathway(), current_calendar(), now)
        session.flush()
        return _describe(session, jid, now)


def mark_published(journey_ref: str, state_name: str, now: datetime) -> None:
    with session_scope(database_url()) as session:
        session.execute(
            sa.update(Journey)
            .where(col(Journey.ref) == journey_ref)
            .values(published_state=state_name, published_at=now)
        )


def stale_journey_refs(now: datetime, limit: int) -> list[str]:
    """Journeys whose picture in Prefect is out of date: never published, changed since, or
    newly overdue (a clock ran out with no event to trigger a run)."""
    today = today_london(now)
    overdue = (
        select(Clock.journey_id)
        .where(
            col(Clock.reporting_only).is_(False),
            col(Clock.stopped_on).is_(None),
            col(Clock.cancelled_on).is_(None),
            col(Clock.due_on) < today,
        )
        .scalar_subquery()
    )
    q = (
        select(Journey.ref)
        .where(
            sa.or_(
                col(Journey.published_at).is_(None),
                col(Journey.published_at) < col(Journey.evaluated_at),
                sa.and_(col(Journey.published_state) != "Overdue", col(Journey.id).in_(overdue)),
            )
        )
        .order_by(col(Journey.id))
        .limit(limit)
    )
    with session_scope(database_url()) as session:
        return list(session.exec(q).all())


def bring_up_to_date(journey_ref: str, now: datetime) -> tuple[JourneySnapshot, EnqueueReport]:
    """Re-evaluate the journey's clocks, then queue whatever of its reminders and escalations
    is due: one task, so a journey run costs as few round trips to Prefect's API as possible."""
    snap = refresh_and_describe(journey_ref, now)
    return snap, enqueue_due(now, journey_ref=journey_ref)


bring_up_to_date_task = task(
    name="bring-journey-up-to-date",
    task_run_name="journey {journey_ref}",
    cache_policy=NO_CACHE,
    persist_result=False,
)(bring_up_to_date)
stale_journeys_task = task(name="find-stale-journeys", cache_policy=NO_CACHE, persist_result=False)(
    stale_journey_refs
)
