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
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.journeys import load_facts, new_journey_ref, refresh_journeys
from models.practice import plan_practice, write_practice
from models.tables import Child, Event, Journey, Staff
from timescales.calendar import OutsideCalendarHorizon, WorkingCalendar
from timescales.evaluate import EventFact
from timescales.guards import StaffFact, check_not_future, check_sequence, check_staff_refs
from timescales.partition import Partition, ends_journey, partition
from timescales.pathway import Pathway
from timescales.practice import PracticeModel
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
    practice: int = 0  # supervision, audit, action completion and feedback records
    actions_opened: int = 0
    journeys_touched: list[int] = field(default_factory=list)
    journey_refs: list[str] = field(default_factory=list)


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
    parsed: list[tuple[int, StaffRecord | ChildDetailsRecord | JourneyEvent | PracticeModel]] = []
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
    fresh: list[
        tuple[int, StaffRecord | ChildDetailsRecord | JourneyEvent | PracticeModel, dict[str, Any]]
    ] = []
    first_line: dict[str, tuple[int, dict[str, Any]]] = {}
    ids = [rec.id for _, rec in parsed]
    stored: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        for rid, stored_body in session.exec(
            select(Event.record_id, Event.payload).where(col(Event.record_id).in_(ids[i : i + 500]))
        ).all():
            stored[rid] = stored_body
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

    # every child this file touches: its whole history, re-partitioned into journeys
    events = [(line, rec) for line, rec, _ in fresh if isinstance(rec, JourneyEvent)]
    line_of: dict[str, tuple[int, JourneyEvent]] = {}
    new_facts: dict[str, list[EventFact]] = defaultdict(list)
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
        new_facts[rec.child].append(
            EventFact(rec.id, rec.type, rec.at.local_date, rec.at.instant, rec.outcome_value, seq)
        )
        line_of[rec.id] = (line, rec)

    plans = _plan_children(session, pathway, new_facts, line_of, errors)
    practice_errors: list[tuple[int, str, str]] = []
    practice = plan_practice(
        session,
        [(line, rec) for line, rec, _ in fresh if isinstance(rec, PracticeModel)],
        staff,
        cal,
        pathway,
        now,
        practice_errors,
    )
    errors += [LineError(line, rid, reason) for line, rid, reason in practice_errors]

    if errors:
        errors.sort(key=lambda e: e.line)
        raise ImportRejected(errors[:MAX_REPORTED_ERRORS], total=len(errors))

    # ---- write: nothing above touched the database ----
    for _line, rec, record_body in fresh:
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
                    payload=_dump(record_body),
                    recorded_at=now,
                    recorded_by=actor,
                    source=source,
                )
            )
    touched = _apply_plans(session, plans, line_of, now, actor, source, summary)
    summary.new = len(fresh)
    session.flush()
    refresh_journeys(session, sorted(touched.values()), pathway, cal, now)
    summary.actions_opened = write_practice(session, practice, staff, pathway, cal, now)
    summary.practice = practice.count
    summary.journeys_touched = sorted(touched.values())
    summary.journey_refs = sorted(touched)
    return summary


@dataclass
class _ChildPlan:
    """How one child's events fall into journeys once this file is added."""

    child: str
    existing: list[Journey]
    parts: list[tuple[Partition, Journey | None]]  # each journey and the stored row it keeps
    merged: list[tuple[Journey, Journey]] = field(default_factory=list)  # (folded, into)


