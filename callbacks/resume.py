"""Re-queueing work whose job was lost (Redis down at the moment of the enqueue).

Jobs are enqueued after the commit that makes their rows visible; if Redis is unreachable
right then, the rows are saved but no job exists. The worker runs these at start: each finds
recent rows that should have produced a message (or a failed lifecycle step that was not redone)
and did not, and enqueues their jobs again under the same deterministic ids (a job still queued
is not doubled; the jobs themselves send at most once per idempotency key).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import redis
from sqlalchemy import ColumnExpressionArgument, String, cast, exists, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callbacks.lifecycle import STEP_FAILED, STEP_REDONE, enqueue_redo
from callbacks.sms.jobs import enqueue_followup
from callbacks.surveys.sms_survey import SURVEY_STAGES, enqueue_sms_survey
from hotline.models import Call, CallEvent, Consultation, Message

RESUME_WINDOW = timedelta(days=3)


def _has_message(prefix: str, row_id: ColumnExpressionArgument[int]) -> ColumnElement[bool]:
    """SQL: a message with the idempotency key prefix + id exists."""
    key = literal(prefix) + cast(row_id, String)
    return exists(select(Message.id).where(Message.idempotency_key == key))


def resume_followups(session: Session, client: redis.Redis, now: datetime) -> int:
    """Enqueue the follow-up job of recent consultations that have no follow-up message."""
    ids = session.scalars(
        select(Consultation.id).where(
            Consultation.created_at >= now - RESUME_WINDOW,
            ~_has_message("followup:", Consultation.id),
        )
    ).all()
    for consultation_id in ids:
        enqueue_followup(client, consultation_id)
    return len(ids)


def resume_sms_surveys(
    session: Session, client: redis.Redis, now: datetime, delay: timedelta
) -> int:
    """Enqueue the SMS survey job of recent answered calls that ended without one."""
    ids = session.scalars(
        select(Call.id).where(
            Call.started_at >= now - RESUME_WINDOW - timedelta(days=1),  # the indexed bound
            Call.ended_at >= now - RESUME_WINDOW,
            Call.ended_at <= now - delay,
            Call.answered_at.is_not(None),
            Call.hangup_stage.in_(SURVEY_STAGES),
            ~_has_message("survey:", Call.id),
        )
    ).all()
    for call_id in ids:
        enqueue_sms_survey(client, call_id, timedelta(0))
    return len(ids)


def resume_lifecycle_steps(session: Session, client: redis.Redis, now: datetime) -> int:
    """Enqueue the redo job of recent failed lifecycle steps that were not redone since."""
    rows = session.execute(
        select(CallEvent.call_id, CallEvent.kind, CallEvent.data, CallEvent.at)
        .where(CallEvent.kind.in_((STEP_FAILED, STEP_REDONE)), CallEvent.at >= now - RESUME_WINDOW)
        .order_by(CallEvent.at, CallEvent.id)
    ).all()
    # The last word on each (call, step): a failure not followed by a redo is still owed.
    owed: dict[tuple[int, str], tuple[str, datetime] | None] = {}
    for call_id, kind, data, at in rows:
        key = (call_id, str((data or {}).get("step", "")))
        owed[key] = (str(data.get("stage", "")), at) if kind == STEP_FAILED else None
    for (call_id, step), failure in owed.items():
        if failure is not None:
            enqueue_redo(client, call_id, step, failure[0], failure[1])
    return sum(1 for failure in owed.values() if failure is not None)
