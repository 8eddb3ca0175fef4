"""One simulated live call: a caller who follows the app's TwiML over HTTP as Twilio would.

The caller presses the keys of its plan at the IVR's Gathers, waits in the queue (the waitUrl
is fetched again whenever its TwiML ends) until it runs out of patience, follows the redirects
the router makes through the (fake) Calls API, rings the agent named in <Dial>, lets the agent
hear the whisper and press 1, talks, and rates the service if asked. Every request is signed
with X-Twilio-Signature and goes to the app's base URL only.
"""

from __future__ import annotations

import queue
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urljoin

import requests
from twilio.request_validator import RequestValidator

from hotline.twiml import FALLBACK_PATH, INCOMING_PATH, STATUS_PATH

MAX_REQUESTS = 400
SAY_SECONDS = 0.2  # a prompt takes this long to "play" (the demo does not wait for real speech)
HTTP_TIMEOUT = 20.0


class CallFailed(Exception):
    """The app answered something a call cannot follow (error status, not TwiML, outside URL)."""


@dataclass(frozen=True)
class CallerPlan:
    """What one simulated caller does."""

    from_: str
    keys: list[str]  # answers to the IVR's Gathers, in order
    patience: float  # seconds the caller waits in a queue before hanging up
    talk: float  # seconds of talk once an agent has taken the call
    rating: str = ""  # key pressed at a survey after the talk ("" = silence)
    callback: bool = False  # press 1 for a call-back when the wait page offers it


@dataclass(frozen=True)
class Pickup:
    """How a dialled agent answers: after `ring` seconds, pressing `key` at the whisper."""

    ring: float
    key: str = "1"


class AgentDesk(Protocol):
    """The agents a <Dial> can ring (the demo's simulated agents)."""

    def pick_up(self, contact: str) -> Pickup | None:
        """How the agent at this contact answers, or None if nobody answers."""

    def talk_over(self, contact: str, call_sid: str) -> None:
        """The talk of this call with the agent at this contact has ended."""


@dataclass
class Step:
    """The next request of the call."""

    url: str
    params: dict[str, str] = field(default_factory=dict)
    method: str = "POST"


@dataclass
class CallRecord:
    """What happened on one call, for the demo's summary."""

    call_sid: str
    outcome: str = "ivr"  # ivr / queued / abandoned / answered / callback / voicemail / ended
    answered_by: str = ""
    urls: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def fell_back(self) -> bool:
        """Whether the app sent this call to its fallback (an error of ours somewhere)."""
        return any(url.endswith(FALLBACK_PATH) for url in self.urls)


