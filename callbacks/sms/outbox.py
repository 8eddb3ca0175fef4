"""The outbox: every outbound SMS is queued here as pending Message rows, then sent by a job.

queue_message applies the rules that can be decided when a message is written: opt-out (nothing
is stored for an opted-out or withheld number, except the opt-out confirmation itself),
idempotency (one row per key, however often it is called), quiet hours (scheduled_for) and
segmenting (a body over the configured number of segments becomes several messages, keys
"<key>", "<key>#2", ...). After the commit it enqueues callbacks.sms.jobs.send_message for each row,
which checks opt-out, quiet hours and the per-number rate limit again when it runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import redis
from rq import Retry
from rq.job import Job
from sqlalchemy import ColumnElement, ColumnExpressionArgument, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callbacks.queues import enqueue_once, job_runtime, live_job
from callbacks.sms.config import load_sms_config
from callbacks.sms.rules import earliest_send
from callbacks.sms.segments import segment_count, split_body
from callbacks.sms.unanswered import unanswered
from hotline.after_commit import after_commit
from hotline.models import Caller, Message
from hotline.models.vocabulary import MESSAGE_KINDS
from hotline.phones import ANONYMOUS
from hotline.settings import Settings

# The send job by its dotted path, as RQ allows: callbacks.sms.jobs imports this module.
SEND_JOB = "callbacks.sms.jobs.send_message"
# "reply" is the kind of inbound messages; everything else is something we send.
OUTBOUND_KINDS = frozenset(MESSAGE_KINDS) - {"reply"}
# The only kind sent to a number that opted out (once per opt-out).
OPTOUT_CONFIRM = "optout_confirm"
# The suffix of a deferral's job id when it equals the id of the job that defers.
AGAIN = "-again"


class UnknownMessageKind(ValueError):
    """A message kind that is not one of the outbound MESSAGE_KINDS."""


def send_job_id(message_id: int) -> str:
    """The deterministic RQ job id of a message's first send."""
    return f"sms-{message_id}"


def later_send_job_id(message_id: int, later: datetime) -> str:
    """The RQ job id of a message's send deferred to `later` (quiet hours, rate limit, ...)."""
    return f"{send_job_id(message_id)}-{int(later.timestamp())}"


def send_job_ids(message_id: int, scheduled_for: datetime | None) -> list[str]:
    """Every id the message's live send job may have: the first send's, or its deferral's."""
    ids = [send_job_id(message_id)]
    if scheduled_for is not None:
        later = later_send_job_id(message_id, scheduled_for)
        ids += [later, later + AGAIN]
    return ids


def part_key(idempotency_key: str, index: int) -> str:
    """The idempotency key of the index-th (1-based) message of a split body."""
    return idempotency_key if index == 1 else f"{idempotency_key}#{index}"


def message_by_key(session: Session, idempotency_key: str) -> Message | None:
    """The message stored under an idempotency key, if any."""
    return session.scalars(
        select(Message).where(Message.idempotency_key == idempotency_key)
    ).one_or_none()


def may_message(caller: Caller | None, kind: str) -> bool:
    """Whether a message of this kind may go to the caller (a number, not opted out)."""
    if caller is None or caller.phone == ANONYMOUS:
        return False
    return caller.sms_opted_out_at is None or kind == OPTOUT_CONFIRM


def may_message_sql(caller_id: ColumnExpressionArgument[int | None]) -> ColumnElement[bool]:
    """SQL of may_message for any kind but the opt-out confirmation: a number, not opted out."""
    return exists(
        select(Caller.id).where(
            Caller.id == caller_id, Caller.phone != ANONYMOUS, Caller.sms_opted_out_at.is_(None)
        )
    )


def queue_message(
    session: Session,
    redis_client: redis.Redis,
    *,
    kind: str,
    caller_id: int,
    body: str,
    idempotency_key: str,
    now: datetime,
    call_id: int | None = None,
    consultation_id: int | None = None,
    survey_id: int | None = None,
    settings: Settings | None = None,
) -> Message | None:
    """Store (once per key) the pending message(s) of a body and send them after the commit.

    Returns the first message of the body, or None when the caller may not be messaged.
    `settings` defaults to the job runtime's (the environment's) settings.
    """
    if kind not in OUTBOUND_KINDS:
        raise UnknownMessageKind(f"not an outbound message kind: {kind!r}")
    existing = message_by_key(session, idempotency_key)
    if existing is not None:
        return existing
    caller = session.get(Caller, caller_id)
    if caller is None or not may_message(caller, kind):
        return None
    settings = settings or job_runtime().settings
    config = load_sms_config(settings.config_dir)
    due = earliest_send(now, config)
    messages = [
        Message(
            direction="outbound",
            kind=kind,
            caller_id=caller.id,
            call_id=call_id,
            consultation_id=consultation_id,
            survey_id=survey_id,
            to_number=caller.phone,
            from_number=settings.hotline_number,
            body=text,
            status="pending",
            idempotency_key=part_key(idempotency_key, index),
            segments=segment_count(text),
            scheduled_for=due,
            created_at=now,
        )
        for index, text in enumerate(split_body(body, config.max_segments), start=1)
    ]
    try:
        with session.begin_nested():
            session.add_all(messages)
    except IntegrityError:  # queued a moment ago by another job or webhook
        return message_by_key(session, idempotency_key)
    for message in messages:
        after_commit(
            session, enqueue_send, redis_client, message.id, due - now, config.retry_intervals
        )
    return messages[0]


def enqueue_send(
    client: redis.Redis,
    message_id: int,
    delay: timedelta,
    retry_intervals: tuple[int, ...],
    job_id: str | None = None,
) -> Job:
    """Enqueue the send job of a message (after `delay`), retried with backoff."""
    return enqueue_once(
        client,
        job_id or send_job_id(message_id),
        SEND_JOB,
        message_id,
        delay=delay,
        retry=Retry(max=len(retry_intervals), interval=list(retry_intervals)),
        description=f"send SMS message {message_id}",
    )


def requeue_pending(
    session: Session, client: redis.Redis, now: datetime, settings: Settings | None = None
) -> int:
    """Enqueue the send job of each message waiting to be sent whose job is gone; a count.

    Waiting: pending, or "sending" without an answer (its job looks it up at Twilio first). A
    message whose send job still lives (queued, scheduled, started, deferred) is left alone.
    """
    settings = settings or job_runtime().settings
    retry_intervals = load_sms_config(settings.config_dir).retry_intervals
    rows = session.execute(
        select(Message.id, Message.scheduled_for).where(
            Message.direction == "outbound", or_(Message.status == "pending", unanswered())
        )
    ).all()
    queued = 0
    for message_id, scheduled_for in rows:
        if any(live_job(client, job_id) for job_id in send_job_ids(message_id, scheduled_for)):
            continue
        delay = (scheduled_for - now) if scheduled_for is not None else timedelta(0)
        enqueue_send(client, message_id, delay, retry_intervals)
        queued += 1
    return queued
