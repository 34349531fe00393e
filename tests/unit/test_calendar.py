"""Working-day calendar: DOMAIN.md worked examples, bank holidays, closures, horizon, inverse."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from timescales.calendar import (
    CalendarSpec,
    OutsideCalendarHorizon,
    build_calendar,
    calendar_from,
)

CAL = calendar_from()
ONE = timedelta(days=1)


# --- DOMAIN.md "Working days" worked examples -----------------------------------------------------


@pytest.mark.parametrize(
    ("day0", "n", "expected"),
    [
        (date(2022, 5, 27), 15, date(2022, 6, 21)),  # Fri; spans the Jubilee 2-3 June
        (date(2022, 9, 15), 15, date(2022, 10, 7)),  # Thu; spans the State Funeral 19 Sep
        (date(2025, 11, 3), 45, date(2026, 1, 8)),  # Mon; spans Christmas and New Year
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # Thu; 25 Dec Fri, 28 Dec substitute
        (date(2026, 3, 23), 15, date(2026, 4, 15)),  # Mon; spans Good Friday, Easter Monday
        (date(2026, 12, 1), 45, date(2027, 2, 5)),  # Tue; spans Christmas 2026/New Year 2027
    ],
)
def test_domain_worked_examples(day0: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(day0, n) == expected
    assert CAL.working_days_between(day0, expected) == n


def test_worked_example_weekdays_are_as_stated() -> None:
    # guards against a typo in the table above: DOMAIN.md names the weekday of each date
    named = {
        date(2022, 5, 27): "Fri",
        date(2022, 6, 21): "Tue",
        date(2022, 9, 15): "Thu",
        date(2022, 10, 7): "Fri",
        date(2025, 11, 3): "Mon",
        date(2026, 1, 8): "Thu",
        date(2026, 12, 24): "Thu",
        date(2026, 12, 29): "Tue",
        date(2026, 3, 23): "Mon",
        date(2026, 4, 15): "Wed",
        date(2026, 12, 1): "Tue",
        date(2027, 2, 5): "Fri",
    }
    for d, name in named.items():
        assert d.strftime("%a") == name


# --- which days are working days ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "why"),
    [
        (date(2022, 6, 2), "Platinum Jubilee (spring bank holiday moved)"),
        (date(2022, 6, 3), "Platinum Jubilee"),
        (date(2022, 9, 19), "State Funeral of Queen Elizabeth II"),
        (date(2023, 5, 8), "Coronation of King Charles III"),
        (date(2026, 4, 6), "Easter Monday (England only)"),
        (date(2026, 8, 31), "Summer bank holiday (England, last Monday of August)"),
        (date(2025, 8, 25), "Summer bank holiday 2025"),
        (date(2022, 12, 26), "Boxing Day substitute (Christmas on a Sunday)"),
        (date(2022, 12, 27), "Christmas substitute (Boxing Day on a Monday)"),
        (date(2026, 12, 28), "Boxing Day substitute (Boxing Day on a Saturday)"),
        (date(2023, 1, 2), "New Year substitute"),
        (date(2026, 4, 3), "Good Friday"),
    ],
)
def test_bank_holidays_are_not_working_days(d: date, why: str) -> None:
    assert d.weekday() < 5, "a weekday, so only the holiday makes it non-working"
    assert not CAL.is_working_day(d), why


# Hand-written from gov.uk/bank-holidays (England and Wales), independent of the holidays package.
ENGLAND_BANK_HOLIDAYS = {
    2022: [
        date(2022, 1, 3),
        date(2022, 4, 15),
        date(2022, 4, 18),
        date(2022, 5, 2),
        date(2022, 6, 2),
        date(2022, 6, 3),
        date(2022, 8, 29),
        date(2022, 9, 19),
        date(2022, 12, 26),
        date(2022, 12, 27),
    ],
    2023: [
        date(2023, 1, 2),
        date(2023, 4, 7),
        date(2023, 4, 10),
        date(2023, 5, 1),
        date(2023, 5, 8),
        date(2023, 5, 29),
        date(2023, 8, 28),
        date(2023, 12, 25),
        date(2023, 12, 26),
    ],
    2026: [
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 28),
    ],
}


@pytest.mark.parametrize("year", sorted(ENGLAND_BANK_HOLIDAYS))
def test_every_day_of_year_matches_published_list(year: int) -> None:
    holidays = set(ENGLAND_BANK_HOLIDAYS[year])
    d = date(year, 1, 1)
    while d.year == year:
        expected = d.weekday() < 5 and d not in holidays
        assert CAL.is_working_day(d) is expected, d
        d += ONE


def test_weekends_are_not_working_days() -> None:
    assert not CAL.is_working_day(date(2026, 3, 7))  # Sat
    assert not CAL.is_working_day(date(2026, 3, 8))  # Sun
    assert CAL.is_working_day(date(2026, 3, 9))  # Mon


def test_without_england_subdivision_easter_monday_and_august_are_missed() -> None:
    # Why the calendar defaults to subdiv ENG (DOMAIN.md): GB alone treats these as working days.
    assert CalendarSpec().subdivision == "ENG"
    gb_only = calendar_from(subdivision=None)  # type: ignore[arg-type]
    assert gb_only.is_working_day(date(2026, 4, 6))
    assert gb_only.is_working_day(date(2026, 8, 31))
    assert not CAL.is_working_day(date(2026, 4, 6))
    assert not CAL.is_working_day(date(2026, 8, 31))


# --- day 0 convention -----------------------------------------------------------------------------


def test_day0_itself_is_n_zero() -> None:
    assert CAL.add_working_days(date(2026, 3, 4), 0) == date(2026, 3, 4)


def test_next_working_day_is_day_one() -> None:
    assert CAL.add_working_days(date(2026, 3, 4), 1) == date(2026, 3, 5)  # Wed -> Thu
    assert CAL.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Fri -> Mon


@pytest.mark.parametrize("weekend_day0", [date(2026, 3, 7), date(2026, 3, 8)])
def test_weekend_day0_plus_one_is_monday(weekend_day0: date) -> None:
    assert CAL.add_working_days(weekend_day0, 1) == date(2026, 3, 9)
    assert CAL.add_working_days(weekend_day0, 5) == date(2026, 3, 13)


def test_bank_holiday_day0_counts_from_next_working_day() -> None:
    # Good Friday 2026-04-03 received; Easter Monday is also closed, so day 1 is Tue 7 April
    assert CAL.add_working_days(date(2026, 4, 3), 1) == date(2026, 4, 7)


# --- negative n -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day0", "n", "expected"),
    [
        (date(2026, 3, 9), -1, date(2026, 3, 6)),  # Mon -> previous Fri
        (date(2026, 3, 11), -2, date(2026, 3, 9)),  # Wed -> Mon
        (date(2026, 4, 7), -1, date(2026, 4, 2)),  # Tue after Easter -> Maundy Thursday
        (date(2026, 3, 7), -1, date(2026, 3, 6)),  # Sat -> Fri
        (date(2026, 3, 8), -1, date(2026, 3, 6)),  # Sun -> Fri
        (date(2026, 12, 29), -1, date(2026, 12, 24)),  # across Christmas 2026
    ],
)
def test_negative_n_counts_backwards(day0: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(day0, n) == expected


# --- local closures and overrides -----------------------------------------------------------------


def test_local_extra_closure_shifts_due_date() -> None:
    assert CAL.add_working_days(date(2026, 3, 23), 15) == date(2026, 4, 15)
    local = calendar_from(extra_closures=[date(2026, 4, 1)])
    assert not local.is_working_day(date(2026, 4, 1))
    assert local.add_working_days(date(2026, 3, 23), 15) == date(2026, 4, 16)
    # the default calendar is not affected by building a local one
    assert CAL.is_working_day(date(2026, 4, 1))


def test_closure_after_the_due_date_does_not_move_it() -> None:
    local = calendar_from(extra_closures=[date(2026, 4, 20)])
    assert local.add_working_days(date(2026, 3, 23), 15) == date(2026, 4, 15)


def test_extra_closure_on_a_weekend_changes_nothing() -> None:
    local = calendar_from(extra_closures=[date(2026, 3, 28)])  # Sat
    assert local.add_working_days(date(2026, 3, 23), 15) == date(2026, 4, 15)


def test_working_override_makes_a_listed_holiday_a_working_day() -> None:
    local = calendar_from(working_overrides=[date(2026, 12, 28)])
    assert local.is_working_day(date(2026, 12, 28))
    assert local.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)


def test_calendar_spec_with_reversed_years_refused() -> None:
    with pytest.raises(ValueError, match="first_year"):
        build_calendar(CalendarSpec(first_year=2027, last_year=2026))


# --- horizon --------------------------------------------------------------------------------------


def test_horizon_is_the_configured_years() -> None:
    small = calendar_from(first_year=2025, last_year=2026)
    assert small.horizon == (date(2025, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize("day0", [date(2029, 1, 2), date(2014, 12, 31)])
def test_day0_outside_horizon_refused(day0: date) -> None:
    with pytest.raises(OutsideCalendarHorizon, match=day0.isoformat()):
        CAL.add_working_days(day0, 1)
    with pytest.raises(OutsideCalendarHorizon):
        CAL.is_working_day(day0)
    with pytest.raises(OutsideCalendarHorizon):
        CAL.working_days_between(date(2026, 1, 5), day0)
    with pytest.raises(OutsideCalendarHorizon):
        CAL.next_working_day_on_or_after(day0)


def test_result_beyond_horizon_refused_not_treated_as_plain_weekdays() -> None:
    # 20 Dec 2028 is inside; 15 working days later is in 2029, whose holidays the calendar lacks
    assert CAL.add_working_days(date(2028, 12, 20), 5) == date(2028, 12, 29)
    with pytest.raises(OutsideCalendarHorizon):
        CAL.add_working_days(date(2028, 12, 20), 15)
    with pytest.raises(OutsideCalendarHorizon):
        CAL.add_working_days(date(2015, 1, 5), -5)


def test_horizon_error_is_a_value_error() -> None:
    assert issubclass(OutsideCalendarHorizon, ValueError)


def test_next_working_day_on_or_after() -> None:
    assert CAL.next_working_day_on_or_after(date(2026, 3, 9)) == date(2026, 3, 9)
    assert CAL.next_working_day_on_or_after(date(2026, 4, 3)) == date(2026, 4, 7)
    with pytest.raises(OutsideCalendarHorizon):
        CAL.next_working_day_on_or_after(date(2028, 12, 30))  # Sat; next would be in 2029


# --- working_days_between -------------------------------------------------------------------------


def test_working_days_between_basics() -> None:
    assert CAL.working_days_between(date(2026, 3, 4), date(2026, 3, 4)) == 0
    assert CAL.working_days_between(date(2026, 3, 6), date(2026, 3, 7)) == 0  # Fri -> Sat
    assert CAL.working_days_between(date(2026, 3, 7), date(2026, 3, 9)) == 1  # Sat -> Mon
    assert CAL.working_days_between(date(2022, 5, 27), date(2022, 6, 21)) == 15
    assert CAL.working_days_between(date(2022, 6, 21), date(2022, 5, 27)) == -15


def _naive_forward(day0: date, count: int, closures: frozenset[date]) -> list[date]:
    """Independent reference: walk day by day, returning the 1st..count-th working days."""
    out: list[date] = []
    d = day0
    while len(out) < count:
        d += ONE
        if d.weekday() < 5 and d not in closures:
            out.append(d)
    return out


def _naive_backward(day0: date, count: int, closures: frozenset[date]) -> list[date]:
    out: list[date] = []
    d = day0
    while len(out) < count:
        d -= ONE
        if d.weekday() < 5 and d not in closures:
            out.append(d)
    return out


def test_add_and_between_agree_with_naive_walk_and_are_inverse() -> None:
    local = calendar_from(extra_closures=[date(2024, 12, 31), date(2026, 4, 1)])
    for cal in (CAL, local):
        d = date(2021, 12, 1)
        while d <= date(2027, 12, 31):
            walk = _naive_forward(d, 60, cal.closures)
            assert cal.add_working_days(d, 0) == d
            assert cal.working_days_between(d, d) == 0
            for n in range(1, 61):
                got = cal.add_working_days(d, n)
                assert got == walk[n - 1], (d, n)
                assert cal.working_days_between(d, got) == n, (d, n)
            d += timedelta(days=3)  # every weekday position and month over six years


def test_negative_n_agrees_with_naive_walk() -> None:
    d = date(2022, 1, 10)
    while d <= date(2027, 12, 31):
        walk = _naive_backward(d, 30, CAL.closures)
        for n in range(1, 31):
            got = CAL.add_working_days(d, -n)
            assert got == walk[n - 1], (d, n)
            if CAL.is_working_day(d):
                assert CAL.working_days_between(d, got) == -n, (d, n)
        d += timedelta(days=5)
