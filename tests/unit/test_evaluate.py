"""Gate evaluation over the default pathway, with due dates worked out by hand.

Calendar used throughout (England, 2026):

    March 2026            April 2026                     May 2026
    Mo Tu We Th Fr        Mo Tu We Th Fr                 Mo Tu We Th Fr
           ...  -          -  -  1  2 [3] Good Friday     -  -  -  -  1
     2  3  4  5  6        [6] 7  8  9 10  Easter Monday  [4] 5  6  7  8  Early May
     9 10 11 12 13        13 14 15 16 17                 11 12 13 14 15
    16 17 18 19 20        20 21 22 23 24
    23 24 25 26 27        27 28 29 30
    30 31
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from timescales.calendar import OutsideCalendarHorizon
from timescales.evaluate import (
    FLAG_ICPC_WITHOUT_SAFETY_PLAN,
    Clock,
    EventFact,
    JourneyEvaluation,
    TimerPlan,
    clock_status,
    evaluate,
    plan_timers,
    state_name,
    status_of,
    working_days_late,
)
from timescales.pathway import load_pathway, pathway_from_dict

DEFAULT = Path(__file__).resolve().parents[2] / "pathways" / "default.yaml"
PATHWAY = load_pathway(DEFAULT)
CAL = PATHWAY.working_calendar()


def D(month: int, day: int) -> date:
    return date(2026, month, day)


def fact(kind: str, on: date, outcome: str | None = None, *, fid: str | None = None) -> EventFact:
    return EventFact(
        id=fid or f"{kind}:{outcome or '-'}:{on.isoformat()}",
        type=kind,
        on=on,
        instant=datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
        outcome=outcome,
    )


def run(*events: EventFact) -> JourneyEvaluation:
    return evaluate(PATHWAY, CAL, events)


def clock(ev: JourneyEvaluation, gate: str) -> Clock:
    c = ev.clock(gate)
    assert c is not None, f"no {gate} clock"
    return c


def status(ev: JourneyEvaluation, gate: str, as_of: date) -> str:
    return status_of(clock(ev, gate), as_of)


def timers_for(ev: JourneyEvaluation, gate: str) -> list[TimerPlan]:
    return [t for t in ev.timers if t.gate == gate]


# Building blocks of the journey (all on the March 2026 grid above).
CONTACT = fact("contact_received", D(3, 2))
REFERRAL = fact("contact_outcome", D(3, 2), "referral")
TO_STRATEGY = fact("referral_decision", D(3, 3), "strategy_discussion")
S47 = fact("strategy_discussion", D(3, 3), "s47")  # icpc due Tue 24 March


# --- contact_decision -----------------------------------------------------------------------------


def test_contact_decision_starts_at_contact_and_is_due_next_working_day() -> None:
    ev = run(CONTACT)
    c = clock(ev, "contact_decision")
    assert (c.started_on, c.due_on) == (D(3, 2), D(3, 3))
    assert c.kind == "local"
    assert c.is_open
    # reminder offset of 2 would fall before the start: due soon from the start itself
    assert c.due_soon_from == D(3, 2)
    assert status(ev, "contact_decision", D(3, 1)) == "not_started"
    assert status(ev, "contact_decision", D(3, 2)) == "due_soon"
    assert status(ev, "contact_decision", D(3, 3)) == "due_soon"
    assert status(ev, "contact_decision", D(3, 4)) == "overdue"


def test_contact_on_friday_is_due_monday() -> None:
    c = clock(run(fact("contact_received", D(3, 6))), "contact_decision")
    assert c.due_on == D(3, 9)


def test_contact_on_saturday_is_day0_and_due_monday() -> None:
    c = clock(run(fact("contact_received", D(3, 7))), "contact_decision")
    assert (c.started_on, c.due_on) == (D(3, 7), D(3, 9))


def test_contact_decision_met_and_met_late() -> None:
    on_time = run(CONTACT, fact("contact_outcome", D(3, 3), "advice"))
    assert clock(on_time, "contact_decision").stopped_on == D(3, 3)
    assert status(on_time, "contact_decision", D(3, 3)) == "met"
    # as of the day before the outcome, the outcome has not happened yet
    assert status(on_time, "contact_decision", D(3, 2)) == "due_soon"
    late = run(CONTACT, fact("contact_outcome", D(3, 4), "early_help"))
    assert status(late, "contact_decision", D(3, 4)) == "met_late"
    assert status(late, "contact_decision", D(3, 3)) == "due_soon"


def test_contact_outcome_other_than_referral_starts_no_referral_clocks() -> None:
    ev = run(CONTACT, fact("contact_outcome", D(3, 2), "no_further_action"))
    assert ev.clock("referral_decision") is None
    assert ev.clock("assessment") is None
    assert ev.timers == ()


# --- referral_decision and assessment -------------------------------------------------------------


def test_referral_starts_referral_decision_and_assessment() -> None:
    ev = run(CONTACT, REFERRAL)
    rd = clock(ev, "referral_decision")
    assert (rd.started_on, rd.due_on, rd.kind) == (D(3, 2), D(3, 3), "statutory")
    a = clock(ev, "assessment")
    # 45 working days from Mon 2 March, skipping Good Friday, Easter Monday and 4 May
    assert (a.started_on, a.due_on) == (D(3, 2), D(5, 7))
    assert a.due_soon_from == D(5, 5)  # 2 working days before Thu 7 May (4 May is closed)
    assert a.start_event == REFERRAL.id


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (D(3, 1), "not_started"),
        (D(3, 2), "open"),
        (D(3, 10), "open"),
        (D(5, 4), "open"),
        (D(5, 5), "due_soon"),
        (D(5, 7), "due_soon"),
        (D(5, 8), "overdue"),
    ],
)
def test_assessment_status_over_time(as_of: date, expected: str) -> None:
    assert status(run(CONTACT, REFERRAL), "assessment", as_of) == expected


def test_assessment_met_on_due_day_and_late_the_day_after() -> None:
    on_time = run(CONTACT, REFERRAL, fact("assessment_authorised", D(5, 7), "cin_plan"))
    assert status(on_time, "assessment", D(6, 1)) == "met"
    late = run(CONTACT, REFERRAL, fact("assessment_authorised", D(5, 8), "cin_plan"))
    assert status(late, "assessment", D(6, 1)) == "met_late"
    assert working_days_late(CAL, clock(late, "assessment").due_on, D(5, 8)) == 1


def test_assessment_started_event_does_not_move_the_clock() -> None:
    ev = run(CONTACT, REFERRAL, fact("assessment_started", D(3, 10)))
    assert clock(ev, "assessment").started_on == D(3, 2)


def test_referral_decision_met_and_met_late() -> None:
    on_time = run(CONTACT, REFERRAL, fact("referral_decision", D(3, 3), "assessment"))
    assert status(on_time, "referral_decision", D(3, 3)) == "met"
    late = run(CONTACT, REFERRAL, fact("referral_decision", D(3, 5), "assessment"))
    assert status(late, "referral_decision", D(3, 4)) == "overdue"
    assert status(late, "referral_decision", D(3, 5)) == "met_late"


def test_referral_nfa_cancels_assessment() -> None:
    ev = run(CONTACT, REFERRAL, fact("referral_decision", D(3, 3), "no_further_action"))
    a = clock(ev, "assessment")
    assert a.cancelled_on == D(3, 3)
    assert a.stopped_on is None
    assert status(ev, "assessment", D(3, 2)) == "open"
    assert status(ev, "assessment", D(3, 3)) == "cancelled"
    assert status(ev, "assessment", D(6, 1)) == "cancelled"
    assert status(ev, "referral_decision", D(3, 3)) == "met"
    assert timers_for(ev, "assessment") == []
    assert ev.stage == "no_further_action"


def test_referral_to_assessment_does_not_start_strategy_gate() -> None:
    ev = run(CONTACT, REFERRAL, fact("referral_decision", D(3, 3), "assessment"))
    assert ev.clock("strategy_discussion") is None
    assert clock(ev, "assessment").is_open


# --- strategy_discussion --------------------------------------------------------------------------


def test_strategy_gate_from_referral_decision() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY)
    sd = clock(ev, "strategy_discussion")
    assert (sd.started_on, sd.due_on) == (D(3, 3), D(3, 4))
    assert status(ev, "strategy_discussion", D(3, 5)) == "overdue"
    met = run(CONTACT, REFERRAL, TO_STRATEGY, fact("strategy_discussion", D(3, 4), "no_s47"))
    assert status(met, "strategy_discussion", D(3, 4)) == "met"
    late = run(CONTACT, REFERRAL, TO_STRATEGY, fact("strategy_discussion", D(3, 5), "s47"))
    assert status(late, "strategy_discussion", D(3, 5)) == "met_late"


def test_strategy_gate_same_day_discussion_is_met() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47)
    sd = clock(ev, "strategy_discussion")
    assert (sd.started_on, sd.stopped_on) == (D(3, 3), D(3, 3))
    assert status(ev, "strategy_discussion", D(3, 3)) == "met"


def test_strategy_gate_from_assessment_outcome() -> None:
    ev = run(
        CONTACT,
        REFERRAL,
        fact("referral_decision", D(3, 3), "assessment"),
        fact("assessment_authorised", D(3, 20), "strategy_discussion"),
    )
    sd = clock(ev, "strategy_discussion")
    assert (sd.started_on, sd.due_on) == (D(3, 20), D(3, 23))  # Fri -> Mon
    assert status(ev, "assessment", D(3, 20)) == "met"
    assert ev.stage == "strategy"


# --- icpc (latest strategy discussion) and icpc_s47_start (first) ---------------------------------


def test_icpc_clocks_start_at_s47_strategy_discussion() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47)
    for gate in ("icpc", "icpc_s47_start"):
        c = clock(ev, gate)
        assert (c.started_on, c.due_on, c.kind) == (D(3, 3), D(3, 24), "statutory")
        assert c.start_event == S47.id
    assert clock(ev, "icpc_s47_start").reporting_only
    assert not clock(ev, "icpc").reporting_only


def test_no_s47_discussion_starts_no_icpc_clock() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, fact("strategy_discussion", D(3, 3), "no_s47"))
    assert ev.clock("icpc") is None
    assert ev.clock("icpc_s47_start") is None
    assert ev.stage == "child_in_need"


def test_second_s47_discussion_moves_icpc_but_not_s47_start_clock() -> None:
    second = fact("strategy_discussion", D(3, 9), "s47", fid="sd-2")
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, second)
    icpc = clock(ev, "icpc")
    assert (icpc.started_on, icpc.due_on, icpc.start_event) == (D(3, 9), D(3, 30), "sd-2")
    first = clock(ev, "icpc_s47_start")
    assert (first.started_on, first.due_on, first.start_event) == (D(3, 3), D(3, 24), S47.id)


def test_later_no_s47_discussion_does_not_move_icpc() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("strategy_discussion", D(3, 9), "no_s47"))
    assert clock(ev, "icpc").due_on == D(3, 24)


def test_icpc_held_stops_both_clocks_each_against_its_own_due_date() -> None:
    second = fact("strategy_discussion", D(3, 9), "s47")
    held = fact("icpc_held", D(3, 27), "no_plan")
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, second, held)
    assert clock(ev, "icpc").stopped_on == D(3, 27)
    assert status(ev, "icpc", D(3, 27)) == "met"  # due 30 March
    assert status(ev, "icpc_s47_start", D(3, 27)) == "met_late"  # due 24 March


def test_icpc_on_due_day_is_met() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("icpc_held", D(3, 24), "no_plan"))
    assert status(ev, "icpc", D(3, 24)) == "met"
    assert status(ev, "icpc_s47_start", D(3, 24)) == "met"


def test_icpc_statuses_over_time() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47)
    assert status(ev, "icpc", D(3, 2)) == "not_started"
    assert status(ev, "icpc", D(3, 19)) == "open"
    assert status(ev, "icpc", D(3, 20)) == "due_soon"  # 2 wd before Tue 24
    assert status(ev, "icpc", D(3, 24)) == "due_soon"
    assert status(ev, "icpc", D(3, 25)) == "overdue"


def test_s47_concluded_no_icpc_cancels_both_icpc_gates() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("s47_concluded", D(3, 16), "no_icpc"))
    for gate in ("icpc", "icpc_s47_start"):
        assert clock(ev, gate).cancelled_on == D(3, 16)
        assert status(ev, gate, D(3, 16)) == "cancelled"
        assert status(ev, gate, D(3, 13)) == "open"
        assert timers_for(ev, gate) == []
    assert ev.clock("icpc_delay_rationale") is None
    assert ev.clock("safety_plan") is None
    assert ev.stage == "child_in_need"


# --- closed ---------------------------------------------------------------------------------------


def test_closed_cancels_every_open_gate_and_ends_journey() -> None:
    closed = fact("closed", D(3, 10), "RC7")
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("s47_concluded", D(3, 6), "icpc"), closed)
    open_before = {"assessment", "icpc", "icpc_s47_start", "safety_plan"}
    for gate in open_before:
        assert clock(ev, gate).cancelled_on == D(3, 10), gate
        assert status(ev, gate, D(3, 10)) == "cancelled"
    # gates already stopped keep their stop
    for gate in ("contact_decision", "referral_decision", "strategy_discussion"):
        assert clock(ev, gate).cancelled_on is None
        assert clock(ev, gate).stopped_on is not None
    assert ev.timers == ()
    assert ev.stage == "closed"
    assert ev.ended_on == D(3, 10)
    assert state_name(PATHWAY, ev, D(6, 1)) == "Closed"


def test_events_after_closure_do_not_reopen_a_cancelled_gate() -> None:
    ev = run(
        CONTACT,
        REFERRAL,
        fact("closed", D(3, 4)),
        fact("assessment_authorised", D(3, 10), "cin_plan"),
    )
    a = clock(ev, "assessment")
    assert a.cancelled_on == D(3, 4)
    assert a.stopped_on is None


# --- safety_plan ----------------------------------------------------------------------------------


CONCLUDED_ICPC = fact("s47_concluded", D(3, 10), "icpc")


def test_safety_plan_starts_at_s47_concluded_icpc() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, CONCLUDED_ICPC)
    sp = clock(ev, "safety_plan")
    assert (sp.started_on, sp.due_on) == (D(3, 10), D(3, 11))
    assert ev.stage == "awaiting_icpc"
    met = run(
        CONTACT, REFERRAL, TO_STRATEGY, S47, CONCLUDED_ICPC, fact("safety_plan_recorded", D(3, 11))
    )
    assert status(met, "safety_plan", D(3, 11)) == "met"


def test_safety_plan_recorded_before_conclusion_meets_the_gate() -> None:
    # The Ofsted control wants the plan on record before the s47 is concluded 'icpc'.
    for plan_on in (D(3, 6), D(3, 10)):
        ev = run(
            CONTACT,
            REFERRAL,
            TO_STRATEGY,
            S47,
            fact("safety_plan_recorded", plan_on),
            CONCLUDED_ICPC,
            fact("icpc_held", D(3, 20), "cp_plan"),
        )
        sp = clock(ev, "safety_plan")
        assert (sp.started_on, sp.stopped_on) == (D(3, 10), D(3, 10)), plan_on
        assert status(ev, "safety_plan", D(3, 20)) == "met"
        assert timers_for(ev, "safety_plan") == []
        assert ev.flags == ()


def test_icpc_held_without_safety_plan_keeps_gate_open_and_flags() -> None:
    ev = run(
        CONTACT, REFERRAL, TO_STRATEGY, S47, CONCLUDED_ICPC, fact("icpc_held", D(3, 20), "cp_plan")
    )
    sp = clock(ev, "safety_plan")
    assert sp.is_open
    assert sp.started_on == D(3, 10)
    assert status(ev, "safety_plan", D(3, 20)) == "overdue"
    assert FLAG_ICPC_WITHOUT_SAFETY_PLAN in ev.flags
    assert [t.kind for t in timers_for(ev, "safety_plan")].count("escalation") == 3
    assert state_name(PATHWAY, ev, D(3, 20)) == "Overdue"


def test_icpc_held_starts_safety_plan_when_no_s47_conclusion_recorded() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("icpc_held", D(3, 20), "no_plan"))
    sp = clock(ev, "safety_plan")
    assert (sp.started_on, sp.due_on) == (D(3, 20), D(3, 23))
    assert sp.is_open
    assert FLAG_ICPC_WITHOUT_SAFETY_PLAN in ev.flags


def test_plan_recorded_after_icpc_stops_gate_late_but_flag_stays() -> None:
    ev = run(
        CONTACT,
        REFERRAL,
        TO_STRATEGY,
        S47,
        CONCLUDED_ICPC,
        fact("icpc_held", D(3, 20), "cp_plan"),
        fact("safety_plan_recorded", D(3, 23)),
    )
    assert clock(ev, "safety_plan").stopped_on == D(3, 23)
    assert status(ev, "safety_plan", D(3, 23)) == "met_late"
    assert FLAG_ICPC_WITHOUT_SAFETY_PLAN in ev.flags


def test_plan_same_day_as_icpc_is_no_flag() -> None:
    ev = run(
        CONTACT,
        REFERRAL,
        TO_STRATEGY,
        S47,
        fact("icpc_held", D(3, 20), "cp_plan"),
        fact("safety_plan_recorded", D(3, 20)),
    )
    assert ev.flags == ()


# --- icpc_delay_rationale (derived) ---------------------------------------------------------------


def test_no_delay_rationale_clock_when_icpc_on_time() -> None:
    for held_on in (D(3, 20), D(3, 24)):
        ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("icpc_held", held_on, "no_plan"))
        assert ev.clock("icpc_delay_rationale") is None
        assert timers_for(ev, "icpc_delay_rationale") == []


def test_delay_rationale_starts_working_day_after_icpc_due() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47)
    d = clock(ev, "icpc_delay_rationale")
    assert (d.started_on, d.due_on) == (D(3, 25), D(3, 26))
    assert status(ev, "icpc_delay_rationale", D(3, 24)) == "not_started"
    assert status(ev, "icpc_delay_rationale", D(3, 25)) == "due_soon"
    assert status(ev, "icpc_delay_rationale", D(3, 26)) == "due_soon"
    assert status(ev, "icpc_delay_rationale", D(3, 27)) == "overdue"


def test_delay_rationale_start_skips_easter() -> None:
    # s47 on Thu 12 March: ICPC due Thu 2 April; next working day is Tue 7 April
    ev = run(fact("strategy_discussion", D(3, 12), "s47"))
    assert clock(ev, "icpc").due_on == D(4, 2)
    d = clock(ev, "icpc_delay_rationale")
    assert (d.started_on, d.due_on) == (D(4, 7), D(4, 8))


def test_delay_rationale_follows_latest_strategy_discussion() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("strategy_discussion", D(3, 9), "s47"))
    assert clock(ev, "icpc_delay_rationale").started_on == D(3, 31)


def test_late_icpc_still_needs_delay_rationale() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("icpc_held", D(3, 27), "no_plan"))
    assert status(ev, "icpc", D(3, 27)) == "met_late"
    d = clock(ev, "icpc_delay_rationale")
    assert d.started_on == D(3, 25)
    assert d.is_open
    assert status(ev, "icpc_delay_rationale", D(3, 27)) == "overdue"


@pytest.mark.parametrize(
    ("agreed_on", "stopped_on", "expected"),
    [
        (D(3, 20), D(3, 25), "met"),  # agreed before the ICPC was due: met on its start day
        (D(3, 24), D(3, 25), "met"),
        (D(3, 25), D(3, 25), "met"),
        (D(3, 26), D(3, 26), "met"),
        (D(3, 30), D(3, 30), "met_late"),
    ],
)
def test_delay_rationale_stopped_by_agreement(
    agreed_on: date, stopped_on: date, expected: str
) -> None:
    ev = run(
        CONTACT,
        REFERRAL,
        TO_STRATEGY,
        S47,
        fact("icpc_delay_agreed", agreed_on),
        fact("icpc_held", D(4, 1), "no_plan"),
    )
    d = clock(ev, "icpc_delay_rationale")
    assert d.started_on == D(3, 25)
    assert d.stopped_on == stopped_on
    assert status(ev, "icpc_delay_rationale", D(4, 1)) == expected


def test_delay_agreed_but_icpc_on_time_no_clock() -> None:
    ev = run(
        CONTACT,
        REFERRAL,
        TO_STRATEGY,
        S47,
        fact("icpc_delay_agreed", D(3, 10)),
        fact("icpc_held", D(3, 24), "no_plan"),
    )
    assert ev.clock("icpc_delay_rationale") is None


def test_s47_no_icpc_after_due_cancels_delay_rationale() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("s47_concluded", D(3, 26), "no_icpc"))
    assert status(ev, "icpc", D(3, 26)) == "cancelled"
    d = clock(ev, "icpc_delay_rationale")
    assert d.cancelled_on == D(3, 26)
    assert status(ev, "icpc_delay_rationale", D(3, 25)) == "due_soon"
    assert status(ev, "icpc_delay_rationale", D(3, 26)) == "cancelled"


def test_closed_cancels_delay_rationale() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("closed", D(3, 27), "RC7"))
    assert clock(ev, "icpc_delay_rationale").cancelled_on == D(3, 27)
    assert timers_for(ev, "icpc_delay_rationale") == []


# --- late entry -----------------------------------------------------------------------------------


FULL_JOURNEY = (
    CONTACT,
    REFERRAL,
    TO_STRATEGY,
    S47,
    fact("strategy_discussion", D(3, 9), "s47", fid="sd-2"),
    fact("safety_plan_recorded", D(3, 12)),
    fact("s47_concluded", D(3, 12), "icpc"),
    fact("icpc_delay_agreed", D(3, 27)),
    fact("icpc_held", D(4, 1), "cp_plan"),
)


def test_events_out_of_order_give_same_result() -> None:
    expected = run(*FULL_JOURNEY)
    rng = random.Random(20260302)
    for _ in range(25):
        shuffled = list(FULL_JOURNEY)
        rng.shuffle(shuffled)
        arrived = [replace(f, seq=i) for i, f in enumerate(shuffled)]
        assert run(*arrived) == expected


def test_full_journey_outcome() -> None:
    ev = run(*FULL_JOURNEY)
    assert status(ev, "icpc", D(4, 1)) == "met_late"  # due 30 March
    assert status(ev, "icpc_s47_start", D(4, 1)) == "met_late"
    assert status(ev, "safety_plan", D(4, 1)) == "met"
    assert clock(ev, "icpc_delay_rationale").started_on == D(3, 31)
    assert status(ev, "icpc_delay_rationale", D(4, 1)) == "met"
    assert ev.stage == "cp_plan"
    assert ev.flags == ()
    # only the assessment is still running
    assert {t.gate for t in ev.timers} == {"assessment"}


def test_same_day_events_reversed_still_meet_contact_gate() -> None:
    ev = run(fact("contact_outcome", D(3, 2), "advice"), fact("contact_received", D(3, 2)))
    assert status(ev, "contact_decision", D(3, 2)) == "met"
    assert ev.stage == "closed_at_contact"


# --- timers ---------------------------------------------------------------------------------------


def _timer_table(ev: JourneyEvaluation, gate: str) -> list[tuple[str, int, date, str, str]]:
    return sorted((t.kind, t.level, t.due_on, t.to, t.template) for t in timers_for(ev, gate))


def test_icpc_timers() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47)  # icpc due Tue 24 March
    assert _timer_table(ev, "icpc") == [
        ("escalation", 1, D(3, 25), "team_manager", "escalation"),
        ("escalation", 2, D(3, 27), "service_manager", "escalation"),
        ("escalation", 3, D(3, 31), "head_of_service", "escalation"),
        ("reminder", 1, D(3, 20), "allocated_worker", "reminder"),
        ("reminder", 2, D(3, 24), "allocated_worker", "reminder"),
    ]


def test_timers_skip_bank_holidays() -> None:
    ev = run(fact("strategy_discussion", D(3, 12), "s47"))  # icpc due Thu 2 April
    assert _timer_table(ev, "icpc") == [
        ("escalation", 1, D(4, 7), "team_manager", "escalation"),
        ("escalation", 2, D(4, 9), "service_manager", "escalation"),
        ("escalation", 3, D(4, 13), "head_of_service", "escalation"),
        ("reminder", 1, D(3, 31), "allocated_worker", "reminder"),
        ("reminder", 2, D(4, 2), "allocated_worker", "reminder"),
    ]


def test_assessment_timers() -> None:
    ev = run(CONTACT, REFERRAL)  # assessment due Thu 7 May; Mon 4 May closed
    assert _timer_table(ev, "assessment") == [
        ("escalation", 1, D(5, 8), "team_manager", "escalation"),
        ("escalation", 2, D(5, 12), "service_manager", "escalation"),
        ("escalation", 3, D(5, 14), "head_of_service", "escalation"),
        ("reminder", 1, D(5, 5), "allocated_worker", "reminder"),
        ("reminder", 2, D(5, 7), "allocated_worker", "reminder"),
    ]


def test_one_day_gate_drops_reminder_before_start() -> None:
    ev = run(CONTACT, REFERRAL)  # referral_decision: Mon 2 -> due Tue 3 March
    assert _timer_table(ev, "referral_decision") == [
        ("escalation", 1, D(3, 4), "team_manager", "escalation"),
        ("escalation", 2, D(3, 6), "service_manager", "escalation"),
        ("escalation", 3, D(3, 10), "head_of_service", "escalation"),
        ("reminder", 2, D(3, 3), "allocated_worker", "reminder"),
    ]
    for t in ev.timers:
        assert t.due_on >= clock(ev, t.gate).started_on


def test_no_timers_for_stopped_cancelled_or_reporting_only_gates() -> None:
    ev = run(
        CONTACT,
        REFERRAL,
        fact("referral_decision", D(3, 3), "no_further_action"),
    )
    assert timers_for(ev, "contact_decision") == []  # stopped by the contact outcome
    assert timers_for(ev, "referral_decision") == []
    assert timers_for(ev, "assessment") == []
    s47 = run(CONTACT, REFERRAL, TO_STRATEGY, S47)
    assert timers_for(s47, "icpc_s47_start") == []
    assert timers_for(s47, "icpc") != []
    assert timers_for(s47, "strategy_discussion") == []


def test_open_contact_gate_has_timers_until_outcome() -> None:
    assert timers_for(run(CONTACT), "contact_decision") != []
    assert timers_for(run(CONTACT, REFERRAL), "contact_decision") == []


def test_plan_timers_directly() -> None:
    open_clock = Clock(
        gate="icpc",
        kind="statutory",
        reporting_only=False,
        limit_working_days=15,
        started_on=D(3, 3),
        due_on=D(3, 24),
        due_soon_from=D(3, 20),
    )
    assert {t.due_on for t in plan_timers(PATHWAY, open_clock, CAL)} == {
        D(3, 20),
        D(3, 24),
        D(3, 25),
        D(3, 27),
        D(3, 31),
    }
    assert plan_timers(PATHWAY, replace(open_clock, stopped_on=D(3, 10)), CAL) == []
    assert plan_timers(PATHWAY, replace(open_clock, cancelled_on=D(3, 10)), CAL) == []
    assert plan_timers(PATHWAY, replace(open_clock, reporting_only=True), CAL) == []


def test_gate_ladder_overrides_default() -> None:
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    for g in data["gates"]:
        if g["id"] == "icpc":
            g["ladder"] = {
                "reminders": [{"level": 1, "before_due": 5, "to": "allocated_worker"}],
                "escalations": [{"level": 1, "after_due": 2, "to": "service_manager"}],
            }
    p = pathway_from_dict(data)
    ev = evaluate(p, CAL, [S47])
    c = clock(ev, "icpc")
    assert c.due_soon_from == D(3, 17)  # 5 wd before Tue 24 March
    assert _timer_table(ev, "icpc") == [
        ("escalation", 1, D(3, 26), "service_manager", "escalation"),
        ("reminder", 1, D(3, 17), "allocated_worker", "reminder"),
    ]
    # other gates keep the default ladder
    assert len(timers_for(ev, "icpc_delay_rationale")) == 4


# --- stage, state_name, ended_on ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "stage", "name"),
    [
        ((CONTACT,), "contact", "Contact"),
        ((CONTACT, REFERRAL), "referral", "AwaitingReferralDecision"),
        (
            (CONTACT, REFERRAL, fact("referral_decision", D(3, 3), "assessment")),
            "assessment",
            "InAssessment",
        ),
        ((CONTACT, REFERRAL, TO_STRATEGY), "strategy", "AwaitingStrategyDiscussion"),
        ((CONTACT, REFERRAL, TO_STRATEGY, S47), "section47", "Section47"),
        ((CONTACT, REFERRAL, TO_STRATEGY, S47, CONCLUDED_ICPC), "awaiting_icpc", "AwaitingICPC"),
    ],
)
def test_stage_follows_latest_event(events: tuple[EventFact, ...], stage: str, name: str) -> None:
    ev = run(*events)
    assert ev.stage == stage
    assert ev.ended_on is None
    # as of the last event's day nothing is overdue yet
    assert state_name(PATHWAY, ev, max(e.on for e in events)) == name


def test_state_name_overdue_when_chasing_clock_overdue() -> None:
    ev = run(CONTACT)
    assert state_name(PATHWAY, ev, D(3, 3)) == "Contact"
    assert state_name(PATHWAY, ev, D(3, 4)) == "Overdue"


def test_reporting_only_overdue_does_not_make_journey_overdue() -> None:
    ev = run(CONTACT, REFERRAL, TO_STRATEGY, S47, fact("strategy_discussion", D(3, 9), "s47"))
    as_of = D(3, 25)
    assert status(ev, "icpc_s47_start", as_of) == "overdue"
    assert status(ev, "icpc", as_of) == "open"  # due Mon 30 March, due soon from Thu 26
    assert state_name(PATHWAY, ev, as_of) == "Section47"
    assert state_name(PATHWAY, ev, D(3, 31)) == "Overdue"


def test_met_late_clock_does_not_make_journey_overdue() -> None:
    ev = run(CONTACT, fact("contact_outcome", D(3, 5), "referral"))
    assert status(ev, "contact_decision", D(3, 6)) == "met_late"
    assert state_name(PATHWAY, ev, D(3, 6)) == "AwaitingReferralDecision"


@pytest.mark.parametrize("outcome", ["no_further_action", "advice", "early_help"])
def test_contact_outcome_other_than_referral_ends_journey(outcome: str) -> None:
    ev = run(CONTACT, fact("contact_outcome", D(3, 3), outcome))
    assert ev.ended_on == D(3, 3)
    assert ev.stage == "closed_at_contact"
    assert state_name(PATHWAY, ev, D(3, 10)) == "ClosedAtContact"


def test_referral_does_not_end_journey() -> None:
    assert run(CONTACT, REFERRAL).ended_on is None


def test_closed_ends_journey() -> None:
    ev = run(CONTACT, REFERRAL, fact("closed", D(3, 20), "RC8"))
    assert ev.ended_on == D(3, 20)
    assert ev.stage == "closed"


def test_cp_plan_stage() -> None:
    ev = run(
        CONTACT,
        REFERRAL,
        TO_STRATEGY,
        S47,
        fact("safety_plan_recorded", D(3, 5)),
        CONCLUDED_ICPC,
        fact("icpc_held", D(3, 20), "cp_plan"),
    )
    assert ev.stage == "cp_plan"
    assert ev.pathway_version == PATHWAY.version


# --- clock_status and helpers ---------------------------------------------------------------------


def test_clock_status_precedence() -> None:
    args = {"started_on": D(3, 2), "due_on": D(3, 10), "due_soon_from": D(3, 6)}
    assert clock_status(**args, stopped_on=None, cancelled_on=None, as_of=D(3, 1)) == (
        "not_started"
    )
    assert clock_status(**args, stopped_on=None, cancelled_on=None, as_of=D(3, 5)) == "open"
    assert clock_status(**args, stopped_on=None, cancelled_on=None, as_of=D(3, 6)) == "due_soon"
    assert clock_status(**args, stopped_on=None, cancelled_on=None, as_of=D(3, 11)) == "overdue"
    assert clock_status(**args, stopped_on=D(3, 10), cancelled_on=None, as_of=D(3, 11)) == "met"
    assert clock_status(**args, stopped_on=D(3, 11), cancelled_on=None, as_of=D(3, 11)) == (
        "met_late"
    )
    assert clock_status(**args, stopped_on=D(3, 12), cancelled_on=None, as_of=D(3, 11)) == (
        "overdue"
    )
    assert clock_status(**args, stopped_on=None, cancelled_on=D(3, 12), as_of=D(3, 11)) == (
        "overdue"
    )
    assert clock_status(**args, stopped_on=None, cancelled_on=D(3, 11), as_of=D(3, 11)) == (
        "cancelled"
    )


def test_working_days_late() -> None:
    assert working_days_late(CAL, D(3, 24), D(3, 20)) == 0
    assert working_days_late(CAL, D(3, 24), D(3, 24)) == 0
    assert working_days_late(CAL, D(3, 24), D(3, 27)) == 3
    assert working_days_late(CAL, D(4, 2), D(4, 7)) == 1  # over Easter


def test_no_events_no_clocks() -> None:
    ev = run()
    assert ev.clocks == ()
    assert ev.timers == ()
    assert ev.stage == "contact"


def test_event_beyond_calendar_horizon_refused() -> None:
    with pytest.raises(OutsideCalendarHorizon):
        run(fact("contact_received", date(2029, 1, 3)))
