"""Alembic's environment for frontdoor.

Run through :mod:`models.migrate` (``frontdoor init-db``, and every command that opens the
database), which hands over its own connection; or by developers with ``alembic`` and the
repository's ``alembic.ini`` (``alembic revision --autogenerate -m "..."``), which connects to
``FRONTDOOR_DATABASE_URL``.

Column types are rendered as plain SQLAlchemy types (``UTCDateTime`` as
``sa.DateTime(timezone=True)``, SQLModel's ``AutoString`` as ``sa.String``), so a migration never
imports the models it migrates: a later change to a model cannot change an old migration.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import models.db  # noqa: F401  (registers every table on SQLModel.metadata)
from models.tables import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=render_item,
    )


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
else:
    from config.settings import get_settings
    from models.db import get_engine

    with get_engine(get_settings().database_url).connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()
