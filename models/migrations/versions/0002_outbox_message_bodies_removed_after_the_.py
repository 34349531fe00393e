"""Outbox: message bodies removed after the retention period (``body_removed_at``, and the
partial index the retention step reads).

On SQLite both steps are plain ALTER TABLE ADD COLUMN and CREATE INDEX (no table copy).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:28:04.267456
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_outbox_body_held",
            ["created_at"],
            unique=False,
            sqlite_where=sa.text("body_removed_at IS NULL AND status != 'pending'"),
            postgresql_where=sa.text("body_removed_at IS NULL AND status != 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_body_held",
            sqlite_where=sa.text("body_removed_at IS NULL AND status != 'pending'"),
            postgresql_where=sa.text("body_removed_at IS NULL AND status != 'pending'"),
        )
        batch_op.drop_column("body_removed_at")
