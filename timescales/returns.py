"""Statutory returns from the journeys: the facts of each journey, the CIN census and Annex A.

Pure domain: imports nothing from the project but the calendar and record codes, nor prefect,
sqlmodel, sqlalchemy or jinja2. Everything is a function of (journeys' events, child details,
calendar, dates): the CLI, the flow, the tests and the benchmark compute the same return.

Sources: DfE Children in Need census 2024-25 specification (as implemented by
csc-validator-be-cin, ruleset ``cin2024_25``); Ofsted ILACS Annex A list specification (liiatools).
How a journey maps to the census (one ``CINdetails`` per journey that reached a referral):

- CINreferralDate is the date the contact was progressed to a referral (the day the 45-working-day
  assessment clock starts); ReferralSource is the contact's source.
- PrimaryNeedCode is ``referral_decision.primary_need``; ``N0`` (not stated) while the referral is
  undecided. ReferralNFA is true when the referral decision was no further action.
- A Section47 module starts at the first strategy discussion with outcome ``s47``
  (S47ActualStartDate); InitialCPCtarget is 15 working days after it (DfE basis); an ICPC with
  outcome ``cp_plan`` starts a ChildProtectionPlans module on the ICPC date. The ICPC date is
  recorded on the Section47 module only (rule 2884).
- An assessment authorised with outcome ``cin_plan`` starts a CIN plan on the authorisation
  date; it ends on the closure date or on the day a CP plan starts (rules 4001/4016/4017).
- Facts dated after the reference date (31 March) have not happened for the return.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from timescales.calendar import WorkingCalendar
from timescales.codes import ETHNICITY_ORDER
from timescales.records import EVENT_TYPES

_RANK = {t: i for i, t in enumerate(EVENT_TYPES)}
LA_CHILD_ID = re.compile(r"^[A-Za-z0-9]{1,20}$")  # rules 1570, 1580


# --- inputs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReturnEvent:
    """One recorded journey event: its type, local date, outcome and the record as it arrived."""

    type: str
    on: date
    outcome: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0

    @staticmethod
    def from_payload(
        type_: str, on: date, outcome: str | None, payload: str, seq: int
    ) -> ReturnEvent:
        return ReturnEvent(type_, on, outcome, json.loads(payload), seq)


@dataclass(frozen=True)
class ChildInfo:
    child_id: str
    sex: str | None = None
    ethnicity: str | None = None
    birth_date: date | None = None
    expected_birth_date: date | None = None
    upn: str | None = None
    upn_unknown: str | None = None
    disabilities: tuple[str, ...] = ()


@dataclass(frozen=True)
class JourneyInput:
    ref: str
    child_id: str
    team: str
    worker: str | None
    events: tuple[ReturnEvent, ...]


# --- the facts of one journey ---------------------------------------------------------------
@dataclass(frozen=True)
class JourneyFacts:
    """What happened in one journey up to a date, one field per fact the returns need."""

    ref: str
    child_id: str
    team: str
    worker: str | None
    contact_on: date
    source: str | None = None
    contact_decided_on: date | None = None
    contact_outcome: str | None = None
    consent: str | None = None
    consent_approved_by: str | None = None
    referral_on: date | None = None
    referral_decided_on: date | None = None
    referral_outcome: str | None = None
    primary_need: str | None = None
    assessment_started_on: date | None = None
    assessment_authorised_on: date | None = None
    assessment_outcome: str | None = None
    factors: tuple[str, ...] = ()
    child_seen: bool | None = None
    strategy_on: tuple[date, ...] = ()
    s47_start: date | None = None  # the first strategy discussion with outcome s47
    s47_last: date | None = None  # the latest s47 strategy discussion before the ICPC
    s47_concluded_on: date | None = None
    s47_outcome: str | None = None
    safety_plan_on: date | None = None
    delay_agreed_on: date | None = None
    icpc_on: date | None = None
    icpc_outcome: str | None = None
    category: str | None = None
    closed_on: date | None = None
    closed_reason: str | None = None


def summarise(journey: JourneyInput, as_of: date | None = None) -> JourneyFacts | None:
    """The facts of ``journey`` from its events dated on or before ``as_of`` (all when None).

    None when its contact is after ``as_of``. Where an event type recurs, the first occurrence
    counts, except strategy discussions (all kept) and ``s47_last`` (the latest before the ICPC,
    the Working Together basis of the ICPC clock).
    """
    events = sorted(
        (e for e in journey.events if as_of is None or e.on <= as_of),
        key=lambda e: (e.on, _RANK.get(e.type, 99), e.seq),
    )
    contact = next((e for e in events if e.type == "contact_received"), None)
    if contact is None:
        return None
    f: dict[str, Any] = {
        "ref": journey.ref,
        "child_id": journey.child_id,
        "team": journey.team,
        "worker": journey.worker,
        "contact_on": contact.on,
        "source": contact.data.get("source"),
    }
    strategy: list[date] = []
    for e in events:
        d = e.data
        if e.type == "contact_outcome" and "contact_decided_on" not in f:
            f["contact_decided_on"], f["contact_outcome"] = e.on, e.outcome
            f["consent"], f["consent_approved_by"] = d.get("consent"), d.get("approved_by")
            if e.outcome == "referral":
                f["referral_on"] = e.on
        elif e.type == "referral_decision" and "referral_decided_on" not in f:
            f["referral_decided_on"], f["referral_outcome"] = e.on, e.outcome
            f["primary_need"] = d.get("primary_need")
        elif e.type == "assessment_started" and "assessment_started_on" not in f:
            f["assessment_started_on"] = e.on
        elif e.type == "assessment_authorised" and "assessment_authorised_on" not in f:
            f["assessment_authorised_on"], f["assessment_outcome"] = e.on, e.outcome
            f["factors"] = tuple(d.get("factors") or ())
            f["child_seen"] = d.get("child_seen")
        elif e.type == "strategy_discussion":
            strategy.append(e.on)
            if e.outcome == "s47" and "icpc_on" not in f:
                f.setdefault("s47_start", e.on)
                f["s47_last"] = e.on
        elif e.type == "s47_concluded" and "s47_concluded_on" not in f:
            f["s47_concluded_on"], f["s47_outcome"] = e.on, e.outcome
        elif e.type == "safety_plan_recorded" and "safety_plan_on" not in f:
            f["safety_plan_on"] = e.on
        elif e.type == "icpc_delay_agreed" and "delay_agreed_on" not in f:
            f["delay_agreed_on"] = e.on
        elif e.type == "icpc_held" and "icpc_on" not in f:
            f["icpc_on"], f["icpc_outcome"] = e.on, e.outcome
            f["category"] = d.get("category")
        elif e.type == "closed" and "closed_on" not in f:
            f["closed_on"], f["closed_reason"] = e.on, d.get("reason")
    f["strategy_on"] = tuple(strategy)
    return JourneyFacts(**f)


# --- CIN census -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CinAssessment:
    start: date
    authorised: date | None
    factors: tuple[str, ...]


@dataclass(frozen=True)
class CinSection47:
    start: date
    target: date
    icpc: date | None
    icpc_not_required: bool


@dataclass(frozen=True)
class CinPlan:
    start: date
    end: date | None
    initial_category: str
    latest_category: str
    previous_plans: int


@dataclass(frozen=True)
class CinEpisode:
    ref: str
    referral_date: date
    source: str
    primary_need: str
    closure_date: date | None
    closure_reason: str | None
    assessments: tuple[CinAssessment, ...]
    cin_plans: tuple[tuple[date, date | None], ...]
    section47: tuple[CinSection47, ...]
    referral_nfa: bool
    cp_plans: tuple[CinPlan, ...]


@dataclass(frozen=True)
class CinChild:
    child: ChildInfo
    episodes: tuple[CinEpisode, ...]


@dataclass(frozen=True)
class Withheld:
    """A child left out of the return, with what must be put right first."""

    child_id: str
    journeys: tuple[str, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class CinCensus:
    year: int
    la_code: str
    reference_date: date
    children: tuple[CinChild, ...]
    withheld: tuple[Withheld, ...]

    @property
    def collection_start(self) -> date:
        return date(self.year - 1, 4, 1)


def collection_period(year: int) -> tuple[date, date]:
    """The census year ending 31 March ``year``: 1 April ``year-1`` to 31 March ``year``."""
    return date(year - 1, 4, 1), date(year, 3, 31)


def _episode(
    f: JourneyFacts, cal: WorkingCalendar, previous_plans: int
) -> tuple[CinEpisode | None, list[str]]:
    assert f.referral_on is not None
    problems: list[str] = []
    closure = f.closed_on
    assessments: list[CinAssessment] = []
    if f.assessment_started_on or f.assessment_authorised_on:
        start = f.assessment_started_on or f.referral_on
        assessments.append(
            CinAssessment(
                start=start,
                authorised=f.assessment_authorised_on,
                factors=f.factors if f.assessment_authorised_on else (),
            )
        )
    cp_plans: list[CinPlan] = []
    if f.icpc_on is not None and f.icpc_outcome == "cp_plan":
        category = f.category or ""
        cp_plans.append(CinPlan(f.icpc_on, closure, category, category, previous_plans))
        if closure is not None and closure <= f.icpc_on:
            problems.append(
                f"journey {f.ref}: CP plan starts on {f.icpc_on} and the case closed on "
                f"{closure} (DfE rule 8840: a plan cannot start and end on the same day)"
            )
    cin_plans: list[tuple[date, date | None]] = []
    if f.assessment_outcome == "cin_plan" and f.assessment_authorised_on is not None:
        start = f.assessment_authorised_on
        end = closure
        if cp_plans:
            # A CIN plan ends when a CP plan starts (rules 4001/4016/4017); one that would start
            # on or after that day is superseded by the CP plan.
            end = cp_plans[0].start if end is None else min(end, cp_plans[0].start)
        if end is None or end > start:
            cin_plans.append((start, end))
    s47: list[CinSection47] = []
    if f.s47_start is not None:
        s47.append(
            CinSection47(
                start=f.s47_start,
                target=cal.add_working_days(f.s47_start, 15),
                icpc=f.icpc_on,
                icpc_not_required=f.s47_outcome == "no_icpc" and f.icpc_on is None,
            )
        )
    nfa = f.referral_outcome == "no_further_action"
    if f.closed_reason in ("RC8", "RC9") and (s47 or cp_plans or cin_plans):
        problems.append(
            f"journey {f.ref}: closure reason {f.closed_reason} (closed after assessment) "
            "but the case had a section 47 enquiry or a plan (DfE rule 2990): "
            "record the right closure reason (e.g. RC7)"
        )
    if nfa and (assessments or s47 or cp_plans or cin_plans):
        problems.append(
            f"journey {f.ref}: referral decided no further action but later activity is "
            "recorded (DfE rules 8831/8832/4000)"
        )
    if problems:
        return None, problems
    return (
        CinEpisode(
            ref=f.ref,
            referral_date=f.referral_on,
            source=f.source or "10",
            primary_need=f.primary_need or "N0",
            closure_date=closure,
            closure_reason=f.closed_reason if closure else None,
            assessments=tuple(assessments),
            cin_plans=tuple(cin_plans),
            section47=tuple(s47),
            referral_nfa=nfa,
            cp_plans=tuple(cp_plans),
        ),
        [],
    )


def child_problems(child: ChildInfo | None, child_id: str) -> list[str]:
    """What is missing or wrong in a child's details for the census (names the DfE rule)."""
    if child is None:
        return ["no child details recorded (sex, ethnicity and birth date are missing)"]
    out: list[str] = []
    if not LA_CHILD_ID.match(child_id):
        out.append("child id must be 1-20 letters and digits for the census (rules 1570/1580)")
    if not child.sex:
        out.append("sex is missing")
    if not child.ethnicity:
        out.append("ethnicity is missing")
    if child.birth_date is None and child.expected_birth_date is None:
        out.append("birth date (or expected birth date) is missing")
    if not child.disabilities:
        out.append("disabilities are missing (NONE when the child has none)")
    return out


