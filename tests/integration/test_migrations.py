"""Schema migrations (Alembic): the migrations and the models describe the same schema, on SQLite
and PostgreSQL; ``init_db`` creates, stamps, adopts and upgrades databases and refuses one it
cannot understand. Real databases throughout; no prefect import."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel
from typer.testing import CliRunner

from models.db import dispose_engines, get_engine, init_db
from models.migrate import (
    BASELINE,
    BASELINE_TABLES,
    SchemaError,
    alembic_config,
    current,
    head,
    upgrade,
)
from models.tables import Staff

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _diff(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))


def _our_tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) & set(SQLModel.metadata.tables)


@pytest.fixture
def empty_sqlite(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    yield url
    dispose_engines()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A database with no tables at all (``postgres``: a fresh database on the service)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        dispose_engines()
        return
    from tests.conftest import fresh_postgres_database

    with fresh_postgres_database("frontdoor_mig") as url:
        yield url


def test_the_migrations_build_the_schema_the_models_describe(empty_db: str) -> None:
    """Replaying every migration on an empty database gives exactly the models' tables, columns,
    types, indexes (partial ones included) and constraints: a model changed without a migration
    fails here."""
    engine = get_engine(empty_db)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    assert _our_tables(engine) == set(SQLModel.metadata.tables)
    assert _diff(engine) == []
    with engine.connect() as conn:
        assert current(conn) == head()


def test_init_db_creates_an_empty_database_at_the_newest_revision(empty_db: str) -> None:
    engine = init_db(empty_db)
    assert _our_tables(engine) == set(SQLModel.metadata.tables)
    assert _diff(engine) == []  # create_all and the migrations agree
    with engine.connect() as conn:
        assert current(conn) == head()
    assert upgrade(engine) == head()  # again: nothing to do


def test_the_baseline_downgrades_to_nothing_and_back(empty_sqlite: str) -> None:
    engine = get_engine(empty_sqlite)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert _our_tables(engine) == set()
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    assert _diff(engine) == []


def test_a_database_made_before_migrations_is_adopted_and_keeps_its_rows(
    empty_sqlite: str,
) -> None:
    """What earlier frontdoor left: the baseline's tables (create_all, before migrations) and no
    alembic_version. Stamped with the baseline, upgraded to the newest revision, rows kept."""
    engine = _before_migrations(empty_sqlite)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Staff.__table__),  # type: ignore[attr-defined]
            {
                "staff_id": "tm-1",
                "name": "Team Manager",
                "email": "tm@example.invalid",
                "role": "team_manager",
                "team": "north",
                "updated_at": NOW,
            },
        )
        assert current(conn) is None
    init_db(empty_sqlite)
    with engine.connect() as conn:
        assert current(conn) == head()
        assert conn.execute(sa.text("SELECT staff_id FROM staff")).scalars().all() == ["tm-1"]
        history = [r for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
    assert history == [(head(),)]
    assert BASELINE in {s.revision for s in _walk()}
    assert _diff(engine) == []


def _before_migrations(url: str) -> sa.Engine:
    """A database as frontdoor made it before migrations: the baseline schema, unversioned."""
    engine = get_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
        conn.execute(sa.text("DROP TABLE alembic_version"))
    return engine


def _walk() -> list[Any]:
    from models.migrate import _scripts

    return list(_scripts().walk_revisions())


def test_a_database_from_a_newer_frontdoor_is_refused_and_left_alone(
    empty_sqlite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = init_db(empty_sqlite)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(SchemaError, match=r"9999_from_the_future.*newer frontdoor"):
        init_db(empty_sqlite)
    with engine.connect() as conn:
        assert current(conn) == "9999_from_the_future"

    from frontdoor.cli import app

    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", empty_sqlite)
    from config.settings import reset_settings

    reset_settings()
    try:
        result = CliRunner().invoke(app, ["init-db"])
    finally:
        reset_settings()
    assert result.exit_code != 0
    assert "newer frontdoor" in result.output and "Traceback" not in result.output


def test_init_db_cli_reports_the_revision(
    empty_sqlite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config.settings import reset_settings
    from frontdoor.cli import app

    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", empty_sqlite)
    reset_settings()
    try:
        result = CliRunner().invoke(app, ["init-db"])
    finally:
        reset_settings()
    assert result.exit_code == 0, result.output
    assert f"schema revision {head()}" in result.output


@pytest.mark.postgres
@pytest.mark.parametrize("empty_db", ["postgres"], indirect=True)
def test_processes_starting_together_on_postgres_migrate_once(empty_db: str) -> None:
    """A serve and workers starting at once on a database made before migrations: the advisory
    lock lets one adopt and upgrade it, the rest wait and find the work done."""
    engine = _before_migrations(empty_db)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            barrier.wait()
            upgrade(engine)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [(head(),)]
    assert _diff(engine) == []


def test_upgrading_from_the_baseline_keeps_the_rows(empty_db: str) -> None:
    """A database left at 0001 by an earlier frontdoor, with a message in its outbox: the
    next start upgrades it to the newest revision and the message is still there."""
    engine = get_engine(empty_db)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
        conn.execute(
            sa.text(
                "INSERT INTO outbox (idempotency_key, gate, cycle, kind, level, recipient_role, "
                "subject, body_text, body_html, status, attempts, created_at) VALUES ('k1', "
                "'icpc', :d, 'reminder', 0, 'social_worker', 'Due soon', 'text', '<p>html</p>', "
                "'sent', 1, :t)"
            ),
            {"d": NOW.date(), "t": NOW.replace(tzinfo=None)},
        )
        assert current(conn) == BASELINE
    assert head() != BASELINE  # there is something to upgrade to
    init_db(empty_db)
    with engine.connect() as conn:
        assert current(conn) == head()
        row = conn.execute(
            sa.text("SELECT idempotency_key, body_text, body_removed_at FROM outbox")
        ).one()
    assert tuple(row) == ("k1", "text", None)
    assert _diff(engine) == []


def test_the_baseline_tables_are_those_the_baseline_revision_creates(empty_sqlite: str) -> None:
    engine = get_engine(empty_sqlite)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
    assert _our_tables(engine) == BASELINE_TABLES


def test_a_database_older_than_the_baseline_is_refused_and_left_alone(empty_sqlite: str) -> None:
    """Tables from before the practice records (issue 3), say: not the baseline's schema, so it
    is not stamped as if it were."""
    engine = _before_migrations(empty_sqlite)
    with engine.begin() as conn:
        for table in ("audit", "supervision", "feedback"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
    with pytest.raises(SchemaError, match="audit, feedback, supervision"):
        init_db(empty_sqlite)
    with engine.connect() as conn:
        assert current(conn) is None
    assert "audit" not in _our_tables(engine) and "journey" in _our_tables(engine)
