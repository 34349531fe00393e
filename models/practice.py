"""Practice records stored: supervision sessions, audits, actions (with their clocks), feedback.

Query functions: they take a Session and never commit. :func:`plan_practice` validates the
practice records of an import file against what is stored (all errors found, nothing written);
:func:`write_practice` writes them in the import's one transaction, opening each action's timer
rows (journey_id NULL, action_id set) so that the one sweep and the one outbox chase them too.
Imports: sqlmodel/sqlalchemy, the project's tables and the pure domain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from models.journeys import due_instant
from models.tables import Event, Journey, Staff, Timer, _ts
from timescales.calendar import OutsideCalendarHorizon, WorkingCalendar
from timescales.evaluate import Status
from timescales.guards import StaffFact
from timescales.pathway import Pathway
from timescales.practice import (
    ActionCompleted,
    ActionSpec,
    AuditCompleted,
    FeedbackReceived,
    PracticeModel,
    SupervisionHeld,
)
from timescales.practice_report import (
    ActionFact,
    AuditFact,
    DispensationFact,
    FeedbackFact,
    JourneyFact,
    ReportInputs,
    SupervisionFact,
    WorkerFact,
)
from timescales.practice_rules import (
    action_due,
    action_kind,
    action_status,
    check_completion,
    check_practice_staff,
    due_soon_from,
    new_action_ref,
    plan_action_timers,
)
from timescales.records import LONDON, RecordError

_CHUNK = 500


class PracticeAction(SQLModel, table=True):
    """An agreed action and its clock (the action is the gate; ``kind`` names the clock)."""

    __tablename__ = "action"

    id: int | None = Field(default=None, primary_key=True)
    action_id: str = Field(max_length=100, unique=True)
    ref: str = Field(max_length=12, unique=True, description="pseudonymous, e.g. A-7F3K2Q")
    kind: str = Field(max_length=30, index=True)
    source_record: str = Field(max_length=100, description="the supervision or audit record")
    description: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    owner: str = Field(max_length=100, index=True)
    team: str = Field(max_length=100, index=True)
    opened_on: date
    due_on: date = Field(index=True)
    due_soon_from: date
    completed_on: date | None = None
    completed_by: str | None = Field(default=None, max_length=100)
    completion_record: str | None = Field(default=None, max_length=100)
    evidence: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())


class Supervision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(max_length=100, unique=True)
    on_date: date = Field(index=True)
    supervisor: str = Field(max_length=100)
    worker: str = Field(max_length=100, index=True)
    team: str = Field(max_length=100, index=True, description="the worker's team")
    child_id: str | None = Field(default=None, max_length=100, index=True)
    journey_id: int | None = Field(default=None, foreign_key="journey.id", index=True)
    summary_ref: str = Field(max_length=200)


class Audit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(max_length=100, unique=True)
    audit_id: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=30)
    on_date: date = Field(index=True)
    auditor: str = Field(max_length=100)
    team: str = Field(max_length=100, index=True)
    grade: str = Field(max_length=30)
    journeys: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    feedback_considered: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))


class Feedback(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(max_length=100, unique=True)
    feedback_id: str = Field(max_length=100, unique=True)
    on_date: date = Field(index=True)
    child_id: str | None = Field(default=None, max_length=100, index=True)
    journey_id: int | None = Field(default=None, foreign_key="journey.id", index=True)
    team: str | None = Field(default=None, max_length=100, index=True)
    from_whom: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    rating: int | None = None
    themes: str = Field(default="", max_length=1000, description="space-separated")


# ---- import: validate, then write ---------------------------------------------------------


@dataclass
class _NewAction:
    spec: ActionSpec
    kind: str
    source: str
    team: str
    opened_on: date
    due_on: date


@dataclass
class PracticePlan:
    """What the practice records of one file will write, once the whole file is valid."""

    records: list[tuple[int, PracticeModel]] = field(default_factory=list)
    actions: list[_NewAction] = field(default_factory=list)
    journeys: dict[str, int] = field(default_factory=dict)  # journey ref -> id
    count: int = 0


def _existing(session: Session, column: Any, values: Sequence[str]) -> set[str]:
    found: set[str] = set()
    vals = sorted(set(values))
    for i in range(0, len(vals), _CHUNK):
        found.update(
            str(v)
            for (v,) in session.execute(
                sa.select(column).where(col(column).in_(vals[i : i + _CHUNK]))
            ).all()
        )
    return found


def plan_practice(
    session: Session,
    items: Sequence[tuple[int, PracticeModel]],
    staff: Mapping[str, StaffFact],
    cal: WorkingCalendar,
    pathway: Pathway,
    now: datetime,
    errors: list[tuple[int, str, str]],
) -> PracticePlan:
    """Check every practice record; append ``(line, record id, reason)`` for each problem."""
    plan = PracticePlan(records=list(items))
    refs = [
        r
        for _, rec in items
        for r in (
            [rec.journey]
            if isinstance(rec, SupervisionHeld | FeedbackReceived) and rec.journey
            else list(rec.journeys)
            if isinstance(rec, AuditCompleted)
            else []
        )
    ]
    journey_rows: dict[str, tuple[int, str]] = {}
    for i in range(0, len(refs), _CHUNK):
        for jid, ref, child in session.exec(
            select(Journey.id, Journey.ref, Journey.child_id).where(
                col(Journey.ref).in_(refs[i : i + _CHUNK])
            )
        ).all():
            assert jid is not None
            journey_rows[ref] = (jid, child)
    plan.journeys = {ref: jid for ref, (jid, _) in journey_rows.items()}

    declared = [
        a.action_id
        for _, rec in items
        if isinstance(rec, SupervisionHeld | AuditCompleted)
        for a in rec.actions
    ]
    completing = [rec.action_id for _, rec in items if isinstance(rec, ActionCompleted)]
    ids = sorted(set(declared + completing))
    stored_actions = {
        a.action_id: a
        for i in range(0, len(ids), _CHUNK)
        for a in session.exec(
            select(PracticeAction).where(col(PracticeAction.action_id).in_(ids[i : i + _CHUNK]))
        ).all()
    }
    audits_stored = _existing(
        session,
        Audit.audit_id,
        [rec.audit_id for _, rec in items if isinstance(rec, AuditCompleted)],
    )
    feedback_in_file = {rec.feedback_id for _, rec in items if isinstance(rec, FeedbackReceived)}
    feedback_stored = _existing(
        session,
        Feedback.feedback_id,
        [
            *feedback_in_file,
            *(
                f
                for _, rec in items
                if isinstance(rec, AuditCompleted)
                for f in rec.feedback_considered
            ),
        ],
    )

    new_actions: dict[str, _NewAction] = {}
    seen_audits: set[str] = set()
    seen_feedback: set[str] = set()

    def problem(line: int, rec: PracticeModel, reason: str) -> None:
        errors.append((line, rec.id, reason))

    for line, rec in items:
        local = rec.at.local_date
        if local > now.astimezone(LONDON).date() or (not rec.at.date_only and rec.at.instant > now):
            problem(line, rec, f"at: {rec.at.raw} is in the future")
            continue
        try:
            cal.add_working_days(local, 0)
        except OutsideCalendarHorizon as exc:
            problem(line, rec, f"at: {exc}")
            continue
        if isinstance(rec, SupervisionHeld | FeedbackReceived) and rec.journey is not None:
            row = journey_rows.get(rec.journey)
            if row is None:
                problem(line, rec, f"journey: {rec.journey!r} is not a known journey")
                continue
            if rec.child is not None and row[1] != rec.child:
                problem(line, rec, f"journey: {rec.journey!r} is not a journey of {rec.child!r}")
                continue
        if isinstance(rec, SupervisionHeld | AuditCompleted):
            try:
                check_practice_staff(rec, staff)
            except RecordError as exc:
                problem(line, rec, str(exc))
                continue
            if isinstance(rec, AuditCompleted):
                if rec.audit_id in audits_stored or rec.audit_id in seen_audits:
                    problem(line, rec, f"audit_id: {rec.audit_id!r} is already recorded")
                    continue
                seen_audits.add(rec.audit_id)
                unknown = [j for j in rec.journeys if j not in journey_rows]
                if unknown:
                    problem(line, rec, f"journeys: not known journeys: {', '.join(unknown)}")
                    continue
                missing = [
                    f
                    for f in rec.feedback_considered
                    if f not in feedback_stored and f not in feedback_in_file
                ]
                if missing:
                    problem(
                        line,
                        rec,
                        f"feedback_considered: no feedback recorded as {', '.join(missing)}",
                    )
                    continue
            kind = action_kind(rec)
            for spec in rec.actions:
                if spec.action_id in stored_actions or spec.action_id in new_actions:
                    problem(line, rec, f"actions: action {spec.action_id!r} is already recorded")
                    continue
                try:
                    due = action_due(cal, local, spec)
                except RecordError as exc:
                    problem(line, rec, str(exc))
                    continue
                except OutsideCalendarHorizon as exc:
                    problem(line, rec, f"actions: action {spec.action_id!r}: {exc}")
                    continue
                assert spec.owner is not None
                team = rec.team if isinstance(rec, AuditCompleted) else staff[spec.owner].team
                new_actions[spec.action_id] = _NewAction(spec, kind, rec.id, team, local, due)
        elif isinstance(rec, FeedbackReceived):
            if rec.feedback_id in seen_feedback or rec.feedback_id in feedback_stored:
                problem(line, rec, f"feedback_id: {rec.feedback_id!r} is already recorded")
                continue
            seen_feedback.add(rec.feedback_id)

    completed_in_file: dict[str, str] = {}
    for line, rec in items:
        if not isinstance(rec, ActionCompleted):
            continue
        stored = stored_actions.get(rec.action_id)
        new = new_actions.get(rec.action_id)
        if stored is None and new is None:
            problem(line, rec, f"action_id: no action {rec.action_id!r} has been agreed")
            continue
        owner = stored.owner if stored is not None else new.spec.owner  # type: ignore[union-attr]
        opened = stored.opened_on if stored is not None else new.opened_on  # type: ignore[union-attr]
        assert owner is not None
        try:
            check_completion(staff, rec.action_id, rec.by, owner)
        except RecordError as exc:
            problem(line, rec, str(exc))
            continue
        if stored is not None and stored.completed_on is not None:
            problem(
                line,
                rec,
                f"action_id: action {rec.action_id!r} was already completed on "
                f"{stored.completed_on.isoformat()} (record {stored.completion_record})",
            )
            continue
        if rec.action_id in completed_in_file:
            problem(
                line,
                rec,
                f"action_id: action {rec.action_id!r} is completed twice in this file "
                f"(record {completed_in_file[rec.action_id]})",
            )
            continue
        if rec.at.local_date < opened:
            problem(
                line,
                rec,
                f"at: action {rec.action_id!r} cannot be completed before it was agreed on "
                f"{opened.isoformat()}",
            )
            continue
        completed_in_file[rec.action_id] = rec.id
    plan.actions = list(new_actions.values())
    plan.count = len(items)
    return plan


def write_practice(
    session: Session,
    plan: PracticePlan,
    staff: Mapping[str, StaffFact],
    pathway: Pathway,
    cal: WorkingCalendar,
    now: datetime,
) -> int:
    """Write the planned records (the caller's transaction); returns the actions opened."""
    feedback_team = _feedback_teams(session, plan)
    for _line, rec in plan.records:
        if isinstance(rec, SupervisionHeld):
            worker = staff.get(rec.worker)
            session.add(
                Supervision(
                    record_id=rec.id,
                    on_date=rec.at.local_date,
                    supervisor=rec.supervisor,
                    worker=rec.worker,
                    team=worker.team if worker else "",
                    child_id=rec.child,
                    journey_id=plan.journeys.get(rec.journey) if rec.journey else None,
                    summary_ref=rec.summary_ref,
                )
            )
        elif isinstance(rec, AuditCompleted):
            session.add(
                Audit(
                    record_id=rec.id,
                    audit_id=rec.audit_id,
                    kind=rec.kind,
                    on_date=rec.at.local_date,
                    auditor=rec.auditor,
                    team=rec.team,
                    grade=rec.grade,
                    journeys=" ".join(rec.journeys),
                    feedback_considered=" ".join(rec.feedback_considered),
                )
            )
        elif isinstance(rec, FeedbackReceived):
            session.add(
                Feedback(
                    record_id=rec.id,
                    feedback_id=rec.feedback_id,
                    on_date=rec.at.local_date,
                    child_id=rec.child,
                    journey_id=plan.journeys.get(rec.journey) if rec.journey else None,
                    team=feedback_team.get(rec.id),
                    from_whom=rec.from_,
                    channel=rec.channel,
                    rating=rec.rating,
                    themes=" ".join(t.replace(" ", "_") for t in rec.themes),
                )
            )
    taken: set[str] = set()
    ladder = pathway.action_ladder()
    reminders = tuple((r.level, r.before_due, r.to, r.template) for r in ladder.reminders)
    escalations = tuple((e.level, e.after_due, e.to, e.template) for e in ladder.escalations)
    offset = max((r.before_due for r in ladder.reminders), default=0)
    for new in plan.actions:
        ref = new_action_ref(taken)
        while session.exec(select(PracticeAction.id).where(PracticeAction.ref == ref)).first():
            ref = new_action_ref(taken)
        taken.add(ref)
        assert new.spec.owner is not None
        action = PracticeAction(
            action_id=new.spec.action_id,
            ref=ref,
            kind=new.kind,
            source_record=new.source,
            description=new.spec.description,
            owner=new.spec.owner,
            team=new.team,
            opened_on=new.opened_on,
            due_on=new.due_on,
            due_soon_from=due_soon_from(cal, new.opened_on, new.due_on, offset),
            created_at=now,
            updated_at=now,
        )
        session.add(action)
        session.flush()
        assert action.id is not None
        for t in plan_action_timers(
            reminders, escalations, new.kind, new.opened_on, new.due_on, cal
        ):
            session.add(
                Timer(
                    journey_id=None,
                    action_id=action.id,
                    gate=t.gate,
                    cycle=new.opened_on,
                    kind=t.kind,
                    level=t.level,
                    recipient_role=t.to,
                    template=t.template,
                    due_on=t.due_on,
                    due_at=due_instant(t.due_on, pathway.notify_time),
                    created_at=now,
                )
            )
    session.flush()
    for _line, rec in plan.records:
        if isinstance(rec, ActionCompleted):
            complete_action(session, rec, now)
    return len(plan.actions)


def complete_action(session: Session, rec: ActionCompleted, now: datetime) -> None:
    """Stop the action's clock and cancel what is left of its ladder (same transaction)."""
    action = session.exec(
        select(PracticeAction).where(PracticeAction.action_id == rec.action_id)
    ).one()
    action.completed_on = rec.at.local_date
    action.completed_by = rec.by
    action.completion_record = rec.id
    action.evidence = rec.evidence
    action.updated_at = now
    session.add(action)
    session.execute(
        sa.update(Timer)
        .where(
            col(Timer.action_id) == action.id,
            col(Timer.claimed_at).is_(None),
            col(Timer.cancelled_at).is_(None),
        )
        .values(cancelled_at=now, outcome="cancelled")
    )


def _feedback_teams(session: Session, plan: PracticePlan) -> dict[str, str]:
    """The team of each feedback record: its journey's, else the child's journey on that date."""
    out: dict[str, str] = {}
    for _line, rec in plan.records:
        if not isinstance(rec, FeedbackReceived):
            continue
        q = select(Journey.team).where(col(Journey.merged_into).is_(None))
        if rec.journey:
            q = q.where(Journey.ref == rec.journey)
        else:
            q = q.where(
                Journey.child_id == rec.child, col(Journey.opened_on) <= rec.at.local_date
            ).order_by(col(Journey.opened_on).desc())
        team = session.exec(q).first()
        if team is not None:
            out[rec.id] = team
    return out


# ---- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    ref: str
    action_id: str
    kind: str
    source_record: str
    description: str
    owner: str
    team: str
    opened_on: date
    due_on: date
    completed_on: date | None
    completed_by: str | None
    status: Status

    def as_json(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "action_id": self.action_id,
            "kind": self.kind,
            "source_record": self.source_record,
            "description": self.description,
            "owner": self.owner,
            "team": self.team,
            "opened_on": self.opened_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "completed_on": self.completed_on.isoformat() if self.completed_on else None,
            "completed_by": self.completed_by,
            "status": self.status,
        }


def action_rows(
    session: Session, as_of: date, *, owner: str | None = None, team: str | None = None
) -> list[ActionRow]:
    """Every action agreed by ``as_of``, with its status then (later completions not yet)."""
    q = (
        select(PracticeAction)
        .where(col(PracticeAction.opened_on) <= as_of)
        .order_by(col(PracticeAction.due_on), col(PracticeAction.action_id))
    )
    if owner is not None:
        q = q.where(PracticeAction.owner == owner)
    if team is not None:
        q = q.where(PracticeAction.team == team)
    rows = []
    for a in session.exec(q).all():
        done = a.completed_on if a.completed_on is not None and a.completed_on <= as_of else None
        rows.append(
            ActionRow(
                a.ref,
                a.action_id,
                a.kind,
                a.source_record,
                a.description,
                a.owner,
                a.team,
                a.opened_on,
                a.due_on,
                done,
                a.completed_by if done else None,
                action_status(a.opened_on, a.due_on, a.due_soon_from, done, as_of),
            )
        )
    return rows


def action_message_counts(session: Session) -> dict[tuple[str, str], int]:
    """Outbox messages about actions, by (kind, status)."""
    from models.tables import Outbox

    return {
        (kind, status): n
        for kind, status, n in session.exec(
            select(Outbox.kind, Outbox.status, sa.func.count())
            .where(col(Outbox.action_id).is_not(None))
            .group_by(col(Outbox.kind), col(Outbox.status))
        ).all()
    }


def report_inputs(session: Session, end: date) -> ReportInputs:
    """Everything the practice report reads, as plain facts (the pure report filters them)."""
    actions = tuple(
        ActionFact(
            a.ref, a.kind, a.team, a.owner, a.opened_on, a.due_on, a.due_soon_from, a.completed_on
        )
        for a in session.exec(select(PracticeAction)).all()
    )
    journeys = {
        j.id: j for j in session.exec(select(Journey).where(col(Journey.merged_into).is_(None)))
    }
    supervisions = tuple(
        SupervisionFact(
            s.worker,
            s.team,
            s.on_date,
            s.child_id,
            journeys[s.journey_id].ref if s.journey_id in journeys else None,
        )
        for s in session.exec(select(Supervision)).all()
    )
    audits = tuple(
        AuditFact(
            a.audit_id,
            a.kind,
            a.team,
            a.on_date,
            a.grade,
            tuple(a.feedback_considered.split()),
        )
        for a in session.exec(select(Audit)).all()
    )
    feedback = tuple(
        FeedbackFact(
            f.feedback_id,
            f.team,
            f.on_date,
            f.from_whom,
            f.rating,
            tuple(t.replace("_", " ") for t in f.themes.split()),
        )
        for f in session.exec(select(Feedback)).all()
    )
    journey_facts = tuple(
        JourneyFact(j.ref, j.child_id, j.team, j.worker, j.opened_on, j.ended_on)
        for j in journeys.values()
    )
    roster = {s.staff_id: s for s in session.exec(select(Staff)).all()}
    workers = tuple(
        WorkerFact(s.staff_id, s.team) for s in roster.values() if s.role == "social_worker"
    )
    team_of = {j.id: j.team for j in journeys.values()}
    ref_of = {j.id: j.ref for j in journeys.values()}
    dispensations = []
    for rid, jid, on, body in session.execute(
        sa.select(
            col(Event.record_id), col(Event.journey_id), col(Event.on_date), col(Event.payload)
        ).where(col(Event.type) == "contact_outcome", col(Event.payload).contains('"dispensed"'))
    ).all():
        data = json.loads(body)
        if data.get("consent") != "dispensed" or on is None:
            continue
        approver = data.get("approved_by")
        member = roster.get(approver) if approver else None
        dispensations.append(
            DispensationFact(
                rid,
                ref_of.get(jid) if jid is not None else None,
                team_of.get(jid, "") if jid is not None else "",
                on,
                approver,
                member.role if member else None,
                bool(data.get("consent_reason")),
            )
        )
    return ReportInputs(
        actions, supervisions, audits, feedback, journey_facts, workers, tuple(dispensations)
    )
