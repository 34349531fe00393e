"""Import records (the JSON Lines contract): validate everything first, then write in one go.

Query functions: they take a Session and never commit. The caller commits once, so a file with
any bad line writes nothing. Each error names the line, the record id and the reason.
Re-importing an identical record is a no-op; a different record under a used id is an error.
Clocks of every touched journey are brought up to date in the same transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models.journeys import load_facts, new_journey_ref, refresh_journeys
from models.tables import Child, Event, Journey, Staff
from timescales.calendar import OutsideCalendarHorizon, WorkingCalendar
from timescales.evaluate import EventFact
from timescales.guards import StaffFact, check_not_future, check_sequence, check_staff_refs
from timescales.pathway import Pathway
from timescales.records import (
    ChildDetailsRecord,
    ContactReceived,
    JourneyEvent,
    RecordError,
    StaffRecord,
    parse_record,
    payload,
)

MAX_REPORTED_ERRORS = 100


@dataclass(frozen=True)
class LineError:
    line: int
    record_id: str | None
    reason: str

    def __str__(self) -> str:
        rid = f" (id {self.record_id})" if self.record_id else ""
        return f"line {self.line}{rid}: {self.reason}"


class ImportRejected(Exception):
    """Nothing was written. ``errors`` lists every problem found, in line order."""

    def __init__(self, errors: Sequence[LineError], total: int | None = None) -> None:
        self.errors = list(errors)
        self.total = total if total is not None else len(errors)
        super().__init__(f"{self.total} invalid record(s); nothing was imported")


@dataclass
class ImportSummary:
    records: int = 0
    new: int = 0
    unchanged: int = 0
    staff: int = 0
    children: int = 0
    events: int = 0
    journeys_opened: int = 0
    journeys_touched: list[int] = field(default_factory=list)
    journey_refs: list[str] = field(default_factory=list)


@dataclass
class _JourneyDraft:
    id: int | None
    ref: str
    child: str
    team: str
    opened_on: date
    facts: list[EventFact]
    ended_on: date | None = None
    new: bool = False


def decode_lines(lines: Iterable[str]) -> list[tuple[int, Any]]:
    """JSON-decode each non-blank line; a line that is not JSON becomes a LineError."""
    out: list[tuple[int, Any]] = []
    for n, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        try:
            out.append((n, json.loads(text)))
        except json.JSONDecodeError as exc:
            out.append((n, LineError(n, None, f"not valid JSON ({exc.msg} at column {exc.colno})")))
    return out


def _ends_on(pathway: Pathway, facts: Sequence[EventFact]) -> date | None:
    """The date a journey ended: its first event (in date order) that ends a journey."""
    for f in sorted(facts, key=EventFact.sort_key):
        for rule in pathway.stage_rules:
            if rule.matches(f.type, f.outcome):
                if rule.ends_journey:
                    return f.on
                break
    return None


def import_records(
    session: Session,
    decoded: Sequence[tuple[int, Any]],
    *,
    pathway: Pathway,
    cal: WorkingCalendar,
    now: datetime,
    actor: str,
    source: str,
) -> ImportSummary:
    errors: list[LineError] = []
    parsed: list[tuple[int, StaffRecord | ChildDetailsRecord | JourneyEvent]] = []
    for line, data in decoded:
        if isinstance(data, LineError):
            errors.append(data)
            continue
        rid = data.get("id") if isinstance(data, dict) else None
        try:
            parsed.append((line, parse_record(data)))
        except RecordError as exc:
            errors.append(LineError(line, rid if isinstance(rid, str) else None, str(exc)))

    # ids: unique within the file, and either new or identical to what is stored
    summary = ImportSummary(records=len(decoded))
    fresh: list[tuple[int, StaffRecord | ChildDetailsRecord | JourneyEvent, dict[str, Any]]] = []
    first_line: dict[str, tuple[int, dict[str, Any]]] = {}
    ids = [rec.id for _, rec in parsed]
    stored: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        for rid, body in session.exec(
            select(Event.record_id, Event.payload).where(col(Event.record_id).in_(ids[i : i + 500]))
        ).all():
            stored[rid] = body
    for line, rec in parsed:
        body = payload(rec)
        if rec.id in first_line:
            prev_line, prev = first_line[rec.id]
            if prev != body:
                errors.append(
                    LineError(
                        line, rec.id, f"id already used on line {prev_line} by a different record"
                    )
                )
            else:
                summary.unchanged += 1
            continue
        first_line[rec.id] = (line, body)
        if rec.id in stored:
            if json.loads(stored[rec.id]) != body:
                errors.append(
                    LineError(line, rec.id, "id already used by a different stored record")
                )
            else:
                summary.unchanged += 1
            continue
        fresh.append((line, rec, body))

    # the roster as it will be after this file (staff records apply before events)
    staff: dict[str, StaffFact] = {
        s.staff_id: StaffFact(s.staff_id, s.role, s.team, s.manager)
        for s in session.exec(select(Staff)).all()
    }
    for _, rec, _ in fresh:
        if isinstance(rec, StaffRecord):
            staff[rec.staff_id] = StaffFact(rec.staff_id, rec.role.value, rec.team, rec.manager)
    for line, rec, _ in fresh:
        if isinstance(rec, StaffRecord) and rec.manager and rec.manager not in staff:
            errors.append(
                LineError(line, rec.id, f"manager: {rec.manager!r} is not on the staff roster")
            )

    # journeys of the children this file touches, with their events so far
    events = [(line, rec) for line, rec, _ in fresh if isinstance(rec, JourneyEvent)]
    children = sorted({rec.child for _, rec in events})
    drafts: dict[str, list[_JourneyDraft]] = defaultdict(list)
    by_ref: dict[str, _JourneyDraft] = {}
    existing: list[Journey] = []
    for i in range(0, len(children), 500):
        existing += session.exec(
            select(Journey).where(col(Journey.child_id).in_(children[i : i + 500]))
        ).all()
    facts = load_facts(session, [j.id for j in existing if j.id is not None])
    for j in sorted(existing, key=lambda j: (j.opened_on, j.id or 0)):
        assert j.id is not None
        d = _JourneyDraft(
            j.id, j.ref, j.child_id, j.team, j.opened_on, facts.get(j.id, []), j.ended_on
        )
        drafts[j.child_id].append(d)
        by_ref[j.ref] = d
    # references given in the file must point at a stored journey
    extra_refs = {rec.journey for _, rec in events if rec.journey and rec.journey not in by_ref}
    if extra_refs:
        for j in session.exec(select(Journey).where(col(Journey.ref).in_(sorted(extra_refs)))):
            by_ref[j.ref] = _JourneyDraft(
                j.id, j.ref, j.child_id, j.team, j.opened_on, [], j.ended_on
            )
    taken = set(by_ref)

    assignment: list[tuple[int, JourneyEvent, _JourneyDraft, EventFact]] = []
    seq = 10**12  # new events sort after stored ones on ties (arrival order)
    for line, rec in events:
        try:
            check_not_future(rec, now)
            check_staff_refs(rec, staff)
            cal.add_working_days(rec.at.local_date, 0)  # refuses dates outside the calendar
        except RecordError as exc:
            errors.append(LineError(line, rec.id, str(exc)))
            continue
        except OutsideCalendarHorizon as exc:
            errors.append(LineError(line, rec.id, f"at: {exc}"))
            continue
        seq += 1
        fact = EventFact(
            rec.id, rec.type, rec.at.local_date, rec.at.instant, rec.outcome_value, seq
        )
        target = _target_journey(rec, drafts[rec.child], by_ref, taken, errors, line)
        if target is None:
            continue
        target.facts.append(fact)
        target.ended_on = _ends_on(pathway, target.facts)
        assignment.append((line, rec, target, fact))

    for line, rec, target, fact in assignment:
        try:
            check_sequence(fact, target.facts)
        except RecordError as exc:
            errors.append(LineError(line, rec.id, str(exc)))

    if errors:
        errors.sort(key=lambda e: e.line)
        raise ImportRejected(errors[:MAX_REPORTED_ERRORS], total=len(errors))

    # ---- write: nothing above touched the database ----
    for _line, rec, body in fresh:
        if isinstance(rec, StaffRecord):
            row = session.get(Staff, rec.staff_id) or Staff(
                staff_id=rec.staff_id, name="", email="", role="", team="", updated_at=now
            )
            row.name, row.email, row.role = rec.name, rec.email, rec.role.value
            row.team, row.manager, row.updated_at = rec.team, rec.manager, now
            session.add(row)
            summary.staff += 1
        elif isinstance(rec, ChildDetailsRecord):
            child = session.get(Child, rec.child) or Child(
                child_id=rec.child, sex="U", ethnicity="", updated_at=now
            )
            child.birth_date, child.expected_birth_date = rec.birth_date, rec.expected_birth_date
            child.sex, child.ethnicity, child.upn = rec.sex, rec.ethnicity, rec.upn
            child.upn_unknown = rec.upn_unknown
            child.disabilities = " ".join(rec.disabilities)
            child.updated_at = now
            session.add(child)
            summary.children += 1
        if not isinstance(rec, JourneyEvent):
            session.add(
                Event(
                    record_id=rec.id,
                    type=rec.type,
                    payload=_dump(body),
                    recorded_at=now,
                    recorded_by=actor,
                    source=source,
                )
            )
    touched: dict[str, _JourneyDraft] = {}
    for _line, rec, target, _fact in assignment:
        if target.id is None:
            row = Journey(
                ref=target.ref,
                child_id=target.child,
                team=target.team,
                opened_on=target.opened_on,
                evaluated_at=now,
                created_at=now,
            )
            session.add(row)
            session.flush()
            target.id = row.id
            summary.journeys_opened += 1
        session.add(
            Event(
                record_id=rec.id,
                type=rec.type,
                journey_id=target.id,
                child_id=rec.child,
                on_date=rec.at.local_date,
                at_utc=rec.at.instant,
                outcome=rec.outcome_value,
                payload=_dump(payload(rec)),
                recorded_at=now,
                recorded_by=actor,
                source=source,
            )
        )
        summary.events += 1
        touched[target.ref] = target
    summary.new = len(fresh)
    session.flush()
    ids = [d.id for d in touched.values() if d.id is not None]
    refresh_journeys(session, ids, pathway, cal, now)
    summary.journeys_touched = sorted(ids)
    summary.journey_refs = sorted(touched)
    return summary


def _target_journey(
    rec: JourneyEvent,
    journeys: list[_JourneyDraft],
    by_ref: dict[str, _JourneyDraft],
    taken: set[str],
    errors: list[LineError],
    line: int,
) -> _JourneyDraft | None:
    if rec.journey is not None:
        target = by_ref.get(rec.journey)
        if target is None or target.child != rec.child:
            errors.append(
                LineError(
                    line,
                    rec.id,
                    f"journey: {rec.journey!r} is not a journey of child {rec.child!r}",
                )
            )
            return None
        return target
    open_ = [j for j in journeys if j.ended_on is None]
    if open_:
        return open_[-1]
    if isinstance(rec, ContactReceived):
        ref = new_journey_ref(taken)
        taken.add(ref)
        draft = _JourneyDraft(None, ref, rec.child, rec.team, rec.at.local_date, [], new=True)
        journeys.append(draft)
        by_ref[ref] = draft
        return draft
    # late entry: an event dated within a journey that has since ended joins that journey
    on = rec.at.local_date
    for j in reversed(journeys):
        if j.opened_on <= on and j.ended_on is not None and on <= j.ended_on:
            return j
    errors.append(
        LineError(
            line, rec.id, f"child {rec.child!r} has no open journey (a contact_received opens one)"
        )
    )
    return None


def _dump(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))
