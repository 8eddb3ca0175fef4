"""The call lifecycle, called directly: no Flask app context, and a failed step is redone."""

from __future__ import annotations

import pytest
import redis
from flask import has_app_context
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import select

from callbacks.lifecycle import (
    STEP_FAILED,
    STEP_REDONE,
    CallLifecycle,
    end_call,
    record_end,
    redo_job_id,
)
from callbacks.queues import HIGH, using_runtime
from callbacks.resume import resume_lifecycle_steps
from callbacks.surveys.sms_survey import sms_survey_job_id
from hotline.models import CallEvent
from routing import waiting
from routing.state import RoutingState
from tests.callbacks.sms.sms_support import scheduled_ids
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post
from tests.routing.helpers import (
    add_agent,
    call_row,
    event_kinds,
    queue_call,
    redirects,
    start_talk,
    waiting_call,
)

TALK_SECONDS = 90


@pytest.fixture
def job_runtime(runtime):
    """Jobs run in this process on the test runtime (the router keeps the fake's credentials)."""
    with using_runtime(runtime):
        yield runtime


def talking_call(db_session, runtime, fake_twilio, router, routing_clock, routing_caller):
    """A caller in region talking with the one agent on duty there; (call row, agent)."""
    agent = add_agent(db_session, "harbin1", "harbin", contact="+8613900000001")
    row = queue_call(db_session, runtime.redis, region="harbin", now=routing_clock())
    waiting_call(routing_caller, row)
    router.run_once()
    start_talk(routing_caller, row.call_sid, redirects(fake_twilio, row.call_sid)[0])
    assert RoutingState(runtime.redis).agent(agent.id).live == "talking"
    routing_clock.advance(TALK_SECONDS)
    return row, agent


def work_high(client: redis.Redis) -> None:
    """Run the high queue's jobs in this process, as a burst worker does."""
    SimpleWorker([Queue(HIGH, connection=client)], connection=client).work(burst=True)


def test_a_job_ends_a_call_with_no_app_context_freeing_the_agent_and_queueing_the_survey(
    runtime, db_session, fake_twilio, router, routing_clock, routing_caller, job_runtime
):
    row, agent = talking_call(
        db_session, runtime, fake_twilio, router, routing_clock, routing_caller
    )
    Queue(HIGH, connection=runtime.redis).enqueue(end_call, row.id, "completed")

    assert not has_app_context()
    work_high(runtime.redis)

    state = RoutingState(runtime.redis)
    assert state.caller(row.call_sid) is None
    freed = state.agent(agent.id)
    assert (freed.live, freed.call_sid) == ("wrap_up", row.call_sid)  # out of the talk
    stored = call_row(db_session, row.call_sid)
    assert (stored.stage, stored.hangup_stage, stored.outcome) == ("ended", "talking", "answered")
    assert stored.talk_seconds == TALK_SECONDS
    assert scheduled_ids(runtime.redis) == [sms_survey_job_id(row.id)]

    routing_clock.advance(router.config.wrap_up_seconds)
    router.run_once()
    assert state.agent(agent.id).live == "idle"
    assert event_kinds(db_session, row.call_sid)[-2:] == ["talk_ended", "wrap_up_done"]
    assert end_call(row.id, "completed") is False  # a second run changes nothing


