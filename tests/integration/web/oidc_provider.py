"""A small OpenID Connect provider for the tests, served by uvicorn on 127.0.0.1.

A local authority's real identity provider (Entra ID, Okta, Keycloak...) cannot run here; this
one speaks the same protocol over real HTTP, so the dashboard's sign-in meets what it would meet:
discovery, an authorization endpoint with a login form, the authorization code flow with PKCE
(S256) and client authentication at the token endpoint, RS256-signed ID tokens and the JWKS.
Switches on :class:`Provider` make it misbehave the ways the dashboard must refuse (another
signing key, another audience, another nonce, an expired token).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwk, jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class Provider:
    client_id: str = "frontdoor-dashboard"
    client_secret: str = "s3cret-client-secret"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # login name -> claims
    issuer: str = ""
    # misbehaviour switches
    foreign_key: bool = False
    audience: str | None = None
    nonce: str | None = None
    expired: bool = False
    key: Any = field(default_factory=lambda: jwk.RSAKey.generate_key(2048, private=True))
    other_key: Any = field(default_factory=lambda: jwk.RSAKey.generate_key(2048, private=True))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/authorize", self.authorize, methods=["GET", "POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks),
            ]
        )

    async def discovery(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "scopes_supported": ["openid", "email", "profile"],
            }
        )

    async def jwks(self, _request: Request) -> Response:
        public = self.key.as_dict(private=False)
        return JSONResponse({"keys": [{**public, "kid": "test-key", "use": "sig", "alg": "RS256"}]})

    async def authorize(self, request: Request) -> Response:
        """GET: the login form (the request's parameters carried along). POST: the person
        signs in; back to the client with a code, or with ``error=access_denied``."""
        if request.method == "GET":
            params = dict(request.query_params)
            if params.get("client_id") != self.client_id or params.get("response_type") != "code":
                return HTMLResponse("unknown client or response type", status_code=400)
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in params.items()
            )
            return HTMLResponse(
                "<!doctype html><title>Test identity provider</title>"
                "<h1>Test identity provider</h1>"
                f'<form method="post" action="/authorize">{hidden}'
                '<label for="login">Login</label> <input id="login" name="login">'
                '<button type="submit" name="decision" value="allow">Continue</button>'
                '<button type="submit" name="decision" value="deny">Cancel</button></form>'
            )
        form = dict(await request.form())
        redirect_uri, state = str(form["redirect_uri"]), str(form.get("state", ""))
        if form.get("decision") == "deny" or str(form.get("login")) not in self.users:
            return RedirectResponse(
                f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': state})}", 302
            )
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "login": str(form["login"]),
            "redirect_uri": redirect_uri,
            "nonce": form.get("nonce"),
            "challenge": form.get("code_challenge"),
        }
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", 302)

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        form = dict(await request.form())
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != self.client_id or secret != self.client_secret:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code")), None)  # a code works once
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": f"sub-{grant['login']}",
            "aud": self.audience or self.client_id,
            "iat": now - (7200 if self.expired else 0),
            "exp": now + (-3600 if self.expired else 300),
            "nonce": self.nonce or grant["nonce"],
            **self.users[grant["login"]],
        }
        key = self.other_key if self.foreign_key else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "openid email profile",
                "id_token": id_token,
            }
        )


@contextmanager
def running(provider: Provider) -> Iterator[Provider]:
    """Serve ``provider`` on a free port of 127.0.0.1 for the duration."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider.issuer = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(provider.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test identity provider did not start"
        time.sleep(0.05)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(10)
