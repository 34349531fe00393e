"""A dashboard over a real SQLite file: the demo roster and caseload as of a fixed date, plus two
hand-made journeys (an overdue ICPC in team north, with its escalations queued, and one in team
south), and sign-ins for a few staff; and, for the browser tests, the dashboard served by uvicorn
on a free port of 127.0.0.1 and Debian's chromium driven by Playwright."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

DAY = date(2026, 3, 4)
PASSWORD = "correct-horse-battery"
USERS = ("tm-north", "sw-north-1", "sw-south-1", "sm-1", "ops-1", "tm-south")


def _journey(child: str, team: str, worker: str) -> list[dict[str, Any]]:
    base = {"child": child}
    return [
        {
            "id": f"{child}-1",
            "type": "contact_received",
            "at": "2026-01-20",
            "source": "6",
            "team": team,
            "worker": worker,
            **base,
        },
        {
            "id": f"{child}-2",
            "type": "contact_outcome",
            "at": "2026-01-20",
            "outcome": "referral",
            "consent": "obtained",
            **base,
        },
        {
            "id": f"{child}-3",
            "type": "referral_decision",
            "at": "2026-01-21",
            "outcome": "strategy_discussion",
            "worker": worker,
            **base,
        },
        {
            "id": f"{child}-4",
            "type": "strategy_discussion",
            "at": "2026-01-22",
            "outcome": "s47",
            **base,
        },
    ]


@dataclass
class Dashboard:
    url: str
    north_ref: str
    south_ref: str
    app: Any


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    from config.clock import parse_as_of
    from config.settings import Settings, reset_settings
    from frontdoor.seed import generate_caseload
    from frontdoor.web import create_app
    from frontdoor.web.auth import set_password
    from models.context import current_calendar, current_pathway
    from models.db import dispose_engines, init_db, session_scope
    from models.ingest import import_records
    from models.tables import Journey

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'frontdoor.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FRONTDOOR_DATABASE_URL", url)
        reset_settings()
        init_db(url)
        now = parse_as_of(DAY.isoformat())
        records = generate_caseload(DAY, journeys=45, calendar=current_calendar())
        records += _journey("C-WEB-N", "north", "sw-north-1")
        records += _journey("C-WEB-S", "south", "sw-south-1")
        with session_scope(url) as s:
            import_records(
                s,
                list(enumerate(records, 1)),
                pathway=current_pathway(),
                cal=current_calendar(),
                now=now,
                actor="test",
                source="test",
            )
            for staff_id in USERS:
                set_password(s, staff_id, PASSWORD, now)
        from tasks.notify import enqueue_due

        enqueue_due(now)  # escalations into the outbox (not delivered: no SMTP needed here)
        with session_scope(url) as s:
            refs = {j.child_id: j.ref for j in s.exec(__import__("sqlmodel").select(Journey))}
        app = create_app(Settings(database_url=url), as_of=DAY)
        yield Dashboard(url, refs["C-WEB-N"], refs["C-WEB-S"], app)
        dispose_engines()
        reset_settings()


def sign_in(dashboard: Dashboard, staff_id: str, password: str = PASSWORD) -> Any:
    from fastapi.testclient import TestClient

    client = TestClient(dashboard.app, base_url="https://testserver")
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/sign-in",
        data={"username": staff_id, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    client.sign_in_status = r.status_code  # type: ignore[attr-defined]
    if r.status_code == 303:
        client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    return client


ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def base_url(dashboard: Dashboard) -> Iterator[str]:
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(dashboard.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()
