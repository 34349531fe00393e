"""Synthetic practice records for the demo: supervision sessions, audits, feedback, completions.

``generate_practice(today, caseload)`` reads the staff roster and the journeys' contacts from a
caseload made by :func:`frontdoor.seed.generate_caseload` and returns JSON-ready records, as they
would appear in an import file, all dated on or before ``today``. Deterministic in its arguments.
Most actions are completed on time, some late (by the owner's manager, too), and some are still
open and overdue, so the demo's sweep sends action reminders and escalations. Some workers miss
supervision, so the practice report lists journeys with none.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from timescales.calendar import WorkingCalendar

__all__ = ["generate_practice"]

_THEMES = (
    "listened to", "communication", "timeliness", "explained clearly", "felt judged",
    "kept informed", "respectful", "worker changed",
)  # fmt: skip
_SUPERVISION_ACTIONS = (
    "Update the chronology",
    "Arrange a joint visit with health",
    "Complete the case summary",
    "Review the plan with the family",
    "Seek the child's views directly",
)
_AUDIT_ACTIONS = (
    "Share audit learning at the team meeting",
    "Re-audit the case in six weeks",
    "Record management oversight on file",
)


@dataclass(frozen=True)
class _Case:
    child: str
    team: str
    worker: str
    opened: date


def generate_practice(
    today: date,
    caseload: Sequence[dict[str, Any]],
    calendar: WorkingCalendar,
    seed: int = 11,
    window_working_days: int = 60,
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cal = calendar
    staff = {r["staff_id"]: r for r in caseload if r["type"] == "staff"}
    workers = sorted(s for s, r in staff.items() if r["role"] == "social_worker")
    manager_of = {s: r.get("manager") for s, r in staff.items()}
    teams = sorted({staff[w]["team"] for w in workers})
    team_manager = {
        t: next(
            s for s, r in sorted(staff.items()) if r["role"] == "team_manager" and r["team"] == t
        )
        for t in teams
    }
    cases: dict[str, list[_Case]] = defaultdict(list)
    for r in caseload:
        if r["type"] == "contact_received" and r.get("worker") in staff:
            on = date.fromisoformat(r["at"][:10]) + timedelta(days=1)
            cases[r["worker"]].append(_Case(r["child"], r["team"], r["worker"], on))
    start = cal.add_working_days(today, -window_working_days)
    out: list[dict[str, Any]] = []
    actions: list[tuple[str, str, date, date]] = []  # (action_id, owner, opened, due)
    n_sup = n_act = 0

    def new_actions(
        kind_texts: Sequence[str], owners: Sequence[str], on: date
    ) -> list[dict[str, Any]]:
        nonlocal n_act
        items = []
        for _ in range(rng.choice((1, 1, 2))):
            n_act += 1
            owner = rng.choice(owners)
            wd = rng.choice((3, 5, 5, 10))
            action_id = f"act-{n_act:04d}"
            items.append(
                {
                    "action_id": action_id,
                    "description": rng.choice(kind_texts),
                    "owner": owner,
                    "due_in_working_days": wd,
                }
            )
            actions.append((action_id, owner, on, cal.add_working_days(on, wd)))
        return items

    # supervision: most workers every ~12 working days; one worker in four is not supervised
    for i, worker in enumerate(workers):
        if i % 4 == 3:
            continue
        tm = manager_of.get(worker) or team_manager[staff[worker]["team"]]
        on = cal.add_working_days(start, rng.randint(1, 6))
        while on <= today:
            open_cases = [c for c in cases.get(worker, []) if c.opened <= on]
            if open_cases:
                case = rng.choice(open_cases)
                n_sup += 1
                out.append(
                    {
                        "id": f"sup-{n_sup:04d}",
                        "type": "supervision_held",
                        "child": case.child,
                        "at": on.isoformat(),
                        "supervisor": tm,
                        "worker": worker,
                        "summary_ref": f"supervision-notes/{n_sup:04d}",
                        "actions": new_actions(_SUPERVISION_ACTIONS, (worker, worker, tm), on),
                    }
                )
            on = cal.add_working_days(on, rng.randint(10, 14))

    # feedback from children and families, about one journey in six
    feedback: dict[str, list[tuple[str, date]]] = defaultdict(list)
    all_cases = sorted((c for cs in cases.values() for c in cs), key=lambda c: (c.opened, c.child))
    n_fb = 0
    for case in all_cases[:: max(1, 6)]:
        on = case.opened + timedelta(days=rng.randint(2, 20))
        if on > today:
            continue
        n_fb += 1
        fid = f"fb-{n_fb:04d}"
        rec: dict[str, Any] = {
            "id": fid,
            "type": "feedback_received",
            "feedback_id": fid,
            "child": case.child,
            "at": on.isoformat(),
            "from": rng.choices(("child", "parent", "carer", "other"), (3, 6, 2, 1))[0],
            "channel": rng.choice(("phone", "survey", "in_person", "email", "online")),
            "themes": rng.sample(_THEMES, rng.randint(0, 2)),
            "text_ref": f"feedback/{n_fb:04d}",
        }
        if rng.random() < 0.8:
            rec["rating"] = rng.choices((1, 2, 3, 4, 5), (1, 2, 3, 4, 3))[0]
        out.append(rec)
        feedback[case.team].append((fid, on))

    # audits: each team, about every 15 working days
    n_aud = 0
    for team in teams:
        tm = team_manager[team]
        owners = (tm, *[w for w in workers if staff[w]["team"] == team][:2])
        on = cal.add_working_days(start, rng.randint(3, 10))
        while on <= today:
            n_aud += 1
            seen = [f for f, d in feedback[team] if d <= on]
            considered = rng.sample(seen, min(len(seen), 2)) if seen and rng.random() < 0.6 else []
            out.append(
                {
                    "id": f"aud-{n_aud:04d}",
                    "type": "audit_completed",
                    "audit_id": f"AUD-{n_aud:04d}",
                    "kind": rng.choice(("practice_review", "multi_agency_audit", "case_audit")),
                    "at": on.isoformat(),
                    "auditor": manager_of.get(tm) or tm,
                    "team": team,
                    "grade": rng.choices(
                        ("outstanding", "good", "requires_improvement", "inadequate"),
                        (1, 5, 3, 1),
                    )[0],
                    "actions": new_actions(_AUDIT_ACTIONS, owners, on),
                    "feedback_considered": considered,
                }
            )
            on = cal.add_working_days(on, rng.randint(12, 18))

    # completions: ~65% on time, ~20% late, the rest still open
    n_done = 0
    for action_id, owner, opened, due in actions:
        roll = rng.random()
        if roll < 0.65:
            span = max(0, cal.working_days_between(opened, due))
            at = cal.add_working_days(opened, rng.randint(min(1, span), span))
        elif roll < 0.85:
            at = cal.add_working_days(due, rng.randint(1, 6))
        else:
            continue
        if at > today:
            continue
        by = owner if rng.random() < 0.7 else (manager_of.get(owner) or owner)
        n_done += 1
        out.append(
            {
                "id": f"done-{n_done:04d}",
                "type": "action_completed",
                "action_id": action_id,
                "at": at.isoformat(),
                "by": by,
                "evidence": f"evidence/{action_id}",
            }
        )
    return out
