"""The practice report's figures, from plain facts: pure, so the numbers are checked by hand.

Pure domain: imports nothing from prefect, sqlmodel, sqlalchemy or jinja2.

Definitions (also in the README):
- actions *due* in the period are those with ``due_on`` in [from, to]; their status is taken as of
  ``to``: on time = met / (met + met_late + overdue);
- overdue actions by age: every action open as of ``to`` past its due date, by working days
  overdue (1-5, 6-10, 11-20, 21+);
- journeys with no supervision: journeys open on ``to`` and open for at least N working days
  (``actions.no_supervision_working_days``), with no supervision of the journey or its child in
  the last N working days up to ``to``;
- a consent dispensation is an exception when its approver is not on the roster, lacks the team
  manager role or above, or no reason was recorded.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from timescales.calendar import WorkingCalendar
from timescales.evaluate import clock_status
from timescales.records import Role, role_at_least

AGE_BUCKETS = ((1, 5, "1-5"), (6, 10, "6-10"), (11, 20, "11-20"), (21, 10**6, "21+"))


@dataclass(frozen=True)
class ActionFact:
    ref: str
    kind: str
    team: str
    owner: str
    opened_on: date
    due_on: date
    due_soon_from: date
    completed_on: date | None


@dataclass(frozen=True)
class SupervisionFact:
    worker: str
    team: str
    on: date
    child: str | None
    journey: str | None


@dataclass(frozen=True)
class AuditFact:
    audit_id: str
    kind: str
    team: str
    on: date
    grade: str
    feedback_considered: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackFact:
    feedback_id: str
    team: str | None
    on: date
    from_: str
    rating: int | None
    themes: tuple[str, ...]


@dataclass(frozen=True)
class JourneyFact:
    ref: str
    child: str
    team: str
    worker: str | None
    opened_on: date
    ended_on: date | None


@dataclass(frozen=True)
class WorkerFact:
    staff_id: str
    team: str


@dataclass(frozen=True)
class DispensationFact:
    record_id: str
    journey: str | None
    team: str
    on: date
    approver: str | None
    approver_role: str | None
    has_reason: bool


@dataclass(frozen=True)
class ReportInputs:
    actions: tuple[ActionFact, ...]
    supervisions: tuple[SupervisionFact, ...]
    audits: tuple[AuditFact, ...]
    feedback: tuple[FeedbackFact, ...]
    journeys: tuple[JourneyFact, ...]
    workers: tuple[WorkerFact, ...]
    dispensations: tuple[DispensationFact, ...]


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _status(a: ActionFact, as_of: date) -> str:
    done = a.completed_on if a.completed_on is not None and a.completed_on <= as_of else None
    return clock_status(a.opened_on, a.due_on, a.due_soon_from, done, None, as_of)


def _on_time(items: Iterable[ActionFact], as_of: date) -> dict[str, Any]:
    c = Counter(_status(a, as_of) for a in items)
    due = c["met"] + c["met_late"] + c["overdue"]
    return {
        "due": due,
        "met": c["met"],
        "met_late": c["met_late"],
        "overdue": c["overdue"],
        "on_time_pct": pct(c["met"], due),
    }


def build_report(
    inputs: ReportInputs,
    start: date,
    end: date,
    cal: WorkingCalendar,
    *,
    team: str | None = None,
    no_supervision_working_days: int = 20,
) -> dict[str, Any]:
    """Every figure of the practice report for [start, end] (inclusive), as JSON-ready data."""
    if end < start:
        raise ValueError("--to is before --from")

    def mine(t: str | None) -> bool:
        return team is None or t == team

    def inside(d: date) -> bool:
        return start <= d <= end

    # --- supervision ---------------------------------------------------------------------
    sups = [s for s in inputs.supervisions if mine(s.team) and s.on <= end]
    per_worker: dict[str, dict[str, Any]] = {}
    for w in sorted(inputs.workers, key=lambda w: (w.team, w.staff_id)):
        if mine(w.team):
            per_worker[w.staff_id] = {
                "worker": w.staff_id, "team": w.team, "sessions": 0, "last_on": None
            }  # fmt: skip
    for s in sups:
        row = per_worker.setdefault(
            s.worker, {"worker": s.worker, "team": s.team, "sessions": 0, "last_on": None}
        )
        if inside(s.on):
            row["sessions"] += 1
        if row["last_on"] is None or s.on.isoformat() > row["last_on"]:
            row["last_on"] = s.on.isoformat()
    n = no_supervision_working_days
    since = cal.add_working_days(end, -n)
    last_by_journey: dict[str, date] = {}
    last_by_child: dict[str, list[date]] = defaultdict(list)
    for s in inputs.supervisions:
        if s.on > end:
            continue
        if s.journey is not None:
            last_by_journey[s.journey] = max(s.on, last_by_journey.get(s.journey, s.on))
        if s.child is not None:
            last_by_child[s.child].append(s.on)
    unsupervised = []
    for j in sorted(inputs.journeys, key=lambda j: (j.opened_on, j.ref)):
        if not mine(j.team) or j.opened_on > since:
            continue
        if j.ended_on is not None and j.ended_on <= end:
            continue
        dates = [d for d in last_by_child.get(j.child, []) if d >= j.opened_on]
        if j.ref in last_by_journey:
            dates.append(last_by_journey[j.ref])
        last = max(dates, default=None)
        if last is None or last <= since:
            unsupervised.append(
                {
                    "journey": j.ref,
                    "team": j.team,
                    "worker": j.worker,
                    "opened_on": j.opened_on.isoformat(),
                    "last_supervised_on": last.isoformat() if last else None,
                }
            )

    # --- actions ---------------------------------------------------------------------------
    acts = [a for a in inputs.actions if mine(a.team) and a.opened_on <= end]
    due_in = [a for a in acts if inside(a.due_on)]
    by_kind_team = []
    for kind, tm in sorted({(a.kind, a.team) for a in due_in}):
        by_kind_team.append(
            {"kind": kind, "team": tm}
            | _on_time((a for a in due_in if a.kind == kind and a.team == tm), end)
        )
    by_kind = {
        kind: _on_time((a for a in due_in if a.kind == kind), end)
        for kind in sorted({a.kind for a in due_in})
    }
    overdue: list[dict[str, Any]] = []
    for a in acts:
        if _status(a, end) != "overdue":
            continue
        overdue.append(
            {
                "ref": a.ref,
                "kind": a.kind,
                "team": a.team,
                "owner": a.owner,
                "due_on": a.due_on.isoformat(),
                "working_days_overdue": max(1, cal.working_days_between(a.due_on, end)),
            }
        )
    overdue.sort(key=lambda r: (-int(r["working_days_overdue"]), str(r["ref"])))
    ages: Counter[str] = Counter()
    for r in overdue:
        for lo, hi, label in AGE_BUCKETS:
            if lo <= int(r["working_days_overdue"]) <= hi:
                ages[label] += 1
    months = sorted({a.due_on.strftime("%Y-%m") for a in due_in})
    trend = [
        {"month": m} | _on_time((a for a in due_in if a.due_on.strftime("%Y-%m") == m), end)
        for m in months
    ]

    # --- audits and feedback ---------------------------------------------------------------
    audits = [a for a in inputs.audits if mine(a.team) and inside(a.on)]
    considered = sum(1 for a in audits if a.feedback_considered)
    feedback = [f for f in inputs.feedback if mine(f.team) and inside(f.on)]
    ratings = [f.rating for f in feedback if f.rating is not None]
    themes = Counter(t for f in feedback for t in f.themes)

    # --- consent dispensations -------------------------------------------------------------
    disp = [d for d in inputs.dispensations if mine(d.team) and inside(d.on)]
    by_role_team = Counter((d.approver_role or "not on roster", d.team) for d in disp)
    exceptions = []
    for d in sorted(disp, key=lambda d: (d.on, d.record_id)):
        why = []
        if d.approver_role is None:
            why.append("approver not on the staff roster")
        elif not role_at_least(d.approver_role, Role.team_manager):
            why.append(f"approver is a {d.approver_role}, not a team manager or above")
        if not d.has_reason:
            why.append("no reason recorded")
        if why:
            exceptions.append(
                {
                    "record": d.record_id,
                    "journey": d.journey,
                    "team": d.team,
                    "on": d.on.isoformat(),
                    "approver": d.approver,
                    "approver_role": d.approver_role,
                    "why": "; ".join(why),
                }
            )

    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "team": team,
        "supervision": {
            "sessions": sum(1 for s in sups if inside(s.on)),
            "per_worker": list(per_worker.values()),
            "no_supervision_working_days": n,
            "journeys_without_supervision": unsupervised,
        },
        "actions": {
            "agreed": sum(1 for a in acts if inside(a.opened_on)),
            "due": _on_time(due_in, end),
            "by_kind": by_kind,
            "by_kind_team": by_kind_team,
            "overdue_by_age": {label: ages[label] for _, _, label in AGE_BUCKETS},
            "overdue": overdue,
            "trend": trend,
        },
        "audits": {
            "count": len(audits),
            "by_grade": dict(sorted(Counter(a.grade for a in audits).items())),
            "by_kind": dict(sorted(Counter(a.kind for a in audits).items())),
            "considered_feedback": considered,
            "considered_feedback_pct": pct(considered, len(audits)),
        },
        "feedback": {
            "count": len(feedback),
            "rated": len(ratings),
            "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "by_from": dict(sorted(Counter(f.from_ for f in feedback).items())),
            "themes": [{"theme": t, "count": c} for t, c in themes.most_common()],
        },
        "consent_dispensations": {
            "count": len(disp),
            "by_role_team": [
                {"role": r, "team": t, "count": c} for (r, t), c in sorted(by_role_team.items())
            ],
            "exceptions": exceptions,
        },
    }
