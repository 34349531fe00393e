"""The team view paged in SQL (due-date order, filters, GOV.UK pagination, URL-encoded links),
the SQL counts held to the gate evaluation, and the sign-in rate limit."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from models.context import current_calendar
from models.db import get_engine
from models.tables import AccessLog
from tests.integration.web.conftest import DAY, PASSWORD, Dashboard, sign_in

EVERYONE_DAYS = (DAY, date(2026, 1, 26), date(2026, 2, 2), date(2026, 2, 16))


def _scopes() -> list[Any]:
    from models.dashboard import Scope

    return [
        Scope("sm", "", "service_manager", "", "all"),
        Scope("tm", "", "team_manager", "north", "team"),
        Scope("sw-north-1", "", "social_worker", "north", "worker"),
        Scope("ops", "", "ops", "ops", "none"),
    ]


def test_sql_counts_agree_with_the_gate_evaluation(dashboard: Dashboard) -> None:
    """The team and service views count in SQL; the counts are those of ``clock_status`` over
    the same clocks, team by team, for every kind of scope and on days either side of the
    deadlines."""
    from models.dashboard import (
        clock_rows,
        counts_from,
        escalation_counts,
        escalations_awaiting,
        live_counts,
        open_escalations,
        service_counts,
    )

    keys = (
        "open_journeys",
        "live_clocks",
        "overdue",
        "due_next_5",
        "icpc_at_risk",
        "safety_plans_missing",
    )

    def table(counts: dict[str, Any]) -> dict[str, list[int]]:
        return {t: [getattr(c, k) for k in keys] for t, c in counts.items()}

    with Session(get_engine(dashboard.url)) as s:
        for day in EVERYONE_DAYS:
            horizon = current_calendar().add_working_days(day, 5)
            for scope in _scopes():
                for team in (None, "north", "south"):
                    rows = clock_rows(s, scope, day, team=team)
                    by_rows = table(counts_from(rows, [], horizon))
                    assert by_rows == table(live_counts(s, scope, day, horizon, team=team)), (
                        day,
                        scope.kind,
                        team,
                    )
                esc = open_escalations(s, scope)
                by_team: dict[str, int] = {}
                for e in esc:
                    by_team[e.team] = by_team.get(e.team, 0) + 1
                assert escalation_counts(s, scope) == by_team
                assert len(open_escalations(s, scope, team="north")) == by_team.get("north", 0)
                assert escalations_awaiting(s, scope, limit=3) == (esc[:3], len(esc))
                north = [e for e in esc if e.team == "north"]
                assert escalations_awaiting(s, scope, team="north") == (north, len(north))
            everyone = _scopes()[0]
            assert table(service_counts(s, day, horizon)) == table(
                counts_from(clock_rows(s, everyone, day), [], horizon)
            )
            assert len(open_escalations(s, everyone)) > 3  # the escalation checks bite too
            # the days chosen make the comparison bite: some clocks overdue, some not
            statuses = {r.status for r in clock_rows(s, everyone, day)}
            assert "overdue" in statuses and statuses - {"overdue"}


@pytest.mark.parametrize("descending", [False, True])
def test_clock_pages_are_the_sorted_rows_cut_in_pages(
    dashboard: Dashboard, descending: bool
) -> None:
    from models.dashboard import clock_page, clock_rows

    walked = 0
    with Session(get_engine(dashboard.url)) as s:
        for scope in _scopes()[:3]:
            for filters in ({}, {"gate": "icpc"}, {"stage": "section47"}, {"team": "north"}):
                want = sorted(
                    clock_rows(s, scope, DAY, **filters),
                    key=lambda r: (r.due_on, r.journey, r.gate),
                    reverse=descending,
                )
                got: list[Any] = []
                first = clock_page(s, scope, DAY, page_size=7, descending=descending, **filters)
                assert first.total == len(want) and first.pages == max(1, -(-len(want) // 7))
                for n in range(1, first.pages + 1):
                    p = clock_page(
                        s, scope, DAY, page=n, page_size=7, descending=descending, **filters
                    )
                    assert p.page == n and len(p.rows) <= 7
                    got += p.rows
                assert got == want, (scope.kind, filters)
                walked = max(walked, first.pages)
                past = clock_page(s, scope, DAY, page=999, page_size=7, **filters)
                assert past.page == first.pages  # a page past the end shows the last one
    assert walked >= 3  # several pages were walked


def _links(text: str, testid: str = "pagination") -> list[str]:
    nav = re.search(rf'data-testid="{testid}".*?</nav>', text, re.S)
    assert nav is not None
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', nav.group(0))]


def _journeys(text: str) -> list[tuple[str, str]]:
    return re.findall(r'data-journey="([^"]+)" data-gate="([^"]+)"', text)


def test_team_view_pages_with_govuk_pagination(
    dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontdoor.web import pages
    from models.dashboard import clock_rows

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    c = sign_in(dashboard, "sm-1")
    with Session(get_engine(dashboard.url)) as s:
        everyone = _scopes()[0]
        want = [
            (r.journey, r.gate)
            for r in sorted(
                clock_rows(s, everyone, DAY, gate="icpc"),
                key=lambda r: (r.due_on, r.journey, r.gate),
                reverse=True,
            )
        ]
    assert len(want) > 4
    pages_n = -(-len(want) // 2)
    first = c.get("/team?gate=icpc&sort=-due")
    assert first.status_code == 200
    assert f"{len(want)} live clock(s), page 1 of {pages_n}" in first.text
    assert _journeys(first.text) == want[:2]
    assert 'class="govuk-pagination"' in first.text and 'rel="prev"' not in first.text
    nxt = [h for h in _links(first.text) if "page=2" in h]
    assert nxt and all("gate=icpc" in h and "sort=-due" in h for h in nxt)
    second = c.get("/team" + nxt[0])
    assert _journeys(second.text) == want[2:4]
    assert 'rel="prev"' in second.text and 'aria-current="page"' in second.text
    # the counts at the top are the whole scope's, not the page's
    counts = [re.findall(r'data-testid="count-[a-z]+">(\d+)<', p.text) for p in (first, second)]
    assert len(counts[0]) == 5 and counts[0] == counts[1]
    last = c.get("/team?gate=icpc&sort=-due&page=999")
    assert _journeys(last.text) == want[(pages_n - 1) * 2 :]
    assert 'rel="next"' not in last.text


def test_team_view_links_url_encode_the_filters(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "sm-1")
    odd = "a&b=c#d e/f%"
    r = c.get("/team", params={"worker": odd, "stage": "section47", "gate": "icpc"})
    assert r.status_code == 200
    sort = re.search(r'data-testid="sort-due" href="([^"]+)"', r.text)
    assert sort is not None
    href = html.unescape(sort.group(1))
    assert "worker=a%26b%3Dc%23d+e%2Ff%25" in href and "&b=c" not in href
    assert "stage=section47" in href and "gate=icpc" in href and "sort=-due" in href
    # following the link keeps the filter value exactly (nothing spills into other parameters)
    again = c.get("/team" + href)
    assert again.status_code == 200
    with Session(get_engine(dashboard.url)) as s:
        last = s.exec(
            select(AccessLog).where(AccessLog.action == "view_team").order_by(AccessLog.id.desc())  # type: ignore[union-attr]
        ).first()
    assert last is not None and f"worker={odd} stage=section47 gate=icpc" in last.detail
    service = c.get("/service").text
    assert 'href="/team?team=north"' in service


def _fresh_app(dashboard: Dashboard, **limits: Any) -> Any:
    from config.settings import Settings
    from frontdoor.web import create_app
    from frontdoor.web.auth import SignInThrottle

    return create_app(
        Settings(database_url=dashboard.url), as_of=DAY, throttle=SignInThrottle(**limits)
    )


def _attempt(client: Any, username: str, password: str) -> Any:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert token is not None
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )


def test_sign_in_is_refused_after_too_many_failures(dashboard: Dashboard) -> None:
    from fastapi.testclient import TestClient

    app = _fresh_app(dashboard, max_per_user=3, max_per_address=6)
    c = TestClient(app, base_url="https://testserver")
    for _ in range(3):
        assert _attempt(c, "tm-north", "wrong-password").status_code == 401
    r = _attempt(c, "TM-North ", PASSWORD)  # the right password, but the username is locked
    assert r.status_code == 429 and "Too many failed attempts" in r.text
    assert int(r.headers["Retry-After"]) > 0
    assert c.get("/api/me").status_code == 401
    with Session(get_engine(dashboard.url)) as s:
        refused = s.exec(select(AccessLog).where(AccessLog.action == "sign_in_throttled")).all()
    assert any("tm-north" in e.detail.lower() for e in refused)
    # another user from the same address may still sign in, until the address is locked too
    assert _attempt(c, "sw-north-1", PASSWORD).status_code == 303
    assert _attempt(c, "nobody-1", "x" * 12).status_code == 401
    assert _attempt(c, "nobody-2", "x" * 12).status_code == 401
    assert _attempt(c, "nobody-3", "x" * 12).status_code == 401  # 6th failure from the address
    assert _attempt(c, "tm-south", PASSWORD).status_code == 429
    # another address is not affected
    other = TestClient(app, base_url="https://testserver", client=("10.1.2.3", 5000))
    assert _attempt(other, "tm-south", PASSWORD).status_code == 303


def test_the_throttle_forgets_after_the_lockout() -> None:
    from frontdoor.web.auth import SignInThrottle

    t = SignInThrottle(
        max_per_user=3,
        max_per_address=10,
        window=timedelta(minutes=15),
        lockout=timedelta(minutes=15),
    )
    t0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    # failures spread wider than the window never lock
    for i in range(6):
        t.failed("ann", "1.2.3.4", t0 + timedelta(minutes=8 * i))
        assert t.refused_until("ann", "1.2.3.4", t0 + timedelta(minutes=8 * i)) is None
    later = t0 + timedelta(hours=2)
    for i in range(3):
        assert t.refused_until("ann", None, later) is None
        t.failed("ann", None, later + timedelta(seconds=i))
    end = t.refused_until("ann", "9.9.9.9", later + timedelta(seconds=3))
    assert end == later + timedelta(seconds=2, minutes=15)
    assert t.refused_until("bob", "9.9.9.9", later) is None
    assert t.refused_until("ann", None, end - timedelta(seconds=1)) == end
    assert t.refused_until("ann", None, end) is None  # free again once the lockout has passed
    # a success clears the username's failures
    t.failed("cat", None, later)
    t.failed("cat", None, later)
    t.succeeded("Cat")
    t.failed("cat", None, later)
    assert t.refused_until("cat", None, later) is None
