"""An SMS is sent at most once across crashes, and never lost.

The faults: Twilio accepted the message, then the worker died before the commit that records
the SID (or the answer timed out); or the worker died after committing the attempt, before
Twilio was asked. RQ's cleanup of abandoned jobs (or a worker's start) runs the job again; the
retry looks the message up in Twilio's Messages list before it sends anything.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from callbacks.sms.delivery import NEVER_ANSWERED_ERROR
from callbacks.sms.jobs import send_message
from hotline.cli.processes import resume_outbox
from hotline.models import Message
from hotline.runtime import redis_url
from hotline.settings import REPO_ROOT
from hotline.telephony import Telephony, UnansweredTelephonyError
from tests.callbacks.sms.sms_support import (
    CITIZEN,
    make_answered_call,
    outbound,
    release_scheduled,
    scheduled_ids,
    sms_requests,
    work,
)
from tests.callbacks.sms.test_sending import notice
from tests.conftest import environment_for_tests

CRASH_WORKER_TIMEOUT_SECONDS = 60
SETTLE = timedelta(minutes=10)  # send_lookup_settle_seconds of config/sms.yaml
HOTLINE = "+8645112348"


def run_crashing_worker(runtime, fake_twilio, moment, when: str) -> None:
    """Run the queued jobs in a worker process that is killed at its first send (`when`)."""
    env = environment_for_tests(runtime.settings.instance_dir)
    env.update(
        DATABASE_URL=runtime.settings.database_url,
        REDIS_URL=redis_url(runtime.settings),
        TWILIO_API_BASE_URL=fake_twilio.base_url,
        PATH="/usr/bin:/bin",
    )
    died = subprocess.run(
        [sys.executable, "-m", "tests.callbacks.sms.crash_worker", moment.isoformat(), when],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        timeout=CRASH_WORKER_TIMEOUT_SECONDS,
        check=False,
    )
    assert died.returncode == -9, died.stderr.decode()


def clean_up_abandoned_jobs(redis_client) -> list[str]:
    """Run RQ's cleanup of abandoned jobs as a worker does once the dead job's entry expired."""
    registry = StartedJobRegistry(queue=Queue("default", connection=redis_client))
    abandoned = [job_id for job_id, _execution in registry.get_job_and_execution_ids()]
    registry.cleanup(timestamp=time.time() + 24 * 3600)  # long after the dead worker's heartbeat
    return abandoned


def lookups(fake_twilio):
    """The Messages list requests the fake API received."""
    return fake_twilio.requests_to("/Messages.json", "GET")


@pytest.fixture
def message(db_session, jobs_runtime, sms_clock):
    """A committed pending SMS with its send job queued."""
    call = make_answered_call(db_session)
    return notice(db_session, jobs_runtime, call.caller_id, "notice:crash", sms_clock.now)


def test_a_crash_between_twilios_accept_and_the_commit_sends_one_sms_not_two(
    db_session, jobs_runtime, fake_twilio, sms_clock, message
):
    redis = jobs_runtime.redis
    attempt_at = sms_clock.now

    run_crashing_worker(jobs_runtime, fake_twilio, attempt_at, "after-accept")
    (accepted,) = sms_requests(fake_twilio, CITIZEN)  # Twilio has the message ...
    (stored,) = outbound(db_session)
    assert (stored.status, stored.twilio_sid) == ("sending", None)  # ... our row does not know it
    job = Job.fetch(f"sms-{message.id}", connection=redis)
    assert job.get_status() == JobStatus.STARTED  # RQ still holds the dead worker's job

    # Long enough later for RQ to see the job abandoned: the send lock has expired too.
    redis.delete(f"hotline:lock:sms:{message.id}")
    sms_clock.advance(3600)
    assert clean_up_abandoned_jobs(redis) == [f"sms-{message.id}"]
    assert release_scheduled(redis) == [f"sms-{message.id}"]  # RQ's retry of the dead job
    work(redis)

    assert len(sms_requests(fake_twilio, CITIZEN)) == 1
    ((sid, at_twilio),) = fake_twilio.messages.items()
    (stored,) = outbound(db_session)
    assert (stored.twilio_sid, stored.body) == (sid, accepted.form["Body"])
    assert (stored.status, stored.sent_at, stored.attempts) == ("sent", attempt_at, 1)
    assert stored.status == at_twilio["status"]  # recorded as Twilio shows it now
    (lookup,) = lookups(fake_twilio)
    assert lookup.query == {
        "To": CITIZEN, "From": HOTLINE, "DateSent>": "2026-11-26", "PageSize": "100",
    }  # fmt: skip
    assert send_message(message.id) == sid  # and any later run leaves it alone
    assert len(sms_requests(fake_twilio)) == 1


def test_a_crash_before_the_request_sends_once_when_twilios_list_has_nothing(
    db_session, jobs_runtime, fake_twilio, sms_clock, message
):
    redis = jobs_runtime.redis
    attempt_at = sms_clock.now
    run_crashing_worker(jobs_runtime, fake_twilio, attempt_at, "before-request")
    assert sms_requests(fake_twilio) == []
    assert outbound(db_session)[0].status == "sending"

    redis.delete(f"hotline:lock:sms:{message.id}")
    sms_clock.advance(60)  # RQ retries soon: Twilio's list may not show a new message yet
    clean_up_abandoned_jobs(redis)
    release_scheduled(redis)
    work(redis)
    assert len(lookups(fake_twilio)) == 1 and sms_requests(fake_twilio) == []
    (stored,) = outbound(db_session)
    assert (stored.status, stored.scheduled_for) == ("sending", attempt_at + SETTLE)
    later_job = f"sms-{message.id}-{int((attempt_at + SETTLE).timestamp())}"
    assert scheduled_ids(redis) == [later_job]  # looked up again once the list is trusted

    sms_clock.set(attempt_at + SETTLE)
    assert release_scheduled(redis) == [later_job]
    work(redis)

    assert len(lookups(fake_twilio)) == 2
    (sent,) = sms_requests(fake_twilio, CITIZEN)
    (stored,) = outbound(db_session)
    assert (stored.status, stored.attempts, stored.sent_at) == ("queued", 2, attempt_at + SETTLE)
    assert stored.twilio_sid in fake_twilio.messages
    assert sent.form["Body"] == stored.body


def test_an_answer_that_times_out_is_looked_up_not_sent_again(
    db_session, jobs_runtime, fake_twilio, sms_clock, message, monkeypatch
):
    monkeypatch.setattr(
        "callbacks.sms.delivery.Telephony", functools.partial(Telephony, timeout=0.2)
    )
    fake_twilio.answer_late_next(1.0)
    work(jobs_runtime.redis)  # the answer never comes: RQ schedules the retry
    assert len(sms_requests(fake_twilio)) == 1
    (stored,) = outbound(db_session)
    assert (stored.status, stored.twilio_sid) == ("sending", None)
    assert "did not answer" in stored.error_message

    sms_clock.advance(10)  # the first retry interval
    assert release_scheduled(jobs_runtime.redis) == [f"sms-{message.id}"]
    work(jobs_runtime.redis)

    assert len(sms_requests(fake_twilio)) == 1
    (sid,) = fake_twilio.messages
    (stored,) = outbound(db_session)
    assert (stored.twilio_sid, stored.status, stored.error_message) == (sid, "sent", None)
    assert FailedJobRegistry("default", connection=jobs_runtime.redis).get_job_ids() == []


def test_a_timed_out_last_attempt_fails_the_job_and_schedules_the_lookup(
    db_session, jobs_runtime, fake_twilio, sms_clock, message, monkeypatch
):
    monkeypatch.setattr(
        "callbacks.sms.delivery.Telephony", functools.partial(Telephony, timeout=0.2)
    )
    monkeypatch.setattr("callbacks.sms.jobs.get_current_job", _job_without_retries)
    fake_twilio.answer_late_next(1.0)
    with pytest.raises(UnansweredTelephonyError):
        send_message(message.id)
    (stored,) = outbound(db_session)
    assert stored.status == "sending"  # neither failed (it may have gone) nor pending
    later_job = f"sms-{message.id}-{int((sms_clock.now + SETTLE).timestamp())}"
    assert later_job in scheduled_ids(jobs_runtime.redis)


class _LastRetry:
    retries_left = 0
    id = "sms-last"


def _job_without_retries() -> _LastRetry:
    return _LastRetry()


def mark_sending(db_session, message_id: int, at, attempts: int = 1) -> Message:
    """Leave a message as a worker that died after committing its attempt leaves it."""
    row = db_session.get(Message, message_id)
    row.status, row.attempts = "sending", attempts
    row.attempt_key, row.attempt_started_at = "0123456789abcdef", at
    db_session.commit()
    return row


def test_the_same_text_sent_earlier_is_not_taken_for_the_lost_attempt(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    call = make_answered_call(db_session)
    body = "【12348法律服务】值班人员稍后给您回电。"  # every notice has this text
    first = notice(db_session, jobs_runtime, call.caller_id, "notice:1", sms_clock.now)
    work(jobs_runtime.redis)
    first_sid = outbound(db_session)[0].twilio_sid
    fake_twilio.add_message(CITIZEN, HOTLINE, body, sms_clock.now - timedelta(hours=1))
    sms_clock.advance(60)
    second = notice(db_session, jobs_runtime, call.caller_id, "notice:2", sms_clock.now)
    jobs_runtime.redis.flushdb()  # its job is lost, as a dead worker leaves it
    mark_sending(db_session, second.id, sms_clock.now)
    sms_clock.advance(SETTLE.total_seconds())

    assert send_message(second.id) is not None
    assert len(fake_twilio.messages) == 3  # the hour-old one, the first and the second
    stored = {m.id: m for m in outbound(db_session)}
    assert stored[first.id].twilio_sid == first_sid
    assert stored[second.id].twilio_sid not in (None, first_sid)
    assert stored[second.id].attempts == 2


def test_a_message_found_failed_at_twilio_is_recorded_failed(
    db_session, jobs_runtime, fake_twilio, sms_clock, message
):
    mark_sending(db_session, message.id, sms_clock.now)
    sid = fake_twilio.add_message(CITIZEN, HOTLINE, message.body, sms_clock.now, "undelivered")
    sms_clock.advance(30)
    assert send_message(message.id) == sid
    (stored,) = outbound(db_session)
    assert (stored.twilio_sid, stored.status) == (sid, "undelivered")
    assert sms_requests(fake_twilio) == []


def test_an_unanswered_message_out_of_attempts_and_not_at_twilio_fails_unsent(
    db_session, jobs_runtime, fake_twilio, sms_clock, message
):
    mark_sending(db_session, message.id, sms_clock.now, attempts=6)  # 1 + five retries
    sms_clock.advance(SETTLE.total_seconds())
    assert send_message(message.id) is None
    (stored,) = outbound(db_session)
    assert (stored.status, stored.error_message) == ("failed", NEVER_ANSWERED_ERROR)
    assert sms_requests(fake_twilio) == []


def test_a_failed_lookup_sends_nothing_and_fails_the_job(
    db_session, jobs_runtime, fake_twilio, sms_clock, message
):
    mark_sending(db_session, message.id, sms_clock.now)
    sms_clock.advance(SETTLE.total_seconds())
    fake_twilio.fail_next(1, status=503, code=20503, message="Service Unavailable")
    with pytest.raises(Exception, match="Service Unavailable"):
        send_message(message.id)
    assert sms_requests(fake_twilio) == []
    assert outbound(db_session)[0].status == "sending"


def test_a_worker_start_finishes_a_message_left_sending_only_once_its_job_is_gone(
    db_session, jobs_runtime, fake_twilio, sms_clock, message
):
    redis = jobs_runtime.redis
    run_crashing_worker(jobs_runtime, fake_twilio, sms_clock.now, "after-accept")
    assert resume_outbox(jobs_runtime) == 0  # RQ still has the job as started: it is live
    assert Queue("default", connection=redis).job_ids == []

    redis.flushdb()  # Redis lost: the job is gone, the row still says sending
    sms_clock.advance(3600)
    assert resume_outbox(jobs_runtime) == 1
    assert Queue("default", connection=redis).job_ids == [f"sms-{message.id}"]
    work(redis)

    assert len(sms_requests(fake_twilio)) == 1
    (sid,) = fake_twilio.messages
    assert outbound(db_session)[0].twilio_sid == sid
    assert resume_outbox(jobs_runtime) == 0
