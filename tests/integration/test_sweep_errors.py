"""A message that cannot be prepared (here: a template bug injected for one journey) does not
stop the sweep: every other message is queued and delivered, the failing one is reported by its
pseudonymous reference, the run ends Failed, and it is tried again an hour later. Real flows,
real SQLite file, real SMTP server."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from models.db import get_engine
from models.tables import Timer
from tests.integration.test_flows import ROSTER, load, outbox, s47_journey

pytestmark = pytest.mark.usefixtures("prefect_harness")

NINE = "2026-11-27T09:00:00+00:00"


@pytest.fixture
def broken_for(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Rendering fails for the journey named in the returned dict (a stand-in for a template
    bug: StrictUndefined, a date past the calendar's horizon...)."""
    import tasks.notify as notify

    target: dict[str, str] = {}
    real = notify.render

    def render(template: str, ctx: Any, *args: Any, **kw: Any) -> Any:
        if ctx.journey_ref == target.get("ref"):
            raise RuntimeError("template bug: 'gate_basis' is undefined")
        return real(template, ctx, *args, **kw)

    monkeypatch.setattr(notify, "render", render)
    return target


def test_one_broken_message_does_not_hold_up_the_others(
    sqlite_url: str, smtp_server: Any, broken_for: dict[str, str]
) -> None:
    from flows.timescale_sweep import timescale_sweep
    from tasks.notify import NotificationErrors

    (bad,) = load(ROSTER + s47_journey("C-SECRET-1"), prefix="a")
    (good,) = load(s47_journey("C-SECRET-2"), prefix="b")
    broken_for["ref"] = bad
    with pytest.raises(NotificationErrors) as failed:
        timescale_sweep(as_of=NINE)
    text = str(failed.value)
    assert text.startswith("6 message(s) could not be prepared")
    assert bad in text and "template bug" in text
    assert good not in text and "C-SECRET" not in text  # pseudonymous references only

    # the good journey's six went out; the bad one's six are marked, not lost
    sent = outbox(sqlite_url)
    assert len(sent) == 6 and {m.status for m in sent} == {"sent"}
    assert len(smtp_server.messages()) == 6
    with Session(get_engine(sqlite_url)) as s:
        errored = s.exec(select(Timer).where(col(Timer.outcome) == "error")).all()
    assert len(errored) == 6 and all(t.claimed_at is not None for t in errored)

    # within the hour: not tried again (the sweep runs every few minutes)
    quiet = timescale_sweep(as_of="2026-11-27T09:30:00+00:00", publish=False)
    assert quiet["enqueue_retried"] == 0 and quiet["enqueue_queued"] == 0

    # fixed, an hour on: retried, queued and delivered
    broken_for["ref"] = ""
    later = timescale_sweep(as_of="2026-11-27T10:05:00+00:00", publish=False)
    assert later["enqueue_retried"] == 6 and later["enqueue_queued"] == 6
    assert later["delivery_sent"] == 6 and later["enqueue_errors"] == 0
    assert len(smtp_server.messages()) == 12


def test_the_cli_says_what_failed_in_one_message(
    sqlite_url: str, smtp_server: Any, broken_for: dict[str, str]
) -> None:
    from frontdoor.cli import app

    (bad,) = load(ROSTER + s47_journey("C-SECRET-1"), prefix="a")
    broken_for["ref"] = bad
    result = CliRunner().invoke(app, ["sweep", "--as-of", NINE, "--no-publish"])
    assert result.exit_code == 2
    assert "could not be prepared" in result.output and bad in result.output
    assert "Traceback" not in result.output
