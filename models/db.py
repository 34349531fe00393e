"""Engine and sessions. SQLite (the embedded default) and PostgreSQL (scale-out).

Query functions elsewhere in `models` take a Session and never commit; the caller owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, create_engine

from models import (
    dashboard,  # noqa: F401  (the dashboard's tables)
    practice,  # noqa: F401  (supervision, audit, action and feedback tables)
    tables,  # noqa: F401  (registers the tables on SQLModel.metadata)
)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


_ENGINES: dict[str, sa.Engine] = {}


def get_engine(url: str) -> sa.Engine:
    engine = _ENGINES.get(url)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        _ENGINES[url] = engine
    return engine


def init_db(url: str) -> sa.Engine:
    """The engine for ``url``, its tables brought to the newest schema revision first
    (:func:`models.migrate.upgrade`: created when the database is empty, migrated otherwise)."""
    from models.migrate import upgrade

    engine = get_engine(url)
    upgrade(engine)
    return engine


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    engine = get_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


# Issue 5's tables (pathway versions, calendar closures, their audit trail); imported last because
# models.pathways imports the journey queries.
from models import pathways  # noqa: E402, F401
