"""The SMS survey after an answered call, and the replies to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from callbacks.sms.review import unmatched_replies
from callbacks.surveys.sms_survey import send_sms_survey, sms_survey_job_id
from hotline import clock
from hotline.models import ReturnVisit, Survey
from tests.callbacks.sms.sms_support import (
    CITIZEN,
    inbound,
    make_answered_call,
    outbound,
    scheduled_ids,
    sms_from,
    sms_requests,
    work,
)
from tests.conftest import AUTH_TOKEN
from tests.console_support import make_call, make_staff
from tests.harness.signing import call_params, signed_post


def surveys(db_session) -> list[Survey]:
    db_session.rollback()
    db_session.expire_all()
    return list(db_session.scalars(select(Survey).order_by(Survey.id)))


@pytest.fixture
def surveyed(db_session, jobs_runtime, sms_clock):
    """An answered call whose caller hung up without rating, its survey SMS sent."""
    call = make_answered_call(db_session)
    assert send_sms_survey(call.id) is not None
    work(jobs_runtime.redis)
    return call


def test_hanging_up_while_talking_queues_the_survey_after_the_delay(client, db_session):
    staff = make_staff(db_session)
    call = make_call(db_session, staff.agent(db_session, staff.li), stage="talking")
    params = call_params(call.call_sid, CallStatus="completed", CallDuration="95")
    before = clock.now()
    assert signed_post(client, "/voice/status", params, AUTH_TOKEN).status_code == 200
    redis = client.application.extensions["hotline.runtime"].redis
    assert scheduled_ids(redis) == [sms_survey_job_id(call.id)]
    job = Job.fetch(sms_survey_job_id(call.id), connection=redis)
    assert job.func_name == "callbacks.surveys.sms_survey.send_sms_survey" and job.args == (
        call.id,
    )
    at = ScheduledJobRegistry("default", connection=redis).get_scheduled_time(job)
    assert timedelta(seconds=599) <= at - before <= timedelta(seconds=610)


def test_hanging_up_in_the_queue_or_the_ivr_queues_no_survey(client, db_session):
    for stage in ("queued", "ivr"):
        call = make_call(db_session, None, stage=stage)
        params = call_params(call.call_sid, CallStatus="completed")
        assert signed_post(client, "/voice/status", params, AUTH_TOKEN).status_code == 200
    redis = client.application.extensions["hotline.runtime"].redis
    assert scheduled_ids(redis) == []


def test_the_survey_sms_goes_once_and_opens_an_unrated_survey(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    call = make_answered_call(db_session)
    first = send_sms_survey(call.id)
    assert send_sms_survey(call.id) == first
    work(jobs_runtime.redis)
    (sent,) = sms_requests(fake_twilio)
    assert sent.form["To"] == CITIZEN and "回复数字1-5" in sent.form["Body"]
    (survey,) = surveys(db_session)
    assert (survey.channel, survey.call_id, survey.caller_id, survey.rating) == (
        "sms",
        call.id,
        call.caller_id,
        None,
    )
    assert survey.region == "harbin" and survey.created_at == sms_clock.now
    (message,) = outbound(db_session)
    assert (message.kind, message.survey_id, message.id) == ("survey", survey.id, first)
    assert message.idempotency_key == f"survey:{call.id}"


def test_no_survey_sms_after_a_phone_rating_a_missed_call_or_a_withheld_number(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    rated = make_answered_call(db_session)
    db_session.add(Survey(call_id=rated.id, channel="ivr", rating=5))
    missed = make_answered_call(db_session)
    missed.answered_at = None
    withheld = make_answered_call(db_session, phone="anonymous")
    db_session.commit()
    for call in (rated, missed, withheld):
        assert send_sms_survey(call.id) is None
    assert send_sms_survey(999999) is None
    work(jobs_runtime.redis)
    assert sms_requests(fake_twilio) == []
    assert [s.channel for s in surveys(db_session)] == ["ivr"]


@pytest.mark.parametrize(("reply", "rating"), [("5", 5), ("５", 5), ("满意", 4)])
def test_a_rating_reply_rates_the_survey_and_is_thanked_once(
    client, db_session, jobs_runtime, fake_twilio, sms_clock, surveyed, reply, rating
):
    sms_clock.advance(3600)
    sms_from(client, reply, "SM" + "a" * 32)
    sms_from(client, reply, "SM" + "a" * 32)  # Twilio retried the webhook
    work(jobs_runtime.redis)
    (survey,) = surveys(db_session)
    assert (survey.rating, survey.rated_at, survey.raw_reply) == (rating, sms_clock.now, reply)
    (message,) = inbound(db_session)
    assert (message.reply_kind, message.survey_id, message.body) == ("rating", survey.id, reply)
    thanks = outbound(db_session, "survey_thanks")
    assert [(m.survey_id, m.status) for m in thanks] == [(survey.id, "queued")]
    assert len(sms_requests(fake_twilio)) == 2  # the survey and the thanks
    assert db_session.scalars(select(ReturnVisit)).all() == []


def test_a_dissatisfied_reply_opens_a_return_visit_due_one_working_day_later(
    client, db_session, jobs_runtime, sms_clock, surveyed
):
    sms_from(client, "不满意", "SM" + "b" * 32)
    (survey,) = surveys(db_session)
    assert survey.rating == 2
    (task,) = db_session.scalars(select(ReturnVisit)).all()
    assert (task.survey_id, task.call_id, task.rating, task.status) == (
        survey.id,
        surveyed.id,
        2,
        "open",
    )
    # Thursday 10:00 in Shanghai: due Friday 10:00.
    assert task.due_at == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_an_unmatched_reply_is_kept_for_supervisors_and_answered_once(
    client, db_session, jobs_runtime, fake_twilio, sms_clock, surveyed
):
    sms_from(client, "ok", "SM" + "c" * 32)
    sms_from(client, "ok", "SM" + "d" * 32)  # sent twice
    work(jobs_runtime.redis)
    replies = inbound(db_session)
    assert [(m.body, m.reply_kind, m.reviewed_at) for m in replies] == [
        ("ok", "unmatched", None),
        ("ok", "unmatched", None),
    ]
    (survey,) = surveys(db_session)
    assert survey.rating is None and {m.survey_id for m in replies} == {survey.id}
    assert [m.id for m in unmatched_replies(db_session)] == [m.id for m in reversed(replies)]
    (help_message,) = outbound(db_session, "reply_help")
    assert help_message.status == "queued" and "1-5" in help_message.body
    assert len(sms_requests(fake_twilio)) == 2  # the survey and one polite answer

    replies[0].reviewed_at = sms_clock.now
    db_session.commit()
    assert [m.id for m in unmatched_replies(db_session)] == [replies[1].id]


def test_a_rating_without_an_open_survey_is_shown_to_supervisors_not_applied(
    client, db_session, jobs_runtime, sms_clock, surveyed
):
    sms_from(client, "4", "SM" + "e" * 32)
    sms_from(client, "1", "SM" + "f" * 32)  # the survey is rated already
    sms_clock.advance(8 * 86400)
    other = make_answered_call(db_session, phone="+8613936000009")
    send_sms_survey(other.id)
    sms_clock.advance(8 * 86400)  # past the seven-day reply window
    sms_from(client, "2", "SM" + "1" * 32, phone="+8613936000009")
    ratings = [s.rating for s in surveys(db_session)]
    assert ratings == [4, None]
    assert [(m.body, m.reply_kind) for m in inbound(db_session)] == [
        ("4", "rating"),
        ("1", "unmatched"),
        ("2", "unmatched"),
    ]
    assert db_session.scalars(select(ReturnVisit)).all() == []
    assert len(outbound(db_session, "survey_thanks")) == 1


def test_a_call_back_is_surveyed_only_when_the_agent_came_on_the_line(
    db_session, jobs_runtime, fake_twilio, sms_clock
):
    """A call-back the citizen picked up but no agent joined is not a service to rate."""
    from hotline.models import CallbackAttempt, CallbackRequest

    request = CallbackRequest(phone=CITIZEN, source="voicemail", region="harbin")
    db_session.add(request)
    db_session.commit()
    calls = {}
    for outcome in ("agent_unreachable", "connected"):
        call = make_answered_call(db_session, sid="CA" + outcome[:4].ljust(32, "0"))
        call.direction = "outbound"
        db_session.add(
            CallbackAttempt(request_id=request.id, call_sid=call.call_sid, outcome=outcome)
        )
        db_session.commit()
        calls[outcome] = call
    assert send_sms_survey(calls["agent_unreachable"].id) is None
    assert send_sms_survey(calls["connected"].id) is not None
    work(jobs_runtime.redis)
    assert [(s.call_id, s.channel) for s in surveys(db_session)] == [(calls["connected"].id, "sms")]
    assert len(sms_requests(fake_twilio, CITIZEN)) == 1
