"""A small caseload that covers every path of the CIN census and the scorecard (JSON Lines
records), and a converter to the pure inputs of :mod:`timescales.returns`. Nothing here imports
prefect.

Calendar (England): 2025-01-01 is a bank holiday; 2024-12-25/26 too; no other until 18 April.

    child  path                                                     months
    CA     referral, decided NFA 2 wd late, closed RC8              Jan
    CB     assessment -> CIN plan (open)                            Jan-Feb
    CC     strategy discussion without s47; assessment NFA; RC8     Jan-Feb
    CD     s47 -> ICPC on time -> CP plan; consent dispensed (TM)   Jan
    CE     s47 -> ICPC on time, no plan; closed RC7                 Jan-Feb
    CF     two s47 discussions; ICPC late on both bases, delay agreed  Jan-Feb
    CG     two s47 discussions; ICPC on time (WT) late (DfE); safety plan after it
    CH     NFA referral in June 2024, re-referred Feb 2025 (open assessment)
    CI     ICPC late, no agreed rationale                           Jan-Feb
    CJ     s47, ICPC not required; CIN plan                         Feb
    CK     contact only (NFA, decided 2 wd late): not a CIN episode Feb
    CL     referral Nov 2024, assessment authorised Feb 2025: late from referral,
           on time from its start
    CZ     referral with no child details: withheld from the census
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "integration"))

from helpers import (
    TM,
    JourneyBuilder,
    Record,
    child_details,
    staff_records,
)

from timescales.records import EVENT_TYPES
from timescales.returns import ChildInfo, JourneyInput, ReturnEvent

FACTORS = {"factors": ["3A"], "child_seen": True}


def _child(child: str, **kw: Any) -> Record:
    rec = child_details(child, **kw)
    rec["disabilities"] = ["NONE"]
    rec["upn_unknown"] = "UN2"
    return rec


def path_records() -> list[Record]:
    """Staff, child details and every journey's events (in date order per journey)."""
    js: list[JourneyBuilder] = []

    def j(child: str, prefix: str | None = None) -> JourneyBuilder:
        b = JourneyBuilder(child, prefix=prefix)
        js.append(b)
        return b

    a = j("CA")
    a.contact("2025-01-06")
    a.outcome("2025-01-06")
    a.referral_decision("2025-01-08", "no_further_action", primary_need="N9")
    a.closed("2025-01-08", "RC8")

    b = j("CB")
    b.contact("2025-01-06", source="2A")
    b.outcome("2025-01-07")
    b.referral_decision("2025-01-07", "assessment", primary_need="N1")
    b.assessment_started("2025-01-09")
    b.assessment_authorised("2025-02-10", "cin_plan", **FACTORS)

    c = j("CC")
    c.contact("2025-01-13", source="3A")
    c.outcome("2025-01-13")
    c.referral_decision("2025-01-13", "strategy_discussion", primary_need="N1")
    c.assessment_started("2025-01-14")
    c.strategy("2025-01-14", "no_s47")
    c.assessment_authorised("2025-02-17", "no_further_action", factors=["21"], child_seen=True)
    c.closed("2025-02-17", "RC8")

    d = j("CD")
    d.contact("2025-01-13")
    d.outcome("2025-01-13", consent="dispensed", consent_reason="Risk of harm", approved_by=TM)
    d.referral_decision("2025-01-13", "strategy_discussion", primary_need="N1")
    d.assessment_started("2025-01-14")
    d.strategy("2025-01-14")
    d.s47_concluded("2025-01-22")
    d.safety_plan("2025-01-23")
    d.assessment_authorised("2025-01-24", "cin_plan", factors=["3A", "4B"], child_seen=True)
    d.icpc("2025-01-31", category="NEG")

    e = j("CE")
    e.contact("2025-01-20")
    e.outcome("2025-01-20")
    e.referral_decision("2025-01-21", "strategy_discussion", primary_need="N1")
    e.assessment_started("2025-01-21")
    e.strategy("2025-01-21")
    e.s47_concluded("2025-01-29")
    e.safety_plan("2025-02-03")
    e.icpc("2025-02-04", "no_plan")
    e.assessment_authorised("2025-02-05", "no_further_action", **FACTORS)
    e.closed("2025-02-12", "RC7")

    f = j("CF")
    f.contact("2025-01-20")
    f.outcome("2025-01-20")
    f.referral_decision("2025-01-20", "strategy_discussion", primary_need="N1")
    f.strategy("2025-01-20")
    f.assessment_started("2025-01-21")
    f.strategy("2025-01-27")
    f.s47_concluded("2025-02-03")
    f.safety_plan("2025-02-04")
    f.icpc_delay("2025-02-10")
    f.assessment_authorised("2025-02-18", "cin_plan", **FACTORS)
    f.icpc("2025-02-20", category="PHY")

    g = j("CG")
    g.contact("2025-01-06")
    g.outcome("2025-01-06")
    g.referral_decision("2025-01-06", "strategy_discussion", primary_need="N1")
    g.strategy("2025-01-06")
    g.assessment_started("2025-01-07")
    g.strategy("2025-01-15")
    g.s47_concluded("2025-01-24")
    g.assessment_authorised("2025-01-30", "cin_plan", **FACTORS)
    g.icpc("2025-02-03", category="EMO")
    g.safety_plan("2025-02-04")

    h1 = j("CH", prefix="CH1")
    h1.contact("2024-06-03")
    h1.outcome("2024-06-03")
    h1.referral_decision("2024-06-04", "no_further_action", primary_need="N9")
    h1.closed("2024-06-04", "RC8")
    h2 = j("CH", prefix="CH2")
    h2.contact("2025-02-03")
    h2.outcome("2025-02-03")
    h2.referral_decision("2025-02-04", "assessment", primary_need="N2")
    h2.assessment_started("2025-02-05")

    i = j("CI")
    i.contact("2025-01-27")
    i.outcome("2025-01-27")
    i.referral_decision("2025-01-27", "strategy_discussion", primary_need="N1")
    i.strategy("2025-01-27")
    i.assessment_started("2025-01-28")
    i.s47_concluded("2025-02-05")
    i.safety_plan("2025-02-06")
    i.assessment_authorised("2025-02-21", "cin_plan", **FACTORS)
    i.icpc("2025-02-24", category="SAB")

    jj = j("CJ")
    jj.contact("2025-02-10")
    jj.outcome("2025-02-10")
    jj.referral_decision("2025-02-10", "strategy_discussion", primary_need="N1")
    jj.assessment_started("2025-02-11")
    jj.strategy("2025-02-11")
    jj.s47_concluded("2025-02-19", "no_icpc")
    jj.assessment_authorised("2025-02-25", "cin_plan", **FACTORS)

    k = j("CK")
    k.contact("2025-02-03")
    k.outcome("2025-02-05", "no_further_action", consent="not_required")

    m = j("CL")
    m.contact("2024-11-01")
    m.outcome("2024-11-01")
    m.referral_decision("2024-11-01", "assessment", primary_need="N1")
    m.assessment_started("2024-12-16")
    m.assessment_authorised("2025-02-14", "cin_plan", **FACTORS)

    z = j("CZ")
    z.contact("2025-02-10")
    z.outcome("2025-02-10")

    children = [_child(c) for c in ("CA", "CB", "CC", "CD", "CE", "CF", "CG", "CH", "CI")]
    children += [_child(c) for c in ("CJ", "CK", "CL")]
    events = [r for b in js for r in b.records]
    events.sort(key=lambda r: r["at"])  # stable: each journey keeps its order within a day
    return [*staff_records(), *children, *events]


def pure_inputs(records: list[Record]) -> tuple[list[JourneyInput], dict[str, ChildInfo]]:
    """The same caseload as :mod:`timescales.returns` inputs (journeys by record-id prefix)."""
    children: dict[str, ChildInfo] = {}
    by_journey: dict[str, list[ReturnEvent]] = {}
    child_of: dict[str, str] = {}
    for n, r in enumerate(records):
        if r["type"] == "child_details":
            children[r["child"]] = ChildInfo(
                child_id=r["child"],
                sex=r["sex"],
                ethnicity=r["ethnicity"],
                birth_date=date.fromisoformat(r["birth_date"]),
                upn_unknown=r.get("upn_unknown"),
                disabilities=tuple(r.get("disabilities", ())),
            )
        elif r["type"] in EVENT_TYPES:
            ref = r["id"].rsplit("-", 1)[0]
            child_of[ref] = r["child"]
            by_journey.setdefault(ref, []).append(
                ReturnEvent(r["type"], date.fromisoformat(r["at"][:10]), r.get("outcome"), r, n)
            )
    journeys = [
        JourneyInput(ref, child_of[ref], "north", "sw.north", tuple(evs))
        for ref, evs in by_journey.items()
    ]
    return journeys, children
