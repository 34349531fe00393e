"""Sign-in through the authority's identity provider: OpenID Connect, authorization code flow
with PKCE (S256), through Authlib.

``GET /sign-in/oidc`` sends the browser to the provider (state, nonce and the PKCE verifier kept
in the signed session cookie); ``GET /sign-in/oidc/callback`` exchanges the code for tokens and
Authlib checks the ID token (signature against the provider's published keys, issuer, audience,
expiry, nonce). The person is then looked up on the staff roster: the claim
``FRONTDOOR_OIDC_STAFF_CLAIM`` (default ``email``) against the roster's
``FRONTDOOR_OIDC_STAFF_FIELD`` (``email``, case-insensitive, or ``staff_id``). Someone the
provider knows but the roster does not is refused, and the refusal is in the access log: the
roster, not the provider, decides who sees which children.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from config.settings import Settings
from frontdoor.web.auth import SignInSettingsError
from models.tables import Staff


class OidcSettingsError(SignInSettingsError):
    """The FRONTDOOR_OIDC_* settings are incomplete (say which)."""


class OidcSignInError(RuntimeError):
    """The provider's answer cannot sign anyone in (say why, without secrets)."""


@dataclass(frozen=True)
class OidcIdentity:
    staff_id: str | None  # None: not on the roster
    claimed: str  # the claim's value, for the access log and the message


def check_settings(settings: Settings) -> None:
    if not settings.oidc_issuer:
        return
    if not settings.oidc_client_id:
        raise OidcSettingsError(
            "FRONTDOOR_OIDC_ISSUER is set but FRONTDOOR_OIDC_CLIENT_ID is not: give the client "
            "id the identity provider registered for this dashboard"
        )
    if not settings.oidc_issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise OidcSettingsError(
            f"FRONTDOOR_OIDC_ISSUER {settings.oidc_issuer!r} must be an https:// address"
        )
    if "openid" not in settings.oidc_scopes.split():
        raise OidcSettingsError("FRONTDOOR_OIDC_SCOPES must include 'openid'")


class OidcSignIn:
    """The identity provider of ``settings`` (which :func:`check_settings` accepted)."""

    def __init__(self, settings: Settings) -> None:
        check_settings(settings)
        assert settings.oidc_issuer and settings.oidc_client_id
        self.name = settings.oidc_name
        self.claim = settings.oidc_staff_claim
        self.field = settings.oidc_staff_field
        self._oauth = OAuth()
        self._oauth.register(
            "idp",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256"},
        )

    @property
    def _client(self) -> Any:
        return self._oauth.create_client("idp")

    async def redirect(self, request: Request, redirect_uri: str) -> Response:
        """Send the browser to the provider's authorization endpoint."""
        try:
            response: Response = await self._client.authorize_redirect(request, redirect_uri)
        except Exception as exc:  # the provider's metadata is unreachable or malformed
            raise OidcSignInError(f"the identity provider cannot be reached: {exc}") from None
        return response

    async def finish(self, request: Request) -> dict[str, Any]:
        """The ID token's claims, checked; raises :class:`OidcSignInError`."""
        try:
            token = await self._client.authorize_access_token(request)
        except OAuthError as exc:
            raise OidcSignInError(f"the identity provider refused: {exc.error}") from None
        except Exception as exc:  # bad signature, wrong audience, expired, unreachable...
            raise OidcSignInError(
                f"the identity provider's answer was not accepted: {exc}"
            ) from None
        claims = token.get("userinfo")
        if not claims:
            raise OidcSignInError("the identity provider sent no ID token")
        return dict(claims)

    def identify(self, session: Session, claims: dict[str, Any]) -> OidcIdentity:
        return staff_for_claims(session, claims, claim=self.claim, field=self.field)


def staff_for_claims(
    session: Session, claims: dict[str, Any], *, claim: str, field: str
) -> OidcIdentity:
    """The member of the roster these claims name, or ``staff_id=None``. An email claim the
    provider marks unverified (``email_verified: false``) names nobody."""
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        raise OidcSignInError(f"the identity provider's token has no {claim!r} claim")
    value = value.strip()
    if claim == "email" and claims.get("email_verified") is False:
        return OidcIdentity(None, value)
    if field == "email":
        found = session.exec(
            select(Staff.staff_id).where(sa.func.lower(col(Staff.email)) == value.lower())
        ).all()
        # two roster entries with one address: refuse rather than guess which one signs in
        return OidcIdentity(found[0] if len(found) == 1 else None, value)
    staff = session.get(Staff, value)
    return OidcIdentity(staff.staff_id if staff else None, value)
