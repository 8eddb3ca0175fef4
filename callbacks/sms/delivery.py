"""Sending one pending message: the checks made at send time, then the Twilio request.

At send time the number may have opted out (the message is marked failed, unsent), it may be
quiet hours or the number may be over its rate limit (the message is rescheduled: a new send
job is enqueued for later, nothing is dropped). The attempt is committed first (status
"sending", an attempt key) and only then is Twilio asked; its answer is committed after. A
refusal Twilio answered is retried (RQ, with backoff; on the last attempt the row is marked
failed first) or, when permanent, marks the row failed. An attempt without an answer (the worker
died, the answer timed out) is looked up at Twilio before anything is sent again
(callbacks.sms.unanswered): at most one SMS per message, and none lost.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from rq import get_current_job
from sqlalchemy.orm import Session

from callbacks.sms.config import SmsConfig, load_sms_config
from callbacks.sms.outbox import AGAIN, OPTOUT_CONFIRM, enqueue_send, later_send_job_id
from callbacks.sms.rules import quiet_until, take_send_slot
from callbacks.sms.unanswered import (
    SENDING,
    attempt_time,
    commit_sid,
    find_at_twilio,
    is_unanswered,
    record_found,
)
from hotline.db import write_first
from hotline.models import Caller, Message
from hotline.runtime import Runtime
from hotline.telephony import Telephony, TelephonyError

log = logging.getLogger("hotline.sms")

OPTED_OUT_ERROR = "not sent: the number opted out of SMS"
NEVER_ANSWERED_ERROR = "not sent: Twilio answered none of the attempts and has no such message"


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
    job_id = later_send_job_id(message.id, later)
    current = get_current_job()
    if current is not None and current.id == job_id:
        job_id += AGAIN
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
    config = load_sms_config(rt.settings.config_dir)
    telephony = Telephony(rt.settings)
    if is_unanswered(message) and not _settle_unanswered(
        session, rt, config, telephony, message, now
    ):
        return message.twilio_sid
    if message.status != "pending":
        return message.twilio_sid  # sent (or failed for good) by an earlier run
    caller = session.get(Caller, message.caller_id) if message.caller_id else None
    if caller is not None and caller.sms_opted_out_at and message.kind != OPTOUT_CONFIRM:
        mark_failed(message, None, OPTED_OUT_ERROR)
        session.commit()
        return None
    later = quiet_until(now, config) or take_send_slot(rt.redis, message.to_number, now, config)
    if later is not None:
        _send_later(session, rt, config, message, now, later)
        log.info("SMS %s deferred to %s", message.id, later.isoformat())
        return None
    return _send(session, rt, config, telephony, message, now, last_attempt)


def _send_later(
    session: Session,
    rt: Runtime,
    config: SmsConfig,
    message: Message,
    now: datetime,
    later: datetime,
) -> None:
    """Commit the message's new time and schedule its send job for then."""
    message.scheduled_for = later
    session.commit()
    job_id = _reschedule_id(message, later)
    enqueue_send(rt.redis, message.id, later - now, config.retry_intervals, job_id=job_id)


def _settle_unanswered(
    session: Session,
    rt: Runtime,
    config: SmsConfig,
    telephony: Telephony,
    message: Message,
    now: datetime,
) -> bool:
    """Settle an attempt without an answer; True if the message is to be sent (again) now.

    Twilio's list is asked first; a message found there is recorded and not sent again. Found
    nowhere, the message waits until the list can be trusted (the settle time after the
    attempt), then is sent again, unless its attempts are used up (then it failed, unsent).
    A failed lookup raises: nothing is sent while Twilio cannot tell.
    """
    found = find_at_twilio(session, telephony, message)
    if found is not None:
        commit_sid(session, rt.redis, record_found(session, message, found))
        return False
    trusted_from = attempt_time(message) + config.send_lookup_settle
    if now < trusted_from:
        _send_later(session, rt, config, message, now, trusted_from)
        log.info(
            "SMS %s: attempt %s not at Twilio yet; looked up again at %s",
            message.id,
            message.attempt_key,
            trusted_from.isoformat(),
        )
        return False
    if message.attempts > len(config.retry_intervals):
        mark_failed(message, message.error_code, NEVER_ANSWERED_ERROR)
        session.commit()
        log.warning(
            "SMS %s (%s) failed for good: %s", message.id, message.kind, NEVER_ANSWERED_ERROR
        )
        return False
    log.info(
        "SMS %s: attempt %s never reached Twilio; sending again", message.id, message.attempt_key
    )
    message.status = "pending"
    session.commit()
    return True


def _send(
    session: Session,
    rt: Runtime,
    config: SmsConfig,
    telephony: Telephony,
    message: Message,
    now: datetime,
    last_attempt: bool,
) -> str | None:
    """Commit the attempt (status sending), ask Twilio, then commit its answer."""
    key = secrets.token_hex(8)
    message.status = SENDING
    message.attempts += 1
    message.attempt_key = key
    message.attempt_started_at = now
    session.commit()
    try:
        sid = telephony.send_sms(
            message.to_number, message.body, status_callback=status_callback_url(rt)
        )
    except TelephonyError as exc:
        _record_failure(session, rt, config, message, now, exc, last_attempt)
        if exc.retryable:
            raise  # RQ retries the job, or records its failure after the last retry
        return None
    session.refresh(message, with_for_update=True)
    if message.attempt_key != key or message.twilio_sid is not None:
        log.warning(
            "SMS %s: Twilio answered attempt %s (%s) after another run settled it",
            message.id,
            key,
            sid,
        )
        session.commit()
        return message.twilio_sid
    message.twilio_sid = sid
    message.status = "queued"
    message.sent_at = now
    message.error_code = None
    message.error_message = None
    commit_sid(session, rt.redis, sid)
    return sid


def _record_failure(
    session: Session,
    rt: Runtime,
    config: SmsConfig,
    message: Message,
    now: datetime,
    exc: TelephonyError,
    last_attempt: bool,
) -> None:
    """Commit what a failed attempt means for the message.

    Twilio refused: the message is pending again (to be retried) or, permanently or on the last
    attempt, failed. No answer: Twilio may have the message, so it stays "sending" for the next
    run to look it up; on the last attempt that lookup is scheduled here.
    """
    message.error_code = exc.code
    message.error_message = str(exc)[:500]
    if exc.outcome_unknown:
        session.commit()
        log.warning("SMS %s: no answer to attempt %s: %s", message.id, message.attempt_key, exc)
        if last_attempt:
            later = attempt_time(message) + config.send_lookup_settle
            _send_later(session, rt, config, message, now, later)
        return
    if exc.retryable and not last_attempt:
        message.status = "pending"
        session.commit()
        return
    mark_failed(message, exc.code, str(exc))
    session.commit()
    log.warning("SMS %s (%s) failed for good: %s", message.id, message.kind, exc)
