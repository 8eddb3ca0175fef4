"""A test caller that calls the Flask app like Twilio does and follows the TwiML it answers."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin

from twilio.request_validator import RequestValidator

VERBS = {
    "Say",
    "Play",
    "Pause",
    "Gather",
    "Redirect",
    "Enqueue",
    "Leave",
    "Dial",
    "Record",
    "Hangup",
    "Reject",
}
GATHER_CHILDREN = {"Say", "Play", "Pause"}
DIAL_NOUNS = {"Number", "Client", "Queue", "Sip", "Conference"}
TWIML_MIMETYPES = ("text/xml", "application/xml", "text/html")


class CallerError(Exception):
    """The test call cannot go on."""


class CallLoopError(CallerError):
    """The app kept the call going for more than max_steps requests."""


class BadTwimlError(CallerError):
    """The app answered an error status or something that is not valid TwiML."""


@dataclass(frozen=True)
class Speech:
    """The caller says `text` at a Gather."""

    text: str
    confidence: float = 0.9


@dataclass(frozen=True)
class Silence:
    """The caller says and presses nothing at a Gather."""


@dataclass
class _Step:
    url: str
    params: dict[str, str] = field(default_factory=dict)
    method: str = "POST"


def _text(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


def new_call_sid() -> str:
    """A fresh Twilio-shaped Call SID."""
    return "CA" + secrets.token_hex(16)


class TestCaller:
    """Places signed calls into a Flask test client, as Twilio would."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        client: Any,
        auth_token: str,
        public_url: str = "http://localhost",
        account_sid: str = "AC" + "0" * 32,
    ) -> None:
        self.client = client
        self.validator = RequestValidator(auth_token)
        self.public_url = public_url.rstrip("/")
        self.account_sid = account_sid

    def absolute(self, url: str) -> str:
        """Resolve a path (or absolute URL) against the public URL."""
        return urljoin(self.public_url + "/", url)

    def app_path(self, url: str) -> str:
        """The path and query of an absolute URL of the app."""
        rest = url[len(self.public_url) :]
        if not url.startswith(self.public_url) or (rest and rest[0] not in "/?"):
            raise BadTwimlError(f"{url} is not a URL of the app at {self.public_url}")
        return rest or "/"

    def send(self, url: str, params: dict[str, str], method: str = "POST") -> Any:
        """Request `url` signed with X-Twilio-Signature; return the test client's response."""
        path = self.app_path(url)
        if method.upper() == "GET":
            query = urlencode(params)
            joiner = "&" if "?" in url else "?"
            signature = self.validator.compute_signature(url + joiner + query, {})
            return self.client.get(
                path + joiner + query,
                base_url=self.public_url,
                headers={"X-Twilio-Signature": signature},
            )
        signature = self.validator.compute_signature(url, params)
        return self.client.post(
            path, data=params, headers={"X-Twilio-Signature": signature}, base_url=self.public_url
        )

    def place_call(
        self,
        from_: str = "+8613812345678",
        to: str = "+8612348",
        inputs: list[Any] | None = None,
        path: str = "/voice/incoming",
        extra_params: dict[str, str] | None = None,
        dial_status: str | list[str] = "completed",
        max_steps: int = 60,
    ) -> CallResult:
        """Call the app at `path` and follow its TwiML until the call ends or waits in a queue."""
        if not isinstance(dial_status, str):
            dial_status = list(dial_status)  # consumed one Dial at a time
        call = CallResult(
            caller=self,
            call_sid=new_call_sid(),
            from_=from_,
            to=to,
            inputs=list(inputs or []),
            extra_params=dict(extra_params or {}),
            dial_status=dial_status,
            max_steps=max_steps,
        )
        call.follow(_Step(self.absolute(path)))
        return call

    def answer_call(
        self,
        url: str,
        call_sid: str,
        to: str,
        from_: str = "+8645112348",
        inputs: list[Any] | None = None,
        dial_status: str | list[str] = "completed",
        max_steps: int = 60,
    ) -> CallResult:
        """Answer an outbound call (Calls create) at `to`: fetch its Url and follow the TwiML."""
        if not isinstance(dial_status, str):
            dial_status = list(dial_status)
        call = CallResult(
            caller=self,
            call_sid=call_sid,
            from_=from_,
            to=to,
            inputs=list(inputs or []),
            extra_params={"Direction": "outbound-api", "CallStatus": "in-progress"},
            dial_status=dial_status,
            max_steps=max_steps,
        )
        call.follow(_Step(self.absolute(url)))
        return call


