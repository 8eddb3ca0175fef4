"""follow-ups, call-back attempts, return visits, KPI indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:22:29.582615
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("twilio_status", sa.String(length=20), nullable=True),
        sa.Column("agent_was_available", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('dialing', 'connected', 'no_answer', 'busy', 'failed', 'canceled', 'agent_unreachable')",
            name=op.f("ck_callback_attempts_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_callback_attempts_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["callback_requests.id"],
            name=op.f("fk_callback_attempts_request_id_callback_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempts")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_callback_attempts_call_sid")),
    )
    with op.batch_alter_table("callback_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_attempts_agent_id_started_at"),
            ["agent_id", "started_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_callback_attempts_request_id_started_at"),
            ["request_id", "started_at"],
            unique=False,
        )

    op.create_table(
        "return_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("caller_id", sa.Integer(), nullable=True),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("closed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'unreachable', 'cancelled')",
            name=op.f("ck_return_visits_status"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_user_id"], ["users.id"], name=op.f("fk_return_visits_assigned_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_return_visits_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["caller_id"], ["callers.id"], name=op.f("fk_return_visits_caller_id_callers")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_user_id"],
            ["users.id"],
            name=op.f("fk_return_visits_closed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_return_visits_consultation_id_consultations"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_return_visits_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_visits")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_return_visits_survey_id")),
    )
    with op.batch_alter_table("return_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_visits_region_status"), ["region", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_return_visits_status_due_at"), ["status", "due_at"], unique=False
        )

    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=32), nullable=True))

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_queued_at"), ["queued_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_calls_region_queued_at"), ["region", "queued_at"], unique=False
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segments", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("survey_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reply_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_messages_direction_reply_kind_reviewed_at"),
            ["direction", "reply_kind", "reviewed_at"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_survey_id_surveys"), "surveys", ["survey_id"], ["id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_messages_reply_kind"),
            "reply_kind IS NULL OR reply_kind IN ('rating', 'optout', 'optin', 'unmatched')",
        )

    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caller_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("agent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("region", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_surveys_call_id_channel"), ["call_id", "channel"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_surveys_caller_id_created_at"), ["caller_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_surveys_rated_at"), ["rated_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_surveys_caller_id_callers"), "callers", ["caller_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_surveys_agent_id_agents"), "agents", ["agent_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_surveys_agent_id_agents"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_surveys_caller_id_callers"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_surveys_rated_at"))
        batch_op.drop_index(batch_op.f("ix_surveys_caller_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_surveys_call_id_channel"))
        batch_op.drop_column("rated_at")
        batch_op.drop_column("region")
        batch_op.drop_column("agent_id")
        batch_op.drop_column("caller_id")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_messages_reply_kind"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_messages_survey_id_surveys"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_messages_direction_reply_kind_reviewed_at"))
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reply_kind")
        batch_op.drop_column("survey_id")
        batch_op.drop_column("segments")

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_region_queued_at"))
        batch_op.drop_index(batch_op.f("ix_calls_queued_at"))

    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.drop_column("topic")

    with op.batch_alter_table("return_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_visits_status_due_at"))
        batch_op.drop_index(batch_op.f("ix_return_visits_region_status"))

    op.drop_table("return_visits")
    with op.batch_alter_table("callback_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_attempts_request_id_started_at"))
        batch_op.drop_index(batch_op.f("ix_callback_attempts_agent_id_started_at"))

    op.drop_table("callback_attempts")
