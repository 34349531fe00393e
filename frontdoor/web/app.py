"""The application factory, sign-in/out, and what every request shares (user, scope, CSRF).

Pages answer 404 for anything out of the user's scope (never 403, which would say it exists);
a request without a signed-in user is sent to the sign-in page (pages) or answered 401 (API).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Query, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from config.clock import now_utc, today_london
from config.settings import Settings
from frontdoor.web.auth import SignInThrottle, csrf_ok, new_csrf_token, provider_for
from frontdoor.web.oidc import OidcSignIn, OidcSignInError
from models.dashboard import AccessFilter, Scope, log_access, parse_access_filter, scope_for
from models.db import init_db, session_scope
from models.tables import Staff

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))

STATUS_TAG = {
    "overdue": ("Overdue", "govuk-tag--red"),
    "due_soon": ("Due soon", "govuk-tag--yellow"),
    "open": ("On track", "govuk-tag--green"),
    "met": ("Met", "govuk-tag--grey"),
    "met_late": ("Met late", "govuk-tag--orange"),
    "cancelled": ("Cancelled", "govuk-tag--grey"),
    "not_started": ("Not started", "govuk-tag--grey"),
}
TEMPLATES.env.globals["STATUS_TAG"] = STATUS_TAG


class NotSignedIn(Exception):
    pass


# Sent with every response. Pages hold children's case data: nothing inline may run (no inline
# scripts or styles), nothing is framed (the acknowledge and record forms cannot be overlaid),
# the journey reference in a URL never leaves in a Referer header, and no dynamic response is
# kept in a browser's cache (a shared computer in an office).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STATIC_PREFIXES = ("/static/", "/assets/")


def state(request: Request) -> Any:
    return request.app.state


def today(request: Request) -> date:
    """The London date the views are computed for: today, or the app's fixed ``as_of`` (tests,
    bench)."""
    fixed: date | None = state(request).as_of
    return fixed if fixed is not None else today_london()


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = new_csrf_token()
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, given: str | None) -> None:
    if not csrf_ok(request.session.get("csrf"), given):
        raise HTTPException(400, "the form has expired or did not come from this site")


@dataclass(frozen=True)
class AccessQuery:
    """The access log's filters as the page, the CSV export and the API take them."""

    filter: AccessFilter
    error: str | None  # which field is wrong, if one is
    query: dict[str, str]  # as given, for links that keep them


def access_query(
    journey: str = "",
    actor: str = "",
    action: str = "",
    since: str = Query("", alias="from"),
    until: str = Query("", alias="to"),
) -> AccessQuery:
    f, error = parse_access_filter(journey, actor, action, since, until)
    given = {"journey": journey, "actor": actor, "action": action, "from": since, "to": until}
    return AccessQuery(f, error, given)


def current_user(request: Request) -> Scope:
    staff_id = request.session.get("staff_id")
    if not staff_id:
        raise NotSignedIn()
    with session_scope(state(request).url) as s:
        staff = s.get(Staff, staff_id)
        if staff is None:
            request.session.clear()
            raise NotSignedIn()
        return scope_for(staff)


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **ctx: Any,
) -> HTMLResponse:
    user = ctx.pop("user", None)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"user": user, "csrf": csrf_token(request), "today": today(request), **ctx},
        status_code=status_code,
        headers=headers,
    )


def audit(request: Request, user: Scope | None, action: str, **kw: Any) -> None:
    with session_scope(state(request).url) as s:
        log_access(
            s,
            actor=f"staff:{user.staff_id}" if user else "anonymous",
            action=action,
            now=now_utc(),
            **kw,
        )


