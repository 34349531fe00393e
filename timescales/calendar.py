"""Working-day calendar for England (Europe/London), the basis of every statutory clock.

Pure domain: imports nothing from the project, nor prefect, sqlmodel, sqlalchemy or jinja2.

Convention (DOMAIN.md, Working Together to Safeguard Children 2023): the day of the triggering
event is day 0; day 1 is the next working day; "within N working days" means on or before the
Nth working day after day 0. A working day is Monday-Friday except England & Wales bank holidays
(including substitute and one-off proclaimed days) and any local closure days ops staff add.

The calendar precomputes a rank table over its horizon so that adding or counting working days
is two array look-ups, not a day-by-day walk (DESIGN.md habit 7). Dates outside the horizon are
refused: treating an unknown future year as plain weekdays would silently miss its bank holidays.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays as holidays_lib


class OutsideCalendarHorizon(ValueError):
    """A date falls outside the years the calendar knows the bank holidays of."""


@dataclass(frozen=True)
class CalendarSpec:
    """What defines a calendar: the region, the years covered and the local corrections."""

    country: str = "GB"
    subdivision: str = "ENG"
    first_year: int = 2015
    last_year: int = 2028
    extra_closures: tuple[date, ...] = ()
    # Days the package lists that ops have confirmed are working days locally (rare; kept for
    # completeness so a wrong upstream entry can be corrected without a code change).
    working_overrides: tuple[date, ...] = ()


@dataclass(frozen=True)
class WorkingCalendar:
    """A precomputed working-day calendar. Build it with :func:`build_calendar`."""

    spec: CalendarSpec
    closures: frozenset[date]
    _working: tuple[int, ...] = field(repr=False)  # ordinals of working days, ascending
    _start: date = field(repr=False)
    _end: date = field(repr=False)

    def _check(self, d: date) -> None:
        if not (self._start <= d <= self._end):
            raise OutsideCalendarHorizon(
                f"{d.isoformat()} is outside the working-day calendar "
                f"({self._start.isoformat()} to {self._end.isoformat()}); "
                "extend calendar.last_year once that year's bank holidays are known"
            )

    def is_working_day(self, d: date) -> bool:
        self._check(d)
        i = bisect.bisect_left(self._working, d.toordinal())
        return i < len(self._working) and self._working[i] == d.toordinal()

    def add_working_days(self, day0: date, n: int) -> date:
        """The Nth working day after ``day0`` (n >= 0); n == 0 gives ``day0`` itself.

        For n < 0, the |n|th working day before ``day0``.
        """
        self._check(day0)
        o = day0.toordinal()
        if n == 0:
            return day0
        if n > 0:
            # index of the first working day strictly after day0, then step n-1 further
            i = bisect.bisect_right(self._working, o) + n - 1
        else:
            i = bisect.bisect_left(self._working, o) + n
        if i < 0 or i >= len(self._working):
            raise OutsideCalendarHorizon(
                f"{day0.isoformat()} {n:+d} working days is outside the working-day calendar "
                f"({self._start.isoformat()} to {self._end.isoformat()})"
            )
        return date.fromordinal(self._working[i])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days ``end`` is after ``start``.

        Negative when ``end`` is before ``start``. ``working_days_between(d, add_working_days(d,
        n)) == n`` for every n >= 0, and for negative n when ``d`` is itself a working day.
        """
        self._check(start)
        self._check(end)
        if end < start:
            return -self.working_days_between(end, start)
        lo = bisect.bisect_right(self._working, start.toordinal())
        hi = bisect.bisect_right(self._working, end.toordinal())
        return hi - lo

    def next_working_day_on_or_after(self, d: date) -> date:
        self._check(d)
        i = bisect.bisect_left(self._working, d.toordinal())
        if i >= len(self._working):
            raise OutsideCalendarHorizon(f"no working day on or after {d.isoformat()} in calendar")
        return date.fromordinal(self._working[i])

    @property
    def horizon(self) -> tuple[date, date]:
        return self._start, self._end


def _closures(spec: CalendarSpec) -> frozenset[date]:
    years = range(spec.first_year, spec.last_year + 1)
    bank = holidays_lib.country_holidays(spec.country, subdiv=spec.subdivision, years=years)
    days = set(bank.keys()) | set(spec.extra_closures)
    days -= set(spec.working_overrides)
    return frozenset(days)


@lru_cache(maxsize=16)
def build_calendar(spec: CalendarSpec = CalendarSpec()) -> WorkingCalendar:
    """Build (and cache) the calendar for ``spec``."""
    if spec.first_year > spec.last_year:
        raise ValueError("calendar first_year must not be after last_year")
    closures = _closures(spec)
    start = date(spec.first_year, 1, 1)
    end = date(spec.last_year, 12, 31)
    working: list[int] = []
    d = start
    one = timedelta(days=1)
    while d <= end:
        if d.weekday() < 5 and d not in closures:
            working.append(d.toordinal())
        d += one
    return WorkingCalendar(
        spec=spec, closures=closures, _working=tuple(working), _start=start, _end=end
    )


def calendar_from(
    *,
    first_year: int = 2015,
    last_year: int = 2028,
    extra_closures: Iterable[date] = (),
    working_overrides: Iterable[date] = (),
    country: str = "GB",
    subdivision: str = "ENG",
) -> WorkingCalendar:
    return build_calendar(
        CalendarSpec(
            country=country,
            subdivision=subdivision,
            first_year=first_year,
            last_year=last_year,
            extra_closures=tuple(sorted(set(extra_closures))),
            working_overrides=tuple(sorted(set(working_overrides))),
        )
    )
