"""RQ jobs triggered by webhooks and the console; each takes ids and builds what it needs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from rq import Queue, Retry
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callbacks.followup_text import load_sms_templates, render_followup
from hotline.db import utcnow
from hotline.models import Call, Caller, Consultation, Message
from hotline.phones import ANONYMOUS
from hotline.runtime import Runtime
from hotline.settings import load_settings
from hotline.telephony import PermanentTelephonyError, RetryableTelephonyError, Telephony
from routing.regions import load_regions

log = logging.getLogger("hotline.jobs")

FOLLOWUP_QUEUE = "default"
FOLLOWUP_RETRY_INTERVALS = [10, 60, 300]
SEND_LOCK_SECONDS = 60

_runtime: Runtime | None = None


def job_runtime() -> Runtime:
    """The Runtime jobs use: built from the environment once per worker process."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(load_settings())
    return _runtime


@contextmanager
def using_runtime(rt: Runtime) -> Iterator[Runtime]:
    """Run jobs of this process against a given Runtime (tests, in-process workers)."""
    global _runtime
    previous, _runtime = _runtime, rt
    try:
        yield rt
    finally:
        _runtime = previous


def followup_job_id(consultation_id: int) -> str:
    """The deterministic RQ job id of a consultation's follow-up SMS."""
    return f"followup-{consultation_id}"


def enqueue_followup(client: redis.Redis, consultation_id: int) -> Job:
    """Queue the follow-up SMS of a committed consultation (retried on temporary failures)."""
    queue = Queue(FOLLOWUP_QUEUE, connection=client)
    return queue.enqueue(
        send_followup,
        consultation_id,
        job_id=followup_job_id(consultation_id),
        retry=Retry(max=3, interval=FOLLOWUP_RETRY_INTERVALS),
        description=f"follow-up SMS of consultation {consultation_id}",
    )


def _status_callback(rt: Runtime) -> str | None:
    base = rt.settings.public_url
    return f"{base}/sms/status" if base else None


def send_followup(consultation_id: int) -> str | None:
    """Send a consultation's follow-up SMS once; return the Message SID (None if not sent).

    The message row (idempotency key followup:<id>) is committed before Twilio is called, so
    however often the job runs there is one message. A retryable Twilio error propagates and
    RQ retries; a permanent one marks the message failed.
    """
    rt = job_runtime()
    key = f"followup:{consultation_id}"
    lock = rt.redis.lock(f"hotline:lock:{key}", timeout=SEND_LOCK_SECONDS, blocking_timeout=5)
    if not lock.acquire():
        raise RetryableTelephonyError(f"{key} is being sent by another worker")
    try:
        with rt.session() as session:
            consultation = session.get(Consultation, consultation_id)
            if consultation is None:
                log.warning("follow-up: consultation %s does not exist", consultation_id)
                return None
            message = session.scalars(
                select(Message).where(Message.idempotency_key == key)
            ).one_or_none()
            if message is not None and message.status != "pending":
                return message.twilio_sid  # sent (or failed for good) by an earlier run
            caller = session.get(Caller, consultation.caller_id) if consultation.caller_id else None
            if caller is None or caller.phone == ANONYMOUS or caller.sms_opted_out_at:
                log.info("follow-up of %s not sent: no number or opted out", key)
                return None
            if message is None:
                message = _new_followup_message(rt, session, consultation, caller, key)
            message.attempts += 1
            session.commit()
            try:
                sid = Telephony(rt.settings).send_sms(
                    message.to_number, message.body, status_callback=_status_callback(rt)
                )
            except RetryableTelephonyError as exc:
                message.error_code = exc.code
                message.error_message = str(exc)[:500]
                session.commit()
                raise
            except PermanentTelephonyError as exc:
                message.status = "failed"
                message.error_code = exc.code
                message.error_message = str(exc)[:500]
                session.commit()
                log.warning("follow-up %s failed for good: %s", key, exc)
                return None
            message.twilio_sid = sid
            message.status = "queued"
            message.sent_at = utcnow()
            message.error_code = None
            message.error_message = None
            session.commit()
            return sid
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - an expired lock is released already
            pass


def _new_followup_message(
    rt: Runtime, session, consultation: Consultation, caller: Caller, key: str
) -> Message:
    call = session.get(Call, consultation.call_id) if consultation.call_id else None
    body = render_followup(
        load_sms_templates(rt.settings.config_dir),
        load_regions(rt.settings.config_dir),
        case_number=consultation.case_number,
        disposition=consultation.disposition,
        region_code=(call.region if call else None) or caller.region,
        referral_office=consultation.referral_office,
    )
    message = Message(
        direction="outbound",
        kind="followup",
        caller_id=caller.id,
        call_id=consultation.call_id,
        consultation_id=consultation.id,
        to_number=caller.phone,
        from_number=rt.settings.hotline_number,
        body=body,
        status="pending",
        idempotency_key=key,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        message = session.scalars(select(Message).where(Message.idempotency_key == key)).one()
    return message
