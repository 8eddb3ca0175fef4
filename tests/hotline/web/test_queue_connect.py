"""Connecting a matched caller: /queue/connect, the agent's /queue/whisper, /queue/dial-result."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from routing.state import RoutingState
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post
from tests.routing.helpers import add_agent, call_row, offer_of, queue_call, redirects


def post(client, path: str, call_sid: str, **extra: str) -> ET.Element:
    response = signed_post(client, path, call_params(call_sid, **extra), AUTH_TOKEN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return ET.fromstring(response.get_data(as_text=True))


def offered(db_session, runtime, router, fake_twilio, **agent):
    add_agent(db_session, "a1", "harbin", **agent)
    row = queue_call(db_session, runtime.redis, topic="劳动纠纷", group="2", service="legal_aid")
    router.run_once()
    url = redirects(fake_twilio, row.call_sid)[0]
    return row, url[len("http://localhost") :], offer_of(url)


def test_connect_dials_the_agents_phone_with_a_whisper(
    client, db_session, runtime, router, fake_twilio
):
    row, path, offer = offered(db_session, runtime, router, fake_twilio, contact="+8613900000009")

    root = post(client, path, row.call_sid)

    dial = root.find("Dial")
    assert dial.attrib == {
        "action": f"http://localhost/queue/dial-result?offer={offer}",
        "method": "POST",
        "timeout": "20",
        "answerOnBridge": "true",
    }
    number = dial.find("Number")
    assert number.text == "+8613900000009"
    assert number.get("url") == f"http://localhost/queue/whisper?offer={offer}"


def test_connect_rings_a_browser_client(client, db_session, runtime, router, fake_twilio):
    row, path, _ = offered(db_session, runtime, router, fake_twilio, contact="client:a1")
    client_noun = post(client, path, row.call_sid).find("Dial/Client")
    assert client_noun.text == "a1" and "/queue/whisper?offer=" in client_noun.get("url")


def test_the_whisper_names_service_topic_and_region_and_1_bridges(
    client, db_session, runtime, router, fake_twilio
):
    row, path, offer = offered(db_session, runtime, router, fake_twilio)
    post(client, path, row.call_sid)
    leg = "CA" + "7" * 32

    ask = post(client, f"/queue/whisper?offer={offer}", leg, ParentCallSid=row.call_sid)
    gather = ask.find("Gather")
    assert gather.find("Say").text == "法律援助，劳动纠纷，哈尔滨。按1接听。"
    assert gather.get("numDigits") == "1"
    assert [el.tag for el in ask] == ["Gather", "Say", "Hangup"]  # no key: the leg hangs up

    bridged = post(client, f"/queue/whisper?offer={offer}", leg, Digits="1")
    assert list(bridged) == []  # an empty answer connects the two
    assert call_row(db_session, row.call_sid).stage == "talking"


def test_another_key_declines_and_a_stale_offer_is_refused_on_the_agent_leg(
    client, db_session, runtime, router, fake_twilio
):
    row, path, offer = offered(db_session, runtime, router, fake_twilio)
    leg = "CA" + "7" * 32
    declined = post(client, f"/queue/whisper?offer={offer}", leg, Digits="2")
    assert declined.find("Hangup") is not None
    assert call_row(db_session, row.call_sid).stage == "ringing"
    gone = post(client, "/queue/whisper?offer=nosuchoffer", leg, Digits="1")
    assert "该来电已结束或已转接" in gone.find("Say").text and gone.find("Hangup") is not None


def test_a_connect_for_an_offer_that_went_stale_puts_the_caller_back_in_line(
    client, db_session, runtime, router, fake_twilio
):
    row, path, offer = offered(db_session, runtime, router, fake_twilio)
    RoutingState(runtime.redis).release(offer, 0, 0, pause=False)

    root = post(client, path, row.call_sid)

    enqueue = root.find("Enqueue")
    assert enqueue.text == "hotline-harbin"
    assert enqueue.get("waitUrl") == "http://localhost/queue/wait"
    assert enqueue.get("action") == "http://localhost/queue/left"
    assert RoutingState(runtime.redis).caller(row.call_sid).state == "waiting"


def test_a_dial_result_for_a_caller_who_already_left_routing_says_goodbye(
    client, db_session, runtime, router, fake_twilio
):
    row, path, offer = offered(db_session, runtime, router, fake_twilio)
    stored = call_row(db_session, row.call_sid)
    stored.stage = "ended"
    db_session.commit()
    RoutingState(runtime.redis).remove(row.call_sid, 0, 0)

    root = post(client, f"/queue/dial-result?offer={offer}", row.call_sid, DialCallStatus="busy")

    assert root.find("Hangup") is not None