def build_census(
    journeys: Iterable[JourneyInput],
    children: Mapping[str, ChildInfo],
    *,
    year: int,
    la_code: str,
    cal: WorkingCalendar,
) -> CinCensus:
    """The CIN census for the year ending 31 March ``year``: every child with a referral episode
    open at any time in the year, episodes as they stood on the reference date."""
    if not re.fullmatch(r"\d{3}", la_code):
        raise ValueError(f"LA code {la_code!r} must be three digits")
    start, ref_date = collection_period(year)
    by_child: dict[str, list[JourneyFacts]] = defaultdict(list)
    for j in journeys:
        f = summarise(j, ref_date)
        if f is not None and f.referral_on is not None:
            by_child[j.child_id].append(f)
    out: list[CinChild] = []
    withheld: list[Withheld] = []
    for child_id in sorted(by_child):
        facts = sorted(by_child[child_id], key=lambda f: (f.referral_on, f.ref))
        in_year = [f for f in facts if f.closed_on is None or f.closed_on >= start]
        if not in_year:
            continue
        problems = child_problems(children.get(child_id), child_id)
        episodes: list[CinEpisode] = []
        previous_plans = 0
        for f in facts:
            ep, eprobs = _episode(f, cal, previous_plans)
            if ep is not None:
                previous_plans += len(ep.cp_plans)
            if f in in_year:
                problems += eprobs
                if ep is not None:
                    episodes.append(ep)
        if problems:
            withheld.append(
                Withheld(child_id, tuple(f.ref for f in in_year), tuple(dict.fromkeys(problems)))
            )
            continue
        child = children[child_id]
        out.append(CinChild(child, tuple(episodes)))
    return CinCensus(year, la_code, ref_date, tuple(out), tuple(withheld))