def create_app(
    settings: Settings, *, as_of: date | None = None, throttle: SignInThrottle | None = None
) -> FastAPI:
    """The dashboard for ``settings`` (database, pathway, session secret). ``as_of`` fixes the
    date the views are computed for (tests and the bench); by default, today in London.
    ``throttle``: the sign-in rate limit (by default 5 failures per username or 20 per client
    address within 15 minutes lock that out for 15 minutes; in memory, per process)."""
    from frontdoor.web import api, pages

    provider = provider_for(settings)
    oidc = OidcSignIn(settings) if settings.oidc_issuer else None
    app = FastAPI(
        title="frontdoor",
        summary="Statutory timescales of the children's services front door",
        docs_url=None,  # Swagger UI loads from a CDN; the description is at /api/openapi.json
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.url = settings.database_url
    app.state.provider = provider
    app.state.as_of = as_of
    app.state.throttle = throttle = throttle or SignInThrottle()
    init_db(settings.database_url)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret or secrets.token_urlsafe(48),
        session_cookie="frontdoor_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    static = HERE / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    # the GOV.UK stylesheet refers to /assets/...
    app.mount("/assets", StaticFiles(directory=static / "govuk" / "assets"), name="assets")

    @app.middleware("http")
    async def _security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith(STATIC_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        title = {404: "Page not found", 403: "You cannot do that"}.get(
            exc.status_code, "There is a problem"
        )
        return render(
            request,
            "error.html",
            status_code=exc.status_code,
            title=title,
            message=exc.detail if exc.status_code != 404 else None,
            user=None,
        )

    def sign_in_page(
        request: Request, next: str, error: str | None, status_code: int = 200, **kw: Any
    ) -> HTMLResponse:
        return render(
            request,
            "sign_in.html",
            status_code=status_code,
            next=_safe_next(next),
            error=error,
            oidc_name=oidc.name if oidc else None,
            local=provider is not None,
            **kw,
        )

    @app.get("/sign-in", include_in_schema=False)
    def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
        return sign_in_page(request, next, None)

    @app.get("/sign-in/oidc", include_in_schema=False)
    async def oidc_start(request: Request, next: str = "/") -> Response:
        """Off to the identity provider; it sends the browser back to the callback."""
        if oidc is None:
            raise HTTPException(404)
        request.session["oidc_next"] = _safe_next(next)
        if settings.dashboard_url:  # behind a reverse proxy: the address the provider knows
            callback = settings.dashboard_url.rstrip("/") + "/sign-in/oidc/callback"
        else:
            callback = str(request.url_for("oidc_callback"))
        try:
            return await oidc.redirect(request, callback)
        except OidcSignInError as exc:
            await run_in_threadpool(audit, request, None, "sign_in_failed", detail=f"oidc: {exc}")
            return sign_in_page(
                request,
                next,
                f"Signing in with {oidc.name} is not available now ({exc}). Try again later.",
                status_code=502,
            )

    @app.get("/sign-in/oidc/callback", include_in_schema=False, name="oidc_callback")
    async def oidc_callback(request: Request) -> Response:
        if oidc is None:
            raise HTTPException(404)
        target = _safe_next(str(request.session.get("oidc_next", "/")))

        def identify(claims: dict[str, Any]) -> Any:
            with session_scope(app.state.url) as s:
                found = oidc.identify(s, claims)
                log_access(
                    s,
                    actor=f"staff:{found.staff_id}" if found.staff_id else "anonymous",
                    action="sign_in" if found.staff_id else "sign_in_refused",
                    now=now_utc(),
                    detail=f"oidc {oidc.claim}={found.claimed[:200]}",
                )
            return found

        try:
            found = await run_in_threadpool(identify, await oidc.finish(request))
        except OidcSignInError as exc:
            await run_in_threadpool(audit, request, None, "sign_in_failed", detail=f"oidc: {exc}")
            return sign_in_page(
                request, target, f"Signing in with {oidc.name} did not work: {exc}", 401
            )
        if found.staff_id is None:
            return sign_in_page(
                request,
                target,
                f"{found.claimed} is not on frontdoor's staff roster, so it cannot be used to "
                "sign in. Ask the service's administrators to add you.",
                403,
            )
        request.session.clear()  # a fresh session on sign-in (no fixation)
        request.session["staff_id"] = found.staff_id
        request.session["csrf"] = new_csrf_token()
        return RedirectResponse(target, status_code=303)

    @app.post("/sign-in", include_in_schema=False)
    def sign_in(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        csrf_token: str = Form(""),
        next: str = Form("/"),
    ) -> Response:
        if provider is None:  # FRONTDOOR_LOCAL_SIGN_IN=false: the identity provider only
            raise HTTPException(404)
        check_csrf(request, csrf_token)
        address = request.client.host if request.client else None
        now = now_utc()
        until = throttle.refused_until(username, address, now)
        if until is not None:
            audit(request, None, "sign_in_throttled", detail=f"username={username[:100]}")
            minutes = max(1, -(-int((until - now).total_seconds()) // 60))
            return sign_in_page(
                request,
                next,
                f"Too many failed attempts to sign in. Try again in {minutes} minute"
                + ("s" if minutes != 1 else ""),
                429,
                headers={"Retry-After": str(int((until - now).total_seconds()) + 1)},
            )
        with session_scope(app.state.url) as s:
            staff_id = provider.authenticate(s, username, password)
            log_access(
                s,
                actor=f"staff:{staff_id}" if staff_id else "anonymous",
                action="sign_in" if staff_id else "sign_in_failed",
                now=now_utc(),
                detail=f"username={username[:100]}",
            )
        if staff_id is None:
            throttle.failed(username, address, now)
            return sign_in_page(request, next, "Enter a correct staff ID and password", 401)
        throttle.succeeded(username)
        request.session.clear()  # a fresh session on sign-in (no fixation)
        request.session["staff_id"] = staff_id
        request.session["csrf"] = new_csrf_token()
        return RedirectResponse(_safe_next(next), status_code=303)

    @app.post("/sign-out", include_in_schema=False)
    def sign_out(request: Request, csrf_token: str = Form("")) -> Response:
        check_csrf(request, csrf_token)
        user = current_user(request)
        audit(request, user, "sign_out")
        request.session.clear()
        return RedirectResponse("/sign-in", status_code=303)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> JSONResponse:
        current_user(request)
        return JSONResponse(app.openapi())

    app.include_router(pages.router)
    app.include_router(api.router)
    return app


def _safe_next(target: str) -> str:
    """Only paths on this site (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