def _text(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


def new_sid(prefix: str = "CA") -> str:
    """A fresh Twilio-shaped SID."""
    return prefix + secrets.token_hex(16)


class LiveCall:
    """One inbound call, driven in its own thread by `run()`."""

    def __init__(
        self,
        base_url: str,
        auth_token: str,
        account_sid: str,
        hotline_number: str,
        plan: CallerPlan,
        agents: AgentDesk,
        stop: threading.Event,
        on_end: Callable[[LiveCall], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.account_sid = account_sid
        self.to = hotline_number
        self.plan = plan
        self.agents = agents
        self.stop = stop
        self.on_end = on_end
        self.record = CallRecord(new_sid())
        self.inbox: queue.Queue[dict[str, str]] = queue.Queue()
        self.http = requests.Session()
        self.keys = list(plan.keys)
        self.in_queue: dict[str, str] | None = None
        self.queued_at = 0.0
        self.started = time.monotonic()
        self.talked = False

    @property
    def call_sid(self) -> str:
        """The call's CallSid."""
        return self.record.call_sid

    # ----- the Calls API side (called by the fake Twilio API's thread) -----------------------

    def update(self, form: dict[str, str]) -> None:
        """A Calls update for this call: a redirect (Url) or an end (Status)."""
        self.inbox.put(form)

    # ----- HTTP ------------------------------------------------------------------------------

    def send(
        self, step: Step, sid: str | None = None, extra: dict[str, str] | None = None
    ) -> requests.Response:
        """POST a signed webhook to a URL of the app; the response."""
        if not (step.url + "/").startswith(self.base_url + "/"):
            raise CallFailed(f"the app sent the call to {step.url}, outside the app")
        params = {
            "CallSid": sid or self.call_sid, "AccountSid": self.account_sid,
            "From": self.plan.from_, "To": self.to, "Caller": self.plan.from_,
            "Called": self.to, "Direction": "inbound", "ApiVersion": "2010-04-01",
            "CallStatus": "in-progress" if self.record.urls else "ringing",
            **(extra or {}), **step.params,
        }  # fmt: skip
        self.record.urls.append(step.url)
        headers = {"X-Twilio-Signature": self.validator.compute_signature(step.url, params)}
        return self.http.post(step.url, data=params, headers=headers, timeout=HTTP_TIMEOUT)

    def fetch(
        self, step: Step, sid: str | None = None, extra: dict[str, str] | None = None
    ) -> list[ET.Element]:
        """Request a TwiML document; its verbs."""
        response = self.send(step, sid, extra)
        if response.status_code != 200:
            raise CallFailed(f"{step.url} answered {response.status_code}")
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError:
            raise CallFailed(f"{step.url} answered something that is not TwiML") from None
        if root.tag != "Response":
            raise CallFailed(f"{step.url} answered <{root.tag}>, not <Response>")
        return list(root)

    # ----- the call --------------------------------------------------------------------------

    def run(self) -> CallRecord:
        """Place the call and follow it to its end."""
        try:
            self._follow(Step(self.base_url + INCOMING_PATH))
        except _HungUp:
            pass
        except (CallFailed, requests.RequestException) as exc:
            self.record.error = str(exc)
        finally:
            self._status_callback()
            self.http.close()
            if self.on_end is not None:
                self.on_end(self)
        return self.record

    def _follow(self, step: Step | None) -> None:
        for _ in range(MAX_REQUESTS):
            if step is None:
                if self.in_queue is None:
                    return  # the document ended: Twilio hangs up
                step = self._queue_step()
                if step is None:
                    return
            step = self._play(self.fetch(step), step.url)
        raise CallFailed(f"more than {MAX_REQUESTS} requests without ending")

    def _play(self, verbs: list[ET.Element], doc_url: str) -> Step | None:
        """Act out one document; the next request, or None when it ends."""
        for verb in verbs:
            tag = verb.tag
            if tag in ("Say", "Play", "Pause"):
                seconds = float(verb.get("length", 1)) if tag == "Pause" else SAY_SECONDS
                interrupted = self._sleep(seconds)
                if interrupted is not None:
                    return interrupted
            elif tag == "Gather":
                step = self._gather(verb, doc_url)
                if step is not None:
                    return step
            elif tag == "Redirect":
                self._leave_queue("redirected")
                return Step(urljoin(doc_url, _text(verb)), method=verb.get("method", "POST"))
            elif tag == "Enqueue":
                self._enter_queue(verb, doc_url)
                return None  # the waitUrl follows
            elif tag == "Leave":
                return self._leave_queue("leave")
            elif tag == "Dial":
                return self._dial(verb, doc_url)
            elif tag == "Record":
                self.record.outcome = "voicemail"
                return self._recorded(verb, doc_url)
            elif tag in ("Hangup", "Reject"):
                self._hangup_now()
                return None
        return None

    def _sleep(self, seconds: float) -> Step | None:
        """Let time pass; a redirect, a hang-up or the end of patience interrupts it."""
        deadline = time.monotonic() + seconds
        while True:
            if self.in_queue is not None and time.monotonic() >= self._patience_deadline():
                self._leave_queue("hangup")
                self.record.outcome = "abandoned"
                raise _HungUp
            if self.stop.is_set():
                self._leave_queue("hangup")
                raise _HungUp
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                form = self.inbox.get(timeout=min(left, 0.25))
            except queue.Empty:
                continue
            if form.get("Status") in ("completed", "canceled"):
                self._leave_queue("hangup")
                raise _HungUp
            if form.get("Url"):
                self._leave_queue("redirected")
                return Step(form["Url"], method=form.get("Method", "POST"))

    def _patience_deadline(self) -> float:
        return self.queued_at + self.plan.patience

    def _gather(self, verb: ET.Element, doc_url: str) -> Step | None:
        for child in verb:
            interrupted = self._sleep(float(child.get("length", 1)) if child.tag == "Pause" else 0)
            if interrupted is not None:
                return interrupted
        if self.in_queue is not None:
            digits = "1" if self.plan.callback else ""
        elif self.talked:
            digits = self.plan.rating
        else:
            digits = self.keys.pop(0) if self.keys else ""
        if not digits and verb.get("actionOnEmptyResult") != "true":
            return None
        params = {"Digits": digits} if digits else {}
        return Step(
            urljoin(doc_url, verb.get("action", doc_url)), params, verb.get("method", "POST")
        )

    # ----- the queue -------------------------------------------------------------------------

    def _enter_queue(self, verb: ET.Element, doc_url: str) -> None:
        if self.in_queue is None:
            self.queued_at = time.monotonic()
        self.record.outcome = "queued"
        self.in_queue = {
            "sid": new_sid("QU"),
            "wait": urljoin(doc_url, verb.get("waitUrl", "")) if verb.get("waitUrl") else "",
            "action": urljoin(doc_url, verb.get("action", "")) if verb.get("action") else "",
        }

    def _queue_params(self) -> dict[str, str]:
        waited = int(time.monotonic() - self.queued_at)
        sid = self.in_queue["sid"] if self.in_queue else ""
        return {"QueueSid": sid, "QueueTime": str(waited), "QueuePosition": "1",
                "AvgQueueTime": "0", "CurrentQueueSize": "1"}  # fmt: skip

    def _queue_step(self) -> Step | None:
        """The waitUrl again (its TwiML ended), or plain waiting when there is none."""
        assert self.in_queue is not None
        if self.in_queue["wait"]:
            return Step(self.in_queue["wait"], self._queue_params())
        interrupted = self._sleep(5)
        return interrupted or self._queue_step()

    def _leave_queue(self, result: str) -> Step | None:
        """Post the Enqueue action for leaving the queue; its document if the call goes on."""
        if self.in_queue is None:
            return None
        params = {**self._queue_params(), "QueueResult": result}
        action, self.in_queue = self.in_queue["action"], None
        if not action:
            return None
        if result == "leave":
            return Step(action, params)
        self.send(Step(action, params))  # its TwiML is ignored: the call moved on or hung up
        return None

    # ----- agents ----------------------------------------------------------------------------

    def _dial(self, verb: ET.Element, doc_url: str) -> Step | None:
        nouns = [noun for noun in verb if noun.tag in ("Number", "Client")]
        action = verb.get("action")
        if not nouns:
            self._hangup_now()  # a transfer out of the centre: the demo ends the call
            return None
        noun = nouns[0]
        contact = ("client:" if noun.tag == "Client" else "") + _text(noun)
        timeout = float(verb.get("timeout", 30))
        pickup = self.agents.pick_up(contact)
        leg = new_sid()
        status, talked = "no-answer", 0.0
        if pickup is None or pickup.ring >= timeout:
            self._sleep(timeout)
        else:
            self._sleep(pickup.ring)
            if noun.get("url") is None or self._agent_leg(noun, doc_url, leg, pickup.key):
                status, talked = "completed", self._talk(contact)
        if not action:
            return None
        params = {"DialCallStatus": status, "DialCallSid": leg,
                  "DialCallDuration": str(int(talked))}  # fmt: skip
        return Step(urljoin(doc_url, action), params, verb.get("method", "POST"))

    def _agent_leg(self, noun: ET.Element, doc_url: str, leg: str, key: str) -> bool:
        """The agent's leg hears the whisper and presses a key; True if the calls are bridged."""
        extra = {"ParentCallSid": self.call_sid, "Direction": "outbound-dial", "From": self.to,
                 "To": _text(noun), "CallStatus": "in-progress"}  # fmt: skip
        step: Step | None = Step(urljoin(doc_url, noun.get("url", "")), method="POST")
        while step is not None:
            verbs = self.fetch(step, sid=leg, extra=extra)
            if not verbs:
                return True  # an empty answer: bridged
            gather = next((v for v in verbs if v.tag == "Gather"), None)
            if gather is None:
                return False  # a goodbye to the agent: not bridged
            action = urljoin(step.url, gather.get("action", step.url))
            step = Step(action, {"Digits": key}) if key else None
        return False

    def _talk(self, contact: str) -> float:
        self.record.outcome = "answered"
        self.record.answered_by = contact
        began = time.monotonic()
        ended = self.stop.wait(self.plan.talk)
        self.talked = True
        self.agents.talk_over(contact, self.call_sid)
        if ended:
            raise _HungUp
        return time.monotonic() - began

    # ----- the end ---------------------------------------------------------------------------

    def _recorded(self, verb: ET.Element, doc_url: str) -> Step | None:
        if not verb.get("action"):
            return None
        params = {"RecordingUrl": "https://api.twilio.com/demo/" + self.call_sid,
                  "RecordingSid": new_sid("RE"), "RecordingDuration": "8",
                  "Digits": "hangup"}  # fmt: skip
        return Step(urljoin(doc_url, verb.get("action", "")), params)

    def _hangup_now(self) -> None:
        if self.record.outcome in ("ivr", "queued"):
            self.record.outcome = "ended"
        return None

    def _status_callback(self) -> None:
        duration = str(int(time.monotonic() - self.started))
        params = {"CallStatus": "completed", "CallDuration": duration}
        try:
            self.send(Step(self.base_url + STATUS_PATH, params))
        except requests.RequestException as exc:
            self.record.error = self.record.error or f"status callback failed: {exc}"


class _HungUp(Exception):
    """The caller hung up (patience, a REST hang-up or the end of the demo)."""
