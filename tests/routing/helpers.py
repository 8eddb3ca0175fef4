"""Helpers for routing tests: agents on duty, queued calls, a caller whose agents answer."""

from __future__ import annotations

import functools
import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import clock
from hotline.auth import issue_token
from hotline.calls import get_or_create_call
from hotline.db import write_first
from hotline.models import Agent, Call, CallEvent, User
from hotline.passwords import hash_password
from hotline.staff import add_shift, create_user
from routing.handoff import QueueRequest, enqueue
from tests.harness.caller import CallResult, TestCaller, _Step, new_call_sid

AGENT_PASSWORD = "agent-password-12348"


@functools.cache
def password_hash() -> str:
    """One argon2 hash for every test agent (hashing is slow on purpose)."""
    return hash_password(AGENT_PASSWORD)


def add_agent(
    session: Session,
    username: str,
    region: str = "harbin",
    skills: tuple[str, ...] = ("consultation", "legal_aid", "mediation", "1", "2", "3", "9"),
    *,
    role: str = "lawyer",
    contact: str | None = None,
    status: str = "available",
    shift_region: str | None = None,
    on_duty: bool = True,
    now: datetime | None = None,
) -> Agent:
    """An agent with a shift around `now` (unless off duty) and the given chosen status."""
    now = now or clock.now()
    user = create_user(
        session, username, role, "", region=region, skills=list(skills), contact=contact,
        password_hash=password_hash(),
    )  # fmt: skip
    session.flush()
    agent = user.agent
    assert agent is not None
    agent.status = status
    agent.status_since = now - timedelta(minutes=30)
    if on_duty:
        add_shift(
            session, username, now - timedelta(hours=1), now + timedelta(hours=8), shift_region
        )
    session.commit()
    return agent


def token_for(session: Session, agent: Agent) -> str:
    """A bearer token of the agent's user (issued directly: no password check)."""
    user = session.get(User, agent.user_id)
    issued = issue_token(session, user, clock.now())
    session.commit()
    return issued.token


def queue_call(
    session: Session,
    client: Any,
    *,
    call_sid: str | None = None,
    from_: str = "+8613936000000",
    service: str = "consultation",
    group: str = "1",
    topic: str = "婚姻家庭",
    region: str = "harbin",
    priority: int = 0,
    now: datetime | None = None,
    commit: bool = True,
) -> Call:
    """A call handed over by the IVR (as ivr_flows does) and committed: it joins the queue."""
    call_sid = call_sid or new_call_sid()
    write_first(session)
    call, _ = get_or_create_call(session, call_sid, from_, "+8645112348")
    enqueue(session, client, call, QueueRequest(service, group, topic, region, priority), now=now)
    if commit:
        session.commit()
    return call


class RoutingCaller(TestCaller):
    """A TestCaller whose dialled agent leg behaves as planned before the Dial action is posted.

    Plans, one per dial: "accept" (the agent hears the whisper and presses 1), "no_key" (hears
    it, presses nothing), "decline" (presses 2), "no_answer" (the phone never answers).
    """

    def __init__(self, client: Any, auth_token: str, **kwargs: Any) -> None:
        super().__init__(client, auth_token, **kwargs)
        self.agent_plans: list[str] = []
        self.whispers: list[str] = []
        self.agent_answers: list[str] = []

    def send(self, url: str, params: dict[str, str], method: str = "POST") -> Any:
        """Send the request; a Dial action first plays the agent's leg."""
        path = self.app_path(url)
        if path.startswith("/queue/dial-result"):
            plan = self.agent_plans.pop(0) if self.agent_plans else "accept"
            offer = parse_qs(urlsplit(path).query)["offer"][0]
            self.agent_leg(offer, params["CallSid"], plan)
        return super().send(url, params, method)

    def agent_leg(self, offer: str, parent_sid: str, plan: str) -> None:
        """Play the agent's side of the whisper for one offer."""
        if plan == "no_answer":
            return
        params = {
            "CallSid": new_call_sid(), "ParentCallSid": parent_sid, "AccountSid": self.account_sid,
            "From": "+8645112348", "To": "+8613900000000", "CallStatus": "in-progress",
            "Direction": "outbound-dial", "ApiVersion": "2010-04-01",
        }  # fmt: skip
        whisper_url = self.absolute(f"/queue/whisper?offer={offer}")
        answer = super().send(whisper_url, params)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        root = ET.fromstring(answer.get_data(as_text=True))
        gather = root.find("Gather")
        if gather is None:
            self.agent_answers.append(answer.get_data(as_text=True))
            return
        self.whispers.append("".join(gather.itertext()).strip())
        if plan == "no_key":
            return
        digits = "1" if plan == "accept" else "2"
        answer = super().send(gather.get("action"), {**params, "Digits": digits})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        self.agent_answers.append(answer.get_data(as_text=True))


