"""Rendering reminder and escalation emails: wording, escaping, strictness, no personal data."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import pytest

from notifications.render import (
    NotificationContext,
    RenderedMessage,
    TemplateNotFoundError,
    ToldBefore,
    available_templates,
    format_date,
    render,
)

TOLD = (
    ToldBefore("Sam Patel", "allocated_worker", "reminder", 1, date(2022, 6, 17)),
    ToldBefore("Sam Patel", "allocated_worker", "reminder", 2, date(2022, 6, 21)),
    ToldBefore("Ruth Okafor", "team_manager", "escalation", 1, date(2022, 6, 22)),
)


def make_ctx(**overrides: Any) -> NotificationContext:
    values: dict[str, Any] = {
        "journey_ref": "J-7F3K2Q",
        "gate_id": "icpc_from_strategy",
        "gate_title": "Initial child protection conference held",
        "gate_basis": "Working Together 2023 ch.4 - ICPC within 15 working days",
        "gate_kind": "statutory",
        "kind": "escalation",
        "level": 2,
        "started_on": date(2022, 5, 27),
        "due_on": date(2022, 6, 21),
        "working_days_late": 3,
        "working_days_left": 0,
        "team": "North Assessment",
        "recipient_name": "Dev Sharma",
        "recipient_role": "service_manager",
        "told_before": TOLD,
        "dashboard_url": None,
    }
    values.update(overrides)
    return NotificationContext(**values)


def reminder_ctx(**overrides: Any) -> NotificationContext:
    base: dict[str, Any] = {
        "kind": "reminder",
        "level": 1,
        "working_days_late": 0,
        "working_days_left": 2,
        "recipient_name": "Sam Patel",
        "recipient_role": "allocated_worker",
        "told_before": (),
    }
    base.update(overrides)
    return make_ctx(**base)


def all_parts(msg: RenderedMessage) -> str:
    return "\n".join((msg.subject, msg.text, msg.html))


def write_templates(directory: Path, name: str, subject: str, txt: str, html: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.subject.j2").write_text(subject)
    (directory / f"{name}.txt.j2").write_text(txt)
    (directory / f"{name}.html.j2").write_text(html)


# --- both templates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "ctx"), [("reminder", reminder_ctx()), ("escalation", make_ctx())]
)
def test_template_renders_subject_text_and_html(template: str, ctx: NotificationContext) -> None:
    msg = render(template, ctx)

    assert "\n" not in msg.subject
    assert msg.subject == msg.subject.strip()
    assert "Initial child protection conference held" in msg.subject
    assert "J-7F3K2Q" in msg.subject
    assert "Tue 21 Jun 2022" in msg.subject
    for part in (msg.text, msg.html):
        assert "Initial child protection conference held" in part
        assert "J-7F3K2Q" in part
        assert "Tue 21 Jun 2022" in part  # due
        assert "Fri 27 May 2022" in part  # started
        assert "Working Together 2023 ch.4 - ICPC within 15 working days" in part
        assert "Statutory timescale" in part
        assert "North Assessment" in part
        assert f"Dear {ctx.recipient_name}," in part
    assert msg.text.endswith("\n")
    assert msg.html.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in msg.html
    # No external assets: no images, stylesheets or scripts fetched from anywhere.
    for needle in ("<img", "<link", "<script", "src=", "url("):
        assert needle not in msg.html


def test_local_gate_says_local_timescale() -> None:
    msg = render("reminder", reminder_ctx(gate_kind="local", gate_basis="Local procedure"))
    assert "Local timescale (set by this authority)" in msg.text
    assert "Local timescale (set by this authority)" in msg.html
    assert "Statutory" not in msg.text


def test_dates_are_written_out_in_english() -> None:
    assert format_date(date(2022, 6, 21)) == "Tue 21 Jun 2022"
    assert format_date(date(2026, 1, 8)) == "Thu 8 Jan 2026"


# --- late / not late -----------------------------------------------------------------------


def test_late_escalation_says_how_many_working_days_overdue() -> None:
    msg = render("escalation", make_ctx(working_days_late=3))
    assert msg.subject == (
        "Escalation level 2: Initial child protection conference held - 3 working days overdue "
        "(due Tue 21 Jun 2022) - J-7F3K2Q"
    )
    assert "is now 3 working days overdue" in msg.text
    assert "is now 3 working days overdue" in msg.html
    assert "left" not in msg.subject


def test_one_working_day_is_singular() -> None:
    msg = render("escalation", make_ctx(working_days_late=1))
    assert "1 working day overdue" in msg.subject
    assert "1 working days" not in all_parts(msg)


def test_reminder_before_due_counts_working_days_left() -> None:
    msg = render("reminder", reminder_ctx(working_days_left=2))
    assert msg.subject == (
        "Reminder: Initial child protection conference held - due in 2 working days "
        "(Tue 21 Jun 2022) - J-7F3K2Q"
    )
    assert "There are 2 working days left." in msg.text
    assert "2 working days left" in msg.html
    assert "overdue" not in all_parts(msg)


def test_reminder_on_the_due_day_says_due_today() -> None:
    msg = render("reminder", reminder_ctx(working_days_left=0, level=2))
    assert "due today" in msg.subject
    assert "is due today" in msg.text
    assert "Due today" in msg.html
    assert "overdue" not in all_parts(msg)
    assert "left" not in msg.subject


def test_reminder_sent_after_the_due_date_says_overdue() -> None:
    msg = render("reminder", reminder_ctx(working_days_left=0, working_days_late=2))
    assert "2 working days overdue" in msg.subject
    assert "is now 2 working days overdue" in msg.text


# --- escalation asks for action ------------------------------------------------------------


def test_escalation_names_its_rung_and_asks_the_recipient_to_act() -> None:
    msg = render("escalation", make_ctx(level=3, recipient_role="head_of_service"))
    assert msg.subject.startswith("Escalation level 3:")
    for part in (msg.text, msg.html):
        assert "escalation level 3" in part
        assert "rung 3 of the escalation ladder" in part
        assert "agree a plan" in part
        assert "Record the reason for the delay and who agreed it" in part
        assert "a delay without a recorded reason is reported as unexplained" in part
        assert "Head of service" in part


def test_local_escalation_does_not_claim_a_statutory_breach() -> None:
    msg = render("escalation", make_ctx(gate_kind="local"))
    assert "statutory" not in msg.text.lower()
    assert "Record the reason for the delay and who agreed it." in msg.text


# --- who was told before -------------------------------------------------------------------


def test_told_before_lists_each_notification() -> None:
    msg = render("escalation", make_ctx(told_before=TOLD))
    for part in (msg.text, msg.html):
        assert "Sam Patel (Allocated worker): reminder level 1, sent Fri 17 Jun 2022" in part
        assert "Sam Patel (Allocated worker): reminder level 2, sent Tue 21 Jun 2022" in part
        assert "Ruth Okafor (Team manager): escalation level 1, sent Wed 22 Jun 2022" in part
        assert "Nobody has been notified" not in part
    assert msg.html.count("<li") == 3 + 2  # three told before, two action steps


@pytest.mark.parametrize("template", ["reminder", "escalation"])
def test_nobody_told_before_is_said_plainly(template: str) -> None:
    msg = render(template, make_ctx(kind=template, told_before=()))
    assert "Nobody has been notified about this clock before." in msg.text
    assert "Nobody has been notified about this clock before." in msg.html


# --- strictness, escaping, absent fields ---------------------------------------------------


def test_strict_undefined_fails_loudly(tmp_path: Path) -> None:
    write_templates(
        tmp_path,
        "broken",
        subject="About {{ journey_ref }}",
        txt="Dear {{ recipient_name }}, about {{ child_name }}\n",
        html="<p>{{ gate_title }}</p>\n",
    )
    with pytest.raises(jinja2.UndefinedError, match="child_name") as info:
        render("broken", make_ctx(), templates_dir=tmp_path)
    assert any("broken.txt.j2" in note for note in getattr(info.value, "__notes__", []))


def test_strict_undefined_fails_on_a_missing_attribute(tmp_path: Path) -> None:
    write_templates(
        tmp_path,
        "broken",
        subject="{% for t in told_before %}{{ t.date_of_birth }}{% endfor %}",
        txt="x\n",
        html="x\n",
    )
    with pytest.raises(jinja2.UndefinedError, match="date_of_birth"):
        render("broken", make_ctx(told_before=TOLD), templates_dir=tmp_path)


def test_html_part_escapes_while_text_and_subject_stay_plain() -> None:
    title = 'Strategy discussion <script>alert("x")</script> & review'
    told = (ToldBefore("<b>Bob</b>", "team_manager", "escalation", 1, date(2022, 6, 22)),)
    msg = render("escalation", make_ctx(gate_title=title, told_before=told))

    assert "<script>" not in msg.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; review" in msg.html
    # Names of people told before are escaped too (they reach the page through a loop, not a
    # macro: Jinja marks macro output safe in an autoescaped caller).
    assert "<b>Bob</b>" not in msg.html
    assert "&lt;b&gt;Bob&lt;/b&gt;" in msg.html
    assert title in msg.text
    assert "<b>Bob</b> (Team manager)" in msg.text
    assert title in msg.subject
    assert "&lt;" not in msg.text + msg.subject


def test_subject_is_one_line_with_collapsed_whitespace() -> None:
    msg = render("reminder", reminder_ctx(gate_title="Referral   decision\n  made"))
    assert "Reminder: Referral decision made - due in" in msg.subject
    assert "  " not in msg.subject


@pytest.mark.parametrize("template", ["reminder", "escalation"])
def test_absent_fields_leave_no_trace(template: str) -> None:
    msg = render(template, make_ctx(kind=template, dashboard_url=None, told_before=()))
    everything = all_parts(msg)
    for needle in ("None", "Undefined", "{{", "{%", "()", "[]"):
        assert needle not in everything
    assert "href" not in msg.html
    assert "http" not in msg.text


@pytest.mark.parametrize("template", ["reminder", "escalation"])
def test_dashboard_link_appears_only_when_given(template: str) -> None:
    url = "https://frontdoor.example.gov.uk/journeys/J-7F3K2Q?tab=clocks&x=1"
    msg = render(template, make_ctx(kind=template, dashboard_url=url))
    assert f"See this journey's clocks: {url}" in msg.text
    assert 'href="https://frontdoor.example.gov.uk/journeys/J-7F3K2Q?tab=clocks&amp;x=1"' in (
        msg.html
    )


def test_context_carries_no_personal_data_about_the_child() -> None:
    # Adding a field to the context is a decision about what may leave the building in an email:
    # this list changes only with that decision.
    assert [f.name for f in fields(NotificationContext)] == [
        "journey_ref",
        "gate_id",
        "gate_title",
        "gate_basis",
        "gate_kind",
        "kind",
        "level",
        "started_on",
        "due_on",
        "working_days_late",
        "working_days_left",
        "team",
        "recipient_name",
        "recipient_role",
        "told_before",
        "dashboard_url",
    ]
    assert [f.name for f in fields(ToldBefore)] == [
        "recipient_name",
        "recipient_role",
        "kind",
        "level",
        "sent_on",
    ]


def test_context_rejects_inconsistent_values() -> None:
    ctx = make_ctx()
    with pytest.raises(ValueError, match="kind"):
        replace(ctx, kind="nudge")
    with pytest.raises(ValueError, match="gate_kind"):
        replace(ctx, gate_kind="advisory")
    with pytest.raises(ValueError, match="both late"):
        replace(ctx, working_days_late=1, working_days_left=1)
    with pytest.raises(ValueError, match="negative"):
        replace(ctx, working_days_late=-1)
    with pytest.raises(ValueError, match="http"):
        replace(ctx, dashboard_url="javascript:alert(1)")


# --- finding templates ---------------------------------------------------------------------


def test_unknown_template_is_a_lookup_error_naming_it() -> None:
    with pytest.raises(TemplateNotFoundError, match="'nudge'") as info:
        render("nudge", make_ctx())
    assert isinstance(info.value, LookupError)


def test_template_with_a_missing_part_is_not_found(tmp_path: Path) -> None:
    (tmp_path / "half.subject.j2").write_text("Subject")
    (tmp_path / "half.txt.j2").write_text("Text\n")
    with pytest.raises(TemplateNotFoundError, match=r"half\.html\.j2"):
        render("half", make_ctx(), templates_dir=tmp_path)


@pytest.mark.parametrize("name", ["../reminder", "_macros", "Reminder", ""])
def test_template_names_cannot_escape_or_reach_partials(name: str) -> None:
    with pytest.raises(TemplateNotFoundError):
        render(name, make_ctx())


def test_available_templates_lists_complete_templates_only(tmp_path: Path) -> None:
    assert {"reminder", "escalation"} <= available_templates()
    assert "_macros" not in available_templates()
    write_templates(tmp_path, "custom", "s", "t\n", "h\n")
    (tmp_path / "half.subject.j2").write_text("Subject")
    assert available_templates(tmp_path) == frozenset({"custom"})


def test_templates_dir_is_honoured_and_environments_do_not_mix(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_templates(one, "note", "One {{ journey_ref }}", "one\n", "<p>one</p>\n")
    write_templates(two, "note", "Two  {{ journey_ref }}\n", "two\n", "<p>two</p>\n")
    assert render("note", make_ctx(), templates_dir=one).subject == "One J-7F3K2Q"
    assert render("note", make_ctx(), templates_dir=two) == RenderedMessage(
        subject="Two J-7F3K2Q", text="two\n", html="<p>two</p>\n"
    )
