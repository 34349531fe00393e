"""The one place that reads the wall clock. Everything else takes `now`/`today` as arguments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now_utc() -> datetime:
    return datetime.now(UTC)


def today_london(now: datetime | None = None) -> date:
    return (now or now_utc()).astimezone(LONDON).date()


def parse_as_of(text: str | None) -> datetime:
    """An --as-of value: a date (end of that London day) or an ISO datetime (offset optional,
    London assumed). None means now."""
    if not text:
        return now_utc()
    text = text.strip()
    if len(text) == 10:
        d = date.fromisoformat(text)
        return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=LONDON).astimezone(UTC)
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=LONDON)
    return dt.astimezone(UTC)
