"""Sign-in through an OpenID Connect identity provider: a real HTTP provider on 127.0.0.1
(tests/integration/web/oidc_provider.py), the dashboard in-process (and in Debian's chromium
for the whole round trip). The roster decides who gets in; every refusal is logged."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlmodel import Session, select

from tests.integration.web.conftest import Dashboard
from tests.integration.web.oidc_provider import Provider, running


@pytest.fixture(scope="module")
def tm_email(dashboard: Dashboard) -> str:
    from models.db import get_engine
    from models.tables import Staff

    with Session(get_engine(dashboard.url)) as s:
        staff = s.get(Staff, "tm-north")
        assert staff is not None
        return staff.email


@pytest.fixture
def idp(tm_email: str) -> Iterator[Provider]:
    users = {
        "tm": {"email": tm_email.upper(), "email_verified": True, "preferred_username": "tm-north"},
        "stranger": {"email": "someone@elsewhere.example", "email_verified": True},
        "unverified": {"email": tm_email, "email_verified": False},
        "nameless": {"preferred_username": "tm-north"},
    }
    with running(Provider(users=users)) as provider:
        yield provider


def _app(dashboard: Dashboard, idp: Provider, **settings: Any) -> Any:
    from config.settings import Settings
    from frontdoor.web import create_app
    from tests.integration.web.conftest import DAY

    return create_app(
        Settings(
            database_url=dashboard.url,
            oidc_issuer=idp.issuer,
            oidc_client_id=idp.client_id,
            oidc_client_secret=idp.client_secret,
            oidc_name="Test Council",
            **settings,
        ),
        as_of=DAY,
    )


def _round_trip(
    app: Any, idp: Provider, login: str, *, decision: str = "allow", state: str | None = None
) -> tuple[Any, Any]:
    """The browser's part: dashboard -> provider's login form -> back to the dashboard."""
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    start = client.get("/sign-in/oidc?next=/team", follow_redirects=False)
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    assert authorize.startswith(f"{idp.issuer}/authorize?")
    params = dict(parse_qsl(urlsplit(authorize).query))
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert params["nonce"] and params["state"]
    assert params["redirect_uri"] == "https://testserver/sign-in/oidc/callback"
    with httpx.Client() as browser_at_idp:
        assert browser_at_idp.get(authorize).status_code == 200  # the login form
        back = browser_at_idp.post(
            f"{idp.issuer}/authorize", data={**params, "login": login, "decision": decision}
        )
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    query = callback.query
    if state is not None:
        query = "&".join(
            f"state={state}" if part.startswith("state=") else part for part in query.split("&")
        )
    return client, client.get(f"{callback.path}?{query}", follow_redirects=False)


def _log(dashboard: Dashboard, action: str) -> list[Any]:
    from models.db import get_engine
    from models.tables import AccessLog

    with Session(get_engine(dashboard.url)) as s:
        return list(s.exec(select(AccessLog).where(AccessLog.action == action)).all())


def test_a_team_manager_signs_in_through_the_identity_provider(
    dashboard: Dashboard, idp: Provider, tm_email: str
) -> None:
    app = _app(dashboard, idp)
    before = len(_log(dashboard, "sign_in"))
    client, done = _round_trip(app, idp, "tm")
    assert done.status_code == 303 and done.headers["location"] == "/team"
    team = client.get("/team")
    assert team.status_code == 200 and "tm-north" in client.get("/api/me").text
    assert dashboard.north_ref in team.text  # their team's journeys
    entries = _log(dashboard, "sign_in")
    assert len(entries) == before + 1
    assert entries[-1].actor == "staff:tm-north"
    assert entries[-1].detail == f"oidc email={tm_email.upper()}"  # matched case-insensitively
    assert idp.token_requests == 1


def test_the_sign_in_page_offers_the_provider_beside_passwords(
    dashboard: Dashboard, idp: Provider
) -> None:
    from fastapi.testclient import TestClient

    page = TestClient(_app(dashboard, idp), base_url="https://testserver").get("/sign-in?next=/x")
    assert "Sign in with Test Council" in page.text
    assert 'href="/sign-in/oidc?next=/x"' in page.text
    assert 'id="password"' in page.text

    only = TestClient(_app(dashboard, idp, local_sign_in=False), base_url="https://testserver")
    page = only.get("/sign-in")
    assert "Sign in with Test Council" in page.text and 'id="password"' not in page.text
    refused = only.post("/sign-in", data={"username": "tm-north", "password": "x" * 12})
    assert refused.status_code == 404  # no password sign-in at all
    assert "staff_id" not in only.get("/api/me").text


@pytest.mark.parametrize(
    ("login", "status", "action", "says"),
    [
        ("stranger", 403, "sign_in_refused", "is not on frontdoor's staff roster"),
        ("unverified", 403, "sign_in_refused", "is not on frontdoor's staff roster"),
        ("nameless", 401, "sign_in_failed", "no 'email' claim"),
        ("nobody-at-all", 401, "sign_in_failed", "refused: access_denied"),
    ],
)
def test_people_the_roster_does_not_know_are_refused(
    dashboard: Dashboard, idp: Provider, login: str, status: int, action: str, says: str
) -> None:
    before = len(_log(dashboard, action))
    client, done = _round_trip(_app(dashboard, idp), idp, login)
    assert done.status_code == status and says in html.unescape(done.text)
    assert len(_log(dashboard, action)) == before + 1
    assert client.get("/team", follow_redirects=False).status_code == 303  # still signed out


@pytest.mark.parametrize(
    ("switch", "value"),
    [
        ("foreign_key", True),
        ("audience", "another-client"),
        ("nonce", "n0t-y0urs"),
        ("expired", True),
    ],
)
def test_tokens_that_fail_the_checks_sign_nobody_in(
    dashboard: Dashboard, idp: Provider, switch: str, value: object
) -> None:
    setattr(idp, switch, value)
    before = len(_log(dashboard, "sign_in_failed"))
    client, done = _round_trip(_app(dashboard, idp), idp, "tm")
    assert done.status_code == 401 and "did not work" in html.unescape(done.text)
    assert len(_log(dashboard, "sign_in_failed")) == before + 1
    assert client.get("/team", follow_redirects=False).status_code == 303


def test_a_forged_state_or_a_cancel_signs_nobody_in(dashboard: Dashboard, idp: Provider) -> None:
    app = _app(dashboard, idp)
    client, done = _round_trip(app, idp, "tm", state="forged-state")
    assert done.status_code == 401
    assert idp.token_requests == 0  # the code was never exchanged
    assert client.get("/team", follow_redirects=False).status_code == 303
    client, done = _round_trip(app, idp, "tm", decision="deny")
    assert done.status_code == 401 and "access_denied" in done.text


def test_the_roster_can_be_matched_by_staff_id(dashboard: Dashboard, idp: Provider) -> None:
    app = _app(dashboard, idp, oidc_staff_claim="preferred_username", oidc_staff_field="staff_id")
    client, done = _round_trip(app, idp, "nameless")  # no email, but a username
    assert done.status_code == 303
    assert '"staff_id":"tm-north"' in client.get("/api/me").text.replace(" ", "")


def test_an_unreachable_provider_is_a_clear_page_not_a_crash(dashboard: Dashboard) -> None:
    from fastapi.testclient import TestClient

    from config.settings import Settings
    from frontdoor.web import create_app

    app = create_app(
        Settings(
            database_url=dashboard.url,
            oidc_issuer="http://127.0.0.1:9",  # discard port: nothing listens
            oidc_client_id="x",
        )
    )
    page = TestClient(app, base_url="https://testserver").get("/sign-in/oidc")
    assert page.status_code == 502 and "not available now" in page.text


def test_incomplete_settings_are_refused_at_start(dashboard: Dashboard) -> None:
    from config.settings import Settings
    from frontdoor.web import create_app
    from frontdoor.web.auth import SignInSettingsError

    with pytest.raises(SignInSettingsError, match="FRONTDOOR_OIDC_CLIENT_ID"):
        create_app(Settings(database_url=dashboard.url, oidc_issuer="https://idp.example"))
    with pytest.raises(SignInSettingsError, match="nobody could sign in"):
        create_app(Settings(database_url=dashboard.url, local_sign_in=False))
    with pytest.raises(SignInSettingsError, match="https://"):
        create_app(
            Settings(
                database_url=dashboard.url, oidc_issuer="http://idp.example", oidc_client_id="x"
            )
        )


def test_the_whole_round_trip_in_a_browser(dashboard: Dashboard, idp: Provider) -> None:
    """Debian's chromium: the dashboard's sign-in page, the provider's login form, back to the
    team view, signed in as the team manager the roster names."""
    import socket
    import threading
    import time

    import uvicorn
    from playwright.sync_api import expect, sync_playwright

    from tests.integration.web.conftest import CHROMIUM, FLAGS

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(_app(dashboard, idp), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            page = browser.new_page()
            page.goto(f"{base}/team")
            page.get_by_test_id("oidc-sign-in").click()
            expect(page).to_have_title("Test identity provider")
            page.fill("#login", "tm")
            page.click("button[value='allow']")
            expect(page).to_have_url(f"{base}/team")
            expect(page.locator(f"tr[data-journey='{dashboard.north_ref}']").first).to_be_visible()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)


def test_serve_stops_with_one_line_on_incomplete_settings(
    dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from config.settings import reset_settings
    from frontdoor.cli import app

    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", dashboard.url)
    monkeypatch.setenv("FRONTDOOR_OIDC_ISSUER", "https://idp.example")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    reset_settings()
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "1"])
    finally:
        reset_settings()
    assert result.exit_code == 2, result.output
    assert "FRONTDOOR_OIDC_CLIENT_ID" in result.output and "Traceback" not in result.output