def _plan_children(
    session: Session,
    pathway: Pathway,
    new_facts: dict[str, list[EventFact]],
    line_of: dict[str, tuple[int, JourneyEvent]],
    errors: list[LineError],
) -> list[_ChildPlan]:
    children = sorted(new_facts)
    existing: dict[str, list[Journey]] = defaultdict(list)
    for i in range(0, len(children), 500):
        for j in session.exec(
            select(Journey).where(col(Journey.child_id).in_(children[i : i + 500]))
        ).all():
            existing[j.child_id].append(j)
    stored = load_facts(session, [j.id for js in existing.values() for j in js if j.id])
    plans: list[_ChildPlan] = []
    for child in children:
        rows = sorted(existing[child], key=lambda j: (j.opened_on, j.id or 0))
        facts = [f for j in rows if j.id for f in stored.get(j.id, [])] + new_facts[child]
        result = partition(pathway, facts)
        for orphan in result.orphans:
            if orphan.id in line_of:
                line, rec = line_of[orphan.id]
                errors.append(
                    LineError(
                        line,
                        rec.id,
                        f"child {child!r} has no open journey on "
                        f"{orphan.on.isoformat()} (a contact_received opens one)",
                    )
                )
            else:
                blame = [line_of[f.id] for f in new_facts[child] if ends_journey(pathway, f)]
                for line, rec in blame[:1]:
                    errors.append(
                        LineError(
                            line,
                            rec.id,
                            f"would end the journey before event "
                            f"{orphan.id!r} ({orphan.on.isoformat()}), already "
                            "recorded, leaving it in no journey",
                        )
                    )
        plan = _ChildPlan(child, rows, [])
        claimed: set[int] = set()
        for part in result.journeys:
            ids = {f.id for f in part.events}
            candidates = [j for j in rows if j.opening_record in ids and j.id not in claimed]
            keep = candidates[0] if candidates else None
            if keep is not None:
                claimed.add(keep.id or 0)
                plan.merged += [(j, keep) for j in candidates[1:]]
                claimed.update(j.id or 0 for j in candidates[1:])
            plan.parts.append((part, keep))
            for f in part.events:
                if f.id not in line_of:
                    continue
                line, rec = line_of[f.id]
                try:
                    check_sequence(f, part.events)
                except RecordError as exc:
                    errors.append(LineError(line, rec.id, str(exc)))
                if rec.journey is not None and (keep is None or keep.ref != rec.journey):
                    errors.append(
                        LineError(
                            line,
                            rec.id,
                            f"journey: {rec.journey!r} is not the "
                            f"journey of child {child!r} on "
                            f"{rec.at.local_date.isoformat()}",
                        )
                    )
        plans.append(plan)
    return plans


def _apply_plans(
    session: Session,
    plans: list[_ChildPlan],
    line_of: dict[str, tuple[int, JourneyEvent]],
    now: datetime,
    actor: str,
    source: str,
    summary: ImportSummary,
) -> dict[str, int]:
    """Write new events and journeys; move stored events whose journey boundaries moved."""
    touched: dict[str, int] = {}
    taken: set[str] = set()
    for plan in plans:
        for part, keep in plan.parts:
            opening = part.opening
            team = _opening_team(session, opening, line_of)
            if keep is None:
                keep = Journey(
                    ref=_fresh_ref(session, taken),
                    child_id=plan.child,
                    team=team,
                    opening_record=opening.id,
                    opened_on=opening.on,
                    evaluated_at=now,
                    created_at=now,
                )
                summary.journeys_opened += 1
            else:
                keep.opening_record, keep.opened_on, keep.team = opening.id, opening.on, team
                changed = keep.opening_record != opening.id or keep.team != team
                keep.opening_record, keep.opened_on, keep.team = opening.id, opening.on, team
                if changed:
                    session.add(keep)
            session.add(keep)
            session.flush()
            assert keep.id is not None
            stored_ids = [f.id for f in part.events if f.id not in line_of]
            moved = 0
            if stored_ids:
                result = session.execute(
                    sa.update(Event)
                    .where(col(Event.record_id).in_(stored_ids), col(Event.journey_id) != keep.id)
                    .values(journey_id=keep.id)
                )
                moved = int(getattr(result, "rowcount", 0) or 0)
            if moved or len(stored_ids) < len(part.events) or keep.ref in touched:
                touched[keep.ref] = keep.id
            for f in part.events:
                if f.id not in line_of:
                    continue
                _line, rec = line_of[f.id]
                session.add(
                    Event(
                        record_id=rec.id,
                        type=rec.type,
                        journey_id=keep.id,
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
        for folded, into in plan.merged:
            folded.merged_into = into.ref
            session.add(folded)
            assert folded.id is not None
            touched[folded.ref] = folded.id
    return touched


def _opening_team(
    session: Session, opening: EventFact, line_of: dict[str, tuple[int, JourneyEvent]]
) -> str:
    if opening.id in line_of:
        rec = line_of[opening.id][1]
        assert isinstance(rec, ContactReceived)
        return rec.team
    body = session.exec(select(Event.payload).where(Event.record_id == opening.id)).one()
    team = json.loads(body)["team"]
    assert isinstance(team, str)
    return team


def _fresh_ref(session: Session, taken: set[str]) -> str:
    while True:
        ref = new_journey_ref(taken)
        taken.add(ref)
        if session.exec(select(Journey.id).where(Journey.ref == ref)).first() is None:
            return ref


def _dump(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))