def waiting_call(caller: TestCaller, call: Call, max_steps: int = 20) -> CallResult:
    """A live TestCaller call for a queued call row, following its <Enqueue> into the queue."""
    result = CallResult(
        caller=caller, call_sid=call.call_sid, from_=call.from_number, to="+8645112348",
        inputs=[], extra_params={}, dial_status=[], max_steps=max_steps,
    )  # fmt: skip
    result.follow(_Step(caller.absolute("/queue/rejoin")))
    assert result.ended[0] == "queue", (result.ended, result.last_twiml)
    return result


def redirects(fake_twilio: Any, call_sid: str) -> list[str]:
    """The URLs the router redirected a call to (Calls update requests), oldest first."""
    return [r.form["Url"] for r in fake_twilio.requests_to(f"/Calls/{call_sid}.json", "POST")]


def requests_since(fake_twilio: Any, index: int) -> list[Any]:
    """The requests the fake Twilio API received after the first `index` (no full copy)."""
    with fake_twilio.lock:
        return list(fake_twilio._requests[index:])


def offer_of(url: str) -> str:
    """The offer id of a connect URL."""
    return parse_qs(urlsplit(url).query)["offer"][0]


def follow_offer(call: CallResult, fake_twilio: Any, plan: str = "accept") -> CallResult:
    """Follow the router's latest redirect of this call: connect, the agent's leg, dial result."""
    urls = redirects(fake_twilio, call.call_sid)
    assert urls, f"the router never redirected {call.call_sid}"
    caller = call.caller
    assert isinstance(caller, RoutingCaller)
    caller.agent_plans.append(plan)
    call.dial_status = ["completed" if plan in ("accept", "no_key") else "no-answer"]
    return call.redirect(urls[-1])


def start_talk(caller: RoutingCaller, call_sid: str, url: str) -> str:
    """Twilio fetches the connect TwiML and the agent accepts: the two talk (no Dial action yet).

    Returns the Dial action URL, to post when the talk should end.
    """
    params = {
        "CallSid": call_sid, "AccountSid": caller.account_sid, "From": "+8613936000000",
        "To": "+8645112348", "CallStatus": "in-progress", "Direction": "inbound",
    }  # fmt: skip
    answer = caller.send(url, params)
    root = ET.fromstring(answer.get_data(as_text=True))
    dial = root.find("Dial")
    assert dial is not None, answer.get_data(as_text=True)
    caller.agent_leg(offer_of(url), call_sid, "accept")
    return dial.get("action")


def event_kinds(session: Session, call_sid: str) -> list[str]:
    """The kinds of a call's events, oldest first (fresh from the database)."""
    session.rollback()  # end the snapshot: see what the app committed
    session.expire_all()
    call = session.scalars(select(Call).where(Call.call_sid == call_sid)).one()
    rows = session.scalars(
        select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
    )
    return [event.kind for event in rows]


def call_row(session: Session, call_sid: str) -> Call:
    """The stored call, fresh from the database."""
    session.rollback()  # end the snapshot: see what the app committed
    session.expire_all()
    return session.scalars(select(Call).where(Call.call_sid == call_sid)).one()


def agent_row(session: Session, agent_id: int) -> Agent:
    """The stored agent, fresh from the database."""
    session.rollback()  # end the snapshot: see what the app committed
    session.expire_all()
    return session.get(Agent, agent_id)


def unique_sid() -> str:
    """A fresh CallSid."""
    return "CA" + secrets.token_hex(16)
