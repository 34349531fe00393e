"""Guards: future dates, staff references and roles, and impossible sequences are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from timescales.evaluate import EventFact
from timescales.guards import (
    StaffFact,
    check_not_future,
    check_sequence,
    check_staff_refs,
)
from timescales.records import JourneyEvent, RecordError, parse_record

STAFF = {
    "sw1": StaffFact("sw1", "social_worker", "A", "tm1"),
    "tm1": StaffFact("tm1", "team_manager", "A", "sm1"),
    "sm1": StaffFact("sm1", "service_manager", "A", "hos1"),
    "hos1": StaffFact("hos1", "head_of_service", "A"),
    "ch1": StaffFact("ch1", "conference_chair", "CPU"),
    "ops1": StaffFact("ops1", "ops", "Performance"),
}


def event(rtype: str, at: str = "2026-03-02", **fields: Any) -> JourneyEvent:
    rec = parse_record({"type": rtype, "id": "ev-1", "child": "C1", "at": at, **fields})
    assert isinstance(rec, JourneyEvent)
    return rec


def dispensed(approver: str) -> JourneyEvent:
    return event(
        "contact_outcome",
        outcome="referral",
        consent="dispensed",
        consent_reason="Telling the parents would put the child at risk",
        approved_by=approver,
    )


def delay(manager: str, chair: str) -> JourneyEvent:
    return event(
        "icpc_delay_agreed",
        reason="family_unavailable",
        rationale="Parent in hospital",
        manager=manager,
        chair=chair,
    )


def refused(check: Any, *args: Any) -> str:
    with pytest.raises(RecordError) as info:
        check(*args)
    return str(info.value)


# --- not in the future ----------------------------------------------------------------------------


NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # Tue 10 March 2026, 14:00 London (GMT)


def test_past_and_today_date_only_accepted() -> None:
    check_not_future(event("contact_received", "2026-03-09", source="6", team="A"), NOW)
    check_not_future(event("contact_received", "2026-03-10", source="6", team="A"), NOW)


def test_date_only_today_accepted_even_before_noon() -> None:
    early = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
    check_not_future(event("contact_received", "2026-03-10", source="6", team="A"), early)


def test_date_only_tomorrow_refused() -> None:
    msg = refused(
        check_not_future, event("contact_received", "2026-03-11", source="6", team="A"), NOW
    )
    assert msg.startswith("at:")
    assert "future" in msg


def test_datetime_one_minute_ahead_refused() -> None:
    ahead = (NOW + timedelta(minutes=1)).isoformat()
    msg = refused(check_not_future, event("contact_received", ahead, source="6", team="A"), NOW)
    assert "future" in msg


def test_datetime_one_minute_ago_accepted() -> None:
    ago = (NOW - timedelta(minutes=1)).isoformat()
    check_not_future(event("contact_received", ago, source="6", team="A"), NOW)


def test_today_judged_in_london_not_utc() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London: a date-only 1 July is today, not future
    now = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    check_not_future(event("contact_received", "2026-07-01", source="6", team="A"), now)
    with pytest.raises(RecordError):
        check_not_future(event("contact_received", "2026-07-02", source="6", team="A"), now)


def test_now_in_another_zone_is_the_same_instant() -> None:
    now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    check_not_future(event("contact_received", "2026-03-10T14:59:00Z", source="6", team="A"), now)
    with pytest.raises(RecordError):
        check_not_future(
            event("contact_received", "2026-03-10T15:01:00Z", source="6", team="A"), now
        )


# --- staff references and roles -------------------------------------------------------------------


def test_known_by_and_worker_accepted() -> None:
    check_staff_refs(event("contact_received", source="6", team="A", worker="sw1", by="sw1"), STAFF)
    check_staff_refs(event("referral_decision", outcome="assessment", worker="sw1"), STAFF)


@pytest.mark.parametrize("field", ["by", "worker"])
def test_unknown_worker_refused(field: str) -> None:
    rec = event("contact_received", source="6", team="A", **{field: "ghost"})
    msg = refused(check_staff_refs, rec, STAFF)
    assert msg.startswith(f"{field}:")
    assert "ghost" in msg


@pytest.mark.parametrize("approver", ["tm1", "sm1", "hos1"])
def test_consent_dispensed_by_manager_accepted(approver: str) -> None:
    check_staff_refs(dispensed(approver), STAFF)


@pytest.mark.parametrize("approver", ["sw1", "ch1", "ops1"])
def test_consent_dispensed_below_team_manager_refused(approver: str) -> None:
    msg = refused(check_staff_refs, dispensed(approver), STAFF)
    assert msg.startswith("approved_by:")
    assert "team manager" in msg


def test_consent_dispensed_by_unknown_approver_refused() -> None:
    msg = refused(check_staff_refs, dispensed("ghost"), STAFF)
    assert msg.startswith("approved_by:")
    assert "roster" in msg


def test_approver_on_obtained_consent_must_still_be_known() -> None:
    ok = event("contact_outcome", outcome="advice", consent="obtained", approved_by="sw1")
    check_staff_refs(ok, STAFF)
    bad = event("contact_outcome", outcome="advice", consent="obtained", approved_by="ghost")
    assert refused(check_staff_refs, bad, STAFF).startswith("approved_by:")


@pytest.mark.parametrize("manager", ["tm1", "sm1", "hos1"])
def test_icpc_delay_by_manager_and_chair_accepted(manager: str) -> None:
    check_staff_refs(delay(manager, "ch1"), STAFF)


@pytest.mark.parametrize("manager", ["sw1", "ch1", "ops1"])
def test_icpc_delay_manager_below_team_manager_refused(manager: str) -> None:
    msg = refused(check_staff_refs, delay(manager, "ch1"), STAFF)
    assert msg.startswith("manager:")


@pytest.mark.parametrize("chair", ["tm1", "sw1", "hos1"])
def test_icpc_delay_chair_must_be_conference_chair(chair: str) -> None:
    msg = refused(check_staff_refs, delay("tm1", chair), STAFF)
    assert msg.startswith("chair:")
    assert "conference chair" in msg


@pytest.mark.parametrize(
    ("manager", "chair", "field"), [("ghost", "ch1", "manager"), ("tm1", "ghost", "chair")]
)
def test_icpc_delay_unknown_staff_refused(manager: str, chair: str, field: str) -> None:
    msg = refused(check_staff_refs, delay(manager, chair), STAFF)
    assert msg.startswith(f"{field}:")
    assert "roster" in msg


# --- sequences that cannot happen -----------------------------------------------------------------


def fact(kind: str, on: date, outcome: str | None = None) -> EventFact:
    return EventFact(
        id=f"{kind}:{on}",
        type=kind,
        on=on,
        instant=datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
        outcome=outcome,
    )


CONTACT = fact("contact_received", date(2026, 3, 2))
S47 = fact("strategy_discussion", date(2026, 3, 5), "s47")


@pytest.mark.parametrize(("kind", "outcome"), [("icpc_held", "no_plan"), ("s47_concluded", "icpc")])
def test_icpc_or_conclusion_without_s47_discussion_refused(kind: str, outcome: str) -> None:
    new = fact(kind, date(2026, 3, 20), outcome)
    msg = refused(check_sequence, new, [CONTACT])
    assert "s47" in msg
    no_s47 = fact("strategy_discussion", date(2026, 3, 5), "no_s47")
    assert "s47" in refused(check_sequence, new, [CONTACT, no_s47])


@pytest.mark.parametrize(
    ("kind", "outcome"), [("icpc_held", "cp_plan"), ("s47_concluded", "no_icpc")]
)
def test_s47_discussion_after_the_event_does_not_count(kind: str, outcome: str) -> None:
    new = fact(kind, date(2026, 3, 4), outcome)
    with pytest.raises(RecordError):
        check_sequence(new, [CONTACT, S47])


@pytest.mark.parametrize(("kind", "outcome"), [("icpc_held", "cp_plan"), ("s47_concluded", "icpc")])
def test_allowed_after_s47_discussion_including_same_day(kind: str, outcome: str) -> None:
    check_sequence(fact(kind, date(2026, 3, 20), outcome), [CONTACT, S47])
    check_sequence(fact(kind, date(2026, 3, 5), outcome), [CONTACT, S47])


def test_other_events_have_no_sequence_rule() -> None:
    check_sequence(fact("safety_plan_recorded", date(2026, 3, 2)), [])
    check_sequence(fact("closed", date(2026, 3, 2)), [])
    check_sequence(fact("strategy_discussion", date(2026, 3, 2), "s47"), [])
