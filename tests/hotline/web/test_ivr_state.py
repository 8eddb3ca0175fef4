"""Per-call IVR state in Redis, and what the IVR answers when that state or the URL is off."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from sqlalchemy import select

from hotline.models import Voicemail
from ivr_flows.state import STATE_TTL_SECONDS, StateStore
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post
from tests.ivr_flows.support import (
    HARBIN_LANDLINE,
    call_row,
    destination,
    event_kinds,
    ivr_steps,
    twiml_problems,
)

SID = "CA" + "5" * 32


def post(client, path: str, **extra: str):
    response = signed_post(client, path, call_params(SID, from_=HARBIN_LANDLINE, **extra),
                           AUTH_TOKEN)  # fmt: skip
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert twiml_problems(body) == []
    return ET.fromstring(body)


def test_state_is_kept_in_redis_with_a_ttl(client, clock, runtime):
    post(client, "/voice/incoming")

    key = StateStore.key(SID)
    assert 0 < runtime.redis.ttl(key) <= STATE_TTL_SECONDS
    raw = runtime.redis.hgetall(key)
    fields = {k.decode(): json.loads(v) for k, v in raw.items()}
    assert fields["node"] == "service_menu" and fields["flow"] == "12348"
    assert fields["vars"]["region"] == "harbin" and fields["vars"]["is_open"] is True
    assert fields["fails"] == {} and fields["steps"] == 0

    post(client, "/ivr/input?node=service_menu", Digits="7")
    fields = StateStore(runtime.redis).load(SID)
    assert (fields.node, fields.fails, fields.steps) == ("service_menu", {"service_menu": 1}, 1)


def test_lost_state_mid_call_goes_to_the_operator_queue(client, clock, runtime, db_session):
    post(client, "/voice/incoming")
    runtime.redis.flushdb()
    root = post(client, "/ivr/input?node=service_menu", Digits="1")

    assert [verb.tag for verb in root] == ["Say", "Enqueue"]
    assert root[1].text == "hotline-harbin"
    row = call_row(db_session, SID)
    assert destination(row) == ("operator", "9", "综合咨询", "harbin", 0, "queued")
    assert "ivr_state_lost" in event_kinds(db_session, SID)


def test_unreadable_state_counts_as_lost(client, clock, runtime, db_session):
    post(client, "/voice/incoming")
    runtime.redis.hset(StateStore.key(SID), "vars", "{not json")
    root = post(client, "/ivr/step?node=group_menu")

    assert root.find("Enqueue").text == "hotline-harbin"
    assert "ivr_state_lost" in event_kinds(db_session, SID)


def test_unknown_node_goes_to_the_operator_queue(client, clock, db_session):
    post(client, "/voice/incoming")
    root = post(client, "/ivr/input?node=no_such_node", Digits="1")

    assert root.find("Enqueue").text == "hotline-harbin"
    assert "ivr_unknown_node" in event_kinds(db_session, SID)


def test_input_for_a_node_that_asks_nothing_goes_to_the_safe_default(client, clock, db_session):
    post(client, "/voice/incoming")
    root = post(client, "/ivr/input?node=welcome", Digits="1")

    assert root.find("Enqueue").text == "hotline-harbin"
    assert ivr_steps(db_session, SID)[-2:] == [
        "welcome:unexpected_input",
        "operator_queue:enqueued",
    ]


def test_a_recording_is_kept_even_when_the_state_is_lost(client, clock, runtime, db_session):
    post(client, "/voice/incoming")
    runtime.redis.flushdb()
    root = post(
        client, "/ivr/recorded?node=voicemail", RecordingUrl="https://api.twilio.com/rec/RE1",
        RecordingSid="RE" + "1" * 32, RecordingDuration="33",
    )  # fmt: skip

    assert [verb.tag for verb in root] == ["Say", "Hangup"]
    voicemail = db_session.scalars(select(Voicemail)).one()
    assert (voicemail.region, voicemail.duration_seconds) == ("harbin", 33)


def test_a_caller_pressing_star_forever_is_not_looped_forever(caller, db_session):
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["*"] * 60, max_steps=100)

    assert call.ended == ("queue", "hotline-harbin")
    assert "ivr_too_many_steps" in event_kinds(db_session, call.call_sid)
    assert len(call.requests) <= 45


def test_a_retried_incoming_webhook_restarts_the_flow(client, clock, db_session):
    post(client, "/voice/incoming")
    post(client, "/ivr/input?node=service_menu", Digits="1")
    root = post(client, "/voice/incoming")

    assert root.find("Gather").get("action") == "http://localhost/ivr/input?node=service_menu"
    kinds = event_kinds(db_session, SID)
    assert kinds.count("ivr_start") == 2 and "incoming_retry" in kinds
