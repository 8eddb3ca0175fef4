"""`hotline simulate`: place a call from the terminal against the real app, in process."""

from __future__ import annotations

import re
import secrets
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast
from urllib.parse import urljoin

import click
from twilio.request_validator import RequestValidator

from hotline import clock
from hotline.times import SHANGHAI
from hotline.twiml import INCOMING_PATH, STATUS_PATH

SIM_URL = "http://simulate.local"
MAX_REQUESTS = 200
KEYS = re.compile(r"^[0-9*#]+$")


class Signer:
    """Signs webhook requests with the account's auth token, as Twilio does."""

    def __init__(self, auth_token: str) -> None:
        self.validator = RequestValidator(auth_token)

    def signature(self, url: str, params: dict[str, str]) -> str:
        """The X-Twilio-Signature of a POST of params to url."""
        return cast(str, self.validator.compute_signature(url, params))  # twilio is untyped


class TerminalCall:
    """Follows the app's TwiML like Twilio, asking a person at every Gather, Record and Dial."""

    def __init__(
        self,
        client: Any,
        signer: Signer,
        read: Callable[[str], str | None],
        write: Callable[[str], None],
        from_: str,
        to: str,
        account_sid: str,
        base_url: str = SIM_URL,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.read = read
        self.write = write
        self.call_sid = "CA" + secrets.token_hex(16)
        self.base = {"CallSid": self.call_sid, "AccountSid": account_sid, "From": from_,
                     "To": to, "Caller": from_, "Called": to, "Direction": "inbound",
                     "ApiVersion": "2010-04-01"}  # fmt: skip
        self.requests = 0
        self.ended = ""
        self.hung_up = False

    def post(self, url: str, params: dict[str, str]) -> Any:
        """POST a signed webhook to a URL of the app."""
        status = "ringing" if self.requests == 0 else "in-progress"
        full = {**self.base, "CallStatus": status, **params}
        self.requests += 1
        return self.client.post(
            url[len(self.base_url) :] or "/",
            data=full,
            headers={"X-Twilio-Signature": self.signer.signature(url, full)},
        )

    def run(self) -> str:
        """Place the call and follow it until it ends or waits in a queue; how it ended."""
        step: tuple[str, dict[str, str]] | None = (self.base_url + INCOMING_PATH, {})
        while step is not None and not self.ended:
            if self.requests >= MAX_REQUESTS:
                self.ended = f"stopped after {MAX_REQUESTS} requests"
                break
            url, params = step
            if not url.startswith(self.base_url + "/"):
                self.ended = f"error: the app sent the call to {url}, outside the app"
                break
            response = self.post(url, params)
            body = response.get_data(as_text=True)
            if response.status_code != 200:
                self.ended = f"error: {url} answered {response.status_code}: {body[:300]}"
                break
            try:
                verbs = list(ET.fromstring(body))
            except ET.ParseError:
                self.ended = f"error: {url} answered something that is not TwiML: {body[:300]}"
                break
            step = self.verbs(verbs, url)
        if not self.ended:
            self.ended = "the call ended"
        return self.ended

    def hang_up(self) -> None:
        """The call is over: Twilio's status callback (once)."""
        if not self.hung_up:
            self.hung_up = True
            params = {"CallStatus": "completed", "CallDuration": "60"}
            self.post(self.base_url + STATUS_PATH, params)

    def verbs(self, verbs: list[ET.Element], doc_url: str) -> tuple[str, dict[str, str]] | None:
        """Act out the verbs of one answer; the next request, or None when the call stops."""
        for verb in verbs:
            text = "".join(verb.itertext()).strip()
            if verb.tag == "Say":
                self.write(f"  IVR: {text}")
            elif verb.tag == "Play":
                self.write(f"  IVR: [audio {text}]")
            elif verb.tag == "Gather":
                for child in verb:
                    self.write(f"  IVR: {''.join(child.itertext()).strip()}")
                answer = self.gather(verb)
                if answer is None:
                    return None
                if answer:
                    return urljoin(doc_url, verb.get("action", doc_url)), answer
            elif verb.tag == "Redirect":
                return urljoin(doc_url, text), {}
            elif verb.tag == "Enqueue":
                self.ended = f"queued in {text}"
                return None
            elif verb.tag == "Record":
                return self.record(verb, doc_url)
            elif verb.tag == "Dial":
                return self.dial(verb, doc_url, text)
            elif verb.tag in ("Hangup", "Reject"):
                self.ended = "the IVR hung up"
                return None
        return None

    def gather(self, verb: ET.Element) -> dict[str, str] | None:
        """Ask the person: keys, speech, silence (empty), or hang up (end of input)."""
        modes = verb.get("input", "dtmf").split()
        hint = "keys" if modes == ["dtmf"] else "keys or speech"
        line = self.read(f"[{hint}; empty = silence] > ")
        if line is None:
            self.ended = "the caller hung up"
            self.hang_up()
            return None
        line = line.strip()
        if not line:
            return {}
        if KEYS.match(line) and "dtmf" in modes:
            return {"Digits": line}
        if "speech" in modes:
            return {"SpeechResult": line, "Confidence": "0.9"}
        self.write("  (this prompt takes keys only: treated as silence)")
        return {}

    def record(self, verb: ET.Element, doc_url: str) -> tuple[str, dict[str, str]] | None:
        """A voicemail: any text stands for a recording, empty for silence."""
        line = self.read("[speak your message; empty = say nothing] > ")
        if line is None or not line.strip() or not verb.get("action"):
            self.ended = "the caller hung up without a message"
            self.hang_up()
            return None
        params = {
            "RecordingUrl": "https://api.twilio.com/simulated/" + self.call_sid,
            "RecordingSid": "RE" + secrets.token_hex(16),
            "RecordingDuration": str(max(1, len(line.strip()) // 4)),
            "Digits": "hangup",
        }
        return urljoin(doc_url, verb.get("action", "")), params

    def dial(self, verb: ET.Element, doc_url: str, text: str) -> tuple[str, dict[str, str]] | None:
        """A transfer: ask whether the other side answers."""
        self.write(f"  (dialing {text})")
        if not verb.get("action"):
            self.ended = f"transferred to {text}"
            return None
        line = self.read("[answered? y/n] > ")
        if line is None:
            self.ended = "the caller hung up"
            self.hang_up()
            return None
        status = "no-answer" if line.strip().lower().startswith("n") else "completed"
        return urljoin(doc_url, verb.get("action", "")), {"DialCallStatus": status}


def _parse_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-10-01T20:30+08:00") from None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def _summary(app: Any, call_sid: str) -> list[str]:
    from sqlalchemy import select

    from hotline.models import Call
    from hotline.web.extensions import runtime

    with app.app_context(), runtime().session() as session:
        call = session.scalars(select(Call).where(Call.call_sid == call_sid)).one_or_none()
        if call is None:
            return []
        lines = [
            f"call {call_sid}: stage={call.stage} service={call.service} group={call.group} "
            f"topic={call.topic} region={call.region} priority={call.priority} "
            f"outcome={call.outcome}"
        ]
        for event in call.events:
            detail = event.data or {}
            step = f" {detail['node']}:{detail['outcome']}" if event.kind == "ivr" else ""
            lines.append(f"  event {event.kind}{step}")
        return lines


def _read_line(prompt: str) -> str | None:
    click.echo(prompt, nl=False)
    line = sys.stdin.readline()
    if not line:
        click.echo()
        return None
    line = line.rstrip("\n")
    if not sys.stdin.isatty():
        click.echo(line)  # piped input: show what the "caller" typed
    return line


def run_simulation(
    app: Any,
    read: Callable[[str], str | None],
    write: Callable[[str], None],
    from_: str,
    to: str | None = None,
    at: datetime | None = None,
) -> TerminalCall:
    """Place one call against the app, in process, and report where it ended."""
    settings = app.config["HOTLINE_SETTINGS"]
    if at is not None:
        clock.set_clock(lambda: at)
    call = TerminalCall(
        app.test_client(), Signer(settings.twilio_auth_token), read, write, from_,
        to or settings.hotline_number, settings.twilio_account_sid,
        settings.public_url or SIM_URL,
    )  # fmt: skip
    write(f"calling 12348 from {from_}" + (f" at {at.isoformat()}" if at else ""))
    ended = call.run()
    write(f"-> {ended}")
    for line in _summary(app, call.call_sid):
        write(line)
    if not ended.startswith("error"):
        call.hang_up()  # the call ends: no simulated caller is left waiting in a queue
    return call


@click.command()
@click.option("--from", "from_", default="+8613945012345", show_default=True,
              help="the caller's number (E.164, or 'anonymous')")  # fmt: skip
@click.option("--to", default=None, help="the number called (default HOTLINE_NUMBER)")
@click.option("--at", "at", default=None, help="pretend the call is at this ISO 8601 time")
def simulate(from_: str, to: str | None, at: str | None) -> None:
    """Call the IVR from the terminal: digits are keys, other text is speech, empty is silence."""
    from hotline import migrate
    from hotline.runtime import Runtime
    from hotline.settings import load_settings
    from hotline.web.app import create_app

    moment = _parse_at(at)
    settings = load_settings()
    if settings.is_production:
        raise click.UsageError("simulate writes test calls: not with HOTLINE_ENV=production")
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    if migrate.current_revision(settings.database_url) is None:
        migrate.upgrade(settings.database_url)
        click.echo("created the database schema")
    runtime = Runtime(settings.with_overrides(public_url=SIM_URL))
    app = create_app(runtime=runtime)
    try:
        run_simulation(app, _read_line, click.echo, from_, to, moment)
    finally:
        runtime.close()
