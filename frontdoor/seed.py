"""A deterministic synthetic caseload for the demo and the tests.

``generate_caseload(today)`` returns JSON-ready record dicts, as they would appear one per line in
an import file: the staff roster, then ``child_details`` for every child, then the events of every
journey sorted by local date. Everything is fictional (names, children, identifiers) and every
record satisfies the record contract (:mod:`timescales.records`) and the guards
(:mod:`timescales.guards`).

Journeys start on the working days of the last 60 working days before ``today`` and are played
out with realistic proportions and timings (DOMAIN.md national figures, loosely): most clocks are
met, some are met late, and some journeys have stalled and are overdue as of ``today``. Events
that would fall after ``today`` have not happened yet and are left out, so recent journeys are
naturally still open.

The same ``(today, journeys, seed, teams)`` always gives the same records.

    python -m frontdoor.seed --today 2026-11-27 --journeys 240 --seed 7 > caseload.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from timescales.calendar import OutsideCalendarHorizon, WorkingCalendar
from timescales.pathway import load_pathway

__all__ = ["DEFAULT_PATHWAY", "WINDOW_WORKING_DAYS", "generate_caseload", "main", "write_jsonl"]

LONDON = ZoneInfo("Europe/London")
DEFAULT_PATHWAY = Path(__file__).resolve().parent.parent / "pathways" / "default.yaml"
WINDOW_WORKING_DAYS = 60  # journeys start within this many working days before today
EMAIL_DOMAIN = "example.gov.uk"
SOCIAL_WORKERS_PER_TEAM = 4

_FAR = date.max  # "not before the calendar's horizon ends": never happens as of today
_T = TypeVar("_T")

# --- fictional names ------------------------------------------------------------------------
# 25 first names and 24 surnames (coprime lengths: every index gives a new pairing).
_FIRST = (
    "Ada", "Bram", "Cleo", "Dev", "Esme", "Finn", "Gwen", "Hari", "Isla", "Jude", "Kit", "Luca",
    "Mira", "Nell", "Omar", "Pip", "Quin", "Rosa", "Sol", "Tam", "Una", "Vic", "Wren", "Yara",
    "Zac",
)  # fmt: skip
_LAST = (
    "Testington", "Samplewood", "Exampleby", "Mockridge", "Placeholder", "Fictionby",
    "Demoford", "Pretendale", "Synthwick", "Madeupton", "Notrealey", "Inventon", "Fablewick",
    "Storybrook", "Dreamfield", "Makebelieve", "Mythwell", "Fancyholt", "Whimsey",
    "Taletower", "Figmentby", "Yarnley", "Daydreame", "Pseudonym",
)  # fmt: skip

# --- code lists with rough national weights -------------------------------------------------
_SOURCES = ("6", "2A", "2B", "3A", "3B", "3C", "3E", "1A", "1B", "1C", "5A", "5B", "5D", "4",
            "7", "8", "9", "10")  # fmt: skip
_SOURCE_WEIGHTS = (30, 14, 3, 4, 5, 3, 2, 3, 5, 2, 4, 2, 2, 3, 3, 4, 1, 2)
_NEEDS = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9", "N0")
_NEED_WEIGHTS = (55, 3, 5, 9, 17, 4, 1, 2, 3, 1)
_ETHNICITY = (
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)  # fmt: skip
_ETHNICITY_WEIGHTS = (62, 1, 1, 5, 1, 3, 2, 2, 3, 2, 4, 2, 2, 1, 4, 1, 1, 2, 1, 2)
_DISABILITIES = ("LD", "AUT", "COMM", "BEH", "MOB", "HEAR", "VIS", "CON", "PC", "HAND")
_FACTORS = ("3A", "3B", "4B", "2B", "1B", "16A", "15A", "17A", "5B", "9A", "10A", "14A", "22A",
            "18B", "6B", "24A", "13A")  # fmt: skip
_FACTOR_WEIGHTS = (14, 10, 12, 8, 6, 9, 10, 6, 3, 3, 3, 4, 3, 2, 2, 2, 3)
_CATEGORIES = ("NEG", "EMO", "PHY", "SAB", "MUL")
_CATEGORY_WEIGHTS = (50, 33, 8, 4, 5)
_DISPENSED_REASONS = (
    "Seeking consent would place the child at risk of significant harm.",
    "The parent is the alleged perpetrator; seeking consent could compromise a police "
    "investigation.",
    "Urgent safeguarding concern: delaying to seek consent would increase the risk to the child.",
)
_DELAY_REASONS = (
    ("family_unavailable", "Parents unable to attend within 15 working days; date agreed with "
     "the family so they can take part."),
    ("partner_information", "Health and police reports awaited; conference would be unable to "
     "make a safe decision without them."),
    ("chair_unavailable", "No conference chair available within timescale; earliest date "
     "offered and risk reviewed by the team manager."),
    ("interpreter_required", "Interpreter needed for the mother; earliest booking available."),
)  # fmt: skip

# The front-door paths and their shares of all journeys (contact-only outcomes ~35%).
_PATHS = ("contact_nfa", "contact_advice", "contact_early_help", "referral_nfa", "assessment",
          "strategy")  # fmt: skip
_PATH_WEIGHTS = (14, 11, 10, 6, 41, 18)
_CONTACT_OUTCOME = {
    "contact_nfa": "no_further_action",
    "contact_advice": "advice",
    "contact_early_help": "early_help",
}

# Scripted journeys (working days before today, forced choices): whatever the seed, the caseload
# holds every clock status and gate, a dispensed consent and a child with two journeys.
_SCRIPT: tuple[tuple[int, dict[str, Any]], ...] = (
    (1, {"path": "contact_nfa", "contact_lag": None}),  # contact decision due today
    (6, {"path": "contact_advice", "contact_lag": None}),  # stalled at contact: overdue
    (10, {"path": "assessment", "contact_lag": 0, "decision_lag": 0, "assessment_wd": None}),
    (44, {"path": "assessment", "contact_lag": 0, "decision_lag": 0, "assessment_wd": None}),
    (58, {"path": "assessment", "assessment_wd": None}),  # stalled assessment: overdue
    (52, {"path": "assessment", "contact_lag": 0, "decision_lag": 1, "assessment_wd": 50}),
    (50, {"path": "assessment", "consent": "dispensed", "assessment_outcome": "cin_plan"}),
    (15, {"path": "referral_nfa"}),
    (57, {"path": "contact_nfa", "contact_lag": 0}),
    (20, {"path": "contact_early_help", "repeat": True}),
    *(
        (
            k,
            {
                "path": "strategy",
                "consent": "dispensed",
                "contact_lag": 0,
                "decision_lag": 0,
                "strategy_lag": 0,
                "strategy_outcome": "s47",
                "second_strategy": False,
                "s47_lag": 6,
                "s47_outcome": "icpc",
                "safety_plan": "next_day",
                **extra,
            },
        )
        for k, extra in (
            (34, {"icpc_timing": "late", "delay": "before"}),
            (36, {"icpc_timing": "late", "delay": "missing"}),
            (38, {"icpc_timing": "on_time", "safety_plan": "missing"}),
            (40, {"icpc_timing": "on_time", "second_strategy": True}),
            (42, {"icpc_timing": "late", "delay": "after"}),
        )
    ),
)


# --- roster ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Member:
    staff_id: str
    name: str
    role: str
    team: str
    manager: str | None


@dataclass(frozen=True)
class _Roster:
    members: tuple[_Member, ...]
    social_workers: Mapping[str, tuple[str, ...]]
    team_manager: Mapping[str, str]
    chairs: tuple[str, ...]


def _build_roster(teams: Sequence[str]) -> _Roster:
    members: list[_Member] = []
    counter = 0

    def add(staff_id: str, role: str, team: str, manager: str | None) -> None:
        nonlocal counter
        name = f"{_FIRST[counter % len(_FIRST)]} {_LAST[counter % len(_LAST)]}"
        counter += 1
        members.append(_Member(staff_id, name, role, team, manager))

    hos, sm = "hos-1", "sm-1"
    add(hos, "head_of_service", "service", None)
    add(sm, "service_manager", "service", hos)
    workers: dict[str, tuple[str, ...]] = {}
    managers: dict[str, str] = {}
    for team in teams:
        tm = f"tm-{team}"
        managers[team] = tm
        add(tm, "team_manager", team, sm)
        workers[team] = tuple(f"sw-{team}-{n}" for n in range(1, SOCIAL_WORKERS_PER_TEAM + 1))
        for sw in workers[team]:
            add(sw, "social_worker", team, tm)
    chairs = ("chair-1", "chair-2")
    for chair in chairs:
        add(chair, "conference_chair", "cp_unit", hos)
    add("ops-1", "ops", "performance", None)
    return _Roster(tuple(members), workers, managers, chairs)


def _staff_record(m: _Member) -> dict[str, Any]:
    local = m.name.lower().replace(" ", ".")
    rec: dict[str, Any] = {
        "id": f"staff-{m.staff_id}",
        "type": "staff",
        "staff_id": m.staff_id,
        "name": m.name,
        "email": f"{local}@{EMAIL_DOMAIN}",
        "role": m.role,
        "team": m.team,
    }
    if m.manager is not None:
        rec["manager"] = m.manager
    return rec


# --- journeys -------------------------------------------------------------------------------
@dataclass
class _Event:
    type: str
    on: date
    fields: dict[str, Any]
    order: int


@dataclass
class _Journey:
    start: date
    team: str
    path: str = ""
    events: list[_Event] = field(default_factory=list)
    child: str = ""

    def ended_on(self, today: date) -> date | None:
        """The date the journey ended (as of today), or None while it is open."""
        for ev in sorted(self.events, key=lambda e: (e.on, e.order)):
            if ev.on > today:
                return None
            if ev.type == "closed" or (
                ev.type == "contact_outcome" and ev.fields["outcome"] != "referral"
            ):
                return ev.on
        return None


class _Builder:
    """Plays one journey out from its contact; choices may be forced by a script."""

    def __init__(
        self,
        rng: random.Random,
        cal: WorkingCalendar,
        roster: _Roster,
        journey: _Journey,
        force: Mapping[str, Any],
    ) -> None:
        self.rng = rng
        self.cal = cal
        self.roster = roster
        self.j = journey
        self.force = force
        self.tm = roster.team_manager[journey.team]
        self.worker = rng.choice(roster.social_workers[journey.team])
        self.chair = rng.choice(roster.chairs)
        self.referral: date = journey.start
        self.assessment_started = False

    # helpers
    def pick(self, key: str, options: Sequence[_T], weights: Sequence[float]) -> _T:
        if key in self.force:
            return cast(_T, self.force[key])
        return self.rng.choices(options, weights)[0]

    def wd(self, d: date, n: int) -> date:
        if d == _FAR:
            return _FAR
        try:
            return self.cal.add_working_days(d, n)
        except OutsideCalendarHorizon:
            return _FAR

    def add(self, type_: str, on: date, **fields: Any) -> None:
        kept = {k: v for k, v in fields.items() if v is not None}
        self.j.events.append(_Event(type_, on, kept, len(self.j.events)))

    def latest(self) -> date:
        return max(e.on for e in self.j.events)

    def close(self, on: date, reason: str) -> None:
        self.add("closed", max(on, self.latest()), reason=reason, by=self.tm)

    def factors(self, none_likely: bool) -> list[str]:
        if none_likely and self.rng.random() < 0.4:
            return ["21"]
        k = self.rng.choices((1, 2, 3), (45, 38, 17))[0]
        chosen: list[str] = []
        while len(chosen) < k:
            f = self.rng.choices(_FACTORS, _FACTOR_WEIGHTS)[0]
            if f not in chosen:
                chosen.append(f)
        return sorted(chosen)

    def assessment_wd(self) -> int | None:
        """Working days from referral to authorisation: ~85% within 45 (median in the 30s)."""
        if "assessment_wd" in self.force:
            return cast("int | None", self.force["assessment_wd"])
        r = self.rng.random()
        if r < 0.05:
            return None  # stalled: never authorised
        if r < 0.17:
            return self.rng.randint(46, 58)
        return round(self.rng.triangular(10, 45, 36))

    def start_assessment(self, after: date, max_lag: int = 3) -> None:
        if self.assessment_started:
            return
        lag = self.rng.choices(range(max_lag + 1), (40, 35, 15, 10)[: max_lag + 1])[0]
        self.add("assessment_started", self.wd(after, lag), worker=self.worker, by=self.worker)
        self.assessment_started = True

    def authorise(self, on: date, outcome: str) -> None:
        self.add(
            "assessment_authorised",
            on,
            outcome=outcome,
            factors=self.factors(outcome in ("no_further_action", "early_help")),
            child_seen=self.rng.random() < 0.96,
            by=self.tm,
        )

    # the journey
    def build(self) -> None:
        rng, s = self.rng, self.j.start
        source = self.pick("source", _SOURCES, _SOURCE_WEIGHTS)
        contact_worker = (
            rng.choice(self.roster.social_workers[self.j.team]) if rng.random() < 0.7 else None
        )
        self.add(
            "contact_received",
            s,
            source=source,
            team=self.j.team,
            worker=contact_worker,
            by=contact_worker,
        )
        path = self.j.path = self.pick("path", _PATHS, _PATH_WEIGHTS)
        lag = self.pick("contact_lag", (0, 1, 2, 3, None), (56, 32, 6, 3, 3))
        if lag is None:
            return  # stalled at the front door: no screening decision recorded
        c = self.wd(s, lag)
        if path.startswith("contact_"):
            outcome = _CONTACT_OUTCOME[path]
            consent = {
                "no_further_action": self.pick("consent", ("not_required", "obtained"), (7, 3)),
                "advice": self.pick("consent", ("obtained", "not_required"), (6, 4)),
                "early_help": "obtained",
            }[outcome]
            self.add("contact_outcome", c, outcome=outcome, consent=consent, by=self.tm)
            return
        weights = (45, 15, 40) if path == "strategy" else (80, 11, 9)
        consent = self.pick("consent", ("obtained", "not_required", "dispensed"), weights)
        dispensed = consent == "dispensed"
        self.add(
            "contact_outcome",
            c,
            outcome="referral",
            consent=consent,
            consent_reason=rng.choice(_DISPENSED_REASONS) if dispensed else None,
            approved_by=self.tm if dispensed else None,
            by=self.tm,
        )
        self.referral = c
        lag = self.pick("decision_lag", (0, 1, 2, 3, None), (55, 33, 6, 3, 3))
        if lag is None:
            return  # referral never decided: stalled
        d = self.wd(c, lag)
        decision = {
            "referral_nfa": "no_further_action",
            "assessment": "assessment",
            "strategy": "strategy_discussion",
        }[path]
        need_weights = (10, 0, 5, 15, 20, 5, 5, 5, 30, 5) if path == "referral_nfa" else None
        self.add(
            "referral_decision",
            d,
            outcome=decision,
            primary_need=rng.choices(_NEEDS, need_weights or _NEED_WEIGHTS)[0],
            worker=self.worker,
            by=self.tm,
        )
        if path == "referral_nfa":
            self.close(d, "RC8")
        elif path == "assessment":
            self.assessment(d)
        else:
            self.strategy(d, assessment_open=True)

    def assessment(self, d: date) -> None:
        self.start_assessment(d)
        dur = self.assessment_wd()
        if dur is None:
            return
        a = max(self.wd(self.referral, dur), self.latest())
        outcome = self.pick(
            "assessment_outcome",
            ("no_further_action", "early_help", "cin_plan", "strategy_discussion"),
            (27, 19, 39, 15),
        )
        self.authorise(a, outcome)
        self.after_assessment(a, outcome)

    def after_assessment(self, a: date, outcome: str) -> None:
        rng = self.rng
        # RC8/RC9 ("closed after assessment") cannot follow a section 47 enquiry or a plan
        # (CIN census rule 2990): such a case closes as RC7, services ceased.
        s47 = any(
            e.type == "strategy_discussion" and e.fields.get("outcome") == "s47"
            for e in self.j.events
        )
        if outcome == "no_further_action":
            self.close(self.wd(a, rng.choice((0, 0, 1, 2))), "RC7" if s47 else "RC8")
        elif outcome == "early_help":
            self.close(self.wd(a, rng.choice((0, 1, 2, 3))), "RC7" if s47 else "RC9")
        elif outcome == "cin_plan":
            if rng.random() < 0.12:
                reason = rng.choices(("RC7", "RC5", "RC3"), (6, 3, 1))[0]
                self.close(self.wd(a, rng.randint(10, 40)), reason)
        else:
            self.strategy(a, assessment_open=False)

    def finish_assessment(self, after: date, outcomes: Sequence[str], w: Sequence[int]) -> None:
        """Authorise an assessment that ran alongside a strategy discussion / s47 enquiry."""
        dur = self.assessment_wd()
        if dur is None:
            return
        a = max(self.wd(self.referral, dur), self.wd(after, self.rng.randint(0, 3)))
        outcome = self.rng.choices(outcomes, w)[0]
        self.authorise(a, outcome)
        self.after_assessment(a, outcome)

    def strategy(self, f: date, assessment_open: bool) -> None:
        rng = self.rng
        if assessment_open:
            self.start_assessment(f, max_lag=1)
        lag = self.pick("strategy_lag", (0, 1, 2, 3, None), (50, 33, 10, 4, 3))
        if lag is None:
            return  # strategy discussion never held: stalled
        st = self.wd(f, lag)
        outcome = self.pick("strategy_outcome", ("s47", "no_s47"), (80, 20))
        self.add("strategy_discussion", st, outcome=outcome, by=self.tm)
        if outcome == "no_s47":
            if assessment_open:
                self.finish_assessment(
                    st, ("cin_plan", "no_further_action", "early_help"), (55, 30, 15)
                )
            return
        last = st
        if self.pick("second_strategy", (True, False), (7, 93)):
            last = self.wd(st, rng.randint(3, 7))  # new information: a second s47 discussion
            self.add("strategy_discussion", last, outcome="s47", by=self.tm)
        conc_lag = self.pick("s47_lag", (4, 5, 6, 7, 8, 9, 10, None), (8, 12, 14, 14, 12, 10, 8, 3))
        if conc_lag is None:
            return  # s47 enquiry never concluded: the ICPC clock runs on
        sc = self.wd(last, conc_lag)
        s47_outcome = self.pick("s47_outcome", ("icpc", "no_icpc"), (58, 42))
        self.add("s47_concluded", sc, outcome=s47_outcome, by=self.tm)
        if s47_outcome == "no_icpc":
            if assessment_open:
                self.finish_assessment(
                    sc, ("cin_plan", "no_further_action", "early_help"), (50, 35, 15)
                )
            return
        self.icpc(last, sc, conc_lag, assessment_open)

    def icpc(self, last: date, sc: date, conc_lag: int, assessment_open: bool) -> None:
        rng = self.rng
        due = self.wd(last, 15)
        timing = self.pick("icpc_timing", ("on_time", "late", "stall"), (78, 17, 5))
        held: date | None = None
        if timing == "on_time":
            held = self.wd(last, rng.randint(max(conc_lag + 2, 9), 15))
        elif timing == "late":
            held = self.wd(last, rng.randint(16, 24))
        plan = self.pick(
            "safety_plan", ("next_day", "late", "missing", "after_icpc"), (72, 10, 12, 6)
        )
        # The safety plan clock starts at the s47 conclusion: the plan is recorded after it.
        if plan == "next_day":
            self.add("safety_plan_recorded", self.wd(sc, 1), **self.plan_fields())
        elif plan == "late":
            on = self.wd(sc, rng.randint(2, 3))
            self.add("safety_plan_recorded", min(on, held or on), **self.plan_fields())
        if timing != "on_time":
            delay = self.pick("delay", ("before", "after", "missing"), (45, 30, 25))
            if delay != "missing":
                on = (
                    max(self.wd(due, -rng.randint(0, 3)), sc)
                    if delay == "before"
                    else self.wd(due, rng.randint(1, 3))
                )
                reason, rationale = rng.choice(_DELAY_REASONS)
                self.add(
                    "icpc_delay_agreed",
                    on,
                    reason=reason,
                    rationale=rationale,
                    manager=self.tm,
                    chair=self.chair,
                    by=self.tm,
                )
        if assessment_open:
            if held is None:
                self.finish_assessment(sc, ("cin_plan",), (1,))
            else:
                self.authorise(min(self.wd(sc, rng.randint(0, 3)), held), "cin_plan")
        if held is None:
            return  # ICPC never held: stalled and overdue
        cp_plan = rng.random() < 0.86
        self.add(
            "icpc_held",
            held,
            outcome="cp_plan" if cp_plan else "no_plan",
            category=rng.choices(_CATEGORIES, _CATEGORY_WEIGHTS)[0] if cp_plan else None,
            by=self.chair,
        )
        if plan == "after_icpc":
            self.add("safety_plan_recorded", self.wd(held, rng.randint(1, 3)), **self.plan_fields())
        if not cp_plan and rng.random() < 0.35:
            self.close(self.wd(held, rng.randint(5, 25)), "RC7")

    def plan_fields(self) -> dict[str, Any]:
        n = sum(1 for e in self.j.events if e.type == "safety_plan_recorded") + 1
        return {"document": f"Safety plan v{n} (demo)", "by": self.worker}


# --- children -------------------------------------------------------------------------------
def _upn(rng: random.Random) -> str:
    """A fictional UPN with a valid DfE check letter. Characters 2-4 must be a recognised DfE
    LA code (CIN census rule 1530), so they are 201; the rest is random."""
    body = (
        "201"
        + f"{rng.randint(1000, 9999)}"
        + f"{rng.randint(10, 24)}"
        + f"{rng.randint(0, 999):03d}"
    )
    total = sum(int(ch) * pos for pos, ch in enumerate(body, start=2))
    return "ABCDEFGHJKLMNPQRTUVWXYZ"[total % 23] + body


def _child_record(
    rng: random.Random, child: str, first_contact: date, today: date
) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": f"child-{child}", "type": "child_details", "child": child}
    if rng.random() < 0.02:  # pre-birth referral: expected date of birth
        rec["expected_birth_date"] = (today + timedelta(days=rng.randint(14, 150))).isoformat()
        rec["sex"] = "U"
        rec["ethnicity"] = rng.choices(_ETHNICITY, _ETHNICITY_WEIGHTS)[0]
        rec["upn_unknown"] = "UN1"
        rec["disabilities"] = ["NONE"]
        return rec
    age = rng.choices((0, 1, 2, 3, 4), (12, 18, 30, 32, 8))[0]
    lo, hi = ((0, 1), (1, 5), (5, 10), (10, 16), (16, 18))[age]
    days = rng.randint(max(lo * 365, 20), hi * 365 - 1)
    born = first_contact - timedelta(days=days)
    rec["birth_date"] = born.isoformat()
    rec["sex"] = rng.choices(("M", "F", "U"), (50, 49, 1))[0]
    rec["ethnicity"] = rng.choices(_ETHNICITY, _ETHNICITY_WEIGHTS)[0]
    if days < 6 * 365:
        rec["upn_unknown"] = "UN1"
    elif rng.random() < 0.92:
        rec["upn"] = _upn(rng)
    else:
        rec["upn_unknown"] = rng.choice(("UN2", "UN4", "UN5"))
    if rng.random() < 0.11:
        k = rng.choice((1, 1, 2))
        rec["disabilities"] = sorted(rng.sample(_DISABILITIES, k))
    else:
        rec["disabilities"] = ["NONE"]
    return rec


# --- timing ---------------------------------------------------------------------------------
_TIMED_SHARE = {"contact_received": 0.4, "strategy_discussion": 0.5, "icpc_held": 0.5}


def _at_values(rng: random.Random, events: Sequence[_Event], today: date) -> list[str]:
    """``at`` for each event (already in date order): mostly dates, some London times with
    their offset; times within a day rise through the journey; nothing timed on ``today``."""
    out: list[str] = []
    last_minute: dict[date, int] = {}
    for ev in events:
        if ev.on < today and rng.random() < _TIMED_SHARE.get(ev.type, 0.15):
            lo = max(8 * 60 + 30, last_minute.get(ev.on, 0) + 5)
            lo = -(-lo // 5) * 5
            hi = min(17 * 60 + 45, lo + 240)
            if lo <= hi:
                minute = lo + 5 * rng.randint(0, (hi - lo) // 5)
                last_minute[ev.on] = minute
                local = datetime(ev.on.year, ev.on.month, ev.on.day, tzinfo=LONDON)
                local = local.replace(hour=minute // 60, minute=minute % 60)
                out.append(local.isoformat())
                continue
        out.append(ev.on.isoformat())
    return out


def _deck(rng: random.Random, n: int, options: Sequence[str], weights: Sequence[int]) -> list[str]:
    """``n`` options in proportion to ``weights`` (largest remainder), shuffled."""
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(options)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    cards = [o for o, c in zip(options, counts, strict=True) for _ in range(c)]
    rng.shuffle(cards)
    return cards


# --- public API -----------------------------------------------------------------------------
def default_calendar() -> WorkingCalendar:
    """The working calendar of the default pathway."""
    return load_pathway(DEFAULT_PATHWAY).working_calendar()


def generate_caseload(
    today: date,
    journeys: int = 240,
    seed: int = 7,
    teams: tuple[str, ...] = ("north", "south", "east"),
    calendar: WorkingCalendar | None = None,
) -> list[dict[str, Any]]:
    """A synthetic caseload as of ``today``: staff, then child details, then journey events.

    Deterministic in its arguments. ``journeys`` counts every journey, including a few second
    journeys of the same child (a new contact after the first journey ended).
    """
    if journeys < 0:
        raise ValueError("journeys must not be negative")
    if not teams or len(set(teams)) != len(teams):
        raise ValueError("give at least one team, each once")
    bad = [t for t in teams if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,60}", t)]
    if bad:
        raise ValueError(f"team ids are letters, digits and _ . - only: {', '.join(bad)}")
    cal = calendar if calendar is not None else default_calendar()
    rng = random.Random(seed)
    roster = _build_roster(teams)

    # When each journey starts, and what (if anything) its script forces.
    # Unscripted journeys take their paths from a shuffled deck, so the shares hold exactly.
    scripted = min(journeys, len(_SCRIPT))
    deck = _deck(rng, journeys - scripted, _PATHS, _PATH_WEIGHTS)
    plans: list[tuple[date, int, dict[str, Any]]] = []
    for i in range(journeys):
        if i < scripted:
            k, force = _SCRIPT[i]
        else:
            k, force = rng.randint(1, WINDOW_WORKING_DAYS), {"path": deck[i - scripted]}
        plans.append((cal.add_working_days(today, -k), i, force))
    plans.sort(key=lambda p: (p[0], p[1]))

    built: list[_Journey] = []
    children: list[str] = []
    first_contact: dict[str, date] = {}
    journeys_of: dict[str, list[_Journey]] = {}
    next_child = 100
    for start, _, force in plans:
        eligible = [
            c
            for c in children
            if len(journeys_of[c]) == 1
            and (end := journeys_of[c][0].ended_on(today)) is not None
            and end < start
        ]
        repeat = bool(eligible) and bool(force.get("repeat") or rng.random() < 0.05)
        if repeat:
            child = rng.choice(eligible)
            team = journeys_of[child][0].team
        else:
            next_child += rng.randint(1, 9)
            child = f"C{next_child:06d}"
            team = rng.choices(teams, [3 + i % 2 for i in range(len(teams))])[0]
            children.append(child)
            first_contact[child] = start
            journeys_of[child] = []
        journey = _Journey(start=start, team=team, child=child)
        _Builder(rng, cal, roster, journey, force).build()
        journey.events = sorted(
            (e for e in journey.events if e.on <= today), key=lambda e: (e.on, e.order)
        )
        journeys_of[child].append(journey)
        built.append(journey)

    records: list[dict[str, Any]] = [_staff_record(m) for m in roster.members]
    records += [_child_record(rng, c, first_contact[c], today) for c in sorted(children)]
    events: list[tuple[date, dict[str, Any]]] = []
    for journey in built:
        for ev, at in zip(journey.events, _at_values(rng, journey.events, today), strict=True):
            rec: dict[str, Any] = {"type": ev.type, "child": journey.child, "at": at}
            rec.update(ev.fields)
            events.append((ev.on, rec))
    events.sort(key=lambda e: e[0])  # stable: journeys keep their own order within a day
    for n, (_, rec) in enumerate(events, start=1):
        records.append({"id": f"ev-{n:06d}", **rec})
    return records


def write_jsonl(records: Iterable[Mapping[str, Any]], path: Path) -> int:
    """Write ``records`` one JSON object per line; returns how many were written."""
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m frontdoor.seed",
        description="Write a deterministic synthetic caseload as JSON Lines to stdout.",
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=datetime.now(LONDON).date(),
        help="the date the caseload is as of (YYYY-MM-DD; default: today in London)",
    )
    parser.add_argument("--journeys", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--teams", default="north,south,east", help="comma-separated team ids")
    parser.add_argument("--output", type=Path, help="write to this file instead of stdout")
    args = parser.parse_args(argv)
    teams = tuple(t.strip() for t in str(args.teams).split(",") if t.strip())
    try:
        records = generate_caseload(args.today, args.journeys, args.seed, teams)
    except (ValueError, OutsideCalendarHorizon) as exc:
        parser.error(str(exc))
    if args.output is not None:
        n = write_jsonl(records, args.output)
        print(f"wrote {n} records to {args.output}", file=sys.stderr)
    else:
        for rec in records:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
