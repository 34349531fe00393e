"""Sign-in: password hashing, the identity-provider interface and CSRF tokens.

Built in: username (staff id) and password, hashed with argon2id (argon2-cffi). A real authority
connects its identity provider instead: :class:`IdentityProvider` is the seam, and the
``FRONTDOOR_OIDC_*`` settings are read, but only the local provider is implemented so far.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
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


class ProviderNotAvailable(RuntimeError):
    pass


def provider_for(settings: Settings) -> IdentityProvider:
    if settings.oidc_issuer:
        raise ProviderNotAvailable(
            "FRONTDOOR_OIDC_ISSUER is set, but OpenID Connect sign-in is not implemented yet; "
            "unset it to use the built-in sign-in"
        )
    return LocalPasswordProvider()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
