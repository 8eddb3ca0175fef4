"""A failed webhook answers for the leg it is on: the waiting caller holds, an agent's leg hangs
up and gives the caller back to the head of the line, a caller after the talk hears goodbye."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest

from hotline.web import queue as queue_views
from hotline.web import return_calls
from routing import connect, waiting
from routing.state import RoutingState
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post
from tests.routing.helpers import (
    add_agent,
    agent_row,
    call_row,
    event_kinds,
    follow_offer,
    offer_of,
    queue_call,
    redirects,
    unique_sid,
    waiting_call,
)

HOLD = "您好，值班人员正在通话中，请您耐心等待，我们会尽快为您接通。"
GOODBYE = "感谢您致电12348，再见。"


def _boom(*_args, **_kwargs):
    raise RuntimeError("redis on fire")


def post(client, path: str, call_sid: str, **extra: str) -> ET.Element:
    response = signed_post(client, path, call_params(call_sid, **extra), AUTH_TOKEN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return ET.fromstring(response.get_data(as_text=True))


def tags(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


@pytest.fixture
def queued(db_session, runtime, routing_clock):
    """A caller waiting in the Harbin queue, and its agent (not offered yet)."""
    agent = add_agent(db_session, "a1", "harbin", contact="+8613900000009")
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    return row, agent


def offered(db_session, runtime, router, fake_twilio, queued):
    """The router offered the queued caller to the agent; the connect URL's offer."""
    row, agent = queued
    assert router.run_once().offered == 1
    return row, agent, offer_of(redirects(fake_twilio, row.call_sid)[0])


# ----- the waitUrl -----------------------------------------------------------------------------


def test_a_failed_wait_url_holds_and_the_caller_stays_in_the_queue(
    client, runtime, db_session, queued, monkeypatch, caplog
):
    row, _agent = queued
    monkeypatch.setattr(waiting, "wait_view", _boom)
    with caplog.at_level(logging.ERROR, logger="hotline.voice"):
        root = post(client, "/queue/wait", row.call_sid, QueuePosition="1", QueueTime="30")

    assert tags(root) == ["Say", "Pause"]  # no Redirect: a Redirect would leave the queue
    assert root[0].text == HOLD
    assert int(root[1].get("length")) >= 10
    assert RoutingState(runtime.redis).caller(row.call_sid).state == "waiting"
    assert call_row(db_session, row.call_sid).stage == "queued"
    assert "waitUrl" in caplog.records[0].getMessage()


def test_a_failed_key_on_the_wait_url_holds_too(client, runtime, queued, monkeypatch):
    row, _agent = queued
    monkeypatch.setattr(queue_views.from_queue, "choose_callback", _boom)
    root = post(client, "/queue/wait-choice", row.call_sid, Digits="1")
    assert tags(root) == ["Say", "Pause"] and root[0].text == HOLD
    assert RoutingState(runtime.redis).caller(row.call_sid).state == "waiting"


def test_when_even_the_hold_prompt_fails_the_caller_still_holds(
    client, runtime, queued, monkeypatch
):
    row, _agent = queued
    monkeypatch.setattr(waiting, "wait_view", _boom)
    monkeypatch.setattr("hotline.web.voice_guard.load_queue_prompts", _boom)
    root = post(client, "/queue/wait", row.call_sid)
    assert tags(root) == ["Pause"]


# ----- the agent's leg -------------------------------------------------------------------------


def test_a_failed_whisper_hangs_up_the_agent_frees_them_and_the_caller_is_next(
    client, runtime, db_session, router, fake_twilio, queued, monkeypatch, routing_clock
):
    row, agent, offer = offered(db_session, runtime, router, fake_twilio, queued)
    post(client, f"/queue/connect?offer={offer}", row.call_sid)
    routing_clock.advance(5)
    later = queue_call(db_session, runtime.redis, now=routing_clock())
    monkeypatch.setattr(connect, "whisper", _boom)

    leg = unique_sid()
    root = post(client, f"/queue/whisper?offer={offer}", leg, ParentCallSid=row.call_sid)

    assert tags(root) == ["Hangup"]  # the agent's leg ends: no apology, no backup line
    state = RoutingState(runtime.redis)
    assert state.caller(row.call_sid).state == "waiting"
    assert state.queue_order("harbin") == [row.call_sid, later.call_sid]  # at the head
    assert state.agent(agent.id).live == "idle" and not state.agent(agent.id).paused
    assert agent_row(db_session, agent.id).paused_at is None
    assert call_row(db_session, row.call_sid).stage == "queued"
    # Not the agent's miss: the offer is given back with the reason, and nobody is paused.
    assert event_kinds(db_session, row.call_sid)[-2:] == ["offer_expired", "requeued"]

    # Twilio then posts the caller's Dial action: the caller goes back into the queue.
    back = post(client, f"/queue/dial-result?offer={offer}", row.call_sid, DialCallStatus="failed")
    assert back.find("Enqueue").text == "hotline-harbin"
    assert state.caller(row.call_sid).state == "waiting"


