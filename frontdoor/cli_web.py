"""CLI for the dashboard: `frontdoor users set-password STAFF_ID` and `frontdoor serve`.

`serve` runs the web dashboard on 127.0.0.1 with uvicorn, and the embedded scheduler (timescale
sweep every few minutes, team digest at 08:00 Europe/London) in a background thread of the same
process.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from config.clock import now_utc
from config.settings import get_settings

users_app = typer.Typer(help="Sign-ins for the web dashboard (built-in username/password).")


@users_app.command("set-password")
def set_password_cmd(
    staff_id: Annotated[str, typer.Argument(help="a staff id on the roster")],
) -> None:
    """Set a member of staff's dashboard password (read from standard input, or prompted)."""
    from frontdoor.cli import UserError, _db, _guard
    from frontdoor.web.auth import PasswordTooWeak, set_password
    from models.db import session_scope

    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")

    def run() -> None:
        url = _db()
        try:
            with session_scope(url) as session:
                set_password(session, staff_id, password, now_utc())
        except (LookupError, PasswordTooWeak) as exc:
            raise UserError(str(exc).strip("'\"")) from None

    _guard(run)
    typer.echo(f"password set for {staff_id}")


def _app(settings: Any) -> Any:
    from frontdoor.cli import UserError
    from frontdoor.web import create_app
    from frontdoor.web.auth import SignInSettingsError

    try:
        return create_app(settings)
    except SignInSettingsError as exc:
        raise UserError(str(exc)) from None


def serve(port: int, interval: int | None, host: str = "127.0.0.1") -> None:
    import uvicorn

    from frontdoor import prefect_env
    from frontdoor.cli import _db, _fail, _guard, _print_sweep
    from frontdoor.scheduler import start_background

    if not prefect_env.embedded():
        _fail(
            "PREFECT_API_URL is set: with a Prefect server the timescale-sweep deployment "
            "(prefect.yaml) owns time; running both would sweep twice"
        )
    _guard(_db)
    settings = get_settings()
    minutes = interval or settings.sweep_interval_minutes
    app = _guard(lambda: _app(settings))
    scheduler = start_background(minutes, _print_sweep, settings.digest_time)
    typer.echo(
        f"frontdoor: dashboard on http://{host}:{port}/ ; sweeping every {minutes} minute(s), "
        f"team digest at {settings.digest_time} Europe/London; Ctrl-C to stop"
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        scheduler.shutdown(wait=False)
