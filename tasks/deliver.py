"""Deliver queued messages, recording every attempt; failures back off and retry later.

An SMTP outage delays mail and loses nothing: the outbox row stays pending with its next attempt
time, and the next sweep tries again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import col, select

from config.settings import get_settings
from models.context import database_url
from models.db import session_scope
from models.tables import DeliveryAttempt, Outbox
from notifications.senders import DeliveryError, OutgoingMessage, Sender, SmtpSender

MAX_ATTEMPTS = 20
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour."""
    return min(BASE_BACKOFF * (1 << max(0, attempts - 1)), MAX_BACKOFF)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def default_sender() -> Sender:
    s = get_settings()
    return SmtpSender(
        s.smtp_host,
        s.smtp_port,
        timeout=s.smtp_timeout,
        starttls=s.smtp_starttls,
        username=s.smtp_username,
        password=s.smtp_password,
    )


def deliver_pending(
    now: datetime, limit: int = 1000, sender: Sender | None = None
) -> DeliveryReport:
    """Send each due pending message once; each message is its own transaction."""
    sender = sender or default_sender()
    mail_from = get_settings().mail_from
    report = DeliveryReport()
    url = database_url()
    with session_scope(url) as session:
        ids = list(
            session.exec(
                select(Outbox.id)
                .where(Outbox.status == "pending", col(Outbox.next_attempt_at) <= now)
                .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
                .limit(limit)
            ).all()
        )
    for oid in ids:
        assert oid is not None
        with session_scope(url) as session:
            msg = session.get(Outbox, oid, with_for_update={"skip_locked": True})
            if msg is None or msg.status != "pending":
                continue
            assert msg.recipient_email is not None
            msg.attempts += 1
            try:
                sender.send(
                    OutgoingMessage(
                        to=msg.recipient_email,
                        subject=msg.subject,
                        text=msg.body_text,
                        html=msg.body_html,
                        message_id=msg.idempotency_key,
                        sender=mail_from,
                    )
                )
            except DeliveryError as exc:
                error = str(exc)[:500]
                session.add(DeliveryAttempt(outbox_id=oid, attempted_at=now, ok=False, error=error))
                msg.last_error = error
                if exc.transient and msg.attempts < MAX_ATTEMPTS:
                    msg.next_attempt_at = now + backoff(msg.attempts)
                    report.retrying += 1
                else:
                    msg.status = "failed"
                    msg.next_attempt_at = None
                    report.failed += 1
            else:
                session.add(DeliveryAttempt(outbox_id=oid, attempted_at=now, ok=True))
                msg.status = "sent"
                msg.sent_at = now
                msg.last_error = None
                msg.next_attempt_at = None
                report.sent += 1
            session.add(msg)
    return report


deliver_pending_task = task(
    name="deliver-notifications", cache_policy=NO_CACHE, persist_result=False
)(deliver_pending)
