"""Follow-up work whose job was lost with Redis is queued again when the worker starts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select

from callbacks.lifecycle import STEP_FAILED, enqueue_redo
from callbacks.queues import HIGH
from callbacks.resume import resume_followups, resume_sms_surveys
from callbacks.sms.jobs import enqueue_followup, followup_job_id
from callbacks.sms.outbox import enqueue_send
from callbacks.surveys.sms_survey import enqueue_sms_survey, open_sms_survey, sms_survey_job_id
from hotline.calls import add_event
from hotline.models import Call, CallbackAttempt, CallbackRequest, Survey
from tests.callbacks.sms.sms_support import (
    CITIZEN,
    MORNING,
    make_answered_call,
    make_consultation,
    outbound,
    scheduled_ids,
    sms_requests,
    work,
)
from tests.callbacks.sms.test_sending import notice

DELAY = timedelta(minutes=10)


def queued(redis_client) -> list[str]:
    return Queue("default", connection=redis_client).job_ids


def test_a_consultation_without_its_followup_gets_the_job_again_once(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    call = make_answered_call(db_session)
    consultation = make_consultation(db_session, call)
    consultation.created_at = MORNING - timedelta(hours=1)
    old = make_consultation(db_session, make_answered_call(db_session, sid="CA" + "7" * 32))
    old.created_at = MORNING - timedelta(days=30)  # long past: not resent
    db_session.commit()
    redis = jobs_runtime.redis

    assert resume_followups(db_session, redis, MORNING) == 1
    assert resume_followups(db_session, redis, MORNING) == 0  # still queued: none missing
    assert queued(redis) == [followup_job_id(consultation.id)]
    work(redis)
    assert [m.consultation_id for m in outbound(db_session, "followup")] == [consultation.id]
    assert len(sms_requests(fake_twilio, CITIZEN)) == 1
    assert resume_followups(db_session, redis, MORNING) == 0  # its message exists now


def test_an_answered_call_without_its_survey_sms_gets_the_job_after_the_delay(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    call = make_answered_call(db_session)
    call.started_at = MORNING - timedelta(minutes=30)
    call.ended_at = MORNING - timedelta(minutes=20)
    recent = make_answered_call(db_session, sid="CA" + "8" * 32)
    recent.ended_at = MORNING - timedelta(minutes=2)  # its delay has not passed yet
    db_session.commit()
    redis = jobs_runtime.redis

    assert resume_sms_surveys(db_session, redis, MORNING, DELAY) == 1
    assert queued(redis) == [sms_survey_job_id(call.id)]
    work(redis)
    db_session.rollback()  # see the job's commit
    assert [s.call_id for s in db_session.scalars(select(Survey))] == [call.id]
    assert [m.call_id for m in outbound(db_session, "survey")] == [call.id]
    assert resume_sms_surveys(db_session, redis, MORNING, DELAY) == 0


def ended_call(db_session, sid: str, phone: str = CITIZEN) -> Call:
    """An answered call that ended while talking 20 minutes ago (its survey delay is over)."""
    call = make_answered_call(db_session, phone=phone, sid=sid)
    call.started_at = MORNING - timedelta(minutes=30)
    call.ended_at = MORNING - timedelta(minutes=20)
    db_session.commit()
    return call


def test_a_worker_start_queues_no_survey_for_calls_rated_by_phone_or_otherwise_done(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    rated = [ended_call(db_session, sid=f"CA{n:032x}") for n in range(20)]
    db_session.add_all(
        Survey(call_id=call.id, caller_id=call.caller_id, channel="ivr", rating=4) for call in rated
    )
    unrated = ended_call(db_session, sid="CA" + "a" * 32)
    left_the_phone_survey = ended_call(db_session, sid="CA" + "b" * 32)
    db_session.add(Survey(call_id=left_the_phone_survey.id, channel="ivr", rating=None))
    opted_out = ended_call(db_session, sid="CA" + "c" * 32, phone="+8613936000001")
    opted_out.caller.sms_opted_out_at = MORNING - timedelta(days=1)
    no_agent = ended_call(db_session, sid="CA" + "d" * 32)  # a call-back no agent joined
    no_agent.direction = "outbound"
    request = CallbackRequest(phone=CITIZEN, source="voicemail", region="harbin")
    db_session.add(request)
    db_session.flush()
    db_session.add(
        CallbackAttempt(request_id=request.id, call_sid=no_agent.call_sid, outcome="no_answer")
    )
    db_session.commit()
    redis = jobs_runtime.redis

    assert resume_sms_surveys(db_session, redis, MORNING, DELAY) == 2
    owed = {sms_survey_job_id(unrated.id), sms_survey_job_id(left_the_phone_survey.id)}
    assert set(queued(redis)) == owed
    # What the start leaves out is exactly what the survey job would have done nothing for.
    for call in [*rated, opted_out, no_agent]:
        assert open_sms_survey(db_session, redis, call.id, MORNING, jobs_runtime.settings) is None
    db_session.rollback()
    work(redis)
    assert sorted(m.call_id for m in outbound(db_session, "survey")) == sorted(
        [unrated.id, left_the_phone_survey.id]
    )


def test_a_worker_start_queues_no_followup_the_job_would_not_send(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    opted_out = ended_call(db_session, sid="CA" + "e" * 32, phone="+8613936000002")
    opted_out.caller.sms_opted_out_at = MORNING - timedelta(days=1)
    make_consultation(db_session, opted_out)
    owed = make_consultation(db_session, ended_call(db_session, sid="CA" + "f" * 32))
    jobs_runtime.redis.flushdb()
    assert resume_followups(db_session, jobs_runtime.redis, MORNING) == 1
    assert queued(jobs_runtime.redis) == [followup_job_id(owed.id)]


def live(job: Job, status: str) -> Job:
    """Put an enqueued job into one of the states in which it will still run."""
    if status != "queued":
        job.set_status(JobStatus(status))
    return job


@pytest.mark.parametrize("status", ["queued", "scheduled", "started", "deferred"])
def test_a_worker_start_leaves_every_job_that_still_lives_alone(
    db_session, jobs_runtime, fake_twilio, sms_clock, status
):
    from hotline.cli.processes import resume_outbox

    survey_call = ended_call(db_session, sid="CA" + "1" * 32)
    consulted = ended_call(db_session, sid="CA" + "2" * 32)
    consultation = make_consultation(db_session, consulted)
    message = notice(db_session, jobs_runtime, survey_call.caller_id, "notice:live", MORNING)
    failed = ended_call(db_session, sid="CA" + "3" * 32)
    add_event(db_session, failed, STEP_FAILED, step="leave_routing", stage="talking")
    db_session.add_all(  # rated by phone: only the first call is owed a survey
        Survey(call_id=call.id, channel="ivr", rating=5) for call in (consulted, failed)
    )
    db_session.commit()
    redis = jobs_runtime.redis
    redis.flushdb()
    jobs = [
        live(enqueue_sms_survey(redis, survey_call.id, timedelta(0)), status),
        live(enqueue_followup(redis, consultation.id), status),
        live(enqueue_send(redis, message.id, timedelta(0), (10,)), status),
        live(enqueue_redo(redis, failed.id, "leave_routing", "talking", MORNING), status),
    ]
    before = {job.id: (job.enqueued_at, job.get_status()) for job in jobs}

    assert resume_outbox(jobs_runtime) == 0

    after = {job.id: (job.enqueued_at, job.get_status()) for job in map(fetch(redis), jobs)}
    assert after == before
    assert len(queued(redis)) == 3 and Queue(HIGH, connection=redis).count == 1  # no more


def fetch(redis_client):
    return lambda job: Job.fetch(job.id, connection=redis_client)


def test_a_worker_start_queues_again_the_jobs_that_ended(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    from hotline.cli.processes import resume_outbox

    survey_call = ended_call(db_session, sid="CA" + "4" * 32)
    redis = jobs_runtime.redis
    redis.flushdb()
    job = enqueue_sms_survey(redis, survey_call.id, timedelta(0))
    job.set_status(JobStatus.FAILED)  # it ran and failed for good: the survey is still owed

    assert resume_outbox(jobs_runtime) == 1
    assert Job.fetch(job.id, connection=redis).get_status() == JobStatus.QUEUED


def test_a_worker_start_leaves_a_deferred_send_alone(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    from hotline.cli.processes import resume_outbox

    call = make_answered_call(db_session)
    for n in range(7):  # the limit is 6 an hour: the seventh waits for the next window
        notice(db_session, jobs_runtime, call.caller_id, f"notice:{n}", sms_clock.now)
    work(jobs_runtime.redis)
    late = outbound(db_session)[-1]
    deferred = [f"sms-{late.id}-{int(late.scheduled_for.timestamp())}"]
    assert scheduled_ids(jobs_runtime.redis) == deferred

    assert resume_outbox(jobs_runtime) == 0
    assert scheduled_ids(jobs_runtime.redis) == deferred and queued(jobs_runtime.redis) == []
