"""The statutory returns through the real CLI on a real SQLite file, checked by DfE's own rules
(csc-validator-be-cin, ruleset cin2024_25, in its own virtual environment) and by an independent
reading of the exported XML. No Prefect except the performance_report flow test at the end.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays
import pytest
from helpers import cli, cli_import, write_jsonl

sys.path.insert(0, str(Path(__file__).parents[1]))
from returns_paths import path_records

from frontdoor.seed import generate_caseload
from reports.cin_xml import check_structure

ROOT = Path(__file__).parents[2]
VENV = ROOT / ".cin-validator"
Validate = Callable[[Path], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def dfe_validate() -> Validate:
    """DfE's rules in their own venv (`make cin-validator`; created here when missing)."""
    if not (VENV / ".installed").exists():
        subprocess.run(["make", "-s", "cin-validator"], cwd=ROOT, check=True, timeout=900)

    def run(path: Path) -> list[dict[str, Any]]:
        out = subprocess.run(
            [str(VENV / "bin" / "python"), str(ROOT / "scripts" / "cin_validate.py"), str(path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        result = json.loads(out.stdout)
        assert result["rules_run"] == 109, result  # the whole 2024-25 ruleset ran
        issues: list[dict[str, Any]] = result["issues"]
        return issues

    return run


def errors_only(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in issues if i["type"] == "ERROR"]


def export(tmp_path: Path, year: int = 2025) -> tuple[Any, Path]:
    out = tmp_path / "cin.xml"
    result = cli("export", "cin-census", "--year", str(year), "--la-code", "201", "--out", str(out))
    return result, out


def test_every_path_exports_with_no_dfe_errors(
    sqlite_url: str, tmp_path: Path, dfe_validate: Validate
) -> None:
    assert cli_import(write_jsonl(tmp_path / "in.jsonl", path_records())).exit_code == 0
    result, out = export(tmp_path)
    assert result.exit_code == 0, result.output
    assert "11 children, 12 episodes" in result.stdout
    assert "CZ" in result.stderr and "no child details" in result.stderr  # listed, not exported
    root = ET.parse(out).getroot()
    assert check_structure(root) == []
    assert errors_only(dfe_validate(out)) == []
    ids = [c.findtext("ChildIdentifiers/LAchildID") for c in root.iter("Child")]
    assert "CZ" not in ids and len(ids) == 11


def _working_days_after(start: date, end: date) -> int:
    """An independent count (day by day against the holidays package): working days in
    (start, end]."""
    bank = holidays.country_holidays("GB", subdiv="ENG", years=range(2023, 2028))
    n, d = 0, start
    while d < end:
        d += timedelta(days=1)
        n += d.weekday() < 5 and d not in bank
    return n


def _xml_timeliness(root: ET.Element, month: str) -> dict[str, tuple[int, int]]:
    out = {"from_referral": [0, 0], "from_start": [0, 0], "icpc_dfe": [0, 0]}
    for det in root.iter("CINdetails"):
        referral = date.fromisoformat(det.findtext("CINreferralDate") or "")
        for a in det.iter("Assessments"):
            auth = a.findtext("AssessmentAuthorisationDate")
            if auth and auth.startswith(month):
                done = date.fromisoformat(auth)
                start = date.fromisoformat(a.findtext("AssessmentActualStartDate") or "")
                for key, day0 in (("from_referral", referral), ("from_start", start)):
                    out[key][1] += 1
                    out[key][0] += _working_days_after(day0, done) <= 45
        for s in det.iter("Section47"):
            icpc = s.findtext("DateOfInitialCPC")
            if icpc and icpc.startswith(month):
                start = date.fromisoformat(s.findtext("S47ActualStartDate") or "")
                out["icpc_dfe"][1] += 1
                out["icpc_dfe"][0] += _working_days_after(start, date.fromisoformat(icpc)) <= 15
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_demo_caseload_exports_clean_and_timeliness_agrees_with_the_xml(
    sqlite_url: str, tmp_path: Path, dfe_validate: Validate
) -> None:
    records = generate_caseload(date(2025, 3, 28), journeys=240)
    assert cli_import(write_jsonl(tmp_path / "demo.jsonl", records)).exit_code == 0
    result, out = export(tmp_path)
    assert result.exit_code == 0, result.output
    root = ET.parse(out).getroot()
    assert check_structure(root) == []
    issues = dfe_validate(out)
    assert errors_only(issues) == [], issues
    assert len(list(root.iter("Child"))) > 100
    for month in ("2025-02", "2025-03"):
        card = cli("scorecard", "--month", month, "--format", "json")
        assert card.exit_code == 0, card.output
        figs = {f["key"]: f for f in json.loads(card.stdout)["figures"]}
        xml = _xml_timeliness(root, month)
        for key, fig in (
            ("from_referral", "assessments_45_from_referral"),
            ("from_start", "assessments_45_from_start"),
            ("icpc_dfe", "icpc_15_dfe"),
        ):
            assert xml[key] == (figs[fig]["numerator"], figs[fig]["denominator"]), (month, key)
            assert xml[key][1] > 0


def test_annex_a_csv_and_xlsx(sqlite_url: str, tmp_path: Path) -> None:
    assert cli_import(write_jsonl(tmp_path / "in.jsonl", path_records())).exit_code == 0
    out = tmp_path / "annex"
    r = cli("export", "annex-a", "--as-of", "2025-03-31", "--out", str(out))
    assert r.exit_code == 0, r.output
    with (out / "list_5_s47.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cj = next(r for r in rows if r["Child Unique ID"] == "CJ")
    assert cj["Strategy discussion initiating Section 47 Enquiry Start Date"] == "11/02/2025"
    assert cj["Was an Initial Child Protection Conference deemed unnecessary?"] == "a) Yes"
    assert cj["Allocated Worker"] == "Sam Worker"
    r = cli("export", "annex-a", "--as-of", "2025-03-31", "--out", str(out), "--format", "xlsx")
    assert r.exit_code == 0, r.output
    from openpyxl import load_workbook

    wb = load_workbook(out / "annex-a-2025-03-31.xlsx")
    assert wb.sheetnames == [
        "List 1 Contacts", "List 3 Referrals", "List 4 Assessments", "List 5 Section 47s and ICPCs",
    ]  # fmt: skip
    header = [c.value for c in wb["List 3 Referrals"][1]]
    assert header[5:8] == ["Date of referral", "Referral Source", "Referral NFA?"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "annex-a", "--as-of", "31/03/2025", "--out", "x"), "is not an ISO date"),
        (("export", "annex-a", "--as-of", "2025-03-31", "--out", "x", "--format", "pdf"), "csv"),
        (("export", "cin-census", "--year", "2025", "--la-code", "12", "--out", "x.xml"), "three"),
        (("export", "cin-census", "--year", "2025", "--la-code", "201", "--out", "/no/x.xml"),
         "does not exist"),
        (("scorecard", "--month", "2025-13"), "not a month"),
        (("scorecard", "--month", "2025-02", "--format", "pdf"), "md, html or json"),
    ],
)  # fmt: skip
def test_bad_options_are_one_clear_error(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: Any, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli(*args)
    assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.xml").exists()


def test_scorecard_html_links_every_figure_to_its_journeys(sqlite_url: str, tmp_path: Path) -> None:
    assert cli_import(write_jsonl(tmp_path / "in.jsonl", path_records())).exit_code == 0
    page = tmp_path / "card.html"
    r = cli("scorecard", "--month", "2025-02", "--format", "html", "--out", str(page))
    assert r.exit_code == 0, r.output
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 16  # a chart per figure
    assert 'href="#journeys-late_icpcs_unexplained"' in text
    assert '<section id="journeys-late_icpcs_unexplained">' in text
    assert "Sam Worker" not in text and "2016-05-04" not in text  # no personal data
    md = cli("scorecard", "--month", "2025-02", "--team", "north")
    assert (
        "| ICPCs within 15 working days of the s47 start (DfE basis) | 25.0% | 1 of 4 | 81.4%"
        in (md.stdout)
    )
