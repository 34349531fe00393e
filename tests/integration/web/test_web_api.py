"""The JSON API and pages over HTTP: every route, its refusals, scope (404 outside it), CSRF,
the same validation as import, acknowledgements and the access log."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.context import current_calendar
from models.dashboard import EscalationAck
from models.db import get_engine
from models.tables import AccessLog, Event
from tests.integration.web.conftest import Dashboard, sign_in

API_GETS = [
    "/api/me",
    "/api/clocks",
    "/api/escalations",
    "/api/forecast",
    "/api/service",
    "/api/access-log",
    "/api/pathway",
    "/api/openapi.json",
]


def _log(d: Dashboard, action: str) -> list[AccessLog]:
    with Session(get_engine(d.url)) as s:
        return list(s.exec(select(AccessLog).where(AccessLog.action == action)).all())


def test_nothing_without_signing_in(dashboard: Dashboard) -> None:
    from fastapi.testclient import TestClient

    c = TestClient(dashboard.app, base_url="https://testserver")
    for path in [*API_GETS, f"/api/journeys/{dashboard.north_ref}"]:
        assert c.get(path).status_code == 401, path
    assert c.post("/api/events", json={}).status_code == 401
    for page in ["/", "/team", "/forecast", "/service", f"/journeys/{dashboard.north_ref}"]:
        r = c.get(page, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/sign-in?next=")
    assert c.get("/static/govuk/govuk-frontend.min.css").status_code == 200  # assets are public


def test_wrong_password_is_refused_and_logged(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "tm-north", "not-the-password")
    assert c.sign_in_status == 401
    assert c.get("/api/me").status_code == 401
    assert any("tm-north" in e.detail for e in _log(dashboard, "sign_in_failed"))


def test_sign_in_needs_the_csrf_token(dashboard: Dashboard) -> None:
    from fastapi.testclient import TestClient

    c = TestClient(dashboard.app, base_url="https://testserver")
    r = c.post("/sign-in", data={"username": "tm-north", "password": "x" * 12})
    assert r.status_code == 400


def test_team_manager_sees_their_team_and_404_for_another(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "tm-north")
    me = c.get("/api/me").json()
    assert me["scope"] == "team" and me["team"] == "north"
    body = c.get("/api/clocks").json()
    assert body["clocks"] and {r["team"] for r in body["clocks"]} == {"north"}
    assert body["counts"]["overdue"] >= 1
    assert any(
        r["journey"] == dashboard.north_ref and r["gate"] == "icpc" and r["status"] == "overdue"
        for r in body["clocks"]
    )
    j = c.get(f"/api/journeys/{dashboard.north_ref}").json()
    assert j["child"] == "C-WEB-N" and {e["level"] for e in j["open_escalations"]} >= {1}
    assert c.get(f"/api/journeys/{dashboard.south_ref}").status_code == 404
    assert c.get("/api/journeys/J-NOSUCH").status_code == 404
    assert c.get(f"/journeys/{dashboard.south_ref}").status_code == 404
    assert c.get("/service").status_code == 404 and c.get("/api/service").status_code == 404
    assert c.get("/access-log").status_code == 404 and c.get("/api/access-log").status_code == 404
    page = c.get("/team?gate=icpc")
    assert page.status_code == 200 and dashboard.north_ref in page.text
    assert dashboard.south_ref not in c.get("/team").text
    assert c.get("/forecast").status_code == 200
    assert isinstance(c.get("/api/forecast?days=10").json(), list)
    assert c.get("/api/pathway").json()["pathway"] == "front_door"
    assert "/api/events" in c.get("/api/openapi.json").json()["paths"]


def test_social_worker_sees_only_their_own_journeys(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "sw-north-1")
    rows = c.get("/api/clocks").json()["clocks"]
    assert rows and all(r["worker"] == "sw-north-1" for r in rows)
    assert c.get(f"/journeys/{dashboard.north_ref}").status_code == 200
    assert c.get(f"/journeys/{dashboard.south_ref}").status_code == 404
    r = c.post(
        f"/api/journeys/{dashboard.north_ref}/escalations/icpc/2026-01-22/1/acknowledge",
        json={"note": "seen"},
    )
    assert r.status_code == 403  # in scope, but not theirs to acknowledge
    r = c.post(
        f"/api/journeys/{dashboard.south_ref}/escalations/icpc/2026-01-22/1/acknowledge",
        json={"note": "seen"},
    )
    assert r.status_code == 404


def test_service_manager_sees_every_team(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "sm-1")
    teams = c.get("/api/service").json()["teams"]
    assert {"north", "south", "*"} <= set(teams)
    assert teams["*"]["open_journeys"] >= teams["north"]["open_journeys"] > 0
    assert c.get(f"/api/journeys/{dashboard.south_ref}").status_code == 200
    assert "north" in c.get("/service").text


def test_ops_has_reports_and_the_access_log_but_no_case_pages(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "ops-1")
    assert c.get("/api/clocks").status_code == 404
    assert c.get(f"/api/journeys/{dashboard.north_ref}").status_code == 404
    assert c.get(f"/journeys/{dashboard.north_ref}").status_code == 404
    assert c.get("/team").status_code == 404
    assert c.get("/api/escalations").status_code == 404
    assert c.get("/api/forecast").status_code == 404
    assert c.get("/service").status_code == 200 and c.get("/pathway").status_code == 200
    log = c.get("/api/access-log").json()
    assert log and {"at", "actor", "action", "journey_id", "detail"} <= set(log[0])
    assert c.get("/access-log").status_code == 200
    r = c.post(
        "/api/events",
        json={
            "id": "x-1",
            "type": "closed",
            "child": "C-WEB-N",
            "at": "2026-03-04",
            "reason": "RC8",
        },
    )
    assert r.status_code == 404


def test_post_events_gives_the_import_errors_and_writes_nothing(dashboard: Dashboard) -> None:
    from config.clock import parse_as_of
    from models.context import current_calendar, current_pathway
    from models.db import session_scope
    from models.ingest import ImportRejected, import_records

    c = sign_in(dashboard, "tm-north")
    bad = [
        {
            "id": "api-ok-1",
            "type": "safety_plan_recorded",
            "child": "C-WEB-N",
            "at": "2026-03-03",
            "document": "DOC-1",
        },
        {
            "id": "api-bad-1",
            "type": "icpc_delay_agreed",
            "child": "C-WEB-N",
            "at": "2026-03-03",
            "reason": "chair_unavailable",
            "rationale": "no chair",
            "manager": "tm-north",
            "chair": "nobody-here",
        },
    ]
    r = c.post("/api/events", json=bad)
    assert r.status_code == 422
    errors = r.json()["errors"]
    with session_scope(dashboard.url) as s:
        try:
            import_records(
                s,
                list(enumerate(bad, 1)),
                pathway=current_pathway(),
                cal=current_calendar(),
                now=parse_as_of("2026-03-04"),
                actor="t",
                source="t",
            )
        except ImportRejected as exc:
            expected = [str(e) for e in exc.errors]
        s.rollback()
    assert [e["message"] for e in errors] == expected
    assert errors[0]["line"] == 2 and errors[0]["id"] == "api-bad-1"
    with Session(get_engine(dashboard.url)) as s:
        assert s.exec(select(Event).where(col(Event.record_id).like("api-%"))).all() == []
    assert c.post("/api/events", json=bad[0], headers={"X-CSRF-Token": "forged"}).status_code == 400


def test_post_events_records_as_the_signed_in_user(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "tm-north")
    rec = {
        "id": "api-plan-1",
        "type": "safety_plan_recorded",
        "child": "C-WEB-N",
        "at": "2026-03-03",
        "document": "DOC-7",
    }
    r = c.post("/api/events", json=rec)
    assert r.status_code == 201 and r.json()["journeys"] == [dashboard.north_ref]
    assert c.post("/api/events", json=rec).json()["unchanged"] == 1  # idempotent, like import
    with Session(get_engine(dashboard.url)) as s:
        ev = s.exec(select(Event).where(Event.record_id == "api-plan-1")).one()
        assert (ev.recorded_by, ev.source) == ("staff:tm-north", "api")
    assert any(e.journey_id is not None for e in _log(dashboard, "api_record"))


def test_recording_for_another_teams_child_is_404_and_writes_nothing(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "tm-north")
    rec = {
        "id": "api-south-1",
        "type": "safety_plan_recorded",
        "child": "C-WEB-S",
        "at": "2026-03-03",
        "document": "DOC-9",
    }
    assert c.post("/api/events", json=rec).status_code == 404
    with Session(get_engine(dashboard.url)) as s:
        assert s.exec(select(Event).where(Event.record_id == "api-south-1")).first() is None
    staff = {
        "id": "staff-x",
        "type": "staff",
        "staff_id": "x",
        "name": "X",
        "email": "x@x",
        "role": "social_worker",
        "team": "north",
        "manager": "tm-north",
    }
    assert c.post("/api/events", json=staff).status_code == 403


def test_acknowledging_an_escalation_takes_it_off_the_list(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "tm-south")
    before = c.get("/api/escalations").json()
    mine = [e for e in before if e["journey"] == dashboard.south_ref and e["level"] == 2]
    assert mine, before
    e = mine[0]
    url = f"/api/journeys/{e['journey']}/escalations/{e['gate']}/{e['cycle']}/2/acknowledge"
    assert c.post(url, json={"note": ""}).status_code == 422
    r = c.post(url, json={"note": "ICPC booked for Friday"})
    assert r.status_code == 201 and r.json()["acknowledged_by"] == "tm-south"
    assert c.post(url, json={"note": "again"}).status_code == 422
    after = c.get("/api/escalations").json()
    assert not [
        x for x in after if (x["journey"], x["gate"], x["level"]) == (e["journey"], e["gate"], 2)
    ]
    # the other rungs are still open: acknowledging one level does not stop the clock
    assert [x for x in after if x["journey"] == e["journey"] and x["level"] != 2]
    missing = f"/api/journeys/{e['journey']}/escalations/{e['gate']}/{e['cycle']}/9/acknowledge"
    assert c.post(missing, json={"note": "x"}).status_code == 422
    with Session(get_engine(dashboard.url)) as s:
        assert s.exec(select(sa.func.count()).select_from(EscalationAck)).one() >= 1
    assert _log(dashboard, "acknowledge_escalation")


def test_every_journey_view_is_in_the_access_log(dashboard: Dashboard) -> None:
    c = sign_in(dashboard, "sm-1")
    n = len(_log(dashboard, "view_journey"))
    assert c.get(f"/journeys/{dashboard.north_ref}").status_code == 200
    views = _log(dashboard, "view_journey")
    assert len(views) == n + 1
    assert views[-1].actor == "staff:sm-1" and dashboard.north_ref in views[-1].detail
    c2 = sign_in(dashboard, "sw-south-1")
    assert c2.get(f"/journeys/{dashboard.north_ref}").status_code == 404
    assert _log(dashboard, "journey_not_found")[-1].actor == "staff:sw-south-1"


def test_service_counts_agree_with_the_gate_evaluation(dashboard: Dashboard) -> None:
    from models.dashboard import Scope, clock_rows, counts_from, service_counts
    from tests.integration.web.conftest import DAY

    everyone = Scope("t", "t", "service_manager", "", "all")
    with Session(get_engine(dashboard.url)) as s:
        for day in (DAY, date(2026, 2, 2), date(2026, 2, 16)):
            horizon = current_calendar().add_working_days(day, 5)
            by_rows = counts_from(clock_rows(s, everyone, day), [], horizon)
            by_sql = service_counts(s, day, horizon)
            keys = ("overdue", "due_next_5", "icpc_at_risk", "safety_plans_missing")
            assert {t: [getattr(c, k) for k in keys] for t, c in by_rows.items()} == {
                t: [getattr(c, k) for k in keys] for t, c in by_sql.items()
            }


def test_every_response_carries_the_security_headers(dashboard: Dashboard) -> None:
    """Case pages: no inline script, no framing, no Referer, nothing cached. Static assets may
    be cached; they hold no case data."""
    from fastapi.testclient import TestClient

    c = sign_in(dashboard, "tm-north")
    anonymous = TestClient(dashboard.app, base_url="https://testserver")
    responses = {
        "page": c.get(f"/journeys/{dashboard.north_ref}"),
        "api": c.get("/api/clocks"),
        "404": c.get(f"/journeys/{dashboard.south_ref}"),
        "redirect": anonymous.get("/team", follow_redirects=False),
        "sign-in": anonymous.get("/sign-in"),
    }
    assert [r.status_code for r in responses.values()] == [200, 200, 404, 303, 200]
    for name, r in responses.items():
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, name
        assert "frame-ancestors 'none'" in csp and r.headers["x-frame-options"] == "DENY", name
        assert r.headers["referrer-policy"] == "no-referrer", name
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["cache-control"] == "no-store", name
    static = anonymous.get("/static/govuk/govuk-frontend.min.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")
    assert "<script>" not in responses["page"].text  # every script is a file
