"""Versioned pathways, `timescales check` refusals with line numbers, diff in words, what-if.

Calendar (England, 2026; [x] = bank holiday):

    February 2026         March 2026            April 2026
    Mo Tu We Th Fr        Mo Tu We Th Fr        Mo Tu We Th Fr
    16 17 18 19 20         2  3  4  5  6               1  2 [3]
    23 24 25 26 27         9 10 11 12 13        [6] 7  8  9 10
                          16 17 18 19 20        13 14 15 16 17
                          23 24 25 26 27
                          30 31
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from frontdoor.timescales_admin import full_check, preview, template_problems
from notifications.render import DEFAULT_TEMPLATES_DIR
from timescales.evaluate import EventFact
from timescales.pathway import Pathway, load_pathway
from timescales.pathway_check import check_text, yaml_lines
from timescales.pathway_diff import describe_changes
from timescales.versions import BOOTSTRAP_EFFECTIVE_FROM, PathwayVersion, PathwayVersions
from timescales.versions import evaluate_versioned as ev_versioned
from timescales.whatif import changed_journeys, replay

DEFAULT = Path(__file__).resolve().parents[2] / "pathways" / "default.yaml"
TEXT = DEFAULT.read_text(encoding="utf-8")
V1 = load_pathway(DEFAULT)
CAL = V1.working_calendar()


def D(month: int, day: int) -> date:
    return date(2026, month, day)


def fact(kind: str, on: date, outcome: str | None = None) -> EventFact:
    return EventFact(
        id=f"{kind}:{outcome}:{on}",
        type=kind,
        on=on,
        instant=datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
        outcome=outcome,
    )


def variant(version: int, **limits: int) -> Pathway:
    data: dict[str, Any] = V1.model_dump()
    data["version"] = version
    for g in data["gates"]:
        if g["id"] in limits:
            g["limit_working_days"] = limits[g["id"]]
    return Pathway.model_validate(data)


# ---------------------------------------------------------------- versions


V2 = variant(2, strategy_discussion=3, icpc=10, icpc_delay_rationale=2)
VERSIONS = PathwayVersions(
    [PathwayVersion(1, BOOTSTRAP_EFFECTIVE_FROM, V1), PathwayVersion(2, D(3, 16), V2)]
)


def test_in_force_by_date() -> None:
    assert VERSIONS.in_force(D(3, 13)).version == 1
    assert VERSIONS.in_force(D(3, 16)).version == 2
    assert VERSIONS.in_force(date(2000, 1, 1)).version == 1


def test_clock_keeps_the_version_it_opened_under() -> None:
    # strategy clock opens Thu 12 Mar (v1: 1 wd -> Fri 13); the s47 strategy discussion on
    # Tue 17 Mar opens the ICPC clock under v2 (10 wd -> Tue 31 Mar; v1 would say Thu 9 Apr).
    ev = ev_versioned(
        VERSIONS,
        CAL,
        [
            fact("referral_decision", D(3, 12), "strategy_discussion"),
            fact("strategy_discussion", D(3, 17), "s47"),
        ],
    )
    strategy, icpc = ev.clock("strategy_discussion"), ev.clock("icpc")
    assert strategy is not None and icpc is not None
    assert (strategy.pathway_version, strategy.limit_working_days, strategy.due_on) == (
        1,
        1,
        D(3, 13),
    )
    assert (icpc.pathway_version, icpc.limit_working_days, icpc.due_on) == (2, 10, D(3, 31))
    assert ev.pathway_version == 1  # the journey opened under v1
    # timers follow each clock's own version
    icpc_escalations = [t for t in ev.timers if t.gate == "icpc" and t.kind == "escalation"]
    assert icpc_escalations[0].due_on == D(4, 1)


def test_derived_gate_follows_the_clock_it_derives_from() -> None:
    # ICPC clock opened Mon 2 Mar under v1 (15 wd -> Mon 23 Mar); not held by then, so the delay
    # rationale starts Tue 24 Mar - after v2 took effect - but keeps v1's 1 working day.
    ev = ev_versioned(VERSIONS, CAL, [fact("strategy_discussion", D(3, 2), "s47")])
    icpc, delay = ev.clock("icpc"), ev.clock("icpc_delay_rationale")
    assert icpc is not None and delay is not None
    assert (icpc.pathway_version, icpc.due_on) == (1, D(3, 23))
    assert (delay.pathway_version, delay.started_on, delay.limit_working_days) == (1, D(3, 24), 1)
    assert delay.due_on == D(3, 25)


def test_single_version_is_plain_evaluation() -> None:
    from timescales.evaluate import evaluate

    events = [fact("contact_received", D(3, 2)), fact("contact_outcome", D(3, 3), "referral")]
    assert ev_versioned(PathwayVersions.single(V1), CAL, events) == evaluate(V1, CAL, events)


def test_same_date_republished_supersedes() -> None:
    v3 = variant(3, strategy_discussion=2)
    vs = PathwayVersions([*VERSIONS.all, PathwayVersion(3, D(3, 16), v3)])
    assert vs.in_force(D(3, 20)).version == 3


# ---------------------------------------------------------------- check, with line numbers


def line_no(text: str, needle: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text[: text.index(needle, start)].count("\n") + 1


def problems_of(text: str, templates_dir: Path | None = None) -> list[str]:
    return [str(p) for p in full_check(text, templates_dir).problems]


def test_default_pathway_passes_full_check() -> None:
    assert full_check(TEXT).ok


def test_loosened_statutory_limit_names_line_and_field() -> None:
    text = TEXT.replace("limit_working_days: 45", "limit_working_days: 50")
    n = line_no(text, "limit_working_days: 50")
    assert problems_of(text) == [
        f"line {n}: gates[2].limit_working_days: gate assessment: limit 50 working days "
        "loosens the statutory maximum of 45"
    ]


def test_unknown_event_names_line() -> None:
    text = TEXT.replace("stop: [{event: icpc_held}]", "stop: [{event: icpc_hold}]", 1)
    n = line_no(text, "icpc_hold")
    (p,) = problems_of(text)
    assert p.startswith(f"line {n}: gates[4].stop[0].event: ") and "'icpc_hold'" in p


def test_unknown_role_and_template_name_lines() -> None:
    text = TEXT.replace(
        "{level: 2, after_due: 3, to: service_manager, template: escalation}",
        "{level: 2, after_due: 3, to: service_boss, template: escalate}",
    )
    n = line_no(text, "service_boss")
    assert problems_of(text) == [
        f"line {n}: ladder.escalations[1].to: ladder: escalation level 2 to unknown role "
        "'service_boss'",
        f"line {n}: ladder.escalations[1].template: ladder: unknown template 'escalate'",
    ]


def test_ladder_out_of_order_refused() -> None:
    text = TEXT.replace("{level: 2, after_due: 3,", "{level: 2, after_due: 6,")
    n = line_no(text, "  escalations:\n")
    assert problems_of(text) == [
        f"line {n}: ladder.escalations: ladder: escalation levels must climb with days overdue"
    ]
    text = TEXT.replace("{level: 2, before_due: 0,", "{level: 2, before_due: 3,")
    assert any("reminder levels must come closer" in p for p in problems_of(text))


def test_schema_errors_name_lines() -> None:
    text = TEXT.replace(
        "    kind: local\n    limit_working_days: 1\n",
        "    kind: local\n    limit_working_days: soon\n    colour: red\n",
        1,
    )
    n = line_no(text, "limit_working_days: soon")
    probs = problems_of(text)
    assert probs[0].startswith(f"line {n}: gates[0].limit_working_days: ")
    assert probs[1] == f"line {n + 1}: gates[0].colour: unknown key"


def test_missing_key_is_reported_on_its_mapping() -> None:
    text = TEXT.replace("    title: Contact screening decision\n", "", 1)
    n = line_no(text, "  - id: contact_decision")
    assert problems_of(text) == [f"line {n}: gates[0].title: Field required"]


def test_yaml_syntax_error_names_line() -> None:
    text = TEXT.replace("closing_events: [closed]", "closing_events: [closed", 1)
    (p,) = problems_of(text)
    assert p.startswith("line ") and "not valid YAML" in p


def test_template_that_does_not_render_refused(tmp_path: Path) -> None:
    tdir = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, tdir)
    for part in ("subject", "txt", "html"):
        (tdir / f"nosy.{part}.j2").write_text("{{ journey_ref }} {{ child_name }}\n")
    text = TEXT.replace(
        "    stop: [{event: strategy_discussion}]\n",
        "    stop: [{event: strategy_discussion}]\n    ladder:\n      reminders:\n"
        "        - {level: 1, before_due: 0, template: nosy}\n      escalations:\n"
        "        - {level: 1, after_due: 1, to: team_manager}\n",
    )
    n = line_no(text, "template: nosy")
    (p,) = problems_of(text, tdir)
    assert p.startswith(f"line {n}: gates[3].ladder.reminders[0].template: template 'nosy'")
    assert "child_name" in p
    # and the template is simply unknown where it does not exist
    assert any("unknown template 'nosy'" in x for x in problems_of(text))


def test_yaml_lines_by_path() -> None:
    lines = yaml_lines(TEXT)
    assert lines[("gates", 0)] == line_no(TEXT, "  - id: contact_decision")
    assert lines[("notify_time",)] == line_no(TEXT, "notify_time:")


def test_check_text_without_templates_knowledge_uses_defaults() -> None:
    assert check_text(TEXT).ok


def test_preview_and_template_check_render_every_gate() -> None:
    assert template_problems(V1) == []
    msg = preview(V1, "reminder", "strategy_discussion")
    assert "J-7F3K2Q" in msg.subject and "Strategy discussion held" in msg.text


# ---------------------------------------------------------------- diff in words


def test_diff_in_words() -> None:
    data = yaml.safe_load(TEXT)
    for g in data["gates"]:
        if g["id"] == "strategy_discussion":
            g["limit_working_days"] = 3
    data["ladder"]["reminders"] = [data["ladder"]["reminders"][1]]
    data["ladder"]["escalations"].append(
        {"level": 4, "after_due": 10, "to": "head_of_service", "template": "escalation"}
    )
    new = Pathway.model_validate(data)
    assert describe_changes(V1, new) == [
        "default ladder reminder at -2 removed",
        "default ladder escalation level 4 added (head_of_service at +10)",
        "strategy discussion limit 1 -> 3 working days",
    ]
    assert describe_changes(V1, V1) == []


# ---------------------------------------------------------------- what-if, worked by hand


def test_what_if_against_hand_worked_figures() -> None:
    """Strategy discussion 1 -> 3 working days over Mon 2 - Fri 20 March:

    J1 decision Mon 2, discussion Wed 4. Active: due Tue 3, met late; due-day reminder Tue 3,
       escalation +1 Wed 4 (sent at 08:00, the discussion came later that day).
       Proposed: due Thu 5, met; reminder -2 on Tue 3; the due-day one is not sent (stopped).
    J2 decision Mon 9, never held. Active: due Tue 10, breached; reminder -2 (Fri 6) falls
       before the start, so only Tue 10; escalations Wed 11, Fri 13, Tue 17.
       Proposed: due Thu 12, breached; reminders Tue 10 and Thu 12; escalations 13, 17, 19.
    J3 decision Fri 20 Feb: started before the period, not counted.
    """
    journeys = {
        "J1": [
            fact("referral_decision", D(3, 2), "strategy_discussion"),
            fact("strategy_discussion", D(3, 4), "no_s47"),
        ],
        "J2": [fact("referral_decision", D(3, 9), "strategy_discussion")],
        "J3": [
            fact("referral_decision", D(2, 20), "strategy_discussion"),
            fact("strategy_discussion", D(3, 3), "no_s47"),
        ],
    }
    proposed = variant(2, strategy_discussion=3)
    a = replay(V1, CAL, journeys, D(3, 2), D(3, 20))
    p = replay(proposed, CAL, journeys, D(3, 2), D(3, 20))
    assert a.per_gate["strategy_discussion"].as_dict() == {
        "clocks": 2, "met": 0, "met_late": 1, "breached": 1, "open": 0, "cancelled": 0,
        "reminders": 2, "escalations": 4,
    }  # fmt: skip
    assert p.per_gate["strategy_discussion"].as_dict() == {
        "clocks": 2, "met": 1, "met_late": 0, "breached": 1, "open": 0, "cancelled": 0,
        "reminders": 3, "escalations": 3,
    }  # fmt: skip
    changed = changed_journeys(a, p)
    assert [c.key for c in changed] == ["J1"]
    assert changed[0].changes == (
        ("strategy_discussion", "met_late (due 2026-03-03)", "met (due 2026-03-05)"),
    )


def test_what_if_ignores_events_after_the_period() -> None:
    journeys = {
        "J": [
            fact("referral_decision", D(3, 9), "strategy_discussion"),
            fact("strategy_discussion", D(3, 25), "no_s47"),
        ]
    }
    r = replay(V1, CAL, journeys, D(3, 2), D(3, 20))
    assert r.per_gate["strategy_discussion"].breached == 1


@pytest.mark.parametrize("gate", ["icpc_s47_start"])
def test_reporting_only_gate_sends_nothing(gate: str) -> None:
    journeys = {"J": [fact("strategy_discussion", D(3, 2), "s47")]}
    r = replay(V1, CAL, journeys, D(3, 2), D(4, 17))
    assert r.per_gate[gate].breached == 1
    assert (r.per_gate[gate].reminders, r.per_gate[gate].escalations) == (0, 0)
    assert r.per_gate["icpc"].escalations == 3
