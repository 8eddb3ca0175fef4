"""Re-queueing work whose job was lost (Redis down at the moment of the enqueue).

Jobs are enqueued after the commit that makes their rows visible; if Redis is unreachable
right then, the rows are saved but no job exists. The worker runs these at start: each finds
recent rows that should have produced a message (or a failed lifecycle step that was not redone)
and did not, and enqueues their jobs again under the same deterministic ids. Only what is
missing is queued: rows whose job would do nothing (a call rated by phone, a caller who opted
out) are not selected, and a job that still lives (queued, scheduled, started, deferred) is
left alone and not counted. The jobs themselves send at most once per idempotency key.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import redis
from sqlalchemy import ColumnExpressionArgument, String, cast, exists, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callbacks.lifecycle import STEP_FAILED, STEP_REDONE, enqueue_redo, redo_job_id
from callbacks.queues import HIGH, live_job
from callbacks.sms.jobs import enqueue_followup, followup_job_id
from callbacks.sms.outbox import may_message_sql
from callbacks.surveys.sms_survey import (
    SURVEY_STAGES,
    enqueue_sms_survey,
    sms_survey_job_id,
    survey_owed,
)
from hotline.models import Call, CallEvent, Consultation, Message

RESUME_WINDOW = timedelta(days=3)


def _has_message(prefix: str, row_id: ColumnExpressionArgument[int]) -> ColumnElement[bool]:
    """SQL: a message with the idempotency key prefix + id exists."""
    key = literal(prefix) + cast(row_id, String)
    return exists(select(Message.id).where(Message.idempotency_key == key))


def resume_followups(session: Session, client: redis.Redis, now: datetime) -> int:
    """Enqueue the lost follow-up job of recent consultations without a follow-up; a count."""
    ids = session.scalars(
        select(Consultation.id).where(
            Consultation.created_at >= now - RESUME_WINDOW,
            ~_has_message("followup:", Consultation.id),
            may_message_sql(Consultation.caller_id),
        )
    ).all()
    lost = [i for i in ids if live_job(client, followup_job_id(i)) is None]
    for consultation_id in lost:
        enqueue_followup(client, consultation_id)
    return len(lost)


def resume_sms_surveys(
    session: Session, client: redis.Redis, now: datetime, delay: timedelta
) -> int:
    """Enqueue the lost SMS survey job of recent answered calls still owed one; a count.

    Not for calls rated by phone, nor any other the job would skip (survey_owed).
    """
    ids = session.scalars(
        select(Call.id).where(
            Call.started_at >= now - RESUME_WINDOW - timedelta(days=1),  # the indexed bound
            Call.ended_at >= now - RESUME_WINDOW,
            Call.ended_at <= now - delay,
            Call.hangup_stage.in_(SURVEY_STAGES),
            ~_has_message("survey:", Call.id),
            survey_owed(),
        )
    ).all()
    lost = [i for i in ids if live_job(client, sms_survey_job_id(i)) is None]
    for call_id in lost:
        enqueue_sms_survey(client, call_id, timedelta(0))
    return len(lost)


def resume_lifecycle_steps(session: Session, client: redis.Redis, now: datetime) -> int:
    """Enqueue the lost redo job of recent failed lifecycle steps not redone since; a count."""
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
    queued = 0
    for (call_id, step), failure in owed.items():
        if failure is None or live_job(client, redo_job_id(call_id, step), HIGH) is not None:
            continue
        enqueue_redo(client, call_id, step, failure[0], failure[1])
        queued += 1
    return queued
