"""Helpers of the call-back tests: the 回拨 request, Twilio's status callback, the agent's leg."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import AUTH_TOKEN
from tests.harness.caller import CallResult, TestCaller, new_call_sid
from tests.harness.signing import call_params, signed_post
from tests.ivr_flows.support import HARBIN_LANDLINE, CheckingClient, twiml_problems
from tests.routing.helpers import token_for

AGENT_PHONE = "+8613900001111"
HOTLINE = "+8645112348"
# What the agent leg does when it answers (one plan per call-back): hears the whisper and
# presses 1 ("accept"), presses nothing ("no_key": a voicemail box), presses 2 ("decline"),
# or never answers ("no_answer": the Dial action then reports no-answer).
PLANS = ("accept", "no_key", "decline", "no_answer")


@pytest.fixture
def fake_api(fake_twilio, settings):
    """The fake Twilio API, accepting the test settings' auth token."""
    previous, fake_twilio.auth_token = fake_twilio.auth_token, settings.twilio_auth_token
    try:
        yield fake_twilio
    finally:
        fake_twilio.auth_token = previous


def start(app, session, agent, item_id: int):
    """The agent presses 回拨: POST /api/work-items/<id>/call."""
    headers = {"Authorization": f"Bearer {token_for(session, agent)}"}
    return app.test_client().post(f"/api/work-items/{item_id}/call", headers=headers)


def status_callback(app, attempt_id: int, call_sid: str, status: str):
    """Twilio posts the outbound call's final status."""
    params = call_params(call_sid, from_=HOTLINE, To=HARBIN_LANDLINE, CallStatus=status,
                         Direction="outbound-api", CallDuration="0")  # fmt: skip
    path = f"/voice/callback/status?attempt={attempt_id}"
    response = signed_post(app.test_client(), path, params, AUTH_TOKEN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


class CallbackCaller(TestCaller):
    """A TestCaller for the citizen's side whose dialled agent leg plays its plan first.

    Before Twilio posts the <Dial> action (/voice/callback/dialed), the agent's leg runs the
    noun's url (/voice/callback/agent): the whisper, then key 1, no key or another key.
    """

    def __init__(self, client: Any, auth_token: str, plan: str = "accept", **kwargs: Any):
        super().__init__(client, auth_token, **kwargs)
        assert plan in PLANS, plan
        self.plan = plan
        self.whispers: list[str] = []
        self.agent_answers: list[ET.Element] = []

    def send(self, url: str, params: dict[str, str], method: str = "POST") -> Any:
        """Send the request; the Dial action first plays the agent's leg."""
        path = self.app_path(url)
        if path.startswith("/voice/callback/dialed"):
            attempt = parse_qs(urlsplit(path).query)["attempt"][0]
            self.agent_leg(attempt, params["CallSid"])
        return super().send(url, params, method)

    def agent_leg(self, attempt: str, parent_sid: str) -> None:
        """The agent's phone answers the Dial: whisper, then the plan's key (if any)."""
        if self.plan == "no_answer":
            return
        params = call_params(new_call_sid(), from_=HOTLINE, To=AGENT_PHONE,
                             ParentCallSid=parent_sid, Direction="outbound-dial",
                             CallStatus="in-progress")  # fmt: skip
        answer = self._twiml(self.absolute(f"/voice/callback/agent?attempt={attempt}"), params)
        gather = answer.find("Gather")
        if gather is None:
            return
        problems = twiml_problems(ET.tostring(answer, encoding="unicode"))
        assert not problems, problems  # a whisper that asks, then says goodbye and hangs up
        self.whispers.append("".join(gather.itertext()).strip())
        if self.plan == "no_key":
            return  # Twilio goes on after the Gather: the goodbye and <Hangup>
        digits = "1" if self.plan == "accept" else "2"
        self._twiml(gather.get("action"), {**params, "Digits": digits})

    def _twiml(self, url: str, params: dict[str, str]) -> ET.Element:
        response = super().send(url, params)
        assert response.status_code == 200, response.get_data(as_text=True)
        root = ET.fromstring(response.get_data(as_text=True))
        self.agent_answers.append(root)
        return root


def answer(app, create_url: str, call_sid: str, plan: str = "accept", **kwargs: Any) -> CallResult:
    """The citizen answers the call-back (the Calls create Url) and the agent leg plays `plan`."""
    caller = CallbackCaller(CheckingClient(app.test_client()), AUTH_TOKEN, plan=plan)
    if plan == "no_answer":
        kwargs.setdefault("dial_status", "no-answer")
    return caller.answer_call(create_url, call_sid, HARBIN_LANDLINE, **kwargs)


def talking(app, attempt_id: int, call_sid: str) -> None:
    """The citizen answers and the agent presses 1: the two talk (no Dial action yet)."""
    client = app.test_client()
    citizen = call_params(call_sid, from_=HOTLINE, To=HARBIN_LANDLINE, Direction="outbound-api",
                          CallStatus="in-progress")  # fmt: skip
    leg = call_params(new_call_sid(), from_=HOTLINE, To=AGENT_PHONE, ParentCallSid=call_sid,
                      Direction="outbound-dial", CallStatus="in-progress", Digits="1")  # fmt: skip
    for path, params in ((f"/voice/callback/answer?attempt={attempt_id}", citizen),
                         (f"/voice/callback/agent?attempt={attempt_id}", leg)):  # fmt: skip
        response = signed_post(client, path, params, AUTH_TOKEN)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert "<Hangup" not in response.get_data(as_text=True)
