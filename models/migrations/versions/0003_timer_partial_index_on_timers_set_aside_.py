"""Timer: a partial index on the timers set aside with an error, so each sweep's look for ones
to retry reads nothing when there are none (without it: a scan of every timer row, 13-107 ms at
10k journeys under a write lock).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:39:17.061244
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timer_errored",
            ["claimed_at"],
            unique=False,
            sqlite_where=sa.text("outcome = 'error'"),
            postgresql_where=sa.text("outcome = 'error'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_timer_errored",
            sqlite_where=sa.text("outcome = 'error'"),
            postgresql_where=sa.text("outcome = 'error'"),
        )
