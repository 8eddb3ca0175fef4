"""Sending one pending message: the checks made at send time, then the Twilio request.

At send time the number may have opted out (the message is marked failed, unsent), it may be
quiet hours or the number may be over its rate limit (the message is rescheduled: a new send
job is enqueued for later, nothing is dropped). The row counts the attempt and is committed
before Twilio is called. A retryable Twilio error propagates (RQ retries the job with backoff;
on the last attempt the row is marked failed first); a permanent one marks the row failed.
"""

from __future__ import annotations

import logging
from datetime import datetime

from rq import get_current_job
from sqlalchemy.orm import Session

from callbacks.sms.config import load_sms_config
from callbacks.sms.outbox import OPTOUT_CONFIRM, enqueue_send, send_job_id
from callbacks.sms.rules import quiet_until, take_send_slot
from callbacks.sms.webhooks import apply_early_statuses
from hotline.db import write_first
from hotline.models import Caller, Message
from hotline.runtime import Runtime
from hotline.telephony import RetryableTelephonyError, Telephony, TelephonyError

log = logging.getLogger("hotline.sms")

OPTED_OUT_ERROR = "not sent: the number opted out of SMS"


def status_callback_url(rt: Runtime) -> str | None:
    """The /sms/status URL Twilio reports delivery to (None without a public URL)."""
    base = rt.settings.public_url
    return f"{base}/sms/status" if base else None


def mark_failed(message: Message, code: int | None, text: str) -> None:
    """Mark a message failed for good, with the reason supervisors see."""
    message.status = "failed"
    message.error_code = code
    message.error_message = text[:500]


def _reschedule_id(message: Message, later: datetime) -> str:
    """A job id for sending later that differs from the running job's own id."""
    job_id = f"{send_job_id(message.id)}-{int(later.timestamp())}"
    current = get_current_job()
    if current is not None and current.id == job_id:
        job_id += "-again"
    return job_id


def deliver(
    session: Session, rt: Runtime, message_id: int, now: datetime, *, last_attempt: bool = False
) -> str | None:
    """Send a pending outbound message now if the rules allow; the Twilio SID when sent."""
    write_first(session)
    message = session.get(Message, message_id)
    if message is None or message.direction != "outbound":
        log.warning("send: message %s does not exist or is not outbound", message_id)
        return None
    if message.status != "pending":
        return message.twilio_sid  # sent (or failed for good) by an earlier run
    caller = session.get(Caller, message.caller_id) if message.caller_id else None
    if caller is not None and caller.sms_opted_out_at and message.kind != OPTOUT_CONFIRM:
        mark_failed(message, None, OPTED_OUT_ERROR)
        session.commit()
        return None
    config = load_sms_config(rt.settings.config_dir)
    later = quiet_until(now, config) or take_send_slot(rt.redis, message.to_number, now, config)
    if later is not None:
        message.scheduled_for = later
        session.commit()
        job_id = _reschedule_id(message, later)
        enqueue_send(rt.redis, message.id, later - now, config.retry_intervals, job_id=job_id)
        log.info("SMS %s deferred to %s", message.id, later.isoformat())
        return None
    message.attempts += 1
    session.commit()
    try:
        sid = Telephony(rt.settings).send_sms(
            message.to_number, message.body, status_callback=status_callback_url(rt)
        )
    except TelephonyError as exc:
        if exc.retryable and not last_attempt:
            message.error_code = exc.code
            message.error_message = str(exc)[:500]
            session.commit()
            raise
        mark_failed(message, exc.code, str(exc))
        session.commit()
        log.warning("SMS %s (%s) failed for good: %s", message.id, message.kind, exc)
        if isinstance(exc, RetryableTelephonyError):
            raise  # the job's last retry: let RQ record the failure too
        return None
    message.twilio_sid = sid
    message.status = "queued"
    message.sent_at = now
    message.error_code = None
    message.error_message = None
    session.commit()
    apply_early_statuses(session, rt.redis, sid)
    session.commit()
    return sid
