"""Follow-up work whose job was lost with Redis is queued again when the worker starts."""

from __future__ import annotations

from datetime import timedelta

from rq import Queue
from sqlalchemy import select

from callbacks.resume import resume_followups, resume_sms_surveys
from callbacks.sms.jobs import followup_job_id
from callbacks.surveys.sms_survey import sms_survey_job_id
from hotline.models import Survey
from tests.callbacks.sms.sms_support import (
    CITIZEN,
    MORNING,
    make_answered_call,
    make_consultation,
    outbound,
    sms_requests,
    work,
)

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
    assert resume_followups(db_session, redis, MORNING) == 1  # still queued: one job
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
