"""A reminder or escalation the sweep could not prepare is shown on the dashboard, to those who
may know of it, until it goes out: never missed silently."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from models.db import get_engine
from models.tables import Journey, Timer
from tests.integration.web.conftest import Dashboard, sign_in


def _banner(html: str) -> str:
    return (
        html.split('data-testid="stuck"', 1)[1].split("</div>\n</div>", 1)[0]
        if ('data-testid="stuck"' in html)
        else ""
    )


def test_a_message_set_aside_is_on_the_dashboard_until_it_goes(dashboard: Dashboard) -> None:
    engine = get_engine(dashboard.url)
    with Session(engine) as s:
        jid = s.exec(select(Journey.id).where(Journey.ref == dashboard.north_ref)).one()
        timer = s.exec(
            select(Timer).where(Timer.journey_id == jid, col(Timer.outcome).is_(None))
        ).first()
        assert timer is not None
        saved = (timer.outcome, timer.claimed_at)
        timer.outcome, timer.claimed_at = "error", datetime(2026, 3, 4, 8, 5, tzinfo=UTC)
        s.add(timer)
        s.commit()
        tid = timer.id
    try:
        north = sign_in(dashboard, "tm-north").get("/team").text
        banner = _banner(north)
        assert "1 reminder or escalation could not be prepared" in banner
        assert f'href="/journeys/{dashboard.north_ref}"' in banner
        assert "failing since 2026-03-04 08:05 UTC" in banner

        assert _banner(sign_in(dashboard, "tm-south").get("/team").text) == ""  # not theirs
        assert dashboard.north_ref in _banner(sign_in(dashboard, "sm-1").get("/service").text)
        ops_client = sign_in(dashboard, "ops-1")
        ops = _banner(ops_client.get("/service").text)
        assert dashboard.north_ref in ops and "href=" not in ops  # named, but no case page
        api = ops_client.get("/api/service").json()["messages_not_prepared"]
        assert [(m["subject"], m["failing_since"]) for m in api] == [
            (dashboard.north_ref, "2026-03-04T08:05:00+00:00")
        ]
    finally:
        with Session(engine) as s:
            timer = s.get(Timer, tid)
            assert timer is not None
            timer.outcome, timer.claimed_at = saved
            s.add(timer)
            s.commit()
    assert _banner(sign_in(dashboard, "tm-north").get("/team").text) == ""
    assert sign_in(dashboard, "sm-1").get("/api/service").json()["messages_not_prepared"] == []
