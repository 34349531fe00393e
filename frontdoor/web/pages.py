"""Server-rendered pages: team view, journey page, forecast, service view, ops pages."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from config.clock import now_utc
from frontdoor.web.app import (
    AccessQuery,
    access_query,
    audit,
    check_csrf,
    current_user,
    render,
    state,
    today,
)
from frontdoor.web.recording import OutOfScope, RosterChangeRefused, record
from models.context import current_calendar, current_pathway
from models.dashboard import (
    AckError,
    Scope,
    access_actions,
    access_entries,
    acknowledge,
    clock_page,
    clock_rows,
    counts_from,
    escalation_counts,
    escalations_awaiting,
    forecast,
    iter_access_entries,
    journey_events,
    journey_in_scope,
    journey_messages,
    live_counts,
    log_access,
    open_escalations,
    open_journey_counts,
    service_counts,
    staff_in_scope,
    staff_names,
    stuck_messages,
)
from models.db import session_scope
from models.ingest import ImportRejected

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100

# Events a manager owns, and the form fields each takes (besides the date).
MANAGER_FORMS: dict[str, tuple[str, ...]] = {
    "referral_decision": ("outcome", "primary_need", "worker"),
    "icpc_delay_agreed": ("reason", "rationale", "manager", "chair"),
    "contact_outcome": ("outcome", "consent", "consent_reason", "approved_by"),
    "closed": ("reason",),
}


def _cases(user: Scope) -> None:
    if not user.sees_cases:
        raise HTTPException(404, "Not Found")


@router.get("/")
def home(request: Request) -> Response:
    user = current_user(request)
    if user.is_ops:
        return RedirectResponse("/service", status_code=303)
    if user.kind == "all":
        return RedirectResponse("/service", status_code=303)
    if not user.sees_cases:
        return RedirectResponse("/pathway", status_code=303)
    return RedirectResponse("/team", status_code=303)


TEAM_FILTERS = ("team", "worker", "stage", "gate", "sort")


def team_link(filters: dict[str, str], **changes: object) -> str:
    """A query string for the team view with ``filters`` (changed by ``changes``), every value
    URL-encoded (a filter value may hold ``&``, ``#`` or spaces); empty values are left out."""
    params = {k: str(v) for k, v in {**filters, **changes}.items() if v not in ("", None)}
    return "?" + urlencode(params)


def page_items(page: int, pages: int) -> list[int | None]:
    """The page numbers a GOV.UK pagination shows: first, last, and the current one with its
    neighbours; ``None`` where pages are left out (an ellipsis)."""
    keep = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    out: list[int | None] = []
    for n in keep:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


@router.get("/team")
def team_view(
    request: Request,
    worker: str = "",
    stage: str = "",
    gate: str = "",
    team: str = "",
    sort: str = "due",
    page: int = 1,
) -> HTMLResponse:
    """Paged in SQL (ORDER BY due date, LIMIT/OFFSET) with the counts aggregated in SQL, so the
    page costs about the same for one team or for all teams of a large authority."""
    user = current_user(request)
    _cases(user)
    day = today(request)
    cal = current_calendar()
    horizon = cal.add_working_days(day, 5)
    chosen_team = team or (user.team if user.kind != "all" else "")
    sort = "-due" if sort == "-due" else "due"
    url = state(request).url
    with session_scope(url) as s:
        counts = live_counts(s, user, day, horizon, team=chosen_team or None)["*"]
        found = clock_page(
            s,
            user,
            day,
            page=page,
            page_size=PAGE_SIZE,
            descending=sort == "-due",
            worker=worker or None,
            stage=stage or None,
            gate=gate or None,
            team=chosen_team or None,
            # the counts' scan gave the number of live clocks unless a filter narrows it
            total=None if (worker or stage or gate) else counts.live_clocks,
        )
        escalations, counts.escalations_awaiting = escalations_awaiting(
            s, user, team=chosen_team or None, limit=50
        )
        names = staff_names(s)
        staff = staff_in_scope(s, user)
        teams = sorted(open_journey_counts(s, user))
        stuck = [m for m in stuck_messages(s, user) if not chosen_team or m.team == chosen_team]
        log_access(
            s,
            actor=f"staff:{user.staff_id}",
            action="view_team",
            now=now_utc(),
            detail=f"team={chosen_team or '*'} worker={worker or '*'} stage={stage or '*'} "
            f"gate={gate or '*'} page={found.page}",
        )
    pathway = current_pathway()
    filters = {"team": chosen_team, "worker": worker, "stage": stage, "gate": gate, "sort": sort}
    return render(
        request,
        "team.html",
        user=user,
        rows=found.rows,
        total=found.total,
        page=found.page,
        pages=found.pages,
        page_items=page_items(found.page, found.pages),
        link=lambda **changes: team_link(filters, **changes),
        counts=counts,
        escalations=escalations,
        stuck=stuck,
        names=names,
        workers=[m for m in staff if m.role == "social_worker"],
        stages=[st.id for st in pathway.stages],
        gates=[g.id for g in pathway.gates if not g.reporting_only],
        teams=teams,
        filters=filters,
    )


def _journey_page(
    request: Request, user: Scope, ref: str, *, errors: list[str] | None = None, status: int = 200
) -> HTMLResponse:
    day = today(request)
    pathway = current_pathway()
    with session_scope(state(request).url) as s:
        journey = journey_in_scope(s, ref, user)
    if journey is None:
        audit(request, user, "journey_not_found", detail=f"ref={ref[:20]}")
        raise HTTPException(404, "Not Found")
    assert journey.id is not None
    with session_scope(state(request).url) as s:
        clocks = clock_rows(s, user, day, open_only=False, journey_id=journey.id)
        events = journey_events(s, journey.id)
        messages = journey_messages(s, journey.id)
        escalations = open_escalations(s, user, journey_id=journey.id)
        names = staff_names(s)
        staff = staff_in_scope(s, Scope(user.staff_id, "", "", journey.team, "team"))
        log_access(
            s,
            actor=f"staff:{user.staff_id}",
            action="view_journey",
            now=now_utc(),
            journey_id=journey.id,
            detail=f"ref={journey.ref}",
        )
    return render(
        request,
        "journey.html",
        status_code=status,
        user=user,
        journey=journey,
        clocks=clocks,
        gate_titles={g.id: g.title for g in pathway.gates},
        events=events,
        messages=messages,
        escalations=escalations,
        names=names,
        workers=[m for m in staff if m.role == "social_worker"],
        chairs=names_by_role(request, "conference_chair"),
        forms=MANAGER_FORMS if user.is_manager else {},
        errors=errors or [],
    )


def names_by_role(request: Request, role: str) -> list[tuple[str, str]]:
    from sqlmodel import select

    from models.tables import Staff

    with session_scope(state(request).url) as s:
        return [(m.staff_id, m.name) for m in s.exec(select(Staff).where(Staff.role == role))]


@router.get("/journeys/{ref}")
def journey_page(request: Request, ref: str) -> HTMLResponse:
    user = current_user(request)
    _cases(user)
    return _journey_page(request, user, ref)


@router.post("/journeys/{ref}/events")
async def record_event(request: Request, ref: str) -> Response:
    user = current_user(request)
    _cases(user)
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    with session_scope(state(request).url) as s:
        journey = journey_in_scope(s, ref, user)
        child = journey.child_id if journey else None
    if journey is None or child is None:
        raise HTTPException(404, "Not Found")
    etype = str(form.get("type", ""))
    if etype not in MANAGER_FORMS:
        raise HTTPException(400, f"unknown form {etype!r}")
    if not user.is_manager:
        raise HTTPException(403, "Only a team manager or above records this event")
    rec: dict[str, object] = {
        "id": f"web-{uuid.uuid4().hex[:20]}",
        "type": etype,
        "child": child,
        "journey": ref,
        "at": str(form.get("at", "")).strip() or today(request).isoformat(),
        "by": user.staff_id,
    }
    for name in MANAGER_FORMS[etype]:
        value = str(form.get(name, "")).strip()
        if value:
            rec[name] = value
    try:
        record(state(request).url, user, [rec], source="dashboard", action="record_event")
    except ImportRejected as exc:
        return _journey_page(request, user, ref, errors=[e.reason for e in exc.errors], status=422)
    except (OutOfScope, RosterChangeRefused):
        raise HTTPException(404, "Not Found") from None
    return RedirectResponse(f"/journeys/{ref}?recorded={etype}", status_code=303)


@router.post("/journeys/{ref}/escalations/ack")
async def acknowledge_escalation(request: Request, ref: str) -> Response:
    user = current_user(request)
    _cases(user)
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    if not user.is_manager:
        with session_scope(state(request).url) as s:
            if journey_in_scope(s, ref, user) is None:
                raise HTTPException(404, "Not Found")
        raise HTTPException(403, "Only a team manager or above acknowledges an escalation")
    try:
        gate = str(form.get("gate", ""))
        cycle = date.fromisoformat(str(form.get("cycle", "")))
        level = int(str(form.get("level", "")))
    except ValueError:
        raise HTTPException(400, "gate, cycle and level are required") from None
    with session_scope(state(request).url) as s:
        journey = journey_in_scope(s, ref, user)
        if journey is None:
            raise HTTPException(404, "Not Found")
        try:
            acknowledge(
                s,
                journey,
                gate,
                cycle,
                level,
                by=user.staff_id,
                note=str(form.get("note", "")),
                now=now_utc(),
            )
        except AckError as exc:
            err = str(exc)
        else:
            err = ""
            log_access(
                s,
                actor=f"staff:{user.staff_id}",
                action="acknowledge_escalation",
                now=now_utc(),
                journey_id=journey.id,
                detail=f"gate={gate} cycle={cycle.isoformat()} level={level}",
            )
    if err:
        return _journey_page(request, user, ref, errors=[err], status=422)
    return RedirectResponse(f"/journeys/{ref}?acknowledged={gate}", status_code=303)


@router.get("/forecast")
def forecast_page(request: Request, days: int = 5) -> HTMLResponse:
    user = current_user(request)
    _cases(user)
    days = min(max(days, 1), 60)
    day = today(request)
    with session_scope(state(request).url) as s:
        rows = clock_rows(s, user, day)
        names = staff_names(s)
        log_access(
            s,
            actor=f"staff:{user.staff_id}",
            action="view_forecast",
            now=now_utc(),
            detail=f"days={days}",
        )
    groups = forecast(rows, current_calendar(), day, days)
    return render(request, "forecast.html", user=user, groups=groups, days=days, names=names)


@router.get("/service")
def service_page(request: Request) -> HTMLResponse:
    user = current_user(request)
    if not (user.kind == "all" or user.is_ops):
        raise HTTPException(404, "Not Found")
    day = today(request)
    horizon = current_calendar().add_working_days(day, 5)
    everyone = Scope(user.staff_id, user.name, user.role, user.team, "all")
    with session_scope(state(request).url) as s:
        counts = service_counts(s, day, horizon)
        escalations = escalation_counts(s, everyone)
        journeys = open_journey_counts(s, everyone)
        stuck = stuck_messages(s, user)
        log_access(s, actor=f"staff:{user.staff_id}", action="view_service", now=now_utc())
    for team, n in escalations.items():
        counts.setdefault(team, counts_from([], [], horizon)["*"]).escalations_awaiting += n
        counts["*"].escalations_awaiting += n
    for team, n in journeys.items():
        counts.setdefault(team, counts_from([], [], horizon)["*"]).open_journeys = n
    counts["*"].open_journeys = sum(journeys.values())
    teams = sorted(t for t in counts if t != "*")
    return render(request, "service.html", user=user, counts=counts, teams=teams, stuck=stuck)


def _ops(request: Request) -> Scope:
    user = current_user(request)
    if not user.is_ops:
        raise HTTPException(404, "Not Found")
    return user


@router.get("/access-log")
def access_log_page(
    request: Request, q: AccessQuery = Depends(access_query), page: int = 1
) -> HTMLResponse:
    """Ops (and the data protection officer) find who read or changed a case: by journey,
    member of staff, kind of entry and UTC dates; paged, newest first, exportable as CSV."""
    user = _ops(request)
    f, error, query = q.filter, q.error, q.query
    with session_scope(state(request).url) as s:
        entries, total, page, pages = ([], 0, 1, 1) if error else access_entries(s, f, page=page)
        actions = access_actions(s)
        log_access(
            s,
            actor=f"staff:{user.staff_id}",
            action="view_access_log",
            now=now_utc(),
            detail=f.describe(),
        )
    return render(
        request,
        "access_log.html",
        status_code=400 if error else 200,
        user=user,
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        page_items=page_items(page, pages),
        link=lambda **changes: team_link(query, **changes),
        csv_link="/access-log.csv" + team_link(query),
        query=query,
        actions=actions,
        error=error,
    )


@router.get("/access-log.csv")
def access_log_csv(request: Request, q: AccessQuery = Depends(access_query)) -> Response:
    """Every entry the filter selects, as CSV (a subject access request, an investigation)."""
    user = _ops(request)
    f = q.filter
    if q.error:
        raise HTTPException(400, q.error)
    audit(request, user, "export_access_log", detail=f.describe())
    url = state(request).url

    def rows() -> Iterator[str]:
        buf = io.StringIO()
        out = csv.writer(buf)
        out.writerow(["at_utc", "actor", "action", "journey", "detail"])
        with session_scope(url) as s:
            for n, e in enumerate(iter_access_entries(s, f), 1):
                out.writerow([e.at.isoformat(), e.actor, e.action, e.journey or "", e.detail])
                if n % 500 == 0:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
        yield buf.getvalue()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="access-log.csv"'},
    )


@router.get("/pathway")
def pathway_page(request: Request) -> HTMLResponse:
    user = current_user(request)
    audit(request, user, "view_pathway")
    return render(request, "pathway.html", user=user, pathway=current_pathway())
