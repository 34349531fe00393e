"""CIN census, Annex A and scorecard as pure functions over the every-path caseload
(tests/returns_paths.py), each figure against a hand-computed expectation."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from returns_paths import path_records, pure_inputs

from reports.cin_xml import census_xml, check_structure
from timescales.pathway import load_pathway
from timescales.returns import build_annex_a, build_census, months_before, summarise
from timescales.scorecard import Month, build_scorecard, first_working_day, report_due

CAL = load_pathway(Path(__file__).parents[2] / "pathways" / "default.yaml").working_calendar()
D = date.fromisoformat


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    return pure_inputs(path_records())


def census(inputs):  # type: ignore[no-untyped-def]
    journeys, children = inputs
    return build_census(journeys, children, year=2025, la_code="201", cal=CAL)


def episodes(inputs):  # type: ignore[no-untyped-def]
    return {c.child.child_id: c.episodes for c in census(inputs).children}


def test_every_path_maps_to_the_census(inputs) -> None:  # type: ignore[no-untyped-def]
    eps = episodes(inputs)
    assert sorted(eps) == ["CA", "CB", "CC", "CD", "CE", "CF", "CG", "CH", "CI", "CJ", "CL"]
    (a,) = eps["CA"]  # NFA at referral
    assert (a.referral_nfa, a.closure_date, a.closure_reason, a.primary_need) == (
        True, D("2025-01-08"), "RC8", "N9",
    )  # fmt: skip
    assert a.assessments == a.section47 == a.cp_plans == a.cin_plans == ()
    (b,) = eps["CB"]  # assessment to CIN plan, open
    assert b.closure_date is None and b.source == "2A" and b.referral_date == D("2025-01-07")
    assert b.assessments[0].start == D("2025-01-09")
    assert b.assessments[0].authorised == D("2025-02-10")
    assert b.cin_plans == ((D("2025-02-10"), None),)
    (c,) = eps["CC"]  # strategy discussion without s47: no Section47 module
    assert c.section47 == () and c.assessments[0].factors == ("21",)
    (d,) = eps["CD"]  # s47 -> ICPC -> plan on the ICPC date; the CIN plan ends there
    s = d.section47[0]
    assert (s.start, s.target, s.icpc, s.icpc_not_required) == (
        D("2025-01-14"), D("2025-02-04"), D("2025-01-31"), False,
    )  # fmt: skip
    assert d.cp_plans[0].start == D("2025-01-31") and d.cp_plans[0].end is None
    assert d.cp_plans[0].initial_category == "NEG"
    assert d.cin_plans == ((D("2025-01-24"), D("2025-01-31")),)
    (e,) = eps["CE"]  # ICPC without a plan, closed
    assert e.cp_plans == () and e.closure_reason == "RC7" and e.section47[0].icpc == D("2025-02-04")
    (f,) = eps["CF"]  # the s47 starts at the first s47 discussion; target on the DfE basis
    assert f.section47[0].start == D("2025-01-20") and f.section47[0].target == D("2025-02-10")
    assert f.section47[0].icpc == D("2025-02-20")
    h1, h2 = eps["CH"]  # re-referral: two episodes, the earlier closed, the later open
    assert h1.closure_date == D("2024-06-04") and h2.closure_date is None
    (j,) = eps["CJ"]
    assert j.section47[0].icpc_not_required and j.section47[0].icpc is None
    assert [w.child_id for w in census(inputs).withheld] == ["CZ"]
    assert "no child details" in census(inputs).withheld[0].problems[0]


def test_facts_after_the_reference_date_have_not_happened(inputs) -> None:  # type: ignore[no-untyped-def]
    journeys, children = inputs
    c = build_census(journeys, children, year=2024, la_code="201", cal=CAL)
    # Year ending 31 March 2024: nothing had been referred yet.
    assert c.children == () and c.withheld == ()
    assert build_census(journeys, children, year=2026, la_code="201", cal=CAL).children


def test_census_xml_has_the_specified_structure(inputs) -> None:  # type: ignore[no-untyped-def]
    root = census_xml(census(inputs), generated_at=datetime(2025, 4, 2, 9, tzinfo=UTC))
    assert check_structure(root) == []
    child = root.find("Children/Child")
    assert child is not None
    assert [e.tag for e in child.find("ChildIdentifiers") or []] == [
        "LAchildID", "UPNunknown", "PersonBirthDate", "Sex",
    ]  # fmt: skip
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2025-03-31"


def test_structure_check_catches_what_the_dfe_validator_ignores(inputs) -> None:  # type: ignore[no-untyped-def]
    def fresh() -> tuple[ET.Element, ET.Element]:
        root = census_xml(census(inputs), generated_at=datetime(2025, 4, 2, 9, tzinfo=UTC))
        details = root.find("Children/Child/CINdetails")
        assert details is not None
        return root, details

    root, details = fresh()
    details[1].tag = "RefferalSource"
    errors = " | ".join(check_structure(root))
    assert "CINdetails lacks ReferralSource" in errors
    assert "RefferalSource not an element of the specification" in errors

    root, details = fresh()
    nfa = details.find("ReferralNFA")
    assert nfa is not None
    details.remove(nfa)
    details.insert(2, nfa)
    assert "CINdetails has PrimaryNeedCode out of order" in " ".join(check_structure(root))

    root, details = fresh()
    details[0].text = "06/01/2025"
    assert "'06/01/2025' is not a YYYY-MM-DD date" in " ".join(check_structure(root))
    gone = ET.fromstring("<Message><Header/></Message>")
    assert "Message lacks Children" in " ".join(check_structure(gone))


def figures(inputs, month: str):  # type: ignore[no-untyped-def]
    journeys, _ = inputs
    m = Month.parse(month)
    facts = [f for j in journeys if (f := summarise(j, m.last)) is not None]
    card = build_scorecard(facts, m, CAL, roles={"tm.north": "team_manager"})
    return {f.key: f for f in card.figures}


def test_scorecard_january_by_hand(inputs) -> None:  # type: ignore[no-untyped-def]
    f = figures(inputs, "2025-01")
    expect = {
        "contacts": (8, 8, 8),
        "contact_to_referral": (100.0, 8, 8),
        "re_referrals_12m": (0.0, 0, 8),
        "contact_decisions_1wd": (100.0, 8, 8),
        "referral_decisions_1wd": (87.5, 7, 8),
        "assessments_45_from_referral": (100.0, 2, 2),
        "assessments_45_from_start": (100.0, 2, 2),
        "s47s": (5, 5, 5),
        "s47_to_icpc": (100.0, 3, 3),
        "icpc_15_wt": (100.0, 1, 1),
        "icpc_15_dfe": (100.0, 1, 1),
        "icpc_to_plan": (100.0, 1, 1),
        "late_icpcs_agreed": (0, 0, 0),
        "late_icpcs_unexplained": (0, 0, 0),
        "safety_plan_before_icpc": (100.0, 1, 1),
        "consent_dispensed": (1, 1, 1),
    }
    assert {k: (v.value, v.numerator, v.denominator) for k, v in f.items()} == expect
    assert f["consent_dispensed"].breakdown == {"team_manager": 1}
    assert sorted(f["s47s"].refs) == ["CD", "CE", "CF", "CG", "CI"]
    assert f["referral_decisions_1wd"].base_refs and "CA" not in f["referral_decisions_1wd"].refs


def test_scorecard_february_by_hand(inputs) -> None:  # type: ignore[no-untyped-def]
    f = figures(inputs, "2025-02")
    expect = {
        "contacts": (4, 4, 4),
        "contact_to_referral": (75.0, 3, 4),
        "re_referrals_12m": (33.3, 1, 3),
        "contact_decisions_1wd": (75.0, 3, 4),
        "referral_decisions_1wd": (100.0, 2, 2),
        "assessments_45_from_referral": (85.7, 6, 7),
        "assessments_45_from_start": (100.0, 7, 7),
        "s47s": (1, 1, 1),
        "s47_to_icpc": (66.7, 2, 3),
        "icpc_15_wt": (50.0, 2, 4),
        "icpc_15_dfe": (25.0, 1, 4),
        "icpc_to_plan": (75.0, 3, 4),
        "late_icpcs_agreed": (1, 1, 1),
        "late_icpcs_unexplained": (1, 1, 1),
        "safety_plan_before_icpc": (75.0, 3, 4),
        "consent_dispensed": (0, 0, 0),
    }
    assert {k: (v.value, v.numerator, v.denominator) for k, v in f.items()} == expect
    assert f["re_referrals_12m"].refs == ("CH2",)
    assert f["late_icpcs_agreed"].refs == ("CF",) and f["late_icpcs_unexplained"].refs == ("CI",)
    assert f["icpc_15_dfe"].refs == ("CE",)
    assert f["assessments_45_from_start"].england == 85.7
    assert f["icpc_15_dfe"].england == 81.4 and f["re_referrals_12m"].england == 22.6
    trend = dict(f["contacts"].trend)
    assert len(trend) == 12 and trend["2025-01"] == 8 and trend["2024-06"] == 1


def test_annex_a_lists(inputs) -> None:  # type: ignore[no-untyped-def]
    journeys, children = inputs
    annex = build_annex_a(
        journeys, children, as_of=D("2025-03-31"), staff_names={"sw.north": "Sam Worker"}
    )
    assert annex.window_start == D("2024-09-30")
    contacts = dict(zip(annex.refs["list_1_contacts"], annex.lists["list_1_contacts"], strict=True))
    assert "CH1" not in contacts  # June 2024: outside the six months
    assert contacts["CB"] == ("CB", "b) Female", "a) WBRI", "04/05/2016", "8", "06/01/2025",
                              "e) 2A: Schools")  # fmt: skip
    refs = dict(zip(annex.refs["list_3_referrals"], annex.lists["list_3_referrals"], strict=True))
    assert refs["CA"][7] == "a) Yes" and refs["CB"][7] == "b) No"
    assert refs["CH2"][8] == "2"  # two referrals of CH in the 12 months to 31 March 2025
    assert refs["CB"][-2:] == ("north", "Sam Worker")
    ass = dict(
        zip(annex.refs["list_4_assessments"], annex.lists["list_4_assessments"], strict=True)
    )
    assert ass["CL"][5:10] == ("b) No", "16/12/2024", "a) Yes", "14/02/2025", "a) Yes")
    assert ass["CH2"][8:10] == ("", "")  # not yet authorised
    s47 = dict(zip(annex.refs["list_5_s47"], annex.lists["list_5_s47"], strict=True))
    assert s47["CJ"][6:10] == ("11/02/2025", "a) Yes", "", "")
    assert s47["CE"][6:10] == ("21/01/2025", "b) No", "04/02/2025", "b) No")
    assert s47["CD"][10:12] == ("1", "1")
    for name, rows in annex.lists.items():
        assert all(len(r) == len(annex.columns(name)) for r in rows)


def test_first_working_day_and_report_due() -> None:
    assert first_working_day(Month(2026, 1), CAL) == D("2026-01-02")  # 1 Jan bank holiday
    assert first_working_day(Month(2025, 11), CAL) == D("2025-11-03")  # 1 Nov a Saturday
    assert report_due(D("2026-01-02"), CAL) == Month(2025, 12)
    assert report_due(D("2026-01-01"), CAL) is None
    assert report_due(D("2026-01-05"), CAL) is None
    assert months_before(D("2025-08-31"), 6) == D("2025-02-28")
    with pytest.raises(ValueError, match="not a month"):
        Month.parse("2025-13")
