"""Guards: what an incoming event must satisfy beyond its own shape.

Pure domain: imports nothing from the project, nor prefect, sqlmodel, sqlalchemy or jinja2.

Facts are recorded, never refused for lateness. A guard refuses only what cannot be true or is not
authorised: a date in the future, a sequence that cannot happen (an ICPC or an s47 conclusion with
no s47 strategy discussion on or before it), a staff reference that is not on the roster, and
decisions taken by someone without the role the law or local procedure requires (consent
dispensed with: team manager or above; ICPC delay: a manager and a conference chair, WT 2023 ch.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from timescales.evaluate import EventFact
from timescales.records import (
    LONDON,
    ContactOutcome,
    IcpcDelayAgreed,
    JourneyEvent,
    RecordError,
    Role,
    role_at_least,
)


@dataclass(frozen=True)
class StaffFact:
    staff_id: str
    role: str
    team: str
    manager: str | None = None


def _known(staff: Mapping[str, StaffFact], staff_id: str, field: str) -> StaffFact:
    member = staff.get(staff_id)
    if member is None:
        raise RecordError(f"{field}: {staff_id!r} is not on the staff roster")
    return member


def check_not_future(rec: JourneyEvent, now: datetime) -> None:
    """``now`` is timezone-aware; a date-only event may be today (London) but not later."""
    today = now.astimezone(LONDON).date()
    if rec.at.local_date > today or (not rec.at.date_only and rec.at.instant > now):
        raise RecordError(f"at: {rec.at.raw} is in the future")


def check_staff_refs(rec: JourneyEvent, staff: Mapping[str, StaffFact]) -> None:
    for field in ("by", "worker"):
        value = getattr(rec, field, None)
        if value is not None:
            _known(staff, value, field)
    if isinstance(rec, ContactOutcome) and rec.consent == "dispensed":
        assert rec.approved_by is not None  # the record model requires it
        approver = _known(staff, rec.approved_by, "approved_by")
        if not role_at_least(approver.role, Role.team_manager):
            raise RecordError(
                f"approved_by: {rec.approved_by!r} is a {approver.role}; dispensing with consent "
                "needs a team manager or above"
            )
    elif isinstance(rec, ContactOutcome) and rec.approved_by is not None:
        _known(staff, rec.approved_by, "approved_by")
    if isinstance(rec, IcpcDelayAgreed):
        manager = _known(staff, rec.manager, "manager")
        if not role_at_least(manager.role, Role.team_manager):
            raise RecordError(
                f"manager: {rec.manager!r} is a {manager.role}; an ICPC delay must be agreed by "
                "a team manager or above"
            )
        chair = _known(staff, rec.chair, "chair")
        if chair.role != Role.conference_chair:
            raise RecordError(f"chair: {rec.chair!r} is a {chair.role}, not a conference chair")


def check_sequence(fact: EventFact, journey_events: Sequence[EventFact]) -> None:
    """Refuse sequences that cannot happen, judged on the journey's events in date order."""
    if fact.type in ("icpc_held", "s47_concluded"):
        has_s47 = any(
            e.type == "strategy_discussion" and e.outcome == "s47" and e.on <= fact.on
            for e in journey_events
        )
        if not has_s47:
            what = "an ICPC" if fact.type == "icpc_held" else "an s47 conclusion"
            raise RecordError(
                f"type: {what} cannot be recorded before any strategy discussion with "
                "outcome 's47' in this journey"
            )
