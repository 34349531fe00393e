"""Typed settings from FRONTDOOR_* environment variables, read lazily (never at import)."""

from __future__ import annotations

import getpass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PATHWAY = Path(__file__).resolve().parent.parent / "pathways" / "default.yaml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///frontdoor.db",
        description="SQLAlchemy URL; a SQLite file in the working directory by default. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    pathway_file: Path = DEFAULT_PATHWAY
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_timeout: float = 10.0
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "frontdoor@localhost"
    dashboard_url: str | None = None
    # After a bulk import, journeys beyond this many are published to Prefect by later sweeps
    # (in batches of sweep_publish_batch) rather than before `import` returns.
    import_flow_limit: int = 500
    sweep_publish_batch: int = 200
    # child_journey runs at once when many are run in-process (import, demo, run-journeys).
    # One is fastest with the embedded API on SQLite (measured: 240 runs in 84 s, against 131 s
    # with three); more may help against a Prefect server on PostgreSQL.
    flow_workers: int = 1
    sweep_interval_minutes: int = 5
    # Rendered message bodies are removed this many days after the message was queued (what was
    # sent, to whom and when is kept); 0 keeps them for ever. Each sweep removes what has aged.
    message_body_days: int = Field(default=90, ge=0)
    actor: str | None = Field(default=None, description="who is acting, for the access log")
    # The web dashboard (frontdoor serve). Without a session secret, one is generated per process
    # (everyone signs in again after a restart).
    session_secret: str | None = None
    session_hours: int = 8
    cookie_secure: bool = True  # browsers accept Secure cookies on http://127.0.0.1 too
    digest_time: str = "08:00"  # the team digest, Europe/London (embedded scheduler)
    # The authority's identity provider (OpenID Connect, authorization code flow with PKCE): set
    # the issuer and the client id (and secret, for a confidential client) to offer "Sign in
    # with <oidc_name>". The claim named by oidc_staff_claim is matched to the roster's
    # oidc_staff_field ("email" or "staff_id"). Password sign-in stays on unless
    # local_sign_in is false.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_name: str = "your organisation's account"
    oidc_scopes: str = "openid email profile"
    oidc_staff_claim: str = "email"
    oidc_staff_field: Literal["email", "staff_id"] = "email"
    local_sign_in: bool = True

    def acting_user(self) -> str:
        if self.actor:
            return self.actor
        try:
            return f"os:{getpass.getuser()}"
        except Exception:  # getuser raises various errors in containers without a passwd entry
            return "os:unknown"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the demo change the environment)."""
    get_settings.cache_clear()
