"""The JSON API: the same data and rules as the pages, described at /api/openapi.json.

Authentication is the dashboard's session cookie; a state-changing call also sends the session's
CSRF token in ``X-CSRF-Token`` (``GET /api/me`` returns it). Out-of-scope journeys are 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Request, Response
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from config.clock import now_utc
from frontdoor.web.app import (
    AccessQuery,
    access_query,
    audit,
    check_csrf,
    csrf_token,
    current_user,
    state,
    today,
)
from frontdoor.web.recording import OutOfScope, RosterChangeRefused, record
from models.context import current_calendar, current_pathway
from models.dashboard import (
    AckError,
    Scope,
    access_count,
    acknowledge,
    clock_rows,
    counts_from,
    escalation_counts,
    forecast,
    iter_access_entries,
    journey_events,
    journey_in_scope,
    journey_messages,
    log_access,
    open_escalations,
    open_journey_counts,
    service_counts,
    stuck_messages,
)
from models.db import session_scope
from models.ingest import ImportRejected

router = APIRouter(prefix="/api", tags=["api"])


class Ack(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="what will happen now")


def _actor(user: Scope) -> str:
    return f"staff:{user.staff_id}"


@router.get("/me", summary="The signed-in user, their scope and the CSRF token")
def me(request: Request) -> dict[str, Any]:
    user = current_user(request)
    return {
        "staff_id": user.staff_id,
        "name": user.name,
        "role": user.role,
        "team": user.team,
        "scope": user.kind,
        "csrf_token": csrf_token(request),
    }


@router.get("/clocks", summary="Live clocks of open journeys in scope, with counts")
def clocks(
    request: Request, worker: str = "", stage: str = "", gate: str = "", team: str = ""
) -> dict[str, Any]:
    user = current_user(request)
    if not user.sees_cases:
        raise HTTPException(404, "Not Found")
    day = today(request)
    horizon = current_calendar().add_working_days(day, 5)
    with session_scope(state(request).url) as s:
        rows = clock_rows(
            s,
            user,
            day,
            worker=worker or None,
            stage=stage or None,
            gate=gate or None,
            team=team or None,
        )
        esc = open_escalations(s, user)
        log_access(
            s,
            actor=_actor(user),
            action="api_list_clocks",
            now=now_utc(),
            detail=f"rows={len(rows)}",
        )
    rows.sort(key=lambda r: (r.due_on, r.journey, r.gate))
    return {
        "as_of": day.isoformat(),
        "counts": counts_from(rows, esc, horizon)["*"].as_json(),
        "clocks": [r.as_json() for r in rows],
    }


@router.get("/journeys/{ref}", summary="One journey: clocks, events, notifications, escalations")
def journey(request: Request, ref: str) -> dict[str, Any]:
    user = current_user(request)
    day = today(request)
    with session_scope(state(request).url) as s:
        j = journey_in_scope(s, ref, user) if user.sees_cases else None
    if j is None or j.id is None:
        audit(request, user, "journey_not_found", detail=f"ref={ref[:20]}")
        raise HTTPException(404, "Not Found")
    with session_scope(state(request).url) as s:
        out = {
            "journey": j.ref,
            "child": j.child_id,
            "team": j.team,
            "worker": j.worker,
            "stage": j.stage,
            "opened_on": j.opened_on.isoformat(),
            "ended_on": j.ended_on.isoformat() if j.ended_on else None,
            "clocks": [
                r.as_json() for r in clock_rows(s, user, day, open_only=False, journey_id=j.id)
            ],
            "events": [
                {
                    "id": e.record_id,
                    "type": e.type,
                    "on": e.on.isoformat() if e.on else None,
                    "outcome": e.outcome,
                    "recorded_by": e.recorded_by,
                }
                for e in journey_events(s, j.id)
            ],
            "notifications": [
                {
                    "kind": m.kind,
                    "level": m.level,
                    "gate": m.gate,
                    "to_role": m.recipient_role,
                    "to": m.recipient,
                    "status": m.status,
                    "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                }
                for m in journey_messages(s, j.id)
            ],
            "open_escalations": [e.as_json() for e in open_escalations(s, user, journey_id=j.id)],
        }
        log_access(
            s,
            actor=_actor(user),
            action="api_view_journey",
            now=now_utc(),
            journey_id=j.id,
            detail=f"ref={j.ref}",
        )
    return out


@router.post(
    "/events",
    summary="Record events: the same records and errors as `frontdoor import`",
    responses={422: {"description": "invalid records; nothing was written"}},
)
def post_events(
    request: Request,
    body: Any = Body(..., description="one record object, or an array of records"),
    x_csrf_token: str | None = Header(default=None),
) -> JSONResponse:
    user = current_user(request)
    check_csrf(request, x_csrf_token)
    records = body if isinstance(body, list) else [body]
    try:
        summary = record(state(request).url, user, records, source="api", action="api_record")
    except ImportRejected as exc:
        return JSONResponse(
            {
                "detail": f"{exc.total} invalid record(s); nothing was recorded",
                "errors": [
                    {"line": e.line, "id": e.record_id, "reason": e.reason, "message": str(e)}
                    for e in exc.errors
                ],
            },
            status_code=422,
        )
    except OutOfScope:
        raise HTTPException(404, "Not Found") from None
    except RosterChangeRefused:
        raise HTTPException(403, "only service managers and ops change the staff roster") from None
    return JSONResponse(
        {
            "new": summary.new,
            "unchanged": summary.unchanged,
            "events": summary.events,
            "journeys_opened": summary.journeys_opened,
            "journeys": summary.journey_refs,
        },
        status_code=201 if summary.new else 200,
    )


@router.get("/escalations", summary="Escalations awaiting acknowledgement, in scope")
def escalations(request: Request) -> list[dict[str, object]]:
    user = current_user(request)
    if not user.sees_cases:
        raise HTTPException(404, "Not Found")
    with session_scope(state(request).url) as s:
        rows = open_escalations(s, user)
        log_access(s, actor=_actor(user), action="api_list_escalations", now=now_utc())
    return [e.as_json() for e in rows]


@router.post(
    "/journeys/{ref}/escalations/{gate}/{cycle}/{level}/acknowledge",
    summary="Acknowledge one rung of an escalation with a note",
    status_code=201,
)
def acknowledge_api(
    request: Request,
    ref: str,
    gate: str,
    cycle: date,
    level: int,
    ack: Ack,
    x_csrf_token: str | None = Header(default=None),
) -> dict[str, object]:
    user = current_user(request)
    check_csrf(request, x_csrf_token)
    with session_scope(state(request).url) as s:
        j = journey_in_scope(s, ref, user) if user.sees_cases else None
        if j is None:
            raise HTTPException(404, "Not Found")
        if not user.is_manager:
            raise HTTPException(403, "only a team manager or above acknowledges an escalation")
        try:
            row = acknowledge(
                s, j, gate, cycle, level, by=user.staff_id, note=ack.note, now=now_utc()
            )
        except AckError as exc:
            raise HTTPException(422, str(exc)) from None
        log_access(
            s,
            actor=_actor(user),
            action="acknowledge_escalation",
            now=now_utc(),
            journey_id=j.id,
            detail=f"gate={gate} cycle={cycle} level={level}",
        )
        return {
            "journey": j.ref,
            "gate": gate,
            "cycle": cycle.isoformat(),
            "level": level,
            "acknowledged_by": row.acknowledged_by,
        }


@router.get("/forecast", summary="Clocks that will breach within N working days")
def forecast_api(request: Request, days: int = 5) -> list[dict[str, object]]:
    user = current_user(request)
    if not user.sees_cases:
        raise HTTPException(404, "Not Found")
    days = min(max(days, 1), 60)
    day = today(request)
    with session_scope(state(request).url) as s:
        rows = clock_rows(s, user, day)
        log_access(s, actor=_actor(user), action="api_forecast", now=now_utc())
    return [
        {
            "team": g.team,
            "worker": g.worker,
            "clocks": g.clocks,
            "items": [r.as_json() for r in g.rows],
        }
        for g in forecast(rows, current_calendar(), day, days)
    ]


@router.get(
    "/service",
    summary="Counts per team (service managers and above, ops)",
    description="`messages_not_prepared` lists the reminders and escalations the sweep set "
    "aside with an error (retried hourly): a monitoring system can alert when it is not empty.",
)
def service(request: Request) -> dict[str, Any]:
    user = current_user(request)
    if not (user.kind == "all" or user.is_ops):
        raise HTTPException(404, "Not Found")
    day = today(request)
    everyone = Scope(user.staff_id, user.name, user.role, user.team, "all")
    with session_scope(state(request).url) as s:
        counts = service_counts(s, day, current_calendar().add_working_days(day, 5))
        esc = escalation_counts(s, everyone)
        journeys = open_journey_counts(s, everyone)
        stuck = stuck_messages(s, user)
        log_access(s, actor=_actor(user), action="api_service", now=now_utc())
    for team, n in esc.items():
        counts.setdefault(team, counts_from([], [], day)["*"]).escalations_awaiting += n
        counts["*"].escalations_awaiting += n
    out = {t: c.as_json() for t, c in counts.items()}
    for team, n in journeys.items():
        out.setdefault(team, counts_from([], [], day)["*"].as_json())["open_journeys"] = n
    out["*"]["open_journeys"] = sum(journeys.values())
    # messages the sweep could not prepare (retried hourly): for monitoring, empty when all is well
    return {
        "as_of": day.isoformat(),
        "teams": out,
        "messages_not_prepared": [m.as_json() for m in stuck],
    }


@router.get(
    "/access-log",
    summary="Who read or changed which case, when (ops only), newest first",
    description="Filters as on the access-log page: journey (reference), actor (staff id), "
    "action, from and to (UTC dates, inclusive). `X-Total-Count` gives the number of matching "
    "entries; `offset` and `limit` (at most 5,000) page through them.",
)
def access_log_api(
    request: Request,
    response: Response,
    q: AccessQuery = Depends(access_query),
    offset: int = 0,
    limit: int = 200,
) -> list[dict[str, object]]:
    user = current_user(request)
    if not user.is_ops:
        raise HTTPException(404, "Not Found")
    f = q.filter
    if q.error:
        raise HTTPException(422, q.error)
    with session_scope(state(request).url) as s:
        total = access_count(s, f)
        rows = list(
            iter_access_entries(s, f, offset=max(offset, 0), limit=min(max(limit, 1), 5000))
        )
        log_access(
            s, actor=_actor(user), action="api_access_log", now=now_utc(), detail=f.describe()
        )
    response.headers["X-Total-Count"] = str(total)
    return [r.as_json() for r in rows]


@router.get("/pathway", summary="The pathway in force: gates, limits and the ladder")
def pathway(request: Request) -> dict[str, Any]:
    current_user(request)
    return current_pathway().model_dump(mode="json")
