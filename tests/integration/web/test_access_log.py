"""The access log as ops and a data protection officer use it: find every entry about one
journey, one member of staff, one kind of entry or some days; page through them; export them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlmodel import Session

from config.clock import now_utc
from models.db import get_engine
from tests.integration.web.conftest import Dashboard, sign_in


def _rows(html: str) -> list[list[str]]:
    body = html.split('data-testid="access-log"', 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row)
        for row in re.findall(r"<tr class=\"govuk-table__row\" data-entry=.*?</tr>", body)
    ]


def test_entries_about_one_journey_and_one_member_of_staff(dashboard: Dashboard) -> None:
    tm = sign_in(dashboard, "tm-north")
    assert tm.get(f"/journeys/{dashboard.north_ref}").status_code == 200
    ops = sign_in(dashboard, "ops-1")

    page = ops.get(f"/access-log?journey={dashboard.north_ref.lower()}")
    rows = _rows(page.text)
    assert page.status_code == 200 and rows
    assert {r[3] for r in rows} == {dashboard.north_ref}  # by reference, not internal id
    assert ["staff:tm-north", "view_journey"] in [r[1:3] for r in rows]

    mine = _rows(ops.get("/access-log?actor=tm-north").text)
    assert mine and {r[1] for r in mine} == {"staff:tm-north"}
    same = _rows(ops.get("/access-log?actor=staff:tm-north").text)
    assert same == mine

    views = _rows(ops.get("/access-log?action=view_journey&actor=tm-north").text)
    assert views and {r[2] for r in views} == {"view_journey"}
    # a journey of another team never appears under this one
    assert all(r[3] != dashboard.south_ref for r in _rows(page.text))


def test_dates_paging_export_and_the_api(dashboard: Dashboard) -> None:
    from models.dashboard import log_access

    now = now_utc()
    with Session(get_engine(dashboard.url)) as s:
        for i in range(130):
            log_access(s, actor="staff:probe", action="probe", now=now, detail=f"n={i}")
        s.commit()
    ops = sign_in(dashboard, "ops-1")
    today, tomorrow = now.date().isoformat(), (now.date() + timedelta(days=1)).isoformat()

    first = ops.get(f"/access-log?action=probe&from={today}&to={today}")
    assert "130 entries, page 1 of 2" in first.text and len(_rows(first.text)) == 100
    second = ops.get(f"/access-log?action=probe&from={today}&to={today}&page=2")
    assert len(_rows(second.text)) == 30
    assert {r[4] for r in _rows(first.text)} | {r[4] for r in _rows(second.text)} == {
        f"n={i}" for i in range(130)
    }  # pages neither overlap nor leave gaps
    assert "0 entries" in ops.get(f"/access-log?action=probe&from={tomorrow}").text

    bad = ops.get("/access-log?from=27/11/2026")
    assert bad.status_code == 400 and "is not a date" in bad.text
    backwards = ops.get(f"/access-log?from={tomorrow}&to={today}")
    assert backwards.status_code == 400

    export = ops.get(f"/access-log.csv?action=probe&from={today}")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(export.text)))
    assert lines[0] == ["at_utc", "actor", "action", "journey", "detail"]
    assert len(lines) == 131 and {line[2] for line in lines[1:]} == {"probe"}

    api = ops.get("/api/access-log", params={"action": "probe", "offset": 120, "limit": 50})
    assert api.status_code == 200 and api.headers["x-total-count"] == "130"
    assert len(api.json()) == 10 and api.json()[0]["journey"] is None
    assert ops.get("/api/access-log", params={"to": "soon"}).status_code == 422

    # looking and exporting are themselves in the log
    exported = ops.get("/api/access-log", params={"action": "export_access_log"}).json()
    assert exported and exported[0]["actor"] == "staff:ops-1"
    assert "action=probe" in exported[0]["detail"]


def test_only_ops_see_the_log(dashboard: Dashboard) -> None:
    for who in ("tm-north", "sm-1", "sw-north-1"):
        c = sign_in(dashboard, who)
        assert c.get("/access-log").status_code == 404
        assert c.get("/access-log.csv").status_code == 404
        assert c.get("/api/access-log").status_code == 404
