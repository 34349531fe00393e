"""Record contract: every record type parses; bad shapes and codes are refused, naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from timescales.records import (
    AssessmentAuthorised,
    AssessmentStarted,
    ChildDetailsRecord,
    Closed,
    ContactOutcome,
    ContactReceived,
    IcpcDelayAgreed,
    IcpcHeld,
    RecordError,
    ReferralDecision,
    Role,
    S47Concluded,
    SafetyPlanRecorded,
    StaffRecord,
    StrategyDiscussion,
    parse_at,
    parse_record,
    payload,
    role_at_least,
)

EV = {"id": "ev-1", "child": "C1", "at": "2026-03-02"}

VALID: dict[str, tuple[dict[str, Any], type]] = {
    "staff": (
        {
            "type": "staff",
            "id": "st-1",
            "staff_id": "sw1",
            "name": "Ann Smith",
            "email": "ann.smith@example.gov.uk",
            "role": "social_worker",
            "team": "A",
            "manager": "tm1",
        },
        StaffRecord,
    ),
    "child_details": (
        {
            "type": "child_details",
            "id": "cd-1",
            "child": "C1",
            "birth_date": "2015-04-01",
            "sex": "F",
            "ethnicity": "WBRI",
            "upn_unknown": "UN2",
            "disabilities": ["NONE"],
        },
        ChildDetailsRecord,
    ),
    "contact_received": (
        {**EV, "type": "contact_received", "source": "6", "team": "A", "worker": "sw1"},
        ContactReceived,
    ),
    "contact_outcome": (
        {**EV, "type": "contact_outcome", "outcome": "referral", "consent": "obtained"},
        ContactOutcome,
    ),
    "referral_decision": (
        {**EV, "type": "referral_decision", "outcome": "assessment", "primary_need": "N1"},
        ReferralDecision,
    ),
    "assessment_started": (
        {**EV, "type": "assessment_started", "worker": "sw1"},
        AssessmentStarted,
    ),
    "assessment_authorised": (
        {
            **EV,
            "type": "assessment_authorised",
            "outcome": "cin_plan",
            "factors": ["1A", "3C", "18B", "24A"],
            "child_seen": True,
        },
        AssessmentAuthorised,
    ),
    "strategy_discussion": (
        {**EV, "type": "strategy_discussion", "outcome": "s47"},
        StrategyDiscussion,
    ),
    "safety_plan_recorded": (
        {**EV, "type": "safety_plan_recorded", "document": "doc/123"},
        SafetyPlanRecorded,
    ),
    "s47_concluded": ({**EV, "type": "s47_concluded", "outcome": "icpc"}, S47Concluded),
    "icpc_delay_agreed": (
        {
            **EV,
            "type": "icpc_delay_agreed",
            "reason": "family_unavailable",
            "rationale": "Parents in hospital until 20 March",
            "manager": "tm1",
            "chair": "ch1",
        },
        IcpcDelayAgreed,
    ),
    "icpc_held": (
        {**EV, "type": "icpc_held", "outcome": "cp_plan", "category": "NEG"},
        IcpcHeld,
    ),
    "closed": ({**EV, "type": "closed", "reason": "RC8"}, Closed),
}

_DROP = object()


def _with(rtype: str, **changes: Any) -> dict[str, Any]:
    data = dict(VALID[rtype][0])
    for k, v in changes.items():
        if v is _DROP:
            data.pop(k, None)
        else:
            data[k] = v
    return data


def _refused(data: Any) -> str:
    with pytest.raises(RecordError) as info:
        parse_record(data)
    return str(info.value)


# --- valid records --------------------------------------------------------------------------------


@pytest.mark.parametrize("rtype", sorted(VALID))
def test_each_record_type_parses(rtype: str) -> None:
    data, model = VALID[rtype]
    rec = parse_record(data)
    assert type(rec) is model
    assert rec.id == data["id"]


@pytest.mark.parametrize("rtype", sorted(VALID))
def test_payload_round_trips(rtype: str) -> None:
    data, _ = VALID[rtype]
    rec = parse_record(data)
    again = parse_record(payload(rec))
    assert again == rec
    assert payload(again) == payload(rec)


def test_payload_keeps_at_as_given() -> None:
    rec = parse_record(_with("contact_received", at="2026-06-30T23:30:00Z"))
    assert payload(rec)["at"] == "2026-06-30T23:30:00Z"


def test_expected_birth_date_instead_of_birth_date() -> None:
    rec = parse_record(
        _with("child_details", birth_date=_DROP, expected_birth_date="2026-09-01", disabilities=[])
    )
    assert isinstance(rec, ChildDetailsRecord)
    assert rec.expected_birth_date == date(2026, 9, 1)


def test_consent_dispensed_with_reason_and_approver_accepted() -> None:
    rec = parse_record(
        _with(
            "contact_outcome",
            consent="dispensed",
            consent_reason="Risk of significant harm if parents told",
            approved_by="tm1",
        )
    )
    assert isinstance(rec, ContactOutcome)
    assert rec.approved_by == "tm1"


def test_factor_21_alone_accepted() -> None:
    rec = parse_record(_with("assessment_authorised", factors=["21"]))
    assert isinstance(rec, AssessmentAuthorised)
    assert rec.factors == ["21"]


def test_icpc_no_plan_without_category_accepted() -> None:
    rec = parse_record(_with("icpc_held", outcome="no_plan", category=_DROP))
    assert isinstance(rec, IcpcHeld)
    assert rec.category is None


def test_outcome_value_property() -> None:
    assert parse_record(VALID["strategy_discussion"][0]).outcome_value == "s47"  # type: ignore[union-attr]
    assert parse_record(VALID["assessment_started"][0]).outcome_value is None  # type: ignore[union-attr]


# --- structural refusals --------------------------------------------------------------------------


def test_unknown_field_refused_naming_it() -> None:
    msg = _refused(_with("contact_received", colour="red"))
    assert "colour: unknown field" in msg


def test_unknown_type_refused() -> None:
    msg = _refused({**EV, "type": "contact_recieved"})
    assert "type" in msg
    assert "contact_recieved" in msg


def test_missing_type_refused() -> None:
    assert "type: required field missing" in _refused({**EV})


def test_non_object_refused() -> None:
    assert "JSON object" in _refused(["not", "an", "object"])


@pytest.mark.parametrize(
    ("rtype", "field"),
    [
        ("contact_received", "source"),
        ("contact_received", "team"),
        ("contact_received", "child"),
        ("contact_received", "at"),
        ("contact_received", "id"),
        ("contact_outcome", "consent"),
        ("icpc_delay_agreed", "chair"),
        ("closed", "reason"),
        ("staff", "email"),
    ],
)
def test_missing_required_field_refused_naming_it(rtype: str, field: str) -> None:
    msg = _refused(_with(rtype, **{field: _DROP}))
    assert f"{field}: required field missing" in msg


def test_several_problems_reported_together() -> None:
    msg = _refused(_with("contact_received", source=_DROP, colour="red"))
    assert "source: required field missing" in msg
    assert "colour: unknown field" in msg


@pytest.mark.parametrize("bad_id", ["has space", "", "-leading-dash", "x" * 101])
def test_bad_id_refused(bad_id: str) -> None:
    assert "id:" in _refused(_with("closed", id=bad_id))


def test_bad_outcome_refused_naming_field() -> None:
    assert "outcome:" in _refused(_with("strategy_discussion", outcome="maybe"))


def test_bad_role_refused() -> None:
    assert "role:" in _refused(_with("staff", role="director"))


def test_bad_email_refused() -> None:
    assert "email:" in _refused(_with("staff", email="not-an-email"))


# --- at: dates, datetimes, offsets, Europe/London -------------------------------------------------


def test_naive_datetime_refused() -> None:
    msg = _refused(_with("contact_received", at="2026-06-30T23:30:00"))
    assert msg.startswith("at:")
    assert "offset" in msg


def test_datetime_object_refused_by_parse_at() -> None:
    with pytest.raises(ValueError):
        parse_at(datetime(2026, 6, 30, 12, tzinfo=UTC))


@pytest.mark.parametrize("bad", ["2026-02-30", "yesterday", "30/06/2026", ""])
def test_unparseable_at_refused(bad: str) -> None:
    assert _refused(_with("contact_received", at=bad)).startswith("at:")


def test_non_string_at_refused() -> None:
    assert _refused(_with("contact_received", at=20260630)).startswith("at:")


def test_utc_late_evening_in_summer_is_next_london_day() -> None:
    rec = parse_record(_with("contact_received", at="2026-06-30T23:30:00Z"))
    assert rec.at.local_date == date(2026, 7, 1)  # type: ignore[union-attr]
    assert rec.at.date_only is False  # type: ignore[union-attr]
    assert rec.at.instant == datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # type: ignore[union-attr]


def test_utc_late_evening_in_winter_is_same_london_day() -> None:
    t = parse_at("2026-01-15T23:30:00Z")
    assert t.local_date == date(2026, 1, 15)


def test_explicit_bst_offset() -> None:
    t = parse_at("2026-07-01T00:30:00+01:00")
    assert t.local_date == date(2026, 7, 1)
    assert t.instant == datetime(2026, 6, 30, 23, 30, tzinfo=UTC)


def test_foreign_offset_converted_to_london_date() -> None:
    # 09:00 in New York on 30 June is 14:00 London the same day; 22:00 there is 03:00 next day here
    assert parse_at("2026-06-30T09:00:00-04:00").local_date == date(2026, 6, 30)
    assert parse_at("2026-06-30T22:00:00-04:00").local_date == date(2026, 7, 1)


def test_date_only_is_that_local_date() -> None:
    t = parse_at("2026-06-30")
    assert t.date_only is True
    assert t.local_date == date(2026, 6, 30)
    assert t.raw == "2026-06-30"
    assert t.instant.tzinfo is not None
    # whatever instant stands in for a date alone, it must fall on that London date
    assert t.instant.astimezone(UTC).date() == date(2026, 6, 30)


# --- code lists -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rtype", "field", "value"),
    [
        ("contact_received", "source", "11"),
        ("contact_received", "source", "1E"),
        ("contact_received", "source", "3G"),
        ("referral_decision", "primary_need", "N10"),
        ("referral_decision", "primary_need", "n1"),
        ("closed", "reason", "RC10"),
        ("closed", "reason", "RC0"),
        ("child_details", "ethnicity", "WXYZ"),
        ("child_details", "upn_unknown", "UN8"),
        ("child_details", "sex", "X"),
        ("child_details", "disabilities", ["NONE", "MOB"]),
        ("child_details", "disabilities", ["WHEEL"]),
        ("assessment_authorised", "factors", ["21", "1A"]),
        ("assessment_authorised", "factors", ["7B"]),
        ("assessment_authorised", "factors", ["18A"]),
    ],
)
def test_bad_code_refused_naming_field(rtype: str, field: str, value: Any) -> None:
    msg = _refused(_with(rtype, **{field: value}))
    assert msg.startswith(f"{field}:"), msg


@pytest.mark.parametrize("source", ["1A", "2B", "3F", "4", "5D", "6", "7", "8", "9", "10"])
def test_referral_sources_accepted(source: str) -> None:
    assert isinstance(parse_record(_with("contact_received", source=source)), ContactReceived)


def test_bad_category_refused() -> None:
    msg = _refused(_with("icpc_held", category="XYZ"))
    assert "category" in msg
    assert "XYZ" in msg


def test_cp_plan_needs_category() -> None:
    msg = _refused(_with("icpc_held", category=_DROP))
    assert "category" in msg


def test_category_without_cp_plan_refused() -> None:
    assert "category" in _refused(_with("icpc_held", outcome="no_plan", category="NEG"))


def test_consent_dispensed_without_reason_refused() -> None:
    msg = _refused(_with("contact_outcome", consent="dispensed", approved_by="tm1"))
    assert "consent_reason" in msg


def test_consent_dispensed_with_blank_reason_refused() -> None:
    msg = _refused(
        _with("contact_outcome", consent="dispensed", consent_reason="   ", approved_by="tm1")
    )
    assert "consent_reason" in msg


def test_consent_dispensed_without_approver_refused() -> None:
    msg = _refused(_with("contact_outcome", consent="dispensed", consent_reason="Risk of harm"))
    assert "approved_by" in msg


def test_birth_date_exactly_one() -> None:
    assert "birth_date" in _refused(_with("child_details", birth_date=_DROP))
    assert "birth_date" in _refused(_with("child_details", expected_birth_date="2026-09-01"))


def test_icpc_delay_needs_rationale() -> None:
    assert "rationale:" in _refused(_with("icpc_delay_agreed", rationale=""))


# --- roles ----------------------------------------------------------------------------------------


def test_role_at_least_follows_management_line() -> None:
    assert role_at_least(Role.team_manager, Role.team_manager)
    assert role_at_least("service_manager", "team_manager")
    assert role_at_least(Role.head_of_service, Role.team_manager)
    assert not role_at_least(Role.social_worker, Role.team_manager)
    assert not role_at_least(Role.team_manager, Role.service_manager)


def test_roles_off_the_line_rank_nowhere() -> None:
    assert not role_at_least(Role.conference_chair, Role.social_worker)
    assert not role_at_least(Role.ops, Role.social_worker)
    assert not role_at_least("nobody", Role.social_worker)
