"""The running configuration: database URL, the pathway in force and the working calendar.

The pathway in force is the published version (``models.pathways``) in force on the given date;
when nothing has been published, the pathway file (cached by file mtime). The working calendar is
that pathway's calendar plus the closure days recorded with ``frontdoor calendar add-closure``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from config.clock import today_london
from config.settings import get_settings
from timescales.calendar import WorkingCalendar
from timescales.pathway import Pathway, load_pathway
from timescales.versions import PathwayVersions

_CACHE: dict[tuple[str, float], Pathway] = {}


def pathway_file() -> Path:
    return get_settings().pathway_file.resolve()


def file_pathway(path: Path | None = None) -> Pathway:
    """The pathway file; re-read when the file changes, so ops edits need no restart."""
    p = (path or get_settings().pathway_file).resolve()
    key = (str(p), p.stat().st_mtime if p.exists() else 0.0)
    cached = _CACHE.get(key)
    if cached is None:
        cached = load_pathway(p)
        _CACHE.clear()
        _CACHE[key] = cached
    return cached


_HAS_TABLES: set[str] = set()


def _session() -> Session | None:
    """A read session on our database, or None when it has no tables yet (e.g. `check`)."""
    from models.db import get_engine

    url = database_url()
    try:
        engine = get_engine(url)
        if url not in _HAS_TABLES:
            if not sa.inspect(engine).has_table("pathway_version"):
                return None
            _HAS_TABLES.add(url)
    except sa.exc.SQLAlchemyError:
        return None
    return Session(engine)


def current_versions() -> PathwayVersions:
    """Every published version (or the file alone when none is published or there is no
    database yet)."""
    from models.pathways import load_versions

    session = _session()
    if session is None:
        return PathwayVersions.single(file_pathway())
    with session:
        return load_versions(session, file_pathway())


def current_pathway(path: Path | None = None, on: date | None = None) -> Pathway:
    """The pathway in force on ``on`` (default: today in London); ``path`` reads that file."""
    if path is not None:
        return file_pathway(path)
    return current_versions().in_force(on or today_london()).pathway


def pathway_for_version(version: int) -> Pathway:
    """The rules a clock opened under (the pathway in force when that version is unknown, e.g.
    the unpublished file's version number was edited)."""
    versions = current_versions()
    try:
        return versions.by_number(version).pathway
    except KeyError:
        return versions.in_force(today_london()).pathway


def current_calendar(on: date | None = None) -> WorkingCalendar:
    from models.pathways import working_calendar

    pathway = current_pathway(on=on)
    session = _session()
    if session is None:
        return pathway.working_calendar()
    with session:
        return working_calendar(session, pathway)


def database_url() -> str:
    return get_settings().database_url
