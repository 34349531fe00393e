"""Storage limitation: message bodies are kept for ``FRONTDOOR_MESSAGE_BODY_DAYS`` (default 90)
after they were queued, then removed by the sweep. The outbox row stays (kind, rung, recipient,
status, times), so the journey page and the access trail still show who was told what and when;
only the rendered text goes. Pending messages are never touched: they have not been sent yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.settings import get_settings
from models.context import database_url
from models.db import session_scope
from models.notify import remove_old_bodies

CHUNK = 2000  # messages per transaction: the SQLite write lock is held briefly


def remove_message_bodies(now: datetime) -> int:
    """Remove the bodies that have aged past the retention period as of ``now``; how many."""
    days = get_settings().message_body_days
    if days == 0:
        return 0
    cutoff = now - timedelta(days=days)
    url = database_url()
    removed = 0
    while True:
        with session_scope(url) as session:
            n = remove_old_bodies(session, cutoff, now, CHUNK)
        removed += n
        if n < CHUNK:
            return removed


remove_message_bodies_task = task(
    name="remove-message-bodies", cache_policy=NO_CACHE, persist_result=False
)(remove_message_bodies)
