"""Redis lost mid-run: the routing state is rebuilt from the database, and calls carry on."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from hotline.runtime import redis_url
from routing import keys
from routing.rebuild import rebuild
from routing.state import RoutingState
from tests.routing.helpers import (
    add_agent,
    call_row,
    follow_offer,
    queue_call,
    redirects,
    start_talk,
    waiting_call,
)

# Set by the router on every full cycle, so not part of what a rebuild must bring back.
RECOMPUTED = {"nobody", "ready_agents", "retry_at_ms"}


def snapshot(client) -> dict:
    """Everything routing decisions depend on: queues in order, callers, agents, offers."""
    state = RoutingState(client)
    orders = {region: state.queue_order(region) for region in state.regions()}
    queues = {region: order for region, order in orders.items() if order}
    sids = [sid for order in queues.values() for sid in order]
    for agent in state.agents(state.agent_ids()).values():
        if agent.call_sid:
            sids.append(agent.call_sid)
    callers = {
        caller.call_sid: {k: v for k, v in vars(caller).items() if k not in RECOMPUTED}
        for caller in state.callers(sorted(set(sids)))
    }
    agents = {
        agent.agent_id: (
            agent.status, agent.paused, agent.live, agent.call_sid, agent.offer_id,
            agent.wrap_until_ms // 1000,
        )
        for agent in state.agents(state.agent_ids()).values()
    }  # fmt: skip
    offers = {}
    for caller in callers.values():
        if caller["offer_id"]:
            offer = state.offer(caller["offer_id"])
            offers[caller["offer_id"]] = (offer["sid"], offer["agent"], offer["accepted"])
    return {"queues": queues, "callers": callers, "agents": agents, "offers": offers}


def test_after_redis_is_flushed_every_caller_and_agent_state_is_rebuilt(
    runtime, db_session, fake_twilio, router, routing_clock, routing_caller
):
    now = routing_clock()
    talker = add_agent(db_session, "talker", "harbin", contact="+8613900000001", now=now)
    ringer = add_agent(db_session, "ringer", "harbin", contact="+8613900000002", now=now)
    wrapper = add_agent(db_session, "wrapper", "suihua", contact="+8613900000003", now=now)
    misser = add_agent(db_session, "misser", "daqing", contact="+8613900000004", now=now)
    add_agent(db_session, "resting", "harbin", status="break", now=now)
    add_agent(db_session, "home", "harbin", status="offline", now=now)
    redis = runtime.redis

    talking = queue_call(db_session, redis, region="harbin", now=now)
    router.run_once()
    dial_action = start_talk(
        routing_caller, talking.call_sid, redirects(fake_twilio, talking.call_sid)[0]
    )
    ringing = queue_call(db_session, redis, region="harbin", now=now)
    router.run_once()  # offered to the ringer; Twilio has not fetched the connect TwiML yet
    wrapped = queue_call(db_session, redis, region="suihua", now=now)
    router.run_once()
    follow_offer(waiting_call(routing_caller, wrapped), fake_twilio, "accept")
    missed = queue_call(db_session, redis, region="daqing", now=now)
    router.run_once()
    missed_call = follow_offer(waiting_call(routing_caller, missed), fake_twilio, "no_answer")
    old = queue_call(db_session, redis, region="harbin", now=now - timedelta(seconds=61))
    normal = queue_call(db_session, redis, region="harbin", now=now)
    green = queue_call(db_session, redis, region="harbin", priority=1, now=now)
    other = queue_call(db_session, redis, region="qiqihar", now=now)
    router.run_once()  # the old caller overflows to the neighbours
    before = snapshot(redis)

    assert before["queues"] == {
        "daqing": [missed.call_sid],
        "harbin": [green.call_sid, old.call_sid, normal.call_sid],
        "qiqihar": [other.call_sid],
    }
    assert before["callers"][missed.call_sid]["cls"] == router.config.requeue_priority_boost
    assert before["callers"][old.call_sid]["reach"] == 1
    lives = {agent: values[2] for agent, values in before["agents"].items()}
    assert (lives[talker.id], lives[ringer.id], lives[wrapper.id]) == (
        "talking",
        "ringing",
        "wrap_up",
    )
    assert before["agents"][misser.id][1] is True  # paused

    redis.flushdb()
    with runtime.session() as session:
        rebuild(redis, session, router.config, routing_clock())
    assert snapshot(redis) == before

    redis.flushdb()  # a router that finds Redis empty rebuilds by itself
    report = router.run_once()
    assert report.rebuilt and report.offered == 0
    assert snapshot(redis) == before

    # The calls carry on: the talk ends, the ringing agent takes the call, wrap-ups end.
    routing_caller.send(dial_action, {"CallSid": talking.call_sid, "DialCallStatus": "completed"})
    assert RoutingState(redis).agent(talker.id).live == "wrap_up"
    start_talk(routing_caller, ringing.call_sid, redirects(fake_twilio, ringing.call_sid)[0])
    assert call_row(db_session, ringing.call_sid).stage == "talking"
    assert missed_call.ended == ("queue", "hotline-daqing")


def test_hotline_router_rebuild_restores_the_state_from_the_command_line(
    runtime, db_session, routing_clock
):
    add_agent(db_session, "harbin1", "harbin", status="break")
    waiting = queue_call(db_session, runtime.redis, region="harbin", priority=1)
    runtime.redis.flushdb()
    env = dict(
        os.environ,
        DATABASE_URL=runtime.settings.database_url,
        REDIS_URL=redis_url(runtime.settings),
        HOTLINE_INSTANCE_DIR=str(runtime.settings.instance_dir),
    )

    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "router", "--rebuild"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "1 waiting" in result.stdout and "1 agents" in result.stdout
    state = RoutingState(runtime.redis)
    assert state.queue_order("harbin") == [waiting.call_sid]
    assert state.caller(waiting.call_sid).cls == 1
    assert state.agents(state.agent_ids())
    assert runtime.redis.exists(keys.BUILT)
