"""Random input at every IVR URL: never a 5xx, never an error apology, always well-formed TwiML."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import AUTH_TOKEN
from tests.harness.signing import signed_post
from tests.ivr_flows.support import FLOWS_DIR, twiml_problems

IVR_PATHS = ["/ivr/step", "/ivr/input", "/ivr/recorded", "/ivr/dialed"]
NODE_IDS = [
    line.strip()[:-1]
    for line in (FLOWS_DIR / "12348.yaml").read_text(encoding="utf-8").splitlines()
    if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":")
]
APOLOGY = "对不起，系统出现故障"

digits = st.one_of(
    st.text(alphabet="0123456789*#", max_size=6),
    st.text(alphabet="０１２３４５６７８９＊＃ 一二三", max_size=6),
    st.text(max_size=40),
)
speech = st.one_of(
    st.just(""),
    st.text(max_size=60),
    st.text(min_size=1500, max_size=2000),
    st.just("我要离婚" * 500),
    st.just("😀🙏🏻" * 20),
    st.just("０４５１"),
    st.sampled_from(["不知道", "是的", "不是", "哈尔滨", "零四五一", "\x00\x01", "   "]),
)
numbers = st.one_of(
    st.sampled_from(["+8645188886666", "+8616600001111", "+8613800138000", "anonymous", "",
                     "+14155550100", "not a number"]),
    st.text(max_size=20),
)  # fmt: skip
optional = {
    "From": numbers,
    "To": numbers,
    "Digits": digits,
    "SpeechResult": speech,
    "Confidence": st.one_of(st.just("0.9"), st.text(max_size=5)),
    "RecordingUrl": st.one_of(st.just("https://api.twilio.com/rec/RE1"), st.text(max_size=30)),
    "RecordingSid": st.one_of(st.just("RE" + "2" * 32), st.text(max_size=40)),
    "RecordingDuration": st.one_of(st.just("15"), st.text(max_size=8)),
    "DialCallStatus": st.sampled_from(["completed", "no-answer", "busy", "failed", "", "x\x00"]),
}


@st.composite
def webhooks(draw, path: str):
    query = {}
    node = draw(st.one_of(st.none(), st.sampled_from(NODE_IDS), st.text(max_size=20)))
    if node is not None:
        query["node"] = node
    if draw(st.booleans()):
        query["noinput"] = draw(st.sampled_from(["1", "", "yes"]))
    params = {name: draw(value) for name, value in optional.items() if draw(st.booleans())}
    started = draw(st.booleans())
    steps = draw(st.integers(min_value=1, max_value=2))
    return path + ("?" + urlencode(query) if query else ""), params, started, steps


def check(response) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 200, (response.status_code, body)
    assert response.mimetype == "text/xml"
    assert twiml_problems(body) == [], body
    assert APOLOGY not in body, body


@pytest.mark.parametrize("path", IVR_PATHS)
def test_random_input_at_every_ivr_url_answers_well_formed_twiml(client, clock, path):
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(hook=webhooks(path))
    def post_random_webhooks(hook):
        post_webhook(client, *hook)

    post_random_webhooks()


def post_webhook(client, url: str, params: dict, started: bool, steps: int) -> None:
    call_sid = "CA" + secrets.token_hex(16)
    base = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32}
    if started:
        check(signed_post(client, "/voice/incoming", {**base, "From": "+8616600001111"},
                          AUTH_TOKEN))  # fmt: skip
    for _ in range(steps):  # the same webhook again (Twilio retries) must also be fine
        check(signed_post(client, url, {**base, **params}, AUTH_TOKEN,
                          signed_url="http://localhost" + url))  # fmt: skip


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(path=st.sampled_from(IVR_PATHS), params=st.fixed_dictionaries({}, optional=optional))
def test_a_webhook_without_call_sid_is_a_clear_400_not_a_5xx(client, path, params):
    url = path + "?node=service_menu"
    response = signed_post(client, url, params, AUTH_TOKEN, signed_url="http://localhost" + url)
    assert response.status_code == 400
    assert response.get_json()["message"] == "CallSid is missing or malformed"


def test_node_ids_are_read_from_the_flow():
    assert {"welcome", "service_menu", "voicemail", "operator_queue"} <= set(NODE_IDS)