def test_a_step_that_fails_is_rolled_back_alone_and_redone_by_a_job(
    client, runtime, db_session, fake_twilio, router, routing_clock, routing_caller,
    job_runtime, monkeypatch,
):  # fmt: skip
    row, agent = talking_call(
        db_session, runtime, fake_twilio, router, routing_clock, routing_caller
    )
    attempts = []
    real_caller_gone = waiting.caller_gone

    def blinking(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise redis.ConnectionError("Redis blinked")
        return real_caller_gone(*args, **kwargs)

    monkeypatch.setattr(waiting, "caller_gone", blinking)
    params = call_params(row.call_sid, CallStatus="completed", CallDuration=str(TALK_SECONDS))
    response = signed_post(client, "/voice/status", params, AUTH_TOKEN)

    assert response.status_code == 200
    stored = call_row(db_session, row.call_sid)
    assert (stored.stage, stored.outcome) == ("ended", "answered")  # the end stands
    assert RoutingState(runtime.redis).agent(agent.id).live == "talking"  # not freed yet
    failed = db_session.scalars(select(CallEvent).where(CallEvent.kind == STEP_FAILED)).one()
    assert (failed.data["step"], failed.data["stage"]) == ("leave_routing", "talking")
    assert "Redis blinked" in failed.data["error"]
    assert Queue(HIGH, connection=runtime.redis).job_ids == [redo_job_id(row.id, "leave_routing")]
    assert scheduled_ids(runtime.redis) == [sms_survey_job_id(row.id)]  # the next step ran

    work_high(runtime.redis)

    assert len(attempts) == 2
    freed = RoutingState(runtime.redis).agent(agent.id)
    assert (freed.live, freed.call_sid) == ("wrap_up", row.call_sid)
    kinds = event_kinds(db_session, row.call_sid)
    assert kinds.index(STEP_FAILED) < kinds.index("talk_ended") < kinds.index(STEP_REDONE)
    talk = db_session.scalars(select(CallEvent).where(CallEvent.kind == "talk_ended")).one()
    assert talk.at == stored.ended_at  # redone as of the hang-up, not of the redo


def test_a_redo_that_fails_again_is_retried_not_swallowed(
    client, runtime, db_session, fake_twilio, router, routing_clock, routing_caller,
    job_runtime, monkeypatch,
):  # fmt: skip
    row, _agent = talking_call(
        db_session, runtime, fake_twilio, router, routing_clock, routing_caller
    )

    def down(*args, **kwargs):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(waiting, "caller_gone", down)
    params = call_params(row.call_sid, CallStatus="completed")
    assert signed_post(client, "/voice/status", params, AUTH_TOKEN).status_code == 200

    work_high(runtime.redis)

    job = Job.fetch(redo_job_id(row.id, "leave_routing"), connection=runtime.redis)
    assert job.get_status() == "scheduled"  # RQ retries it later
    assert job.retries_left == 4
    assert STEP_REDONE not in event_kinds(db_session, row.call_sid)


def test_the_worker_requeues_a_failed_step_whose_job_was_lost(
    client, runtime, db_session, fake_twilio, router, routing_clock, routing_caller,
    job_runtime, monkeypatch,
):  # fmt: skip
    row, agent = talking_call(
        db_session, runtime, fake_twilio, router, routing_clock, routing_caller
    )
    real_caller_gone = waiting.caller_gone
    monkeypatch.setattr(waiting, "caller_gone", lambda *a, **k: 1 / 0)
    params = call_params(row.call_sid, CallStatus="completed")
    assert signed_post(client, "/voice/status", params, AUTH_TOKEN).status_code == 200
    monkeypatch.setattr(waiting, "caller_gone", real_caller_gone)
    Queue(HIGH, connection=runtime.redis).empty()  # the redo job was lost with Redis

    assert resume_lifecycle_steps(db_session, runtime.redis, routing_clock()) == 1
    assert Queue(HIGH, connection=runtime.redis).job_ids == [redo_job_id(row.id, "leave_routing")]
    work_high(runtime.redis)

    assert RoutingState(runtime.redis).agent(agent.id).live == "wrap_up"
    db_session.rollback()  # a new transaction sees the redo
    assert resume_lifecycle_steps(db_session, runtime.redis, routing_clock()) == 0


def test_the_end_of_a_call_is_recorded_once(runtime, db_session, routing_clock):
    row = queue_call(db_session, runtime.redis, region="harbin", now=routing_clock())
    routing_clock.advance(42)

    assert record_end(db_session, row, "completed", routing_clock(), "7") == "queued"
    assert record_end(db_session, row, "completed", routing_clock()) is None
    db_session.commit()

    stored = call_row(db_session, row.call_sid)
    assert (stored.stage, stored.hangup_stage, stored.outcome) == ("ended", "queued", "abandoned")
    assert stored.wait_seconds == 42  # from queued_at; QueueTime counts only without it
    CallLifecycle(runtime).call_ended(db_session, stored, "completed", routing_clock())
    assert STEP_FAILED not in event_kinds(db_session, row.call_sid)
