"""Calls through routing end to end: the fake Twilio API, the router and a TwiML-following caller.

Each test queues calls as the IVR does (routing.handoff.enqueue, then commit), lets the caller
follow the <Enqueue>, runs the router one cycle at a time on a manual clock and follows the
router's redirect (a Calls update recorded by the fake Twilio API) through connect, the agent's
whisper and the dial result.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.models import CallbackRequest, Voicemail
from routing.state import RoutingState
from tests.routing.helpers import (
    add_agent,
    agent_row,
    call_row,
    event_kinds,
    follow_offer,
    queue_call,
    redirects,
    start_talk,
    token_for,
    waiting_call,
)


def test_a_caller_is_matched_in_region_talks_and_the_agent_wraps_up(
    runtime, db_session, client, fake_twilio, router, routing_clock, routing_caller
):
    harbin = add_agent(db_session, "harbin1", "harbin", contact="+8613900000001")
    add_agent(db_session, "qiqihar1", "qiqihar", contact="+8613900000002")
    row = queue_call(
        db_session, runtime.redis, region="harbin", topic="婚姻家庭", group="1", now=routing_clock()
    )
    call = waiting_call(routing_caller, row)
    assert "预计等待约" in call.heard_text

    report = router.run_once()

    assert report.offered == 1
    url = redirects(fake_twilio, row.call_sid)[0]
    assert url.startswith("http://localhost/queue/connect?offer=")
    follow_offer(call, fake_twilio, "accept")
    assert call.dials[0]["target"] == "+8613900000001"
    assert call.dials[0]["attrs"]["answerOnBridge"] == "true"
    assert call.dials[0]["attrs"]["timeout"] == "20"
    assert routing_caller.whispers == ["法律咨询，婚姻家庭，哈尔滨。按1接听。"]
    assert call.ended == ("hangup",)  # the talk is over: the survey, then goodbye

    stored = call_row(db_session, row.call_sid)
    # The agent hung up first: the caller is in the phone survey while the agent wraps up.
    assert (stored.stage, stored.agent_id) == ("survey", harbin.id)
    assert stored.answered_at is not None and stored.wait_seconds is not None
    assert [k for k in event_kinds(db_session, row.call_sid) if k != "ivr_survey"] == [
        "enqueued", "offered", "answered", "talk_ended",
    ]  # fmt: skip
    state = RoutingState(runtime.redis)
    assert state.agent(harbin.id).live == "wrap_up"
    assert state.caller(row.call_sid) is None

    routing_clock.advance(router.config.wrap_up_seconds)
    assert router.run_once().wraps_ended == 1
    assert state.agent(harbin.id).live == "idle"
    assert event_kinds(db_session, row.call_sid)[-1] == "wrap_up_done"

    call.hangup()
    stored = call_row(db_session, row.call_sid)
    assert (stored.stage, stored.outcome) == ("ended", "answered")


def test_a_caller_overflows_to_a_neighbour_after_the_configured_wait(
    runtime, db_session, fake_twilio, router, routing_clock, routing_caller
):
    add_agent(db_session, "harbin1", "harbin", status="break")  # on duty at home, but on break
    suihua = add_agent(db_session, "suihua1", "suihua", contact="+8613900000003")
    row = queue_call(db_session, runtime.redis, region="harbin", now=routing_clock())
    call = waiting_call(routing_caller, row)
    after = router.config.overflow_to_neighbours_after_seconds

    assert router.run_once().offered == 0
    routing_clock.advance(after - 1)
    assert router.run_once().offered == 0
    routing_clock.advance(1)
    report = router.run_once()

    assert (report.overflows, report.offered) == (1, 1)
    follow_offer(call, fake_twilio, "accept")
    assert call.dials[0]["target"] == "+8613900000003"
    assert call_row(db_session, row.call_sid).agent_id == suihua.id
    assert event_kinds(db_session, row.call_sid)[:4] == [
        "enqueued",
        "overflow",
        "offered",
        "answered",
    ]


def test_then_the_province_pool_after_its_longer_wait(
    runtime, db_session, fake_twilio, router, routing_clock, routing_caller
):
    add_agent(db_session, "harbin1", "harbin", status="break")
    pool = add_agent(db_session, "pool1", "province", contact="client:pool1")
    row = queue_call(db_session, runtime.redis, region="harbin", now=routing_clock())
    call = waiting_call(routing_caller, row)
    config = router.config

    routing_clock.advance(config.overflow_to_neighbours_after_seconds)
    assert router.run_once().offered == 0  # no neighbour on duty
    routing_clock.advance(
        config.overflow_to_province_after_seconds - config.overflow_to_neighbours_after_seconds
    )
    assert router.run_once().offered == 1

    follow_offer(call, fake_twilio, "accept")
    assert (call.dials[0]["kind"], call.dials[0]["target"]) == ("Client", "pool1")
    assert call_row(db_session, row.call_sid).agent_id == pool.id
    overflow = [e for e in call_row(db_session, row.call_sid).events if e.kind == "overflow"]
    assert [e.data["to"] for e in overflow] == ["neighbours", "province"]


def test_a_skill_nobody_covers_in_the_region_goes_to_the_province_pool_at_once(
    runtime, db_session, fake_twilio, router, routing_clock, routing_caller
):
    add_agent(db_session, "harbin1", "harbin", skills=("consultation", "1"))
    pool = add_agent(db_session, "pool1", "province", skills=("mediation", "4"), role="mediator")
    row = queue_call(
        db_session, runtime.redis, region="harbin", service="mediation", group="4",
        topic="房产纠纷", now=routing_clock(),
    )  # fmt: skip
    call = waiting_call(routing_caller, row)

    assert router.run_once().offered == 1

    follow_offer(call, fake_twilio, "accept")
    assert call_row(db_session, row.call_sid).agent_id == pool.id
    assert routing_caller.whispers == ["人民调解，房产纠纷，哈尔滨。按1接听。"]


def test_a_priority_caller_overtakes_callers_who_waited_longer(
    runtime, db_session, client, fake_twilio, router, routing_clock, routing_caller
):
    agent = add_agent(db_session, "harbin1", "harbin", status="break")
    first = queue_call(db_session, runtime.redis, now=routing_clock())
    routing_clock.advance(10)
    second = queue_call(db_session, runtime.redis, now=routing_clock())
    routing_clock.advance(10)
    green = queue_call(db_session, runtime.redis, priority=1, now=routing_clock())
    assert router.run_once().offered == 0

    token = token_for(db_session, agent)
    response = client.put(
        "/api/agents/me/status",
        json={"status": "available"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert router.run_once().offered == 1

    assert redirects(fake_twilio, green.call_sid)
    assert not redirects(fake_twilio, first.call_sid) and not redirects(
        fake_twilio, second.call_sid
    )
    call = waiting_call(routing_caller, green)
    follow_offer(call, fake_twilio, "accept")
    assert routing_caller.whispers == ["绿色通道来电，法律咨询，婚姻家庭，哈尔滨。按1接听。"]


@pytest.mark.parametrize("miss", ["no_answer", "no_key", "decline"])
def test_an_agent_who_misses_is_paused_and_the_caller_is_next_for_another_agent(
    runtime, db_session, client, fake_twilio, router, routing_clock, routing_caller, miss
):
    missing = add_agent(db_session, "agent_x", "harbin", contact="+8613900000011")
    other = add_agent(db_session, "agent_y", "harbin", contact="+8613900000012", status="break")
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    routing_clock.advance(5)
    later = queue_call(db_session, runtime.redis, now=routing_clock())
    call = waiting_call(routing_caller, row)
    assert router.run_once().offered == 1
    assert redirects(fake_twilio, row.call_sid) and not redirects(fake_twilio, later.call_sid)

    follow_offer(call, fake_twilio, miss)

    assert call.ended == ("queue", "hotline-harbin")  # back in line, not dropped
    assert "正在为您转接其他值班人员" in call.heard_text
    assert agent_row(db_session, missing.id).paused_at is not None
    state = RoutingState(runtime.redis)
    assert state.agent(missing.id).paused
    assert state.queue_order("harbin") == [row.call_sid, later.call_sid]
    assert event_kinds(db_session, row.call_sid)[-2:] == ["agent_missed", "requeued"]
    routing_clock.advance(5)
    green = queue_call(db_session, runtime.redis, priority=1, now=routing_clock())
    assert router.run_once().offered == 0  # the paused agent is not offered more calls

    token = token_for(db_session, other)
    headers = {"Authorization": f"Bearer {token}"}
    client.put("/api/agents/me/status", json={"status": "available"}, headers=headers)
    assert router.run_once().offered == 1
    follow_offer(call, fake_twilio, "accept")  # the missed caller first, even before green
    assert call_row(db_session, row.call_sid).agent_id == other.id
    assert call.dials[-1]["target"] == "+8613900000012"

    # The paused agent comes back by choosing available; they get the next caller (green).
    token = token_for(db_session, missing)
    answer = client.put(
        "/api/agents/me/status",
        json={"status": "available"},
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    assert answer["paused"] is False and answer["status"] == "available"
    assert agent_row(db_session, missing.id).paused_at is None
    assert router.run_once().offered == 1
    assert redirects(fake_twilio, green.call_sid)


def test_a_caller_who_hangs_up_while_queued_is_removed_and_counted_abandoned(
    runtime, db_session, router, routing_clock, routing_caller, fake_twilio
):
    agent = add_agent(db_session, "harbin1", "harbin", status="break")
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    call = waiting_call(routing_caller, row)
    routing_clock.advance(42)

    call.hangup()

    state = RoutingState(runtime.redis)
    assert state.caller(row.call_sid) is None
    assert state.queue_order("harbin") == []
    stored = call_row(db_session, row.call_sid)
    assert (stored.stage, stored.outcome, stored.hangup_stage) == ("ended", "abandoned", "queued")
    assert stored.wait_seconds == 42
    left = [e for e in stored.events if e.kind == "queue_left"]
    assert left[0].data["result"] == "hangup" and left[0].data["stage"] == "queued"
    state.set_status(agent.id, "available", True, 0)
    assert router.run_once().offered == 0


def test_a_caller_who_hangs_up_while_the_agent_rings_frees_the_agent_unpaused(
    runtime, db_session, router, routing_clock, routing_caller, fake_twilio
):
    agent = add_agent(db_session, "harbin1", "harbin")
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    call = waiting_call(routing_caller, row)
    assert router.run_once().offered == 1

    call.hangup()  # before Twilio fetched the connect TwiML
    fake_twilio.set_call_status(row.call_sid, "completed")

    live = RoutingState(runtime.redis).agent(agent.id)
    assert (live.live, live.paused) == ("idle", False)
    stored = call_row(db_session, row.call_sid)
    assert (stored.outcome, stored.hangup_stage) == ("abandoned", "ringing")
    assert "offer_cancelled" in event_kinds(db_session, row.call_sid)


def test_choosing_a_call_back_in_the_queue_records_it_and_releases_the_caller(
    runtime, db_session, router, routing_clock, routing_caller
):
    add_agent(db_session, "harbin1", "harbin", status="break")
    row = queue_call(db_session, runtime.redis, priority=1, now=routing_clock())
    call = waiting_call(routing_caller, row)
    assert "按1改为回电" not in call.heard_text  # not offered before the caller waited a while
    routing_clock.advance(45)

    call.wait(inputs=["1"], queue_time=45)

    assert "按1改为回电" in call.heard_text
    assert call.ended == ("hangup",)
    assert "已为您登记回电" in call.heard_text
    request = db_session.scalars(select(CallbackRequest)).one()
    stored = call_row(db_session, row.call_sid)
    assert (request.source, request.status, request.phone) == ("queue", "pending", row.from_number)
    assert request.priority == 1 and request.call_id == stored.id
    assert request.created_at == stored.queued_at  # keeps the caller's place in line
    assert (stored.stage, stored.outcome, stored.wait_seconds) == ("ended", "callback", 45)
    assert RoutingState(runtime.redis).caller(row.call_sid) is None
    assert event_kinds(db_session, row.call_sid)[-2:] == ["callback_requested", "queue_left"]


def test_with_nobody_on_duty_the_caller_is_offered_voicemail_at_once(
    runtime, db_session, router, routing_clock, routing_caller
):
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    call = waiting_call(routing_caller, row)
    router.run_once()

    call.wait()  # no key: voicemail

    assert "目前没有可以接听的值班人员" in call.heard_text
    assert call.ended == ("record",)
    voicemail = db_session.scalars(select(Voicemail)).one()
    stored = call_row(db_session, row.call_sid)
    assert (voicemail.call_id, voicemail.region, voicemail.status) == (
        stored.id,
        "harbin",
        "pending",
    )
    assert (stored.stage, stored.outcome) == ("voicemail", "voicemail")
    assert RoutingState(runtime.redis).caller(row.call_sid) is None


def test_after_the_maximum_wait_the_caller_may_choose_a_call_back(
    runtime, db_session, router, routing_clock, routing_caller, fake_twilio
):
    add_agent(db_session, "harbin1", "harbin")
    busy = queue_call(db_session, runtime.redis, now=routing_clock())
    router.run_once()
    start_talk(routing_caller, busy.call_sid, redirects(fake_twilio, busy.call_sid)[0])
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    call = waiting_call(routing_caller, row)
    max_wait = router.config.max_wait_seconds

    routing_clock.advance(max_wait - 10)
    router.run_once()
    call.wait(queue_time=max_wait - 10)
    assert "让您久等了" not in call.heard_text
    pauses = [int(p) for p in re.findall(r"<Pause length=\"(\d+)\"", call.last_twiml)]
    assert pauses and max(pauses) <= 10  # the next announcement comes by the maximum wait

    routing_clock.advance(10)
    call.wait(inputs=["1"], queue_time=max_wait)

    assert "让您久等了" in call.heard_text
    assert call.ended == ("hangup",)
    assert db_session.scalars(select(CallbackRequest)).one().source == "queue"
