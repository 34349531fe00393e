"""The base of every incoming record: its id, and ``at`` parsed into an instant and a local date.

Pure domain: imports nothing from the project, nor prefect, sqlmodel, sqlalchemy or jinja2.

Split out of :mod:`timescales.records` so that record modules for other areas (e.g.
:mod:`timescales.practice`) can build on it while ``records`` joins them into one union
without an import cycle. ``records`` re-exports these names.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

LONDON = ZoneInfo("Europe/London")


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$")


def _check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError("must be 1-100 characters: letters, digits and _ . : / - only")
    return v


class EventTime(BaseModel):
    """When an event happened: the instant (UTC) and its local date in Europe/London."""

    model_config = ConfigDict(frozen=True)
    instant: datetime  # timezone-aware, UTC
    local_date: date
    date_only: bool
    raw: str  # as given, so the stored record is the record that arrived


def parse_at(value: Any) -> EventTime:
    """Parse ``at``: an ISO date (a local date) or an ISO datetime *with* an offset.

    A naive datetime is refused: we cannot know whether it meant London or UTC, and between
    00:00 and 01:00 in summer the two give different statutory dates.
    """
    if isinstance(value, EventTime):
        return value
    if isinstance(value, datetime):
        raise ValueError("use an ISO string")
    if not isinstance(value, str):
        raise ValueError("must be an ISO date (YYYY-MM-DD) or datetime with offset")
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            d = date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a real date") from exc
        # A date alone stands for noon London time: the instant matters only for ordering.
        local = datetime(d.year, d.month, d.day, 12, 0, tzinfo=LONDON)
        return EventTime(instant=local.astimezone(UTC), local_date=d, date_only=True, raw=text)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not an ISO date (YYYY-MM-DD) or datetime with offset"
        ) from exc
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset (add Z or +01:00, or give a date alone)")
    return EventTime(
        instant=dt.astimezone(UTC),
        local_date=dt.astimezone(LONDON).date(),
        date_only=False,
        raw=text,
    )


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    id: str = Field(min_length=1, max_length=100)

    @field_validator("id")
    @classmethod
    def _id_ok(cls, v: str) -> str:
        return _check_id(v)