def test_a_caller_whose_agent_leg_failed_is_offered_again_and_talks(
    runtime, db_session, router, fake_twilio, queued, routing_caller, monkeypatch
):
    row, agent = queued
    call = waiting_call(routing_caller, row)
    assert router.run_once().offered == 1
    with monkeypatch.context() as patched:
        patched.setattr(connect, "whisper", _boom)
        follow_offer(call, fake_twilio, "accept")

    assert routing_caller.agent_answers[-1].endswith("<Hangup /></Response>")
    assert call.ended == ("queue", "hotline-harbin")  # back in line, not at the backup line
    assert not any(path.startswith("/voice/fallback") for path, _params in call.requests)
    assert router.run_once().offered == 1  # the same agent, free again
    follow_offer(call, fake_twilio, "accept")
    assert call_row(db_session, row.call_sid).agent_id == agent.id
    assert call_row(db_session, row.call_sid).answered_at is not None


def test_a_failed_return_call_agent_leg_hangs_up(client, monkeypatch):
    monkeypatch.setattr(return_calls.attempts, "live_attempt", _boom)
    root = post(client, "/voice/callback/agent?attempt=1", unique_sid(), ParentCallSid=unique_sid())
    assert tags(root) == ["Hangup"]


# ----- the caller's leg after the dial ---------------------------------------------------------


def test_a_failed_dial_result_after_the_talk_says_goodbye_not_the_backup_line(
    client, runtime, db_session, router, fake_twilio, queued, monkeypatch
):
    row, _agent, offer = offered(db_session, runtime, router, fake_twilio, queued)
    post(client, f"/queue/connect?offer={offer}", row.call_sid)
    leg = unique_sid()
    post(client, f"/queue/whisper?offer={offer}", leg, ParentCallSid=row.call_sid, Digits="1")
    assert call_row(db_session, row.call_sid).stage == "talking"
    monkeypatch.setattr(queue_views, "start_survey", _boom)

    root = post(
        client,
        f"/queue/dial-result?offer={offer}",
        row.call_sid,
        DialCallStatus="completed",
        DialCallDuration="95",
        CallStatus="in-progress",
    )

    assert tags(root) == ["Say", "Hangup"]
    assert root[0].text == GOODBYE


def test_a_failed_dial_result_before_any_talk_puts_the_caller_back_in_line(
    client, runtime, db_session, router, fake_twilio, queued, monkeypatch
):
    row, agent, offer = offered(db_session, runtime, router, fake_twilio, queued)
    post(client, f"/queue/connect?offer={offer}", row.call_sid)
    monkeypatch.setattr(queue_views, "lifecycle", _boom)

    root = post(
        client, f"/queue/dial-result?offer={offer}", row.call_sid, DialCallStatus="no-answer"
    )

    assert tags(root) == ["Redirect"]
    assert root[0].text == "http://localhost/queue/rejoin"
    state = RoutingState(runtime.redis)
    assert state.caller(row.call_sid).state == "waiting"
    assert state.agent(agent.id).live == "idle"
    rejoined = post(client, "/queue/rejoin", row.call_sid)
    assert rejoined.find("Enqueue").text == "hotline-harbin"


def test_a_failed_survey_step_says_goodbye(caller, monkeypatch):
    from hotline.web import ivr

    monkeypatch.setattr(ivr, "get_or_create_call", _boom)
    sid = unique_sid()
    path = "/ivr/input?flow=survey&node=rate"
    response = signed_post(caller.client, path, call_params(sid, Digits="5"), AUTH_TOKEN)
    root = ET.fromstring(response.get_data(as_text=True))
    assert tags(root) == ["Say", "Hangup"] and root[0].text == GOODBYE


def test_a_failed_ivr_step_before_the_queue_keeps_the_apology_and_fallback(client, monkeypatch):
    from hotline.web import ivr

    monkeypatch.setattr(ivr, "get_or_create_call", _boom)
    root = post(client, "/ivr/input?node=service", unique_sid(), Digits="1")
    assert tags(root) == ["Say", "Redirect"]
    assert root[1].text == "http://localhost/voice/fallback"
