"""voicemail handling: a supervisor closes a voicemail nobody can call back, with a note

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_by_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_voicemails_closed_by_user_id_users"),
            "users",
            ["closed_by_user_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_voicemails_closed_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("closed_by_user_id")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("outcome_note")
