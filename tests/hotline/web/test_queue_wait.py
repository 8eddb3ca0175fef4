"""The waiting caller's webhooks: wait, wait-choice, left, offer-choice and voicemail."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from hotline.models import CallbackRequest
from routing.state import RoutingState
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post
from tests.routing.helpers import add_agent, call_row, queue_call

SAY = {"voice": "Polly.Zhiyu", "language": "cmn-CN"}


def post(client, path: str, call_sid: str, **extra: str) -> ET.Element:
    response = signed_post(client, path, call_params(call_sid, **extra), AUTH_TOKEN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.get_data(as_text=True))


def says(root: ET.Element) -> str:
    return " ".join(el.text or "" for el in root.iter("Say"))


def test_the_wait_page_says_position_and_expected_wait_and_holds_without_outside_audio(
    client, db_session, runtime, router, routing_clock
):
    add_agent(db_session, "a1", "harbin")
    add_agent(db_session, "a2", "harbin")
    for _ in range(2):
        queue_call(db_session, runtime.redis, now=routing_clock())
    router.run_once()  # both agents are ringing for the two callers before these
    first = queue_call(db_session, runtime.redis, now=routing_clock())
    second = queue_call(db_session, runtime.redis, now=routing_clock.advance(1))
    router.run_once()  # two agents are ready (busy) for these callers

    root = post(client, "/queue/wait", second.call_sid, QueuePosition="2", QueueTime="0")

    text = says(root)
    assert "您好，值班人员正在通话中" in text
    assert "您前面还有1位来电，预计等待约6分钟。" in text  # 2 x 360 s / 2 agents
    assert [el.tag for el in root] == ["Say", "Say", "Pause"]
    assert root.find("Pause").get("length") == "30"  # announce every 45 s
    assert all(el.attrib == SAY for el in root.iter("Say"))
    assert "http" not in ET.tostring(root, encoding="unicode").replace("http://localhost", "")
    routing_clock.advance(50)  # from the second announcement on: the call-back offer
    first_root = post(client, "/queue/wait", first.call_sid, QueueTime="50")
    assert "您是下一位" in says(first_root)
    gather = first_root.find("Gather")
    assert gather.get("action") == "http://localhost/queue/wait-choice"
    assert gather.get("numDigits") == "1" and "按1改为回电" in says(gather)


def test_recent_talks_set_the_expected_wait(client, db_session, runtime, router, routing_clock):
    add_agent(db_session, "a1", "harbin", status="break")
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    assert "预计等待约6分钟" in says(post(client, "/queue/wait", row.call_sid, QueueTime="0"))
    RoutingState(runtime.redis).record_handle_time(150, 50)
    RoutingState(runtime.redis).record_handle_time(90, 50)

    assert "预计等待约2分钟" in says(post(client, "/queue/wait", row.call_sid, QueueTime="0"))


def test_a_queued_call_the_live_state_lost_is_put_back_in_line_by_the_wait_page(
    client, db_session, runtime
):
    row = queue_call(db_session, runtime.redis)
    runtime.redis.delete(f"hotline:caller:{row.call_sid}", "hotline:queue:harbin")

    post(client, "/queue/wait", row.call_sid, QueueTime="0")

    assert RoutingState(runtime.redis).queue_order("harbin") == [row.call_sid]


def test_pressing_1_while_an_agent_is_being_offered_keeps_the_caller_in_line(
    client, db_session, runtime, router
):
    add_agent(db_session, "a1", "harbin")
    row = queue_call(db_session, runtime.redis)
    router.run_once()  # offered; the redirect is on its way

    root = post(client, "/queue/wait-choice", row.call_sid, Digits="1")

    assert root.find("Leave") is None and "正在为您接通" in says(root)
    assert db_session.scalars(select(CallbackRequest)).all() == []
    assert RoutingState(runtime.redis).caller(row.call_sid).state == "offered"


def test_another_key_while_waiting_just_goes_on_waiting(client, db_session, runtime):
    row = queue_call(db_session, runtime.redis)
    root = post(client, "/queue/wait-choice", row.call_sid, Digits="5")
    assert "请您继续等待" in says(root) and root.find("Leave") is None


def test_an_anonymous_caller_who_asks_for_a_call_back_is_offered_voicemail(
    client, db_session, runtime
):
    row = queue_call(db_session, runtime.redis, from_="anonymous")

    root = post(client, "/queue/wait-choice", row.call_sid, Digits="1")

    assert root.find("Leave") is not None and "无法为您回电" in says(root)
    assert call_row(db_session, row.call_sid).stage == "voicemail"
    left = post(client, "/queue/left", row.call_sid, QueueResult="leave", QueueTime="30")
    assert left.find("Record").get("action") == "http://localhost/queue/voicemail"


def test_a_redirect_out_of_the_queue_changes_nothing(client, db_session, runtime):
    row = queue_call(db_session, runtime.redis)
    root = post(client, "/queue/left", row.call_sid, QueueResult="redirected", QueueTime="3")
    assert list(root) == []
    assert call_row(db_session, row.call_sid).stage == "queued"
    assert RoutingState(runtime.redis).caller(row.call_sid) is not None


def test_a_full_queue_offers_call_back_or_voicemail_never_a_drop(client, db_session, runtime):
    row = queue_call(db_session, runtime.redis)

    root = post(client, "/queue/left", row.call_sid, QueueResult="queue-full", QueueTime="0")

    assert "排队的来电已满" in says(root)
    gather = root.find("Gather")
    assert gather.get("action") == "http://localhost/queue/offer-choice"
    assert gather.get("actionOnEmptyResult") == "true"
    assert RoutingState(runtime.redis).caller(row.call_sid) is None
    done = post(client, "/queue/offer-choice", row.call_sid, Digits="1")
    assert "已为您登记回电" in says(done) and done.find("Hangup") is not None
    request = db_session.scalars(select(CallbackRequest)).one()
    assert (request.source, request.call_id) == ("queue", row.id)
    assert call_row(db_session, row.call_sid).outcome == "callback"
    silent = queue_call(db_session, runtime.redis)
    post(client, "/queue/left", silent.call_sid, QueueResult="queue-full")
    record = post(client, "/queue/offer-choice", silent.call_sid)
    assert record.find("Record") is not None


def test_a_twilio_queue_error_hands_the_call_to_the_static_fallback(client, db_session, runtime):
    row = queue_call(db_session, runtime.redis)

    root = post(client, "/queue/left", row.call_sid, QueueResult="system-error")

    assert root.find("Redirect").text == "http://localhost/voice/fallback"
    assert RoutingState(runtime.redis).caller(row.call_sid) is None
    assert call_row(db_session, row.call_sid).outcome == "fallback"


def test_a_voicemail_left_after_the_queue_is_stored_once(client, db_session, runtime):
    row = queue_call(db_session, runtime.redis)
    post(client, "/queue/wait-choice?mode=offer", row.call_sid)
    params = {
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
        "RecordingSid": "RE" + "1" * 32,
        "RecordingDuration": "14",
    }
    for _ in range(2):
        root = post(client, "/queue/voicemail", row.call_sid, **params)
        assert "留言已收到" in says(root)
    stored = call_row(db_session, row.call_sid)
    assert (
        stored.outcome == "voicemail"
        and len([e for e in stored.events if e.kind == "voicemail_recorded"]) == 2
    )
    assert stored.recording_url == params["RecordingUrl"]


@pytest.mark.parametrize(
    "path",
    [
        "/queue/wait", "/queue/wait-choice", "/queue/left", "/queue/rejoin", "/queue/connect",
        "/queue/whisper", "/queue/dial-result", "/queue/offer-choice", "/queue/voicemail",
    ],
)  # fmt: skip
def test_every_queue_webhook_refuses_unsigned_requests(client, path):
    response = client.post(path, data=call_params("CA" + "9" * 32))
    assert response.status_code == 403


def test_wait_pages_never_name_an_outside_host(client, db_session, runtime, router, routing_clock):
    row = queue_call(db_session, runtime.redis, now=routing_clock())
    router.run_once()  # nobody on duty: the alternatives
    body = signed_post(client, "/queue/wait", call_params(row.call_sid), AUTH_TOKEN).get_data(
        as_text=True
    )
    assert re.findall(r"https?://[^<\"]+", body) == [
        "http://localhost/queue/wait-choice?mode=offer"
    ]
