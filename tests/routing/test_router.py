"""The router's handling of telephony failures, vanished callers and offers never confirmed."""

from __future__ import annotations

from routing.state import RoutingState
from tests.routing.helpers import add_agent, agent_row, call_row, event_kinds, queue_call, redirects


def test_a_retryable_redirect_failure_undoes_the_offer_and_retries_later(
    runtime, db_session, fake_twilio, router, routing_clock
):
    agent = add_agent(db_session, "a1", "harbin")
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    fake_twilio.fail_next(1, status=503, code=20503, message="Service Unavailable")

    report = router.run_once()

    assert (report.offered, report.failed) == (0, 1)
    state = RoutingState(runtime.redis)
    assert state.caller(row.call_sid).state == "waiting"
    assert (state.agent(agent.id).live, state.agent(agent.id).paused) == ("idle", False)
    assert call_row(db_session, row.call_sid).stage == "queued"
    assert event_kinds(db_session, row.call_sid)[-2:] == ["offered", "offer_failed"]
    assert router.run_once().offered == 0  # not again before retry_after_seconds
    routing_clock.advance(router.config.retry_after_seconds)
    assert router.run_once().offered == 1
    assert len(redirects(fake_twilio, row.call_sid)) == 2


def test_a_caller_whose_call_is_gone_is_dropped_and_the_agent_freed(
    runtime, db_session, fake_twilio, router, routing_clock
):
    agent = add_agent(db_session, "a1", "harbin")
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    fake_twilio.set_call_status(row.call_sid, "completed")  # hung up; no callback seen yet

    report = router.run_once()

    assert (report.offered, report.gone) == (0, 1)
    state = RoutingState(runtime.redis)
    assert state.caller(row.call_sid) is None and state.agent(agent.id).live == "idle"
    stored = call_row(db_session, row.call_sid)
    assert (stored.stage, stored.outcome, stored.hangup_stage) == ("ended", "abandoned", "ringing")


def test_an_offer_twilio_never_confirms_expires_and_the_caller_goes_first_again(
    runtime, db_session, fake_twilio, router, routing_clock
):
    agent = add_agent(db_session, "a1", "harbin")
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    router.run_once()
    routing_clock.advance(router.config.offer_connect_timeout_seconds)

    report = router.run_once()

    assert report.expired == 1 and report.offered == 1  # back in line, offered again at once
    assert agent_row(db_session, agent.id).paused_at is None  # not the agent's fault
    assert "offer_expired" in event_kinds(db_session, row.call_sid)
    assert len(redirects(fake_twilio, row.call_sid)) == 2


def test_a_queued_call_missing_from_redis_is_restored_by_the_router(
    runtime, db_session, fake_twilio, router, routing_clock
):
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    router.run_once()
    runtime.redis.delete(f"hotline:caller:{row.call_sid}", "hotline:queue:harbin")
    routing_clock.advance(router.config.reconcile_seconds)

    assert router.run_once().restored == 1
    assert RoutingState(runtime.redis).queue_order("harbin") == [row.call_sid]


def test_a_shift_that_ends_takes_the_agent_out_of_routing(
    runtime, db_session, fake_twilio, router, routing_clock
):
    add_agent(db_session, "a1", "harbin")
    routing_clock.advance(9 * 3600)  # the test shift ends 8 hours after it began
    queue_call(db_session, runtime.redis, now=routing_clock())
    router.refresh_roster()
    assert router.run_once().offered == 0
