"""Pathway loading: the default file is valid; malformed or meaningless variants are refused."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from timescales.pathway import (
    STATUTORY_MAXIMA,
    PathwayError,
    load_pathway,
    pathway_from_dict,
)

DEFAULT = Path(__file__).resolve().parents[2] / "pathways" / "default.yaml"
RAW: dict[str, Any] = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


def _raw() -> dict[str, Any]:
    return copy.deepcopy(RAW)


def _gate(data: dict[str, Any], gate_id: str) -> dict[str, Any]:
    for g in data["gates"]:
        if g["id"] == gate_id:
            return g  # type: ignore[no-any-return]
    raise KeyError(gate_id)


def _variant(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = _raw()
    change(data)
    return data


def _refused(data: Any) -> str:
    with pytest.raises(PathwayError) as info:
        pathway_from_dict(data, source="variant.yaml")
    return str(info.value)


# --- the default file -----------------------------------------------------------------------------


def test_default_pathway_loads() -> None:
    p = load_pathway(DEFAULT)
    assert p.pathway == "front_door"
    assert p.version >= 1
    ids = [g.id for g in p.gates]
    assert set(STATUTORY_MAXIMA) <= set(ids)
    assert {
        "contact_decision",
        "strategy_discussion",
        "safety_plan",
        "icpc_delay_rationale",
    } <= set(ids)


def test_default_statutory_limits_match_working_together() -> None:
    p = load_pathway(DEFAULT)
    assert p.gate("referral_decision").limit_working_days == 1
    assert p.gate("assessment").limit_working_days == 45
    assert p.gate("icpc").limit_working_days == 15
    assert p.gate("icpc_s47_start").limit_working_days == 15
    for gid in STATUTORY_MAXIMA:
        assert p.gate(gid).kind == "statutory"


def test_default_icpc_clocks_latest_and_first() -> None:
    p = load_pathway(DEFAULT)
    assert p.gate("icpc").start_occurrence == "latest"
    assert p.gate("icpc_s47_start").start_occurrence == "first"
    assert p.gate("icpc_s47_start").reporting_only is True
    assert p.gate("icpc").reporting_only is False


def test_default_ladder() -> None:
    p = load_pathway(DEFAULT)
    assert sorted(r.before_due for r in p.ladder.reminders) == [0, 2]
    assert {r.to for r in p.ladder.reminders} == {"allocated_worker"}
    assert [(e.after_due, e.to) for e in sorted(p.ladder.escalations, key=lambda e: e.level)] == [
        (1, "team_manager"),
        (3, "service_manager"),
        (5, "head_of_service"),
    ]
    assert p.first_reminder_offset(p.gate("assessment")) == 2


def test_default_stage_names() -> None:
    p = load_pathway(DEFAULT)
    assert p.state_name("cp_plan") == "ChildProtectionPlan"
    assert p.state_name("section47") == "Section47"
    with pytest.raises(KeyError):
        p.state_name("nowhere")
    with pytest.raises(KeyError):
        p.gate("nowhere")


def test_default_calendar_is_england() -> None:
    cal = load_pathway(DEFAULT).working_calendar()
    assert not cal.is_working_day(date(2026, 4, 6))  # Easter Monday
    assert cal.add_working_days(date(2026, 3, 23), 15) == date(2026, 4, 15)


def test_calendar_extra_closure_from_pathway() -> None:
    data = _variant(lambda d: d["calendar"].update(extra_closures=[date(2026, 4, 1)]))
    cal = pathway_from_dict(data).working_calendar()
    assert cal.add_working_days(date(2026, 3, 23), 15) == date(2026, 4, 16)


# --- statutory limits are not configuration -------------------------------------------------------


@pytest.mark.parametrize(
    ("gate_id", "loosened"),
    [("assessment", 50), ("referral_decision", 2), ("icpc", 16), ("icpc_s47_start", 20)],
)
def test_loosening_statutory_limit_refused(gate_id: str, loosened: int) -> None:
    msg = _refused(_variant(lambda d: _gate(d, gate_id).update(limit_working_days=loosened)))
    assert msg.startswith("variant.yaml:")
    assert f"gate {gate_id}" in msg
    assert str(loosened) in msg
    assert f"statutory maximum of {STATUTORY_MAXIMA[gate_id]}" in msg


def test_tightening_statutory_limit_accepted() -> None:
    p = pathway_from_dict(_variant(lambda d: _gate(d, "assessment").update(limit_working_days=40)))
    assert p.gate("assessment").limit_working_days == 40


def test_local_limit_may_change() -> None:
    p = pathway_from_dict(
        _variant(lambda d: _gate(d, "strategy_discussion").update(limit_working_days=3))
    )
    assert p.gate("strategy_discussion").limit_working_days == 3


@pytest.mark.parametrize("gate_id", sorted(STATUTORY_MAXIMA))
def test_statutory_gate_marked_local_refused(gate_id: str) -> None:
    msg = _refused(_variant(lambda d: _gate(d, gate_id).update(kind="local")))
    assert f"gate {gate_id}" in msg
    assert "statutory" in msg


@pytest.mark.parametrize("gate_id", sorted(STATUTORY_MAXIMA))
def test_missing_statutory_gate_refused(gate_id: str) -> None:
    def drop(d: dict[str, Any]) -> None:
        d["gates"] = [g for g in d["gates"] if g["id"] != gate_id]
        if gate_id == "icpc":  # the derived gate refers to it; drop that too
            d["gates"] = [g for g in d["gates"] if g.get("start_after_gate_due") != "icpc"]

    msg = _refused(_variant(drop))
    assert "statutory gates missing" in msg
    assert gate_id in msg


# --- malformed files ------------------------------------------------------------------------------


def test_unknown_top_level_key_refused() -> None:
    msg = _refused(_variant(lambda d: d.update(escalate_everything=True)))
    assert "escalate_everything: unknown key" in msg


def test_unknown_gate_key_refused() -> None:
    msg = _refused(_variant(lambda d: _gate(d, "assessment").update(limit_days=45)))
    assert "limit_days" in msg
    assert "unknown key" in msg


def test_unknown_ladder_key_refused() -> None:
    msg = _refused(_variant(lambda d: d["ladder"]["reminders"][0].update(after=2)))
    assert "unknown key" in msg


def test_missing_required_key_refused() -> None:
    msg = _refused(_variant(lambda d: d.pop("stages")))
    assert "stages" in msg


def test_wrong_type_refused() -> None:
    msg = _refused(_variant(lambda d: _gate(d, "assessment").update(limit_working_days="lots")))
    assert "limit_working_days" in msg


def test_bad_notify_time_refused() -> None:
    assert "notify_time" in _refused(_variant(lambda d: d.update(notify_time="25:00")))


def test_not_a_mapping_refused() -> None:
    assert "mapping" in _refused(["gates"])


def test_duplicate_gate_refused() -> None:
    msg = _refused(_variant(lambda d: d["gates"].append(copy.deepcopy(_gate(d, "safety_plan")))))
    assert "safety_plan" in msg
    assert "twice" in msg


# --- meaningless references -----------------------------------------------------------------------


def test_unknown_start_event_refused() -> None:
    msg = _refused(
        _variant(
            lambda d: _gate(d, "contact_decision").update(start=[{"event": "contact_recieved"}])
        )
    )
    assert "gate contact_decision start" in msg
    assert "unknown event 'contact_recieved'" in msg


def test_unknown_stop_event_refused() -> None:
    msg = _refused(
        _variant(lambda d: _gate(d, "assessment").update(stop=[{"event": "authorised"}]))
    )
    assert "gate assessment stop" in msg
    assert "unknown event 'authorised'" in msg


def test_unknown_outcome_refused() -> None:
    msg = _refused(
        _variant(
            lambda d: _gate(d, "assessment").update(
                cancel=[{"event": "referral_decision", "outcome": ["nfa"]}]
            )
        )
    )
    assert "gate assessment cancel" in msg
    assert "no outcome 'nfa'" in msg


def test_outcome_on_event_without_outcomes_refused() -> None:
    msg = _refused(
        _variant(
            lambda d: _gate(d, "safety_plan").update(
                stop=[{"event": "safety_plan_recorded", "outcome": ["yes"]}]
            )
        )
    )
    assert "no outcome 'yes'" in msg


def test_unknown_gate_stage_refused() -> None:
    msg = _refused(_variant(lambda d: _gate(d, "assessment").update(stage="assessing")))
    assert "gate assessment" in msg
    assert "unknown stage 'assessing'" in msg


def test_unknown_stage_rule_stage_refused() -> None:
    msg = _refused(_variant(lambda d: d["stage_rules"][0].update(stage="intake")))
    assert "stage_rules[0]" in msg
    assert "unknown stage 'intake'" in msg


def test_unknown_stage_rule_event_refused() -> None:
    msg = _refused(_variant(lambda d: d["stage_rules"][0].update(event="contact")))
    assert "stage_rules[0]" in msg
    assert "unknown event 'contact'" in msg


def test_unknown_closing_event_refused() -> None:
    assert "closing_events" in _refused(_variant(lambda d: d.update(closing_events=["close"])))


def test_unknown_recipient_refused() -> None:
    msg = _refused(_variant(lambda d: d["ladder"]["escalations"][0].update(to="director")))
    assert "unknown role 'director'" in msg


def test_unknown_recipient_in_gate_ladder_refused() -> None:
    ladder = {
        "reminders": [{"level": 1, "before_due": 0, "to": "allocated_worker"}],
        "escalations": [{"level": 1, "after_due": 1, "to": "chief_executive"}],
    }
    msg = _refused(_variant(lambda d: _gate(d, "assessment").update(ladder=ladder)))
    assert "gate assessment" in msg
    assert "unknown role 'chief_executive'" in msg


def test_unknown_template_refused() -> None:
    msg = _refused(_variant(lambda d: d["ladder"]["reminders"][0].update(template="nudge")))
    assert "unknown template 'nudge'" in msg


def test_escalations_must_climb() -> None:
    def swap(d: dict[str, Any]) -> None:
        d["ladder"]["escalations"][0]["after_due"] = 4  # level 1 later than level 2 (3)

    assert "climb" in _refused(_variant(swap))


def test_repeated_levels_refused() -> None:
    msg = _refused(_variant(lambda d: d["ladder"]["reminders"][1].update(level=1)))
    assert "levels repeat" in msg


def test_derived_gate_naming_unknown_gate_refused() -> None:
    msg = _refused(
        _variant(lambda d: _gate(d, "icpc_delay_rationale").update(start_after_gate_due="icpcc"))
    )
    assert "unknown gate 'icpcc'" in msg


def test_gate_with_both_start_kinds_refused() -> None:
    msg = _refused(
        _variant(lambda d: _gate(d, "icpc_delay_rationale").update(start=[{"event": "icpc_held"}]))
    )
    assert "gate icpc_delay_rationale" in msg
    assert "either start events or start_after_gate_due" in msg


def test_gate_without_stop_refused() -> None:
    msg = _refused(_variant(lambda d: _gate(d, "contact_decision").update(stop=[])))
    assert "gate contact_decision" in msg
    assert "stop" in msg


def test_every_problem_reported_at_once() -> None:
    def break_two(d: dict[str, Any]) -> None:
        _gate(d, "assessment")["limit_working_days"] = 50
        _gate(d, "contact_decision")["stage"] = "intake"

    msg = _refused(_variant(break_two))
    assert "gate assessment" in msg
    assert "unknown stage 'intake'" in msg


# --- files on disk --------------------------------------------------------------------------------


def test_load_pathway_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PathwayError, match="cannot read"):
        load_pathway(tmp_path / "absent.yaml")


def test_load_pathway_bad_yaml(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("gates: [unclosed\n", encoding="utf-8")
    with pytest.raises(PathwayError, match="not valid YAML"):
        load_pathway(f)


def test_load_pathway_names_the_file(tmp_path: Path) -> None:
    data = _variant(lambda d: _gate(d, "assessment").update(limit_working_days=50))
    f = tmp_path / "loose.yaml"
    f.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PathwayError) as info:
        load_pathway(f)
    assert str(f) in str(info.value)
    assert "gate assessment" in str(info.value)
