"""The CIN census as XML (DfE 2024-25 format) and a structural check of any census file.

The DfE validator (csc-validator-be-cin) ignores misspelt or misplaced elements and silently
reparses non-ISO dates, so :func:`check_structure` checks element names, order, nesting and
date formats against the specification itself.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

from timescales.returns import CinCensus, CinEpisode

SOFTWARE_CODE = "frontdoor"
RELEASE = "0.1.0"

# Each element's children in the order the specification requires ("?" optional, "*" repeats).
SCHEMA: dict[str, tuple[str, ...]] = {
    "Message": ("Header", "Children"),
    "Header": ("CollectionDetails", "Source"),
    "CollectionDetails": ("Collection", "Year", "ReferenceDate"),
    "Source": ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime"),
    "Children": ("Child*",),
    "Child": ("ChildIdentifiers", "ChildCharacteristics", "CINdetails*"),
    "ChildIdentifiers": (
        "LAchildID",
        "UPN?",
        "FormerUPN?",
        "UPNunknown?",
        "PersonBirthDate?",
        "ExpectedPersonBirthDate?",
        "Sex",
        "PersonDeathDate?",
    ),
    "ChildCharacteristics": ("Ethnicity", "Disabilities?"),
    "Disabilities": ("Disability*",),
    "CINdetails": (
        "CINreferralDate",
        "ReferralSource",
        "PrimaryNeedCode?",
        "CINclosureDate?",
        "ReasonForClosure?",
        "DateOfInitialCPC?",
        "Assessments*",
        "CINPlanDates*",
        "Section47*",
        "ReferralNFA",
        "ChildProtectionPlans*",
    ),
    "Assessments": (
        "AssessmentActualStartDate",
        "AssessmentInternalReviewDate?",
        "AssessmentAuthorisationDate?",
        "FactorsIdentifiedAtAssessment?",
    ),
    "FactorsIdentifiedAtAssessment": ("AssessmentFactors*",),
    "CINPlanDates": ("CINPlanStartDate", "CINPlanEndDate?"),
    "Section47": (
        "S47ActualStartDate",
        "InitialCPCtarget?",
        "DateOfInitialCPC?",
        "ICPCnotRequired",
    ),
    "ChildProtectionPlans": (
        "CPPstartDate",
        "CPPendDate?",
        "InitialCategoryOfAbuse",
        "LatestCategoryOfAbuse",
        "NumberOfPreviousCPP",
        "Reviews?",
    ),
    "Reviews": ("CPPreviewDate*",),
}
DATE_ELEMENTS = frozenset(
    [
        "ReferenceDate",
        "PersonBirthDate",
        "ExpectedPersonBirthDate",
        "PersonDeathDate",
        "CINreferralDate",
        "CINclosureDate",
        "DateOfInitialCPC",
        "AssessmentActualStartDate",
        "AssessmentInternalReviewDate",
        "AssessmentAuthorisationDate",
        "CINPlanStartDate",
        "CINPlanEndDate",
        "S47ActualStartDate",
        "InitialCPCtarget",
        "CPPstartDate",
        "CPPendDate",
        "CPPreviewDate",
    ]
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _add(parent: ET.Element, tag: str, value: object | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if value is not None:
        el.text = value.isoformat() if isinstance(value, date) else str(value)
    return el


def _bool(v: bool) -> str:
    return "true" if v else "false"


def _episode(parent: ET.Element, ep: CinEpisode) -> None:
    d = _add(parent, "CINdetails")
    _add(d, "CINreferralDate", ep.referral_date)
    _add(d, "ReferralSource", ep.source)
    _add(d, "PrimaryNeedCode", ep.primary_need)
    if ep.closure_date is not None:
        _add(d, "CINclosureDate", ep.closure_date)
        _add(d, "ReasonForClosure", ep.closure_reason)
    for a in ep.assessments:
        el = _add(d, "Assessments")
        _add(el, "AssessmentActualStartDate", a.start)
        if a.authorised is not None:
            _add(el, "AssessmentAuthorisationDate", a.authorised)
            if a.factors:
                fs = _add(el, "FactorsIdentifiedAtAssessment")
                for code in a.factors:
                    _add(fs, "AssessmentFactors", code)
    for start, end in ep.cin_plans:
        el = _add(d, "CINPlanDates")
        _add(el, "CINPlanStartDate", start)
        if end is not None:
            _add(el, "CINPlanEndDate", end)
    for s in ep.section47:
        el = _add(d, "Section47")
        _add(el, "S47ActualStartDate", s.start)
        _add(el, "InitialCPCtarget", s.target)
        if s.icpc is not None:
            _add(el, "DateOfInitialCPC", s.icpc)
        _add(el, "ICPCnotRequired", _bool(s.icpc_not_required))
    _add(d, "ReferralNFA", _bool(ep.referral_nfa))
    for p in ep.cp_plans:
        el = _add(d, "ChildProtectionPlans")
        _add(el, "CPPstartDate", p.start)
        if p.end is not None:
            _add(el, "CPPendDate", p.end)
        _add(el, "InitialCategoryOfAbuse", p.initial_category)
        _add(el, "LatestCategoryOfAbuse", p.latest_category)
        _add(el, "NumberOfPreviousCPP", p.previous_plans)


def census_xml(census: CinCensus, *, generated_at: datetime, serial_no: int = 1) -> ET.Element:
    root = ET.Element("Message")
    header = _add(root, "Header")
    cd = _add(header, "CollectionDetails")
    _add(cd, "Collection", "CIN")
    _add(cd, "Year", census.year)
    _add(cd, "ReferenceDate", census.reference_date)
    src = _add(header, "Source")
    _add(src, "SourceLevel", "L")
    _add(src, "LEA", census.la_code)
    _add(src, "SoftwareCode", SOFTWARE_CODE)
    _add(src, "Release", RELEASE)
    _add(src, "SerialNo", serial_no)
    _add(src, "DateTime", generated_at.replace(microsecond=0, tzinfo=None).isoformat())
    children = _add(root, "Children")
    for c in census.children:
        child = _add(children, "Child")
        ids = _add(child, "ChildIdentifiers")
        info = c.child
        _add(ids, "LAchildID", info.child_id)
        if info.upn:
            _add(ids, "UPN", info.upn)
        else:
            _add(ids, "UPNunknown", info.upn_unknown or "UN5")
        if info.birth_date is not None:
            _add(ids, "PersonBirthDate", info.birth_date)
        else:
            _add(ids, "ExpectedPersonBirthDate", info.expected_birth_date)
        _add(ids, "Sex", info.sex)
        chars = _add(child, "ChildCharacteristics")
        _add(chars, "Ethnicity", info.ethnicity)
        dis = _add(chars, "Disabilities")
        for code in info.disabilities:
            _add(dis, "Disability", code)
        for ep in c.episodes:
            _episode(child, ep)
    return root


def write_census(census: CinCensus, path: Path, *, generated_at: datetime) -> int:
    """Write the census XML to ``path`` (written to a temporary file, then renamed: nothing
    partial is left behind). Returns the number of children."""
    root = census_xml(census, generated_at=generated_at)
    ET.indent(root)
    tmp = path.with_name(path.name + ".part")
    ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
    tmp.replace(path)
    return len(census.children)


def _check_children(el: ET.Element, where: str, errors: list[str]) -> None:
    spec = SCHEMA.get(el.tag)
    kids = list(el)
    if spec is None:
        if kids:
            errors.append(f"{where}: {el.tag} must hold a value, not elements")
        elif el.tag in DATE_ELEMENTS and not _ISO.match((el.text or "").strip()):
            errors.append(f"{where}: {el.tag} {el.text!r} is not a YYYY-MM-DD date")
        elif not (el.text or "").strip():
            errors.append(f"{where}: {el.tag} is empty")
        return
    i = 0
    for item in spec:
        name, mark = item.rstrip("?*"), item[-1] if item[-1] in "?*" else ""
        seen = 0
        while i < len(kids) and kids[i].tag == name:
            seen += 1
            i += 1
            if mark != "*":
                break
        if seen == 0 and mark == "":
            errors.append(f"{where}: {el.tag} lacks {name}")
    if i < len(kids):
        allowed = [s.rstrip("?*") for s in spec]
        bad = kids[i].tag
        why = "out of order" if bad in allowed else "not an element of the specification"
        errors.append(f"{where}: {el.tag} has {bad} {why}")
    for n, kid in enumerate(kids):
        _check_children(kid, f"{where}/{kid.tag}[{n + 1}]", errors)


def check_structure(root: ET.Element) -> list[str]:
    """Every departure of a census document from the specification's names, order and date
    format (empty when it conforms)."""
    errors: list[str] = []
    if root.tag != "Message":
        return [f"the root element is {root.tag}, not Message"]
    _check_children(root, "Message", errors)
    return errors
