"""The send job: once per message, status callbacks in any order, quiet hours, rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from callbacks.sms.jobs import enqueue_followup, send_followup, send_message
from callbacks.sms.outbox import queue_message
from callbacks.sms.review import failed_messages
from hotline.models import Consultation
from hotline.telephony import RetryableTelephonyError
from tests.callbacks.sms.sms_support import (
    CITIZEN,
    make_answered_call,
    make_consultation,
    outbound,
    release_scheduled,
    scheduled_ids,
    sms_requests,
    status_callback,
    work,
)

EIGHT = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai, the morning after


@pytest.fixture
def consultation(db_session):
    return make_consultation(db_session, make_answered_call(db_session))


def notice(db_session, runtime, caller_id, key, now):
    message = queue_message(
        db_session,
        runtime.redis,
        kind="callback_notice",
        caller_id=caller_id,
        body="【12348法律服务】值班人员稍后给您回电。",
        idempotency_key=key,
        now=now,
        settings=runtime.settings,
    )
    db_session.commit()
    return message


def test_the_followup_is_sent_once_however_often_jobs_and_callbacks_run(
    client, db_session, consultation, jobs_runtime, fake_twilio, sms_clock
):
    enqueue_followup(jobs_runtime.redis, consultation.id)
    send_followup(consultation.id)  # the job run twice: by hand and by the worker
    enqueue_followup(jobs_runtime.redis, consultation.id)
    work(jobs_runtime.redis)
    (message,) = outbound(db_session)
    assert send_message(message.id) == message.twilio_sid  # the send job run again
    send_followup(consultation.id)
    work(jobs_runtime.redis)
    (sent,) = sms_requests(fake_twilio)
    assert consultation.case_number in sent.form["Body"]

    for status in ("delivered", "sent", "delivered", "queued", "sent"):  # twice, out of order
        status_callback(client, message.twilio_sid, status)
    (message,) = outbound(db_session)
    assert message.status == "delivered" and message.attempts == 1
    assert len(sms_requests(fake_twilio)) == 1


def test_a_send_already_running_elsewhere_is_not_doubled(
    db_session, consultation, jobs_runtime, fake_twilio, sms_clock, monkeypatch
):
    monkeypatch.setattr("callbacks.sms.jobs.SEND_LOCK_WAIT_SECONDS", 0.1)
    message_id = send_followup(consultation.id)
    lock = jobs_runtime.redis.lock(f"hotline:lock:sms:{message_id}", timeout=30)
    assert lock.acquire()
    with pytest.raises(RetryableTelephonyError):
        send_message(message_id)
    assert sms_requests(fake_twilio) == []
    lock.release()
    assert send_message(message_id) is not None
    assert len(sms_requests(fake_twilio)) == 1


def test_a_failed_status_callback_keeps_the_error_for_supervisors(
    client, db_session, consultation, jobs_runtime, fake_twilio, sms_clock
):
    send_followup(consultation.id)
    work(jobs_runtime.redis)
    (message,) = outbound(db_session)
    status_callback(client, message.twilio_sid, "failed", ErrorCode="30006")
    status_callback(client, message.twilio_sid, "sent")
    (message,) = outbound(db_session)
    assert (message.status, message.error_code) == ("failed", 30006)
    assert [m.id for m in failed_messages(db_session)] == [message.id]


def test_retries_end_with_the_message_marked_failed_and_the_job_failed(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    call = make_answered_call(db_session)
    message = notice(db_session, jobs_runtime, call.caller_id, "notice:1", sms_clock.now)
    fake_twilio.fail_next(6, status=503, code=20503, message="Service Unavailable")
    work(jobs_runtime.redis)
    for _ in range(5):  # the five retries of config/sms.yaml
        assert release_scheduled(jobs_runtime.redis) == [f"sms-{message.id}"]
        work(jobs_runtime.redis)
    assert len(sms_requests(fake_twilio)) == 6
    (stored,) = outbound(db_session)
    assert (stored.status, stored.error_code, stored.attempts) == ("failed", 20503, 6)
    failed = FailedJobRegistry("default", connection=jobs_runtime.redis)
    assert failed.get_job_ids() == [f"sms-{message.id}"]  # the failure is not swallowed
    assert scheduled_ids(jobs_runtime.redis) == []


def test_quiet_hours_hold_the_followup_until_eight(
    db_session, consultation, jobs_runtime, fake_twilio, sms_clock
):
    sms_clock.set(datetime(2026, 11, 26, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai
    enqueue_followup(jobs_runtime.redis, consultation.id)
    work(jobs_runtime.redis)
    (message,) = outbound(db_session)
    assert message.status == "pending" and message.scheduled_for == EIGHT
    assert scheduled_ids(jobs_runtime.redis) == [f"sms-{message.id}"]
    job = Job.fetch(f"sms-{message.id}", connection=jobs_runtime.redis)
    assert job.get_status() == JobStatus.SCHEDULED

    sms_clock.set(EIGHT - timedelta(minutes=1))  # a worker running the job early sends nothing
    release_scheduled(jobs_runtime.redis)
    work(jobs_runtime.redis)
    assert sms_requests(fake_twilio) == []
    (message,) = outbound(db_session)
    assert message.status == "pending" and message.scheduled_for == EIGHT
    assert len(scheduled_ids(jobs_runtime.redis)) == 1  # deferred again, not dropped

    sms_clock.set(EIGHT)
    release_scheduled(jobs_runtime.redis)
    work(jobs_runtime.redis)
    assert len(sms_requests(fake_twilio)) == 1
    (message,) = outbound(db_session)
    assert message.status == "queued" and message.sent_at == EIGHT
    assert scheduled_ids(jobs_runtime.redis) == []


def test_a_number_over_its_rate_limit_waits_for_the_next_window(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    call = make_answered_call(db_session)
    messages = [
        notice(db_session, jobs_runtime, call.caller_id, f"notice:{n}", sms_clock.now)
        for n in range(7)  # the limit is 6 an hour
    ]
    work(jobs_runtime.redis)
    assert len(sms_requests(fake_twilio, to=CITIZEN)) == 6
    late = outbound(db_session)[-1]
    assert late.id == messages[-1].id and late.status == "pending"
    assert late.scheduled_for == sms_clock.now + timedelta(hours=1)
    assert len(scheduled_ids(jobs_runtime.redis)) == 1

    sms_clock.advance(3600)
    release_scheduled(jobs_runtime.redis)
    work(jobs_runtime.redis)
    assert len(sms_requests(fake_twilio, to=CITIZEN)) == 7
    assert [m.status for m in outbound(db_session)] == ["queued"] * 7


def test_an_unknown_message_id_is_a_quiet_no_op(db_session, jobs_runtime, fake_twilio, sms_clock):
    assert send_message(424242) is None
    assert send_followup(424242) is None
    assert sms_requests(fake_twilio) == []
    assert db_session.scalars(select(Consultation)).all() == []
