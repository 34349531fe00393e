"""The running configuration: database URL and the pathway in force (cached by file mtime)."""

from __future__ import annotations

from pathlib import Path

from config.settings import get_settings
from timescales.calendar import WorkingCalendar
from timescales.pathway import Pathway, load_pathway

_CACHE: dict[tuple[str, float], Pathway] = {}


def current_pathway(path: Path | None = None) -> Pathway:
    """The pathway file in force; re-read when the file changes, so ops edits need no restart."""
    p = (path or get_settings().pathway_file).resolve()
    key = (str(p), p.stat().st_mtime if p.exists() else 0.0)
    cached = _CACHE.get(key)
    if cached is None:
        cached = load_pathway(p)
        _CACHE.clear()
        _CACHE[key] = cached
    return cached


def current_calendar() -> WorkingCalendar:
    return current_pathway().working_calendar()


def database_url() -> str:
    return get_settings().database_url
