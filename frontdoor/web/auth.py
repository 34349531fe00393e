"""Sign-in: password hashing, the identity-provider interface and CSRF tokens.

Built in: username (staff id) and password, hashed with argon2id (argon2-cffi), for small
deployments and tests. A real authority connects its identity provider: OpenID Connect in
:mod:`frontdoor.web.oidc` (``FRONTDOOR_OIDC_*``), beside or instead of the passwords
(``FRONTDOOR_LOCAL_SIGN_IN=false``). :class:`IdentityProvider` is the seam for password-style
providers.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

from config.settings import Settings
from models.dashboard import UserCredential
from models.tables import Staff

_HASHER = PasswordHasher()
# Verified against when the staff id is unknown, so both paths cost the same (no user probing).
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 10


class PasswordTooWeak(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise PasswordTooWeak(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, staff_id: str, password: str, now: datetime) -> None:
    """Give a member of the roster a built-in sign-in (or change it). Caller commits."""
    if session.get(Staff, staff_id) is None:
        raise LookupError(f"{staff_id!r} is not on the staff roster")
    row = session.get(UserCredential, staff_id) or UserCredential(
        staff_id=staff_id, password_hash="", updated_at=now
    )
    row.password_hash = hash_password(password)
    row.updated_at = now
    session.add(row)


class IdentityProvider(Protocol):
    """Who is this? Returns a staff id from the roster, or None."""

    name: str

    def authenticate(self, session: Session, username: str, password: str) -> str | None: ...


@dataclass
class LocalPasswordProvider:
    name: str = "local"

    def authenticate(self, session: Session, username: str, password: str) -> str | None:
        cred = session.get(UserCredential, username.strip())
        if cred is None:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(cred.password_hash, password):
            return None
        if session.get(Staff, cred.staff_id) is None:  # left the roster
            return None
        return cred.staff_id


class SignInSettingsError(ValueError):
    """The sign-in settings leave nobody a way in, or are incomplete (say which)."""


def provider_for(settings: Settings) -> IdentityProvider | None:
    """The password provider, or None when ``local_sign_in`` is off (then the identity
    provider must be configured)."""
    if not settings.local_sign_in:
        if not settings.oidc_issuer:
            raise SignInSettingsError(
                "FRONTDOOR_LOCAL_SIGN_IN is false and FRONTDOOR_OIDC_ISSUER is not set: "
                "nobody could sign in"
            )
        return None
    return LocalPasswordProvider()


@dataclass
class SignInThrottle:
    """Refuses sign-in attempts for a while after too many failures.

    After ``max_per_user`` failed attempts for one username, or ``max_per_address`` from one
    client address, within ``window``, further attempts with that username (or from that
    address) are refused without checking the password until ``lockout`` has passed since the
    last failure. A successful sign-in clears the username's failures (not the address's, so
    signing in to one's own account does not reset a guessing run against others).

    In memory, per process: right for the embedded single-process default (``frontdoor
    serve``); it forgets on restart and is not shared between workers, so a deployment with
    several workers needs a shared store (or the identity provider's own lockout). Callers
    pass ``now`` (only config/clock.py reads the wall clock).
    """

    max_per_user: int = 5
    max_per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    _failures: dict[str, deque[datetime]] = field(default_factory=dict, repr=False)
    _locked_until: dict[str, datetime] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _keys(self, username: str, address: str | None) -> list[tuple[str, int]]:
        keys = [("user:" + username.strip().casefold()[:100], self.max_per_user)]
        if address:
            keys.append(("addr:" + address, self.max_per_address))
        return keys

    def refused_until(self, username: str, address: str | None, now: datetime) -> datetime | None:
        """Until when attempts for this username or from this address are refused; None when
        an attempt may be made now."""
        with self._lock:
            ends = [
                end
                for key, _ in self._keys(username, address)
                if (end := self._locked_until.get(key)) is not None and end > now
            ]
        return max(ends) if ends else None

    def failed(self, username: str, address: str | None, now: datetime) -> None:
        """Count a failed attempt; the one that reaches the limit starts the lockout."""
        with self._lock:
            for key, limit in self._keys(username, address):
                q = self._failures.setdefault(key, deque())
                q.append(now)
                while q and q[0] <= now - self.window:
                    q.popleft()
                if len(q) >= limit:
                    self._locked_until[key] = now + self.lockout
                    q.clear()
            # forget what can no longer matter, so the maps do not grow without bound
            for key in [
                k for k, q in self._failures.items() if not q or q[-1] <= now - self.window
            ]:
                del self._failures[key]
            for key in [k for k, end in self._locked_until.items() if end <= now]:
                del self._locked_until[key]

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(username, None)[0][0], None)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