# --- Ofsted Annex A -------------------------------------------------------------------------
ETHNICITY_LABEL = {
    code: f"{letter}) {code}"
    for letter, code in zip("abcdefghijklmnopqrs", ETHNICITY_ORDER[:-1], strict=True)
}
ETHNICITY_LABEL["NOBT"] = "s) NOBT"  # as the Ofsted template has it (two "s)" labels)
GENDER_LABEL = {"F": "b) Female", "M": "a) Male", "U": "c) Not stated/recorded"}
_SOURCE_LETTER = {
    "1A": "a", "1B": "b", "1C": "c", "1D": "d", "2A": "e", "2B": "f", "3A": "g", "3B": "h",
    "3C": "i", "3D": "j", "3E": "k", "3F": "l", "4": "m", "5A": "n", "5B": "o", "5C": "p",
    "6": "q", "7": "r", "8": "s", "9": "t", "10": "u",
}  # fmt: skip
_SOURCE_NAME = {
    "1": "Individual", "2A": "Schools", "2B": "Education services", "3": "Health services",
    "4": "Housing", "5": "LA services", "6": "Police", "7": "Other legal agency", "8": "Other",
    "9": "Anonymous", "10": "Unknown",
}  # fmt: skip


def source_label(code: str | None) -> str:
    """The Annex A labelled code of a DfE referral source (5D has no Annex A label: 5C's group)."""
    if code is None:
        return ""
    letter = _SOURCE_LETTER.get(code)
    if letter is None:
        return code
    name = _SOURCE_NAME.get(code) or _SOURCE_NAME.get(code[0], "")
    return f"{letter}) {code}: {name}"


