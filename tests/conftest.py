"""Fixtures shared by every test layer. Imports nothing from prefect."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from config.settings import reset_settings

PG_ADMIN_URL = os.environ.get(
    "FRONTDOOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real SQLite file, made the database in force for the test."""
    from models.db import dispose_engines, init_db

    url = f"sqlite:///{tmp_path / 'frontdoor.db'}"
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", url)
    reset_settings()
    init_db(url)
    yield url
    dispose_engines()
    reset_settings()


@contextmanager
def fresh_postgres_database(prefix: str = "frontdoor_test") -> Iterator[str]:
    """The URL of a new, empty database on the machine's PostgreSQL service, dropped (with any
    connection still open to it) on leaving."""
    import sqlalchemy as sa

    from models.db import dispose_engines

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:  # the service is part of this machine: fail loudly
        admin.dispose()
        raise RuntimeError(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}") from exc
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL service, made the one in force, with the
    tables; dropped afterwards."""
    from models.db import init_db

    with fresh_postgres_database() as url:
        monkeypatch.setenv("FRONTDOOR_DATABASE_URL", url)
        reset_settings()
        init_db(url)
        yield url
    reset_settings()


@pytest.fixture
def smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, made the one in force for the test."""
    from notifications.senders import start_local_smtp

    server = start_local_smtp(tmp_path / "mail")
    monkeypatch.setenv("FRONTDOOR_SMTP_HOST", server.host)
    monkeypatch.setenv("FRONTDOOR_SMTP_PORT", str(server.port))
    reset_settings()
    yield server
    server.stop()
    reset_settings()
