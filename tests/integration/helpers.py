"""Shared builders for import files (JSON Lines) and small helpers to drive the CLI.

Records are plain dicts exactly as they would appear, one per line, in a file given to
``frontdoor import``. Nothing here imports prefect.

    roster = staff_records()
    j = JourneyBuilder("C-001")
    j.contact("2026-03-02")
    j.outcome("2026-03-03", "referral")
    write_jsonl(tmp_path / "in.jsonl", [*roster, *j.records])
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

TEAM = "north"

# A small roster: one full management line in team "north", a second worker and a chair.
SW = "sw.north"
SW2 = "sw2.north"
TM = "tm.north"
SM = "sm.north"
HOS = "hos.north"
CHAIR = "chair.1"

ROSTER: tuple[tuple[str, str, str, str | None], ...] = (
    # (staff_id, name, role, manager)
    (HOS, "Hal Head", "head_of_service", None),
    (SM, "Sol Service", "service_manager", HOS),
    (TM, "Tia Manager", "team_manager", SM),
    (SW, "Sam Worker", "social_worker", TM),
    (SW2, "Sky Worker", "social_worker", TM),
    (CHAIR, "Cam Chair", "conference_chair", None),
)

Record = dict[str, Any]


def email_of(staff_id: str) -> str:
    return f"{staff_id}@example.gov.uk"


def staff_record(
    staff_id: str,
    role: str,
    *,
    name: str | None = None,
    team: str = TEAM,
    manager: str | None = None,
    record_id: str | None = None,
) -> Record:
    rec: Record = {
        "id": record_id or f"staff-{staff_id}",
        "type": "staff",
        "staff_id": staff_id,
        "name": name or staff_id,
        "email": email_of(staff_id),
        "role": role,
        "team": team,
    }
    if manager is not None:
        rec["manager"] = manager
    return rec


def staff_records() -> list[Record]:
    """The roster above, managers before the people they manage."""
    return [staff_record(s, role, name=n, manager=m) for s, n, role, m in ROSTER]


def child_details(
    child: str,
    *,
    birth_date: str = "2016-05-04",
    sex: str = "F",
    ethnicity: str = "WBRI",
    record_id: str | None = None,
) -> Record:
    return {
        "id": record_id or f"child-{child}",
        "type": "child_details",
        "child": child,
        "birth_date": birth_date,
        "sex": sex,
        "ethnicity": ethnicity,
    }


def iso(at: str | date | datetime) -> str:
    """``at`` as the contract wants it: a date, or a datetime that carries its offset."""
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("give an aware datetime (the contract refuses naive ones)")
        return at.isoformat()
    if isinstance(at, date):
        return at.isoformat()
    return at


class JourneyBuilder:
    """The events of one child's journey, with ids ``<prefix>-01``, ``<prefix>-02``, ...

    ``prefix`` defaults to the child; give another one for a second journey of the same child.
    Each method appends the record to :attr:`records` and returns it (a dict, free to tweak).
    """

    def __init__(
        self,
        child: str,
        *,
        team: str = TEAM,
        worker: str | None = SW,
        prefix: str | None = None,
    ) -> None:
        self.child = child
        self.team = team
        self.worker = worker
        self.prefix = prefix or child
        self.records: list[Record] = []

    def next_id(self) -> str:
        return f"{self.prefix}-{len(self.records) + 1:02d}"

    def event(self, type_: str, at: str | date | datetime, **fields: Any) -> Record:
        rec: Record = {"id": self.next_id(), "type": type_, "child": self.child, "at": iso(at)}
        rec.update({k: v for k, v in fields.items() if v is not None})
        self.records.append(rec)
        return rec

    def contact(self, at: str | date | datetime, *, source: str = "6", **kw: Any) -> Record:
        kw.setdefault("worker", self.worker)
        return self.event("contact_received", at, source=source, team=self.team, **kw)

    def outcome(
        self,
        at: str | date | datetime,
        outcome: str = "referral",
        *,
        consent: str = "obtained",
        **kw: Any,
    ) -> Record:
        return self.event("contact_outcome", at, outcome=outcome, consent=consent, **kw)

    def referral_decision(
        self, at: str | date | datetime, outcome: str = "assessment", **kw: Any
    ) -> Record:
        return self.event("referral_decision", at, outcome=outcome, **kw)

    def assessment_started(self, at: str | date | datetime, **kw: Any) -> Record:
        return self.event("assessment_started", at, **kw)

    def assessment_authorised(
        self, at: str | date | datetime, outcome: str = "cin_plan", **kw: Any
    ) -> Record:
        return self.event("assessment_authorised", at, outcome=outcome, **kw)

    def strategy(self, at: str | date | datetime, outcome: str = "s47", **kw: Any) -> Record:
        return self.event("strategy_discussion", at, outcome=outcome, **kw)

    def safety_plan(
        self, at: str | date | datetime, document: str = "safety-plan-v1", **kw: Any
    ) -> Record:
        return self.event("safety_plan_recorded", at, document=document, **kw)

    def s47_concluded(self, at: str | date | datetime, outcome: str = "icpc", **kw: Any) -> Record:
        return self.event("s47_concluded", at, outcome=outcome, **kw)

    def icpc_delay(
        self,
        at: str | date | datetime,
        *,
        manager: str = TM,
        chair: str = CHAIR,
        reason: str = "family_unavailable",
        rationale: str = "Parents unavailable; conference rearranged with the chair.",
        **kw: Any,
    ) -> Record:
        return self.event(
            "icpc_delay_agreed",
            at,
            manager=manager,
            chair=chair,
            reason=reason,
            rationale=rationale,
            **kw,
        )

    def icpc(
        self,
        at: str | date | datetime,
        outcome: str = "cp_plan",
        *,
        category: str | None = "NEG",
        **kw: Any,
    ) -> Record:
        if outcome != "cp_plan":
            category = None
        return self.event("icpc_held", at, outcome=outcome, category=category, **kw)

    def closed(self, at: str | date | datetime, reason: str = "RC8", **kw: Any) -> Record:
        return self.event("closed", at, reason=reason, **kw)


def jsonl(records: Iterable[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(dict(r)) + "\n" for r in records)


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any] | str]) -> Path:
    """Write records one per line; a ``str`` item is written as the raw line (to make bad
    lines)."""
    lines = [r if isinstance(r, str) else json.dumps(dict(r)) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# ---- driving the CLI and looking at the database -------------------------------------------


def use_database(monkeypatch: Any, url: str) -> str:
    """Make ``url`` the database in force (FRONTDOOR_DATABASE_URL) and create its tables."""
    from config.settings import reset_settings
    from models.db import init_db

    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", url)
    reset_settings()
    init_db(url)
    return url


def cli(*args: str, input: str | None = None) -> Any:
    """Run ``frontdoor ARGS`` in-process; returns click's Result (stdout and stderr kept
    apart, ``output`` has both)."""
    from typer.testing import CliRunner

    from frontdoor.cli import app

    return CliRunner().invoke(app, list(args), input=input)


def cli_import(path: Path | str, *, input: str | None = None) -> Any:
    return cli("import", str(path), "--no-flows", input=input)


def cli_gates(as_of: str) -> list[dict[str, Any]]:
    result = cli("gates", "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def without_journey(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Gate rows with the (random) journey ref dropped, in a stable order."""
    out = [{k: v for k, v in r.items() if k != "journey"} for r in rows]
    return sorted(out, key=lambda r: (r["child"], r["started_on"], r["gate"], json.dumps(r)))


def row_counts(url: str) -> dict[str, int]:
    """Rows in every table of the schema."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    from models.db import get_engine

    with get_engine(url).connect() as conn:
        return {
            t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in SQLModel.metadata.sorted_tables
        }
