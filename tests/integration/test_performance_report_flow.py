"""The performance_report flow under the session's Prefect harness: it reports the month before
only on the first working day, and publishes the scorecard as artifacts without personal data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import cli_import, write_jsonl

sys.path.insert(0, str(Path(__file__).parents[1]))
from returns_paths import path_records

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_report_on_the_first_working_day_only(sqlite_url: str, tmp_path: Path) -> None:
    from prefect.artifacts import Artifact

    from flows.performance_report import performance_report

    assert cli_import(write_jsonl(tmp_path / "in.jsonl", path_records())).exit_code == 0
    skipped = performance_report(today="2025-03-01")  # a Saturday
    assert skipped == {"produced": False, "today": "2025-03-01"}
    done = performance_report(today="2025-03-03")  # Monday: the first working day of March
    assert done["produced"] is True and done["month"] == "2025-02"
    figures = done["figures"]
    assert isinstance(figures, dict)
    assert figures["icpc_15_dfe"] == 25.0 and figures["contacts"] == 4
    art = Artifact.get("front-door-scorecard")
    assert art is not None and isinstance(art.data, str)
    assert "Front-door scorecard 2025-02" in art.data
    assert "Sam Worker" not in art.data and "CJ" not in art.data
    team = performance_report(month="2025-01", team="north")
    assert team["produced"] is True and team["month"] == "2025-01"
