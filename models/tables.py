"""SQLModel tables: the system of record.

Wiping Prefect's database loses nothing here: events, clocks, timers and the outbox are ours.
Instants are stored in UTC; statutory dates as local (Europe/London) dates.
Imports: sqlmodel/sqlalchemy and the standard library only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware datetimes in UTC on every backend (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(nullable: bool = False, index: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


class Staff(SQLModel, table=True):
    staff_id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    role: str = Field(max_length=40, index=True)
    team: str = Field(max_length=100, index=True)
    manager: str | None = Field(default=None, max_length=100)
    updated_at: datetime = Field(sa_column=_ts())


class Child(SQLModel, table=True):
    child_id: str = Field(primary_key=True, max_length=100)
    birth_date: date | None = None
    expected_birth_date: date | None = None
    sex: str = Field(max_length=1)
    ethnicity: str = Field(max_length=10)
    upn: str | None = Field(default=None, max_length=13)
    upn_unknown: str | None = Field(default=None, max_length=3)
    disabilities: str = Field(default="", max_length=200, description="space-separated codes")
    updated_at: datetime = Field(sa_column=_ts())


class Journey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=12, unique=True, description="pseudonymous, e.g. J-7F3K2Q")
    child_id: str = Field(max_length=100, index=True)
    team: str = Field(max_length=100, index=True)
    worker: str | None = Field(default=None, max_length=100, index=True)
    opening_record: str = Field(max_length=100, description="record id of the opening contact")
    opened_on: date
    ended_on: date | None = Field(default=None, index=True)
    merged_into: str | None = Field(
        default=None, max_length=12, description="set when late entry folded it into another"
    )
    stage: str = Field(default="contact", max_length=40)
    flags: str = Field(default="", max_length=400, description="space-separated flags")
    pathway_version: int = 1
    published_state: str | None = Field(default=None, max_length=60)
    published_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    evaluated_at: datetime = Field(sa_column=_ts())
    created_at: datetime = Field(sa_column=_ts())


class Event(SQLModel, table=True):
    """Every accepted record, as it arrived (staff and child details too, without a journey)."""

    seq: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(max_length=100, unique=True)
    type: str = Field(max_length=40)
    journey_id: int | None = Field(default=None, foreign_key="journey.id", index=True)
    child_id: str | None = Field(default=None, max_length=100, index=True)
    on_date: date | None = None
    at_utc: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    outcome: str | None = Field(default=None, max_length=40)
    payload: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    recorded_at: datetime = Field(sa_column=_ts())
    recorded_by: str = Field(max_length=100)
    source: str = Field(max_length=200)


class Clock(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("journey_id", "gate"),)

    id: int | None = Field(default=None, primary_key=True)
    journey_id: int = Field(foreign_key="journey.id", index=True)
    gate: str = Field(max_length=40)
    kind: str = Field(max_length=10)
    reporting_only: bool = False
    limit_working_days: int
    pathway_version: int
    started_on: date
    due_on: date
    due_soon_from: date
    stopped_on: date | None = None
    cancelled_on: date | None = None
    start_event: str | None = Field(default=None, max_length=100)
    stop_event: str | None = Field(default=None, max_length=100)
    updated_at: datetime = Field(sa_column=_ts())


class Timer(SQLModel, table=True):
    """A reminder or escalation that falls due at ``due_at``; claimed once by a sweep."""

    __table_args__ = (
        sa.UniqueConstraint("journey_id", "gate", "cycle", "kind", "level", "repeat"),
        sa.UniqueConstraint("action_id", "gate", "cycle", "kind", "level", "repeat"),
        sa.CheckConstraint(
            "(journey_id IS NULL) <> (action_id IS NULL)", name="ck_timer_journey_or_action"
        ),
        sa.Index(
            "ix_timer_due_unclaimed",
            "due_at",
            sqlite_where=sa.text("claimed_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=sa.text("claimed_at IS NULL AND cancelled_at IS NULL"),
        ),
        # timers whose message could not be prepared, put back in the queue an hour later:
        # each sweep looks for them, so finding none must cost nothing (tasks/notify.py)
        sa.Index(
            "ix_timer_errored",
            "claimed_at",
            sqlite_where=sa.text("outcome = 'error'"),
            postgresql_where=sa.text("outcome = 'error'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # A timer chases a journey's gate, or a practice action (models/practice.py): exactly one.
    journey_id: int | None = Field(default=None, foreign_key="journey.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="action.id", index=True)
    gate: str = Field(max_length=40)
    cycle: date = Field(description="the clock's start date: a restarted clock is a new cycle")
    kind: str = Field(max_length=12)
    level: int
    repeat: int = Field(
        default=0, description="0 for the rung itself; n for its nth repeat while unacknowledged"
    )
    recipient_role: str = Field(max_length=40)
    template: str = Field(max_length=40)
    due_on: date
    due_at: datetime = Field(sa_column=_ts())
    claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    outcome: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(sa_column=_ts())


class Outbox(SQLModel, table=True):
    """A message to deliver; its idempotency key is unique, so a claim can never send twice.

    The rendered body is kept for ``FRONTDOOR_MESSAGE_BODY_DAYS`` after the message was queued,
    then removed (``body_removed_at``): what was sent, to whom and when stays; the text goes."""

    __table_args__ = (
        # messages delivered (or given up) whose bodies are still held, by age: what the
        # retention step reads each sweep
        sa.Index(
            "ix_outbox_body_held",
            "created_at",
            sqlite_where=sa.text("body_removed_at IS NULL AND status != 'pending'"),
            postgresql_where=sa.text("body_removed_at IS NULL AND status != 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    timer_id: int | None = Field(default=None, foreign_key="timer.id")
    journey_id: int | None = Field(default=None, foreign_key="journey.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="action.id", index=True)
    gate: str = Field(max_length=40)
    cycle: date
    kind: str = Field(max_length=12)
    level: int
    recipient_role: str = Field(max_length=40)
    recipient_staff_id: str | None = Field(default=None, max_length=100)
    recipient_email: str | None = Field(default=None, max_length=254)
    subject: str = Field(max_length=300)
    body_text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    body_html: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    body_removed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class DeliveryAttempt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", index=True)
    attempted_at: datetime = Field(sa_column=_ts())
    ok: bool
    error: str | None = Field(default=None, max_length=500)


class AccessLog(SQLModel, table=True):
    """Who read or changed which case, when (UK GDPR accountability for special category data)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts(index=True))
    actor: str = Field(max_length=100, index=True)
    action: str = Field(max_length=40)
    journey_id: int | None = Field(default=None, index=True)
    detail: str = Field(default="", max_length=500)