YES, NO, UNKNOWN = "a) Yes", "b) No", "c) Unknown"


def yes_no(value: bool | None) -> str:
    return UNKNOWN if value is None else (YES if value else NO)


def uk_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def age_years(born: date | None, on: date) -> int | None:
    if born is None or born > on:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def months_before(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    m += 1
    day = d.day
    while True:
        try:
            return date(y, m, day)
        except ValueError:
            day -= 1


LIST_COLUMNS: dict[str, tuple[str, ...]] = {}
_CHILD_COLS = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)")
_ALLOC = ("Allocated Team", "Allocated Worker")
LIST_COLUMNS["list_1_contacts"] = (*_CHILD_COLS, "Date of Contact", "Contact Source")
LIST_COLUMNS["list_3_referrals"] = (
    *_CHILD_COLS,
    "Date of referral",
    "Referral Source",
    "Referral NFA?",
    "Number of Referrals in Last 12 Months",
    *_ALLOC,
)
LIST_COLUMNS["list_4_assessments"] = (
    *_CHILD_COLS,
    "Does the Child have a Disability",
    "Continuous Assessment Start Date",
    "Child Seen During Continuous Assessment",
    "Continuous Assessment Date of Authorisation",
    "Was the child assessed as requiring LA children's social care support?",
    *_ALLOC,
)
LIST_COLUMNS["list_5_s47"] = (
    *_CHILD_COLS,
    "Does the Child have a Disability",
    "Strategy discussion initiating Section 47 Enquiry Start Date",
    "Was an Initial Child Protection Conference deemed unnecessary?",
    "Date of Initial Child Protection Conference",
    "Did the Initial Child Protection Conference Result in a Child Protection Plan",
    "Number of Section 47 Enquiries in the last 12 months",
    "Number of ICPCs in the last 12 months",
    *_ALLOC,
)


@dataclass(frozen=True)
class AnnexA:
    as_of: date
    window_start: date  # the day after as_of minus six months
    lists: Mapping[str, tuple[tuple[str, ...], ...]]  # name -> rows (cells as text)
    refs: Mapping[str, tuple[str, ...]]  # name -> journey ref of each row

    def columns(self, name: str) -> tuple[str, ...]:
        return LIST_COLUMNS[name]


def _disability(child: ChildInfo | None) -> str:
    if child is None or not child.disabilities:
        return UNKNOWN
    return NO if child.disabilities == ("NONE",) else YES


