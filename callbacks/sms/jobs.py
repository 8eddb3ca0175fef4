"""The SMS jobs; each takes ids and builds what it needs.

send_followup composes a consultation's follow-up and queues it in the outbox
(callbacks.sms.outbox); send_message sends one queued message. Every job is safe to run twice.
"""

from __future__ import annotations

import logging

import redis
from rq import Retry, get_current_job
from rq.job import Job

from callbacks.queues import enqueue_once, job_runtime
from callbacks.sms.delivery import deliver
from callbacks.sms.followup_text import load_sms_templates, render_followup
from callbacks.sms.outbox import queue_message
from hotline import clock
from hotline.db import write_first
from hotline.models import Call, Caller, Consultation
from hotline.telephony import RetryableTelephonyError
from routing.regions import load_regions

log = logging.getLogger("hotline.jobs")

FOLLOWUP_RETRY_INTERVALS = [10, 60, 300]
SEND_LOCK_SECONDS = 60
# How long a send waits for another worker sending the same message before it retries later.
SEND_LOCK_WAIT_SECONDS = 5.0


def followup_job_id(consultation_id: int) -> str:
    """The deterministic RQ job id of a consultation's follow-up SMS."""
    return f"followup-{consultation_id}"


def retry_policy() -> Retry:
    """The retries of a job that composes or sends an SMS: 10 s, 1 min, 5 min."""
    return Retry(max=len(FOLLOWUP_RETRY_INTERVALS), interval=FOLLOWUP_RETRY_INTERVALS)


def enqueue_followup(client: redis.Redis, consultation_id: int) -> Job:
    """Queue the follow-up SMS of a committed consultation (retried on temporary failures)."""
    return enqueue_once(
        client,
        followup_job_id(consultation_id),
        send_followup,
        consultation_id,
        retry=retry_policy(),
        description=f"follow-up SMS of consultation {consultation_id}",
    )


def send_followup(consultation_id: int) -> int | None:
    """Queue a consultation's follow-up SMS once (key followup:<id>); the message id or None."""
    rt = job_runtime()
    with rt.session() as session:
        write_first(session)
        consultation = session.get(Consultation, consultation_id)
        if consultation is None:
            log.warning("follow-up: consultation %s does not exist", consultation_id)
            return None
        if consultation.caller_id is None:
            return None
        call = session.get(Call, consultation.call_id) if consultation.call_id else None
        caller = session.get(Caller, consultation.caller_id)
        body = render_followup(
            load_sms_templates(rt.settings.config_dir),
            load_regions(rt.settings.config_dir),
            case_number=consultation.case_number,
            disposition=consultation.disposition,
            region_code=(call.region if call else None) or (caller.region if caller else None),
            referral_office=consultation.referral_office,
        )
        message = queue_message(
            session,
            rt.redis,
            kind="followup",
            caller_id=consultation.caller_id,
            body=body,
            idempotency_key=f"followup:{consultation_id}",
            now=clock.now(),
            call_id=consultation.call_id,
            consultation_id=consultation.id,
            settings=rt.settings,
        )
        session.commit()
        return message.id if message is not None else None


def send_message(message_id: int) -> str | None:
    """Send one queued SMS if the rules allow now; the Twilio SID when sent (job sms-<id>)."""
    rt = job_runtime()
    lock = rt.redis.lock(
        f"hotline:lock:sms:{message_id}",
        timeout=SEND_LOCK_SECONDS,
        blocking_timeout=SEND_LOCK_WAIT_SECONDS,
    )
    if not lock.acquire():
        raise RetryableTelephonyError(f"SMS {message_id} is being sent by another worker")
    try:
        job = get_current_job()
        last_attempt = job is not None and not job.retries_left
        with rt.session() as session:
            return deliver(session, rt, message_id, clock.now(), last_attempt=last_attempt)
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:  # expired: released already
            pass
