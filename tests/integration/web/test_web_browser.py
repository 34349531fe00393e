"""The dashboard in a real browser: Debian's chromium driven by Playwright, against uvicorn on a
free port of 127.0.0.1."""

from __future__ import annotations

import re

from tests.integration.web.conftest import ARTIFACTS, PASSWORD, Dashboard


def _sign_in(page: object, base_url: str, staff_id: str) -> None:
    page.goto(f"{base_url}/team")  # type: ignore[attr-defined]
    page.fill("#username", staff_id)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.click("button:has-text('Sign in')")  # type: ignore[attr-defined]


def test_team_manager_day(dashboard: Dashboard, base_url: str, browser: object) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()  # type: ignore[attr-defined]
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    _sign_in(page, base_url, "tm-north")
    expect(page).to_have_url(f"{base_url}/team")
    # GOV.UK Frontend's scripts ran under the Content-Security-Policy (no inline script allowed)
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    row = page.locator(f"tr[data-journey='{dashboard.north_ref}'][data-gate='icpc']")
    tag = row.locator("[data-status='overdue']")
    expect(tag).to_have_text("Overdue")
    expect(tag).to_have_class("govuk-tag govuk-tag--red")
    colour = tag.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour != "rgba(0, 0, 0, 0)"  # the GOV.UK stylesheet is served and applied
    assert int(page.get_by_test_id("count-overdue").inner_text()) >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "team-view.png"), full_page=True)

    row.locator("a").click()
    expect(page.locator("h1")).to_have_text(f"Journey {dashboard.north_ref}")
    page.locator("summary:has-text('ICPC delay agreed')").click()
    form = page.get_by_test_id("form-icpc_delay_agreed")
    form.locator("[name=at]").fill("2026-03-03")
    form.locator("[name=reason]").fill("chair_unavailable")
    form.locator("[name=rationale]").fill("No chair free until next week; agreed with the chair")
    form.locator("[name=chair]").select_option("chair-1")
    form.locator("button").click()
    expect(page.get_by_test_id("recorded")).to_contain_text("icpc_delay_agreed")
    expect(page.get_by_test_id("events")).to_contain_text("icpc_delay_agreed")
    expect(
        page.get_by_test_id("journey-clocks").locator(
            "tr[data-gate='icpc_delay_rationale'] [data-status]"
        )
    ).to_have_attribute("data-status", "met_late")

    first = page.get_by_test_id("escalation").first
    n = page.get_by_test_id("escalation").count()
    first.locator("textarea").fill("ICPC booked; chair agreed the delay")
    first.locator("button:has-text('Acknowledge')").click()
    expect(page.get_by_test_id("acknowledged")).to_be_visible()
    expect(page.get_by_test_id("escalation")).to_have_count(n - 1)

    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(f"{base_url}/sign-in")
    page.goto(f"{base_url}/journeys/{dashboard.north_ref}")
    expect(page).to_have_url(f"{base_url}/sign-in?next=/journeys/{dashboard.north_ref}")
    page.close()
    assert not [m for m in console if "Content Security Policy" in m], console


def test_social_worker_gets_404_for_another_teams_journey(
    dashboard: Dashboard, base_url: str, browser: object
) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()  # type: ignore[attr-defined]
    _sign_in(page, base_url, "sw-north-1")
    expect(page.locator("h1")).to_have_text("Open journeys and their clocks")
    response = page.goto(f"{base_url}/journeys/{dashboard.south_ref}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    page.close()