def build_annex_a(
    journeys: Iterable[JourneyInput],
    children: Mapping[str, ChildInfo],
    *,
    as_of: date,
    staff_names: Mapping[str, str] | None = None,
) -> AnnexA:
    """Annex A lists 1, 3, 4 and 5 for the six months up to and including ``as_of``.

    A row belongs to a list when its defining date falls in the window: the contact date (1),
    the referral date (3), the assessment's start or authorisation date (4), the s47 start or
    the ICPC date (5). Counts "in the last 12 months" are of the child's referrals, s47
    enquiries and ICPCs dated in the 12 months up to ``as_of``.
    """
    names = staff_names or {}
    lo = months_before(as_of, 6)
    lo12 = months_before(as_of, 12)
    facts = [f for j in journeys if (f := summarise(j, as_of)) is not None]
    facts.sort(key=lambda f: (f.contact_on, f.child_id, f.ref))

    def in_window(*days: date | None) -> bool:
        return any(d is not None and lo < d <= as_of for d in days)

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for f in facts:
        c = counts[f.child_id]
        c["referrals"] += bool(f.referral_on and lo12 < f.referral_on <= as_of)
        c["s47"] += bool(f.s47_start and lo12 < f.s47_start <= as_of)
        c["icpc"] += bool(f.icpc_on and lo12 < f.icpc_on <= as_of)

    lists: dict[str, list[tuple[str, ...]]] = {k: [] for k in LIST_COLUMNS}
    refs: dict[str, list[str]] = {k: [] for k in LIST_COLUMNS}

    for f in facts:
        child = children.get(f.child_id)
        born = child.birth_date if child else None

        def base(
            on: date,
            child_id: str = f.child_id,
            child: ChildInfo | None = child,
            born: date | None = born,
        ) -> list[str]:
            age = age_years(born, on)
            return [
                child_id,
                GENDER_LABEL.get(child.sex or "", "") if child else "",
                ETHNICITY_LABEL.get(child.ethnicity or "", "") if child else "",
                uk_date(born),
                "" if age is None else str(age),
            ]

        alloc = [f.team, names.get(f.worker, f.worker) if f.worker else ""]
        if in_window(f.contact_on):
            lists["list_1_contacts"].append(
                (*base(f.contact_on), uk_date(f.contact_on), source_label(f.source))
            )
            refs["list_1_contacts"].append(f.ref)
        if f.referral_on is not None and in_window(f.referral_on):
            nfa = None if f.referral_outcome is None else f.referral_outcome == "no_further_action"
            lists["list_3_referrals"].append(
                (
                    *base(f.referral_on),
                    uk_date(f.referral_on),
                    source_label(f.source),
                    yes_no(nfa),
                    str(counts[f.child_id]["referrals"]),
                    *alloc,
                )
            )
            refs["list_3_referrals"].append(f.ref)
        start = f.assessment_started_on or (f.referral_on if f.assessment_authorised_on else None)
        if start is not None and in_window(start, f.assessment_authorised_on):
            support: bool | None = None
            if f.assessment_outcome is not None:
                support = f.assessment_outcome in ("cin_plan", "strategy_discussion")
            lists["list_4_assessments"].append(
                (
                    *base(start),
                    _disability(child),
                    uk_date(start),
                    yes_no(f.child_seen),
                    uk_date(f.assessment_authorised_on),
                    yes_no(support) if f.assessment_authorised_on else "",
                    *alloc,
                )
            )
            refs["list_4_assessments"].append(f.ref)
        if f.s47_start is not None and in_window(f.s47_start, f.icpc_on):
            unnecessary = None if f.s47_outcome is None else f.s47_outcome == "no_icpc"
            plan = None if f.icpc_outcome is None else f.icpc_outcome == "cp_plan"
            lists["list_5_s47"].append(
                (
                    *base(f.s47_start),
                    _disability(child),
                    uk_date(f.s47_start),
                    yes_no(unnecessary),
                    uk_date(f.icpc_on),
                    yes_no(plan) if f.icpc_on else "",
                    str(counts[f.child_id]["s47"]),
                    str(counts[f.child_id]["icpc"]),
                    *alloc,
                )
            )
            refs["list_5_s47"].append(f.ref)
    return AnnexA(
        as_of=as_of,
        window_start=lo,
        lists={k: tuple(v) for k, v in lists.items()},
        refs={k: tuple(v) for k, v in refs.items()},
    )
