"""The monthly front-door scorecard: pure figures over the journeys' facts.

Pure domain: imports nothing from the project but the calendar and :mod:`timescales.returns`,
nor prefect, sqlmodel, sqlalchemy or jinja2.

Every figure counts journeys by the month an event happened in (a month is a calendar month in
London local dates) and keeps the pseudonymous references of the journeys behind it, so a
reader can go from any number to the cases. Timeliness follows the statutory convention (day 0
is the start event; within N working days means on or before the Nth working day after it):

- referral decision within 1 working day of the referral (Working Together 2023);
- assessment authorised within 45 working days of the referral (Working Together), and of the
  assessment start (DfE CIN statistics publish duration from the assessment start);
- ICPC within 15 working days of the latest s47 strategy discussion (Working Together) and of
  the s47 start, the first one (DfE statistics, the census InitialCPCtarget).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from timescales.calendar import WorkingCalendar
from timescales.returns import JourneyFacts, months_before

# England, year to 31 March 2025 (DfE Children in need statistics; DOMAIN.md).
ENGLAND: dict[str, float] = {
    "assessments_45_from_start": 85.7,
    "icpc_15_dfe": 81.4,
    "re_referrals_12m": 22.6,
}


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @staticmethod
    def parse(text: str) -> Month:
        parts = text.strip().split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"{text!r} is not a month (YYYY-MM)")
        y, m = int(parts[0]), int(parts[1])
        if not 1 <= m <= 12 or y < 1900:
            raise ValueError(f"{text!r} is not a month (YYYY-MM)")
        return Month(y, m)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        nxt = self.shift(1).first
        return date.fromordinal(nxt.toordinal() - 1)

    def shift(self, n: int) -> Month:
        y, m = divmod(self.year * 12 + self.month - 1 + n, 12)
        return Month(y, m + 1)

    def contains(self, d: date | None) -> bool:
        return d is not None and d.year == self.year and d.month == self.month


@dataclass(frozen=True)
class Figure:
    """One scorecard figure: a count, or a percentage of ``denominator`` journeys."""

    key: str
    label: str
    kind: str  # "count" | "percent" | "breakdown"
    value: float | int | None
    numerator: int
    denominator: int
    refs: tuple[str, ...]  # the journeys counted (for a percentage: the numerator's)
    base_refs: tuple[str, ...] = ()  # for a percentage: every journey in the denominator
    breakdown: Mapping[str, int] = field(default_factory=dict)
    england: float | None = None
    trend: tuple[tuple[str, float | int | None], ...] = ()  # previous 12 months, oldest first


@dataclass(frozen=True)
class Scorecard:
    month: Month
    team: str | None
    figures: tuple[Figure, ...]

    def figure(self, key: str) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)


def _pct(num: int, den: int) -> float | None:
    return None if den == 0 else round(100.0 * num / den, 1)


def _percent(
    key: str,
    label: str,
    base: Sequence[JourneyFacts],
    ok: Callable[[JourneyFacts], bool],
) -> Figure:
    hits = [f for f in base if ok(f)]
    return Figure(
        key=key,
        label=label,
        kind="percent",
        value=_pct(len(hits), len(base)),
        numerator=len(hits),
        denominator=len(base),
        refs=tuple(f.ref for f in hits),
        base_refs=tuple(f.ref for f in base),
        england=ENGLAND.get(key),
    )


def _count(key: str, label: str, items: Sequence[JourneyFacts]) -> Figure:
    return Figure(
        key=key,
        label=label,
        kind="count",
        value=len(items),
        numerator=len(items),
        denominator=len(items),
        refs=tuple(f.ref for f in items),
        england=ENGLAND.get(key),
    )


def _within(cal: WorkingCalendar, start: date | None, end: date | None, n: int) -> bool:
    return start is not None and end is not None and cal.working_days_between(start, end) <= n


def month_figures(
    facts: Sequence[JourneyFacts],
    month: Month,
    cal: WorkingCalendar,
    roles: Mapping[str, str],
    all_referrals: Mapping[str, Sequence[date]],
) -> list[Figure]:
    """The figures for one month. ``all_referrals`` maps each child to every referral date they
    have (any team), for re-referrals; ``roles`` maps staff ids to roles."""
    m = month.contains
    contacts = [f for f in facts if m(f.contact_on)]
    decided_contacts = [f for f in facts if m(f.contact_decided_on)]
    referrals = [f for f in facts if m(f.referral_on)]
    referral_decisions = [f for f in facts if m(f.referral_decided_on)]
    authorised = [f for f in facts if m(f.assessment_authorised_on)]
    s47s = [f for f in facts if m(f.s47_start)]
    s47_concluded = [f for f in facts if m(f.s47_concluded_on)]
    icpcs = [f for f in facts if m(f.icpc_on)]

    def re_referral(f: JourneyFacts) -> bool:
        assert f.referral_on is not None
        lo = months_before(f.referral_on, 12)
        return any(lo <= d < f.referral_on for d in all_referrals.get(f.child_id, ()))

    def icpc_late(f: JourneyFacts) -> bool:
        return not _within(cal, f.s47_last, f.icpc_on, 15)

    late = [f for f in icpcs if icpc_late(f)]
    late_agreed = [f for f in late if f.delay_agreed_on is not None]
    late_unexplained = [f for f in late if f.delay_agreed_on is None]
    dispensed = [f for f in facts if m(f.contact_decided_on) and f.consent == "dispensed"]
    by_role = Counter(roles.get(f.consent_approved_by or "", "unknown") for f in dispensed)

    figures = [
        _count("contacts", "Contacts received", contacts),
        _percent(
            "contact_to_referral",
            "Contacts progressed to a referral (of contacts received)",
            contacts,
            lambda f: f.referral_on is not None,
        ),
        _percent(
            "re_referrals_12m",
            "Re-referrals within 12 months of a previous referral",
            referrals,
            re_referral,
        ),
        _percent(
            "contact_decisions_1wd",
            "Contact decisions within 1 working day",
            decided_contacts,
            lambda f: _within(cal, f.contact_on, f.contact_decided_on, 1),
        ),
        _percent(
            "referral_decisions_1wd",
            "Referral decisions within 1 working day",
            referral_decisions,
            lambda f: _within(cal, f.referral_on, f.referral_decided_on, 1),
        ),
        _percent(
            "assessments_45_from_referral",
            "Assessments authorised within 45 working days of the referral",
            authorised,
            lambda f: _within(cal, f.referral_on, f.assessment_authorised_on, 45),
        ),
        _percent(
            "assessments_45_from_start",
            "Assessments authorised within 45 working days of their start (DfE basis)",
            authorised,
            lambda f: _within(
                cal, f.assessment_started_on or f.referral_on, f.assessment_authorised_on, 45
            ),
        ),
        _count("s47s", "Section 47 enquiries started", s47s),
        _percent(
            "s47_to_icpc",
            "Section 47 enquiries concluded that led to an ICPC",
            s47_concluded,
            lambda f: f.s47_outcome == "icpc",
        ),
        _percent(
            "icpc_15_wt",
            "ICPCs within 15 working days of the last strategy discussion (Working Together)",
            icpcs,
            lambda f: not icpc_late(f),
        ),
        _percent(
            "icpc_15_dfe",
            "ICPCs within 15 working days of the s47 start (DfE basis)",
            icpcs,
            lambda f: _within(cal, f.s47_start, f.icpc_on, 15),
        ),
        _percent(
            "icpc_to_plan",
            "ICPCs that resulted in a child protection plan",
            icpcs,
            lambda f: f.icpc_outcome == "cp_plan",
        ),
        _count("late_icpcs_agreed", "Late ICPCs with an agreed delay rationale", late_agreed),
        _count(
            "late_icpcs_unexplained", "Late ICPCs without an agreed rationale", late_unexplained
        ),
        _percent(
            "safety_plan_before_icpc",
            "ICPCs with a safety plan recorded on or before the conference",
            icpcs,
            lambda f: f.safety_plan_on is not None and f.safety_plan_on <= (f.icpc_on or date.max),
        ),
        Figure(
            key="consent_dispensed",
            label="Consent dispensed with, by approver role",
            kind="breakdown",
            value=len(dispensed),
            numerator=len(dispensed),
            denominator=len(dispensed),
            refs=tuple(f.ref for f in dispensed),
            breakdown=dict(sorted(by_role.items())),
        ),
    ]
    return figures


def build_scorecard(
    facts: Iterable[JourneyFacts],
    month: Month,
    cal: WorkingCalendar,
    *,
    team: str | None = None,
    roles: Mapping[str, str] | None = None,
    trend_months: int = 12,
) -> Scorecard:
    """The scorecard for ``month`` (optionally one team), each figure with its trend over the
    previous ``trend_months`` months. ``facts`` should be summarised as of the month's end."""
    every = list(facts)
    referrals: dict[str, list[date]] = {}
    for f in every:
        if f.referral_on is not None:
            referrals.setdefault(f.child_id, []).append(f.referral_on)
    chosen = [f for f in every if team is None or f.team == team]
    r = roles or {}
    current = month_figures(chosen, month, cal, r, referrals)
    history = [
        month_figures(chosen, month.shift(-k), cal, r, referrals)
        for k in range(trend_months, 0, -1)
    ]
    out = []
    for i, fig in enumerate(current):
        trend = tuple(
            (str(month.shift(-(trend_months - n))), figs[i].value) for n, figs in enumerate(history)
        )
        out.append(
            Figure(
                key=fig.key,
                label=fig.label,
                kind=fig.kind,
                value=fig.value,
                numerator=fig.numerator,
                denominator=fig.denominator,
                refs=fig.refs,
                base_refs=fig.base_refs,
                breakdown=fig.breakdown,
                england=fig.england,
                trend=trend,
            )
        )
    return Scorecard(month, team, tuple(out))


def first_working_day(month: Month, cal: WorkingCalendar) -> date:
    """The month's first working day: when the performance report for the month before runs."""
    return cal.next_working_day_on_or_after(month.first)


def report_due(day: date, cal: WorkingCalendar) -> Month | None:
    """The month whose report is due on ``day`` (the previous month), or None when ``day`` is
    not the first working day of its month."""
    this = Month(day.year, day.month)
    return this.shift(-1) if first_working_day(this, cal) == day else None
