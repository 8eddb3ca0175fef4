"""SMS send attempts: the attempt committed (status sending) before each Twilio request

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt_key", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("attempt_started_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("attempt_started_at")
        batch_op.drop_column("attempt_key")
