"""Baseline: the schema of issues 2 to 6 (journeys, clocks, timers, outbox, practice records,
pathway versions, returns, the dashboard's tables), as ``create_all`` made it before migrations.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 08:13:24.773236
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accesslog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("accesslog", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accesslog_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_accesslog_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_accesslog_journey_id"), ["journey_id"], unique=False)

    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.String(length=100), nullable=False),
        sa.Column("ref", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("source_record", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_soon_from", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("completed_by", sa.String(length=100), nullable=True),
        sa.Column("completion_record", sa.String(length=100), nullable=True),
        sa.Column("evidence", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_id"),
        sa.UniqueConstraint("ref"),
    )
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_team"), ["team"], unique=False)

    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("audit_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("auditor", sa.String(length=100), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("grade", sa.String(length=30), nullable=False),
        sa.Column("journeys", sa.Text(), nullable=False),
        sa.Column("feedback_considered", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id"),
        sa.UniqueConstraint("record_id"),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_on_date"), ["on_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_team"), ["team"], unique=False)

    op.create_table(
        "calendar_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.String(length=100), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calendar_closure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_closure_day"), ["day"], unique=False)

    op.create_table(
        "child",
        sa.Column("child_id", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("expected_birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("ethnicity", sa.String(length=10), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("upn_unknown", sa.String(length=3), nullable=True),
        sa.Column("disabilities", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("child_id"),
    )
    op.create_table(
        "journey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=12), nullable=False),
        sa.Column("child_id", sa.String(length=100), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("opening_record", sa.String(length=100), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("merged_into", sa.String(length=12), nullable=True),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("flags", sa.String(length=400), nullable=False),
        sa.Column("pathway_version", sa.Integer(), nullable=False),
        sa.Column("published_state", sa.String(length=60), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journey_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_journey_ended_on"), ["ended_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_journey_team"), ["team"], unique=False)
        batch_op.create_index(batch_op.f("ix_journey_worker"), ["worker"], unique=False)

    op.create_table(
        "pathway_version",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("manager", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_role"), ["role"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_team"), ["team"], unique=False)

    op.create_table(
        "timescale_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("pathway_version", sa.Integer(), nullable=True),
        sa.Column("closure_day", sa.Date(), nullable=True),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("gate", sa.String(length=40), nullable=True),
        sa.Column("old_due_on", sa.Date(), nullable=True),
        sa.Column("new_due_on", sa.Date(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("timescale_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timescale_audit_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_timescale_audit_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_timescale_audit_journey_id"), ["journey_id"], unique=False
        )

    op.create_table(
        "usercredential",
        sa.Column("staff_id", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    op.create_table(
        "clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("gate", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reporting_only", sa.Boolean(), nullable=False),
        sa.Column("limit_working_days", sa.Integer(), nullable=False),
        sa.Column("pathway_version", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_soon_from", sa.Date(), nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("start_event", sa.String(length=100), nullable=True),
        sa.Column("stop_event", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "gate"),
    )
    with op.batch_alter_table("clock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clock_journey_id"), ["journey_id"], unique=False)

    op.create_table(
        "escalationack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("gate", sa.String(length=40), nullable=False),
        sa.Column("cycle", sa.Date(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "gate", "cycle", "level"),
    )
    with op.batch_alter_table("escalationack", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalationack_journey_id"), ["journey_id"], unique=False
        )

    op.create_table(
        "event",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("child_id", sa.String(length=100), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("at_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journey.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("record_id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_journey_id"), ["journey_id"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("feedback_id", sa.String(length=100), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("child_id", sa.String(length=100), nullable=True),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("from_whom", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("themes", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feedback_id"),
        sa.UniqueConstraint("record_id"),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_journey_id"), ["journey_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_on_date"), ["on_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_team"), ["team"], unique=False)

    op.create_table(
        "supervision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("supervisor", sa.String(length=100), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("child_id", sa.String(length=100), nullable=True),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("summary_ref", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id"),
    )
    with op.batch_alter_table("supervision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_journey_id"), ["journey_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_on_date"), ["on_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_team"), ["team"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_worker"), ["worker"], unique=False)

    op.create_table(
        "timer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("gate", sa.String(length=40), nullable=False),
        sa.Column("cycle", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("recipient_role", sa.String(length=40), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(journey_id IS NULL) <> (action_id IS NULL)", name="ck_timer_journey_or_action"
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["action.id"],
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_id", "gate", "cycle", "kind", "level", "repeat"),
        sa.UniqueConstraint("journey_id", "gate", "cycle", "kind", "level", "repeat"),
    )
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timer_action_id"), ["action_id"], unique=False)
        batch_op.create_index(
            "ix_timer_due_unclaimed",
            ["due_at"],
            unique=False,
            sqlite_where=sa.text("claimed_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=sa.text("claimed_at IS NULL AND cancelled_at IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_timer_journey_id"), ["journey_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("timer_id", sa.Integer(), nullable=True),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("gate", sa.String(length=40), nullable=False),
        sa.Column("cycle", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("recipient_role", sa.String(length=40), nullable=False),
        sa.Column("recipient_staff_id", sa.String(length=100), nullable=True),
        sa.Column("recipient_email", sa.String(length=254), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["action.id"],
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journey.id"],
        ),
        sa.ForeignKeyConstraint(
            ["timer_id"],
            ["timer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_action_id"), ["action_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_escalation_rung",
            ["kind", "journey_id", "gate", "cycle", "level", "created_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_outbox_journey_id"), ["journey_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)

    op.create_table(
        "deliveryattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deliveryattempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveryattempt_outbox_id"), ["outbox_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveryattempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveryattempt_outbox_id"))

    op.drop_table("deliveryattempt")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_journey_id"))
        batch_op.drop_index("ix_outbox_escalation_rung")
        batch_op.drop_index(batch_op.f("ix_outbox_action_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timer_journey_id"))
        batch_op.drop_index(
            "ix_timer_due_unclaimed",
            sqlite_where=sa.text("claimed_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=sa.text("claimed_at IS NULL AND cancelled_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_timer_action_id"))

    op.drop_table("timer")
    with op.batch_alter_table("supervision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_worker"))
        batch_op.drop_index(batch_op.f("ix_supervision_team"))
        batch_op.drop_index(batch_op.f("ix_supervision_on_date"))
        batch_op.drop_index(batch_op.f("ix_supervision_journey_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_child_id"))

    op.drop_table("supervision")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_team"))
        batch_op.drop_index(batch_op.f("ix_feedback_on_date"))
        batch_op.drop_index(batch_op.f("ix_feedback_journey_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_child_id"))

    op.drop_table("feedback")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_journey_id"))
        batch_op.drop_index(batch_op.f("ix_event_child_id"))

    op.drop_table("event")
    with op.batch_alter_table("escalationack", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalationack_journey_id"))

    op.drop_table("escalationack")
    with op.batch_alter_table("clock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clock_journey_id"))

    op.drop_table("clock")
    op.drop_table("usercredential")
    with op.batch_alter_table("timescale_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timescale_audit_journey_id"))
        batch_op.drop_index(batch_op.f("ix_timescale_audit_at"))
        batch_op.drop_index(batch_op.f("ix_timescale_audit_action"))

    op.drop_table("timescale_audit")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_team"))
        batch_op.drop_index(batch_op.f("ix_staff_role"))

    op.drop_table("staff")
    op.drop_table("pathway_version")
    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journey_worker"))
        batch_op.drop_index(batch_op.f("ix_journey_team"))
        batch_op.drop_index(batch_op.f("ix_journey_ended_on"))
        batch_op.drop_index(batch_op.f("ix_journey_child_id"))

    op.drop_table("journey")
    op.drop_table("child")
    with op.batch_alter_table("calendar_closure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_closure_day"))

    op.drop_table("calendar_closure")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_team"))
        batch_op.drop_index(batch_op.f("ix_audit_on_date"))

    op.drop_table("audit")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_team"))
        batch_op.drop_index(batch_op.f("ix_action_owner"))
        batch_op.drop_index(batch_op.f("ix_action_kind"))
        batch_op.drop_index(batch_op.f("ix_action_due_on"))

    op.drop_table("action")
    with op.batch_alter_table("accesslog", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accesslog_journey_id"))
        batch_op.drop_index(batch_op.f("ix_accesslog_at"))
        batch_op.drop_index(batch_op.f("ix_accesslog_actor"))

    op.drop_table("accesslog")
