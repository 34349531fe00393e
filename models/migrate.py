"""Bring a database's tables to the newest schema revision (Alembic, models/migrations/).

:func:`upgrade` is what ``init_db`` runs, so every command that opens the database (``frontdoor
init-db``, ``serve``, ``import``, the flows) first brings it up to date:

- an empty database gets every table from the models at once (``create_all``, quicker than
  replaying the migrations) and is stamped with the newest revision; ``test_migrations`` holds the
  two to the same schema;
- a database with an ``alembic_version`` table is upgraded from its revision to the newest;
- a database with frontdoor's tables but no ``alembic_version`` was made before migrations
  existed, by ``create_all`` of the schema the baseline revision records: it is stamped with the
  baseline, then upgraded (refused, changing nothing, if it lacks a baseline table: older still).

On PostgreSQL a transaction-level advisory lock lets one process migrate while the others (a
``serve`` and a worker starting together) wait for it. A database at a revision this code does
not know (made by a newer frontdoor) is refused with a clear error, never changed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# The tables the baseline revision creates (``test_migrations`` holds this to the revision): a
# database made before migrations must hold them all to be adopted as the baseline.
BASELINE_TABLES = frozenset(
    {
        "accesslog",
        "action",
        "audit",
        "calendar_closure",
        "child",
        "clock",
        "deliveryattempt",
        "escalationack",
        "event",
        "feedback",
        "journey",
        "outbox",
        "pathway_version",
        "staff",
        "supervision",
        "timer",
        "timescale_audit",
        "usercredential",
    }
)
_LOCK_KEY = 7_301_946_201  # pg_advisory_xact_lock key: "frontdoor schema migration"


class SchemaError(RuntimeError):
    """The database's schema revision cannot be brought to this code's (say why)."""


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision this code knows."""
    found = _scripts().get_current_head()
    assert found is not None, "models/migrations/versions holds no revision"
    return found


def current(connection: sa.Connection) -> str | None:
    """The database's revision, or None (no ``alembic_version`` table, or empty)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine) -> str:
    """Bring the database at ``engine`` to :func:`head` (see the module doc); its revision."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        at = current(conn)
        newest = head()
        if at == newest:
            return at
        if at is not None:
            try:
                _scripts().get_revision(at)
            except Exception:
                raise SchemaError(
                    f"the database is at schema revision {at!r}, which this version of frontdoor "
                    f"does not know (its newest is {newest!r}): it was made or upgraded by a newer "
                    "frontdoor; run that version, or restore a backup"
                ) from None
        cfg = alembic_config(conn)
        if at is None:
            existing = set(sa.inspect(conn).get_table_names()) & set(SQLModel.metadata.tables)
            if not existing:
                SQLModel.metadata.create_all(conn)
                command.stamp(cfg, "head")
                return newest
            missing = BASELINE_TABLES - existing
            if missing:
                raise SchemaError(
                    "the database holds frontdoor tables but not "
                    f"{', '.join(sorted(missing))}: it was made by a frontdoor older than the "
                    "first schema revision, so it cannot be upgraded in place; export its events "
                    "and import them into a new database"
                )
            command.stamp(cfg, BASELINE)  # made by create_all before migrations existed
        command.upgrade(cfg, "head")
    return newest