@dataclass
class CallResult:
    """One call placed by the TestCaller: what was heard, requested and how it ended."""

    caller: TestCaller = field(repr=False)
    call_sid: str
    from_: str
    to: str
    inputs: list[Any]
    extra_params: dict[str, str]
    dial_status: str | list[str] = "completed"
    max_steps: int = 60
    heard: list[str] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    ended: tuple = ()
    dials: list[dict[str, Any]] = field(default_factory=list)
    queues: list[dict[str, Any]] = field(default_factory=list)
    gathers: list[dict[str, str]] = field(default_factory=list)
    records: list[dict[str, str]] = field(default_factory=list)
    last_twiml: str = ""
    in_queue: dict[str, Any] | None = None  # the current Enqueue, with what follows it

    @property
    def heard_text(self) -> str:
        """Everything heard, joined with spaces."""
        return " ".join(self.heard)

    def redirect(
        self, url: str, method: str = "POST", inputs: list[Any] | None = None
    ) -> CallResult:
        """Move the live call to `url` (like a Calls update) and follow the TwiML again."""
        self._require_live("redirect")
        self.inputs.extend(inputs or [])
        self.in_queue = None
        self.follow(_Step(self.caller.absolute(url), method=method))
        return self

    def wait(self, inputs: list[Any] | None = None, queue_time: int = 30) -> CallResult:
        """Request the queue's waitUrl again, taking `inputs` at its Gathers."""
        self._require_live("wait")
        if self.in_queue is None or not self.in_queue["waitUrl"]:
            raise CallerError(f"call {self.call_sid} is not waiting in a queue with a waitUrl")
        self.inputs.extend(inputs or [])
        self.follow(
            _Step(
                self.in_queue["waitUrl"],
                self._queue_params(queue_time),
                self.in_queue["waitUrlMethod"],
            )
        )
        return self

    def hangup(self, status_path: str = "/voice/status", duration: int = 60) -> CallResult:
        """The caller hangs up: Enqueue action (if waiting) and the status callback are posted."""
        if self.in_queue is not None and self.in_queue["action"]:
            params = {**self._queue_params(duration), "QueueResult": "hangup"}
            self._post_ignoring_body(self.in_queue["action"], params)
        self.in_queue = None
        params = {"CallStatus": "completed", "CallDuration": str(duration)}
        self._post_ignoring_body(self.caller.absolute(status_path), params)
        self.ended = ("hangup",)
        return self

    def follow(self, step: _Step | None) -> None:
        """Request `step` and every URL the answers lead to, at most max_steps times."""
        visited: list[str] = []
        while step is not None:
            if len(visited) >= self.max_steps:
                counts = ", ".join(f"{url} x{n}" for url, n in Counter(visited).most_common())
                raise CallLoopError(
                    f"call {self.call_sid} made more than {self.max_steps} "
                    f"requests without ending: {counts}"
                )
            visited.append(step.url)
            root = self._fetch(step)
            step = self._run(list(root), step.url)

    def _base_params(self) -> dict[str, str]:
        return {
            "CallSid": self.call_sid,
            "AccountSid": self.caller.account_sid,
            "From": self.from_,
            "To": self.to,
            "Caller": self.from_,
            "Called": self.to,
            "CallStatus": "in-progress" if self.requests else "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **self.extra_params,
        }

    def _send(self, step: _Step) -> Any:
        params = {**self._base_params(), **step.params}
        self.requests.append((self.caller.app_path(step.url), params))
        return self.caller.send(step.url, params, step.method)

    def _post_ignoring_body(self, url: str, params: dict[str, str]) -> None:
        response = self._send(_Step(url, params))
        if response.status_code >= 400:
            raise BadTwimlError(f"{url} answered {response.status_code}: {response.get_data(True)}")

    def _fetch(self, step: _Step) -> ET.Element:
        response = self._send(step)
        body = response.get_data(as_text=True)
        self.last_twiml = body
        problem = None
        if response.status_code != 200:
            problem = "an error status"
        elif response.mimetype not in TWIML_MIMETYPES:
            problem = f"content type {response.mimetype}"
        else:
            try:
                root = ET.fromstring(body)
                problem = _twiml_problem(root)
            except ET.ParseError as exc:
                problem = f"XML that does not parse ({exc})"
        if problem:
            raise BadTwimlError(
                f"{step.method} {step.url} answered {response.status_code} with "
                f"{problem}: {body[:2000]}"
            )
        return root

    def _run(self, verbs: list[ET.Element], doc_url: str) -> _Step | None:
        """Execute verbs in order; return the next request, or None when the call stops."""
        for index, verb in enumerate(verbs):
            method = verb.get("method", "POST")
            if verb.tag in ("Say", "Play"):
                self._hear(verb)
            elif verb.tag == "Gather":
                step = self._gather(verb, doc_url)
                if step is not None:
                    return step
            elif verb.tag == "Redirect":
                self.in_queue = None  # a Redirect in a waitUrl document leaves the queue
                return _Step(urljoin(doc_url, _text(verb)), method=method)
            elif verb.tag == "Enqueue":
                return self._enqueue(verb, doc_url, verbs[index + 1 :])
            elif verb.tag == "Leave":
                return self._leave()
            elif verb.tag == "Dial":
                step = self._dial(verb, doc_url)
                if step is not None:
                    return step
            elif verb.tag == "Record":
                self.records.append(dict(verb.attrib))
                if verb.get("action"):
                    params = {
                        "RecordingUrl": "https://api.twilio.com/fake/" + new_call_sid(),
                        "RecordingSid": "RE" + secrets.token_hex(16),
                        "RecordingDuration": "12",
                        "Digits": "hangup",
                    }
                    self._fetch(_Step(urljoin(doc_url, verb.get("action")), params, method))
                    self.ended = ("record",)  # the caller hung up to end the recording
                    return None
            elif verb.tag in ("Hangup", "Reject"):
                self.ended = (verb.tag.lower(),)
                return None
        last_tag = verbs[-1].tag if verbs else None
        if self.in_queue is not None:
            self.ended = ("queue", self.in_queue["name"])
        elif last_tag == "Dial":
            self.ended = ("dial", self.dials[-1]["kind"], self.dials[-1]["target"])
        else:
            self.ended = ("record",) if last_tag == "Record" else ("end",)
        return None

    def _hear(self, verb: ET.Element) -> None:
        # A loop attribute is honoured once: loop="0" would otherwise never end.
        self.heard.append(_text(verb) if verb.tag == "Say" else "play:" + _text(verb))

    def _gather(self, gather: ET.Element, doc_url: str) -> _Step | None:
        self.gathers.append(dict(gather.attrib))
        for child in gather:
            if child.tag in ("Say", "Play"):
                self._hear(child)
        answer = self.inputs.pop(0) if self.inputs else None
        accepted = gather.get("input", "dtmf").split()
        params: dict[str, str] = {}
        if isinstance(answer, Speech) and "speech" in accepted:
            params = {"SpeechResult": answer.text, "Confidence": str(answer.confidence)}
        elif isinstance(answer, str) and "dtmf" in accepted:
            finish_key = gather.get("finishOnKey", "#")
            digits = answer[:-1] if finish_key and answer.endswith(finish_key) else answer
            params = {"Digits": digits} if digits else {}
        elif answer is not None and not isinstance(answer, Silence | Speech | str):
            raise CallerError(f"unknown input {answer!r}: use digits, Speech(...) or Silence()")
        if not params and gather.get("actionOnEmptyResult") != "true":
            return None  # no input: Twilio goes on with the verb after the Gather
        action = urljoin(doc_url, gather.get("action", doc_url))
        return _Step(action, params, gather.get("method", "POST"))

    def _queue_params(self, queue_time: int = 0) -> dict[str, str]:
        queue_sid = self.in_queue["sid"] if self.in_queue else ""
        return {
            "QueuePosition": "1",
            "QueueSid": queue_sid,
            "QueueTime": str(queue_time),
            "AvgQueueTime": "0",
            "CurrentQueueSize": "1",
        }

    def _enqueue(self, verb: ET.Element, doc_url: str, rest: list[ET.Element]) -> _Step | None:
        wait_url, action = verb.get("waitUrl"), verb.get("action")
        self.in_queue = {
            "name": _text(verb),
            "sid": "QU" + secrets.token_hex(16),
            "doc_url": doc_url,
            "rest": rest,
            **verb.attrib,
            "waitUrl": urljoin(doc_url, wait_url) if wait_url else None,
            "waitUrlMethod": verb.get("waitUrlMethod", "POST"),
            "action": urljoin(doc_url, action) if action else None,
        }
        self.queues.append({k: v for k, v in self.in_queue.items() if k != "rest"})
        if wait_url is None:
            self.ended = ("queue", self.in_queue["name"])
            return None
        return _Step(self.in_queue["waitUrl"], self._queue_params(), self.in_queue["waitUrlMethod"])

    def _leave(self) -> _Step | None:
        if self.in_queue is None:
            raise BadTwimlError(f"call {self.call_sid}: <Leave> while not in a queue")
        queue, self.in_queue = self.in_queue, None
        if queue["action"]:
            params = {"QueueResult": "leave", "QueueSid": queue["sid"], "QueueTime": "30"}
            return _Step(queue["action"], params, queue.get("method", "POST"))
        return self._run(queue["rest"], queue["doc_url"])

    def _dial(self, dial: ET.Element, doc_url: str) -> _Step | None:
        nouns = [(noun.tag, _text(noun), dict(noun.attrib)) for noun in dial]
        nouns = nouns or [("Number", _text(dial), {})]  # <Dial>+86...</Dial>
        kind, target, noun_attrs = nouns[0]
        self.dials.append(
            {
                "kind": kind,
                "target": target,
                "url": noun_attrs.get("url"),
                "attrs": dict(dial.attrib),
                "nouns": nouns,
            }
        )
        if not dial.get("action"):
            return None
        status = self.dial_status
        if not isinstance(status, str):  # a list: one status per Dial, then "completed"
            status = status.pop(0) if status else "completed"
        params = {
            "DialCallStatus": status,
            "DialCallSid": new_call_sid(),
            "DialCallDuration": "30" if status == "completed" else "0",
        }
        return _Step(urljoin(doc_url, dial.get("action")), params, dial.get("method", "POST"))

    def _require_live(self, what: str) -> None:
        if not self.ended or self.ended[0] not in ("queue", "dial"):  # waiting or talking
            raise CallerError(f"cannot {what} call {self.call_sid}: it ended as {self.ended}")


def _twiml_problem(root: ET.Element) -> str | None:
    """Describe why `root` is not TwiML the caller understands, or None if it is."""
    if root.tag != "Response":
        return f"root element <{root.tag}> instead of <Response>"
    for verb in root:
        if verb.tag not in VERBS:
            return f"unknown verb <{verb.tag}>"
        allowed = GATHER_CHILDREN if verb.tag == "Gather" else DIAL_NOUNS
        bad = [child.tag for child in verb if child.tag not in allowed]
        if verb.tag in ("Gather", "Dial") and bad:
            return f"<{bad[0]}> inside <{verb.tag}>"
        if verb.tag == "Redirect" and not _text(verb):
            return "<Redirect> without a URL"
    return None
