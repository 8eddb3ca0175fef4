"""The simulated centre of `hotline demo`: callers arriving at a rate, and the agents on duty.

Agents sign in through the API (POST /api/token), go "available" (PUT /api/agents/me/status),
answer the whisper of the calls they are dialled for, talk, and record a consultation
(POST /api/consultations) during their wrap-up. Callers are LiveCalls placed through the real,
signed webhooks; the fake Twilio API hands the router's redirects to them.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.devtools.fake_twilio import FakeTwilio
from hotline.devtools.live_call import CallerPlan, LiveCall, Pickup
from hotline.models import Agent, Shift, User
from routing.regions import RegionDirectory

log = logging.getLogger("hotline.demo")

# What callers want: (IVR keys, weight). Services 1-3 then a key for the group menu and a group.
SERVICE_KEYS = (
    (["1", "1"], 55),  # consultation, then choose the topic group by key
    (["2", "1"], 15),  # legal aid
    (["3", "1"], 12),  # mediation
    (["4"], 8),  # notarisation and forensic appraisal
    (["5"], 10),  # complaints
)
GROUP_KEYS = (("1", 22), ("2", 20), ("3", 18), ("4", 12), ("5", 12), ("6", 6), ("7", 4), ("9", 6))
RATINGS = (("5", 55), ("4", 25), ("3", 8), ("2", 5), ("1", 4), ("", 3))
TALK_MINUTES = (3.0, 10.0)  # a consultation lasts a few minutes (compressed by --speed)
PATIENCE_SECONDS = (20.0, 150.0)  # real seconds a caller waits before hanging up
RING_SECONDS = (1.0, 4.0)
MISSED_SHARE = 0.06  # of the rings, the agent does not press 1
CALLBACK_SHARE = 0.05  # of the waiting callers, press 1 for a call-back when offered
SUMMARIES = (
    "咨询劳动合同解除的补偿标准，已告知协商与仲裁途径。",
    "咨询离婚财产分割，已说明法定程序与所需材料。",
    "咨询借款纠纷的诉讼时效，建议保留证据并尽快主张权利。",
    "咨询交通事故赔偿项目，已告知可申请调解。",
    "咨询房屋租赁押金退还问题，建议先协商，必要时申请调解。",
)
DISPOSITIONS = ("answered", "answered", "answered", "mediation", "legal_aid", "court_arbitration")


def weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...]) -> Any:
    """One value of (value, weight) pairs."""
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


@dataclass
class DemoAgent:
    """An agent of the demo: who, reached where, with which token."""

    agent_id: int
    username: str
    contact: str
    token: str = ""


def agents_on_duty(session: Session, now: datetime) -> list[DemoAgent]:
    """The agents with a shift around `now`."""
    rows = session.execute(
        select(Agent.id, User.username, Agent.contact)
        .join(User, User.id == Agent.user_id)
        .join(Shift, Shift.agent_id == Agent.id)
        .where(Shift.starts_at <= now, Shift.ends_at > now, User.is_active.is_(True))
        .distinct()
        .order_by(Agent.id)
    )
    return [DemoAgent(agent_id, username, contact) for agent_id, username, contact in rows]


class DemoAgents:
    """The agents on duty, driven through the API; they answer the calls they are dialled for."""

    def __init__(self, base_url: str, agents: list[DemoAgent], password: str, seed: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.by_contact = {agent.contact: agent for agent in agents}
        self.password = password
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.wrapups: list[threading.Thread] = []
        self.consultations = 0
        self.errors: list[str] = []

    def _api(self, method: str, path: str, agent: DemoAgent | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {agent.token}"} if agent else {}
        response = requests.request(
            method, self.base_url + path, headers=headers, timeout=20, **kwargs
        )
        if response.status_code >= 400:
            raise requests.HTTPError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def sign_in(self) -> int:
        """Every agent gets a token and goes available; how many did."""
        for agent in self.by_contact.values():
            body = {"username": agent.username, "password": self.password}
            agent.token = self._api("POST", "/api/token", None, json=body)["token"]
            self._api("PUT", "/api/agents/me/status", agent, json={"status": "available"})
        return len(self.by_contact)

    def sign_out(self) -> None:
        """Every agent goes offline (the live view shows the centre closed)."""
        for agent in self.by_contact.values():
            if agent.token:
                try:
                    self._api("PUT", "/api/agents/me/status", agent, json={"status": "offline"})
                except requests.RequestException as exc:
                    log.warning("demo: %s could not sign out: %s", agent.username, exc)

    def pick_up(self, contact: str) -> Pickup | None:
        """A demo agent answers after a short ring; now and then misses the whisper."""
        if contact not in self.by_contact:
            return None
        with self.lock:
            ring = self.rng.uniform(*RING_SECONDS)
            missed = self.rng.random() < MISSED_SHARE
        return Pickup(ring, "" if missed else "1")

    def talk_over(self, contact: str, call_sid: str) -> None:
        """The agent records the consultation a moment after the talk (in the wrap-up)."""
        agent = self.by_contact.get(contact)
        if agent is None:
            return
        thread = threading.Thread(target=self._wrap_up, args=(agent, call_sid), daemon=True)
        with self.lock:
            self.wrapups.append(thread)
        thread.start()

    def _wrap_up(self, agent: DemoAgent, call_sid: str) -> None:
        with self.lock:
            delay = self.rng.uniform(1.0, 3.0)
            summary = self.rng.choice(SUMMARIES)
            disposition = self.rng.choice(DISPOSITIONS)
        time.sleep(delay)
        try:
            current = self._api("GET", "/api/agents/me/current", agent) or {}
            body = {"call_sid": call_sid, "topic": current.get("topic") or "综合咨询",
                    "summary": summary, "disposition": disposition}  # fmt: skip
            self._api("POST", "/api/consultations", agent, json=body)
            with self.lock:
                self.consultations += 1
        except requests.RequestException as exc:
            with self.lock:
                self.errors.append(str(exc))

    def join(self, timeout: float) -> None:
        """Wait for the wrap-ups under way."""
        deadline = time.monotonic() + timeout
        with self.lock:
            threads = list(self.wrapups)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class DemoCentre:
    """Places calls at `rate` per minute until stopped; each call runs in its own thread."""

    def __init__(
        self,
        base_url: str,
        settings: Any,
        fake: FakeTwilio,
        agents: DemoAgents,
        regions: RegionDirectory,
        rate: float,
        speed: float,
        seed: int,
    ) -> None:
        self.base_url = base_url
        self.settings = settings
        self.fake = fake
        self.agents = agents
        self.area_codes = [region.area_code.lstrip("0") for region in regions.regions]
        self.rate = rate
        self.speed = speed
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.live: dict[str, LiveCall] = {}
        self.threads: list[threading.Thread] = []
        self.placed = 0
        self.outcomes: Counter[str] = Counter()
        self.errors: list[str] = []
        self.fell_back = 0
        fake.call_listener = self._call_update

    def _call_update(self, call_sid: str, form: dict[str, str]) -> None:
        with self.lock:
            call = self.live.get(call_sid)
        if call is not None:
            call.update(form)

    def plan(self) -> CallerPlan:
        """A random caller: from a landline of some region, wanting some service."""
        rng = self.rng
        keys = list(weighted(rng, SERVICE_KEYS))
        if len(keys) > 1:
            keys.append(weighted(rng, GROUP_KEYS))
        number = f"+86{rng.choice(self.area_codes)}{rng.randint(20000000, 89999999)}"
        talk = rng.uniform(*TALK_MINUTES) * 60 / self.speed
        return CallerPlan(
            from_=number, keys=keys, patience=rng.uniform(*PATIENCE_SECONDS), talk=talk,
            rating=weighted(rng, RATINGS), callback=rng.random() < CALLBACK_SHARE,
        )  # fmt: skip

    def place_call(self) -> LiveCall:
        """Start one call in its own thread."""
        call = LiveCall(
            self.base_url, self.settings.twilio_auth_token, self.settings.twilio_account_sid,
            self.settings.hotline_number, self.plan(), self.agents, self.stop, self._ended,
        )  # fmt: skip
        with self.lock:
            self.live[call.call_sid] = call
            self.placed += 1
        thread = threading.Thread(target=call.run, name=f"call-{self.placed}", daemon=True)
        self.threads.append(thread)
        thread.start()
        return call

    def _ended(self, call: LiveCall) -> None:
        self.fake.set_call_status(call.call_sid, "completed")
        with self.lock:
            self.live.pop(call.call_sid, None)
            self.outcomes[call.record.outcome] += 1
            self.fell_back += call.record.fell_back
            if call.record.error:
                self.errors.append(f"{call.call_sid}: {call.record.error}")

    def run(self, duration: float | None) -> None:
        """Place calls (Poisson arrivals) until `duration` seconds pass or stop is set."""
        deadline = None if duration is None else time.monotonic() + duration
        mean_gap = 60.0 / self.rate
        while not self.stop.is_set():
            gap = self.rng.expovariate(1.0 / mean_gap)
            if deadline is not None:
                gap = min(gap, max(0.0, deadline - time.monotonic()))
            if self.stop.wait(gap) or (deadline is not None and time.monotonic() >= deadline):
                break
            self.place_call()

    def finish(self, timeout: float = 30.0) -> None:
        """Every caller still on the line hangs up; wait for their last webhooks."""
        self.stop.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.agents.join(max(0.0, deadline - time.monotonic()))

    def counts(self) -> dict[str, int]:
        """Calls placed and how the finished ones ended (as the callers saw it)."""
        with self.lock:
            return {"placed": self.placed, "live": len(self.live), **self.outcomes}
