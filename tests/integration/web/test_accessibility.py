"""Accessibility (Public Sector Bodies Accessibility Regulations 2018: WCAG 2.2 AA): axe-core,
from npm (tests/integration/web/js, installed by `make test`), run in Debian's chromium on every
kind of page each role sees, signed in, with the real data of the dashboard fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.web.conftest import Dashboard
from tests.integration.web.test_web_browser import _sign_in

AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE.read_text())
    return list(
        page.evaluate(
            """async (rules) => (await axe.run(document, {runOnly: rules})).violations.map(
                v => ({id: v.id, impact: v.impact, help: v.help,
                       where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""",
            RULES,
        )
    )


@pytest.mark.parametrize(
    ("who", "paths"),
    [
        ("tm-north", ["/team", "/team?gate=icpc", "/journey", "/forecast"]),
        ("sw-north-1", ["/team"]),
        ("sm-1", ["/service", "/team?page=2"]),
        ("ops-1", ["/access-log", "/access-log?from=not-a-date", "/pathway"]),
    ],
)
def test_pages_have_no_accessibility_violations(
    dashboard: Dashboard, base_url: str, browser: Any, who: str, paths: list[str]
) -> None:
    assert AXE.exists(), "run `make test` (it installs axe-core with npm)"
    # the pages forbid inline scripts; axe is injected by the test, so this context bypasses CSP
    page = browser.new_page(bypass_csp=True)
    page.goto(f"{base_url}/sign-in")
    found = {"/sign-in": _violations(page)}
    _sign_in(page, base_url, who)
    for path in paths:
        if path == "/journey":
            path = f"/journeys/{dashboard.north_ref}"
        page.goto(f"{base_url}{path}")
        found[path] = _violations(page)
    page.close()
    assert {p: v for p, v in found.items() if v} == {}, json.dumps(found, indent=1)
