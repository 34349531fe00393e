"""Published pathway versions, calendar corrections and their audit trail.

Query functions: they take a Session and never commit. Rules are not here: versions are chosen by
:mod:`timescales.versions`, checked by :mod:`timescales.pathway_check`, and the working calendar
is built by :mod:`timescales.calendar`.

- ``pathway_version`` rows are append-only: publishing adds a row and never rewrites one. When the
  table is empty, the pathway file (``FRONTDOOR_PATHWAY_FILE``) is version 1 in force from the
  beginning; the first publish records that file's text as version 1 so that later edits of the
  file cannot change history.
- ``calendar_closure`` rows are local closure days and newly proclaimed bank holidays, merged with
  the pathway's ``calendar.extra_closures`` into the one working calendar used everywhere.
  Removing a closure stamps ``removed_at``: the row stays as a record.
- ``timescale_audit`` records each publish, each calendar change and every open clock whose due
  date a calendar change moved.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from models.journeys import refresh_journeys
from models.tables import Clock, Event, Journey, _ts
from timescales.calendar import OutsideCalendarHorizon, WorkingCalendar, calendar_from
from timescales.evaluate import EventFact
from timescales.pathway import TEMPLATES, Pathway, PathwayError
from timescales.pathway_check import check_text
from timescales.versions import (
    BOOTSTRAP_EFFECTIVE_FROM,
    PathwayVersion,
    PathwayVersions,
)


class PathwayVersionRow(SQLModel, table=True):
    __tablename__ = "pathway_version"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    effective_from: date
    yaml_text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    content_hash: str = Field(max_length=64)
    source: str = Field(max_length=300)
    published_by: str = Field(max_length=100)
    published_at: datetime = Field(sa_column=_ts())


class CalendarClosure(SQLModel, table=True):
    __tablename__ = "calendar_closure"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    reason: str = Field(max_length=300)
    added_by: str = Field(max_length=100)
    added_at: datetime = Field(sa_column=_ts())
    removed_by: str | None = Field(default=None, max_length=100)
    removed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class TimescaleAudit(SQLModel, table=True):
    """Who changed the rules or the calendar, when, and which clocks moved because of it."""

    __tablename__ = "timescale_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts(index=True))
    actor: str = Field(max_length=100)
    action: str = Field(max_length=30, index=True)  # publish, add_closure, remove_closure, ...
    pathway_version: int | None = None
    closure_day: date | None = None
    journey_id: int | None = Field(default=None, index=True)
    gate: str | None = Field(default=None, max_length=40)
    old_due_on: date | None = None
    new_due_on: date | None = None
    detail: str = Field(default="", max_length=500)


class PublishRefused(ValueError):
    """The pathway cannot be published; the message says why."""


class CalendarRefused(ValueError):
    """The calendar change cannot be made; the message says why."""


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_PARSED: dict[tuple[int, str], Pathway] = {}


class _AnyTemplate(Collection[str]):
    """Template names were checked against the template files when the version was published;
    reading a stored version back does not judge them again."""

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def parse_version(version: int, text: str) -> Pathway:
    """The pathway a stored text defines, numbered ``version`` (the stored number is the truth:
    the file's own ``version:`` field is overwritten)."""
    key = (version, content_hash(text))
    p = _PARSED.get(key)
    if p is None:
        result = check_text(text, _AnyTemplate())
        if not result.ok or result.pathway is None:
            raise PathwayError(
                f"pathway version {version}: " + "; ".join(str(x) for x in result.problems)
            )
        p = result.pathway.model_copy(update={"version": version})
        _PARSED[key] = p
    return p


def clock_version(session: Session, journey_id: int | None, gate: str) -> int:
    """The pathway version a journey's clock for ``gate`` runs under (1 when there is none)."""
    if journey_id is None:
        return 1
    found = session.exec(
        select(Clock.pathway_version).where(Clock.journey_id == journey_id, Clock.gate == gate)
    ).first()
    return found if found is not None else 1


def version_rows(session: Session) -> list[PathwayVersionRow]:
    return list(
        session.exec(select(PathwayVersionRow).order_by(col(PathwayVersionRow.version))).all()
    )


def load_versions(session: Session, bootstrap: Pathway) -> PathwayVersions:
    """The published versions; the bootstrap pathway alone when nothing has been published."""
    rows = version_rows(session)
    if not rows:
        return PathwayVersions.single(bootstrap)
    return PathwayVersions(
        PathwayVersion(r.version, r.effective_from, parse_version(r.version, r.yaml_text))
        for r in rows
    )


def publish(
    session: Session,
    text: str,
    *,
    source: str,
    effective_from: date,
    today: date,
    actor: str,
    now: datetime,
    bootstrap_text: str,
    bootstrap_source: str,
    templates: Sequence[str] = TEMPLATES,
) -> PathwayVersionRow:
    """Record ``text`` as the next version, in force from ``effective_from``. Never rewrites an
    existing version: the date must not be in the past (clocks already opened keep their rules)
    nor before the latest published version's date."""
    result = check_text(text, templates)
    if not result.ok:
        raise PublishRefused(
            "the pathway does not pass check: " + "; ".join(str(p) for p in result.problems)
        )
    if effective_from < today:
        raise PublishRefused(
            f"--effective-from {effective_from.isoformat()} is in the past: publishing never "
            "rewrites history (clocks already opened keep the rules they opened under)"
        )
    rows = version_rows(session)
    if not rows:
        boot = PathwayVersionRow(
            version=1,
            effective_from=BOOTSTRAP_EFFECTIVE_FROM,
            yaml_text=bootstrap_text,
            content_hash=content_hash(bootstrap_text),
            source=bootstrap_source[:300],
            published_by="bootstrap",
            published_at=now,
        )
        parse_version(1, bootstrap_text)  # the file in force must itself be valid
        session.add(boot)
        rows = [boot]
    last = max(rows, key=lambda r: (r.effective_from, r.version))
    if effective_from < last.effective_from:
        raise PublishRefused(
            f"--effective-from {effective_from.isoformat()} is before version {last.version}'s "
            f"{last.effective_from.isoformat()}: versions take effect in order"
        )
    number = max(r.version for r in rows) + 1
    row = PathwayVersionRow(
        version=number,
        effective_from=effective_from,
        yaml_text=text,
        content_hash=content_hash(text),
        source=source[:300],
        published_by=actor,
        published_at=now,
    )
    session.add(row)
    session.add(
        TimescaleAudit(
            at=now,
            actor=actor,
            action="publish",
            pathway_version=number,
            detail=f"effective from {effective_from.isoformat()}; {source[:200]}; "
            f"sha256 {row.content_hash[:12]}",
        )
    )
    session.flush()
    return row


# ---------------------------------------------------------------- calendar corrections


def active_closures(session: Session) -> list[CalendarClosure]:
    return list(
        session.exec(
            select(CalendarClosure)
            .where(col(CalendarClosure.removed_at).is_(None))
            .order_by(col(CalendarClosure.day))
        ).all()
    )


def working_calendar(session: Session, pathway: Pathway) -> WorkingCalendar:
    """The pathway's calendar with the recorded closure days added."""
    c = pathway.calendar
    return calendar_from(
        first_year=c.first_year,
        last_year=c.last_year,
        extra_closures=(*c.extra_closures, *(x.day for x in active_closures(session))),
        working_overrides=c.working_overrides,
    )


@dataclass
class CalendarChange:
    day: date
    action: str
    journeys_refreshed: int = 0
    moved: list[tuple[str, str, date, date]] = field(default_factory=list)  # ref, gate, old, new


def _open_clock_dues(session: Session, on_or_before: date) -> dict[tuple[int, str], date]:
    """Due dates of open clocks that started on or before ``on_or_before`` (a closure later
    than a clock's start can move it)."""
    rows = session.execute(
        sa.select(col(Clock.journey_id), col(Clock.gate), col(Clock.due_on)).where(
            col(Clock.stopped_on).is_(None),
            col(Clock.cancelled_on).is_(None),
            col(Clock.started_on) <= on_or_before,
        )
    ).all()
    return {(jid, gate): due for jid, gate, due in rows}


def _apply(
    session: Session,
    change: CalendarChange,
    pathway: Pathway,
    actor: str,
    now: datetime,
    reason: str,
) -> CalendarChange:
    before = _open_clock_dues(session, change.day)
    session.add(
        TimescaleAudit(
            at=now, actor=actor, action=change.action, closure_day=change.day, detail=reason[:500]
        )
    )
    session.flush()
    cal = working_calendar(session, pathway)
    ids = sorted({jid for jid, _gate in before})
    refresh_journeys(session, ids, pathway, cal, now)
    session.flush()
    after: dict[tuple[int, str], date] = {}
    refs: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for jid, gate, due in session.execute(
            sa.select(col(Clock.journey_id), col(Clock.gate), col(Clock.due_on)).where(
                col(Clock.journey_id).in_(chunk)
            )
        ).all():
            after[(jid, gate)] = due
        for jid, ref in session.execute(
            sa.select(col(Journey.id), col(Journey.ref)).where(col(Journey.id).in_(chunk))
        ).all():
            refs[jid] = ref
    change.journeys_refreshed = len(ids)
    for (jid, gate), old in sorted(before.items()):
        new = after.get((jid, gate))
        if new is None or new == old:
            continue
        change.moved.append((refs.get(jid, str(jid)), gate, old, new))
        session.add(
            TimescaleAudit(
                at=now,
                actor=actor,
                action="clock_moved",
                closure_day=change.day,
                journey_id=jid,
                gate=gate,
                old_due_on=old,
                new_due_on=new,
                detail=f"{change.action} {change.day.isoformat()}",
            )
        )
    session.flush()
    return change


def add_closure(
    session: Session, day: date, reason: str, *, pathway: Pathway, actor: str, now: datetime
) -> CalendarChange:
    """Record a closure day, then recompute every open clock it moves (and its timers)."""
    if not reason.strip():
        raise CalendarRefused("a closure needs a reason")
    cal = working_calendar(session, pathway)
    try:
        working = cal.is_working_day(day)
    except OutsideCalendarHorizon as exc:
        raise CalendarRefused(str(exc)) from None
    if not working:
        why = "a weekend day" if day.weekday() >= 5 else "already a bank holiday or closure day"
        raise CalendarRefused(f"{day.isoformat()} is not a working day ({why})")
    session.add(CalendarClosure(day=day, reason=reason.strip()[:300], added_by=actor, added_at=now))
    return _apply(session, CalendarChange(day, "add_closure"), pathway, actor, now, reason)


def remove_closure(
    session: Session, day: date, reason: str, *, pathway: Pathway, actor: str, now: datetime
) -> CalendarChange:
    rows = [c for c in active_closures(session) if c.day == day]
    if not rows:
        if day in pathway.calendar.extra_closures:
            raise CalendarRefused(
                f"{day.isoformat()} is a closure in the pathway file (calendar.extra_closures): "
                "change it by publishing a pathway version"
            )
        raise CalendarRefused(f"{day.isoformat()} is not a recorded closure day")
    for r in rows:
        r.removed_at, r.removed_by = now, actor
        session.add(r)
    return _apply(session, CalendarChange(day, "remove_closure"), pathway, actor, now, reason)


def audit_entries(session: Session, limit: int = 200) -> list[TimescaleAudit]:
    return list(
        session.exec(
            select(TimescaleAudit).order_by(col(TimescaleAudit.id).desc()).limit(limit)
        ).all()
    )


# ---------------------------------------------------------------- what-if input


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_period_facts(
    session: Session, start: date, end: date
) -> tuple[dict[int, list[EventFact]], dict[int, str]]:
    """Every journey with an event in [start, end]: its events up to ``end`` (one query), and
    the journeys' pseudonymous references."""
    in_period = (
        sa.select(col(Event.journey_id))
        .where(col(Event.on_date) >= start, col(Event.on_date) <= end)
        .where(col(Event.journey_id).is_not(None))
        .distinct()
        .scalar_subquery()
    )
    # Dates and instants come back as the driver gives them (text on SQLite) and are parsed
    # here: SQLAlchemy's per-row type processing was a third of a year's what-if (measured).
    rows = session.execute(
        sa.select(
            col(Event.journey_id),
            col(Event.record_id),
            col(Event.type),
            sa.type_coerce(col(Event.on_date), sa.String),
            sa.type_coerce(col(Event.at_utc), sa.String),
            col(Event.outcome),
            col(Event.seq),
        ).where(col(Event.journey_id).in_(in_period), col(Event.on_date) <= end)
    ).all()
    days: dict[object, date] = {}
    facts: dict[int, list[EventFact]] = defaultdict(list)
    for jid, rid, typ, on, at, outcome, seq in rows:
        day = days.get(on)
        if day is None:
            day = days[on] = on if isinstance(on, date) else date.fromisoformat(on)
        instant = at if isinstance(at, datetime) else _utc(at)
        facts[jid].append(EventFact(rid, typ, day, instant, outcome, seq))
    refs = dict(
        session.execute(
            sa.select(col(Journey.id), col(Journey.ref)).where(col(Journey.id).in_(in_period))
        ).all()
    )
    return dict(facts), refs
