"""Helpers for IVR tests: config copies, apps with a clock, TwiML rules, stored steps."""

from __future__ import annotations

import contextlib
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import set_clock
from hotline.models import Call, CallEvent
from hotline.runtime import Runtime
from hotline.settings import REPO_ROOT
from hotline.web.app import create_app
from hotline.web.ivr import CLASSIFIER_CONFIG
from ivr_flows.classifier import Classification
from tests.harness.caller import CallerError, CallResult, TestCaller, _Step, new_call_sid

CONFIG_DIR = REPO_ROOT / "config"
FLOWS_DIR = REPO_ROOT / "ivr_flows" / "flows"
# A Wednesday morning that is no holiday: the default time of every IVR test.
WEDNESDAY_MORNING = "2026-03-11T10:00:00+08:00"
HARBIN_LANDLINE = "+8645188886666"
UNKNOWN_MOBILE = "+8616600001111"  # geocodes only to 中国
BEIJING_MOBILE = "+8613800138000"
OFFICE_HOURS = {day: ["08:30-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
TWIML_VERBS = {"Say", "Play", "Pause", "Gather", "Redirect", "Enqueue", "Leave", "Dial",
               "Record", "Hangup", "Reject"}  # fmt: skip


class Clock:
    """A settable clock (installed with hotline.clock.set_clock)."""

    def __init__(self, iso: str = WEDNESDAY_MORNING) -> None:
        self.set(iso)

    def set(self, iso: str) -> None:
        """Pretend it is this ISO 8601 time (with offset)."""
        self.now = datetime.fromisoformat(iso)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class StubClassifier:
    """Answers a fixed classification for any text (tests of confirm paths)."""

    topic: str
    group: str
    confidence: float

    def classify(self, text: str) -> Classification:
        return Classification(self.topic, self.group, self.confidence)


def copy_config(tmp_path: Path, **files: Any) -> Path:
    """A copy of config/ with some YAML files replaced (name without .yaml -> data)."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    for name, data in files.items():
        (target / f"{name}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return target


def make_app(
    runtime: Runtime,
    clock: Clock | None = None,
    config_dir: Path | None = None,
    flows_dir: Path | None = None,
    flow: str | None = None,
    classifier: Any = None,
):
    """An app on this runtime with another config dir, flows dir or flow, and a clock."""
    changes: dict[str, Any] = {}
    if config_dir is not None:
        changes["config_dir"] = config_dir
    extra = dict(runtime.settings.extra)
    if flows_dir is not None:
        extra["flows_dir"] = str(flows_dir)
    if flow is not None:
        extra["ivr_flow"] = flow
    runtime.settings = runtime.settings.with_overrides(extra=extra, **changes)
    app = create_app(runtime=runtime)
    app.config["TESTING"] = True
    set_clock(clock or Clock())
    if classifier is not None:
        app.config[CLASSIFIER_CONFIG] = classifier
    return app


def twiml_problems(body: str) -> list[str]:
    """Why an IVR answer breaks the rules: bad XML, silence, a Gather without a fallback."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return [f"not XML: {exc}"]
    if root.tag != "Response":
        return [f"root <{root.tag}>"]
    verbs = list(root)
    problems = []
    if not verbs:
        problems.append("an empty answer (silence)")
    for index, verb in enumerate(verbs):
        if verb.tag not in TWIML_VERBS:
            problems.append(f"unknown verb <{verb.tag}>")
        if verb.tag == "Gather":
            if index == len(verbs) - 1:
                problems.append("a Gather without a following fallback verb")
            if not any(child.tag in ("Say", "Play") for child in verb):
                problems.append("a Gather that says nothing")
        if verb.tag == "Say" and verb.attrib != {"voice": "Polly.Zhiyu", "language": "cmn-CN"}:
            problems.append(f"a Say with {verb.attrib}")
        if verb.tag == "Gather" and "speech" in verb.get("input", ""):
            if verb.get("language") != "cmn-Hans-CN":
                problems.append("a speech Gather not in cmn-Hans-CN")
        if verb.tag == "Redirect" and not (verb.text or "").strip():
            problems.append("a Redirect without a URL")
    if verbs and verbs[-1].tag in ("Say", "Play", "Pause"):
        problems.append(f"ends with <{verbs[-1].tag}>: the call would hang up without a goodbye")
    return problems


HOLD_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="20"/></Response>'


class CheckingClient:
    """A Flask test client that fails the test on any IVR answer breaking the TwiML rules.

    IVR tests end where the IVR hands over: at the <Enqueue>. What the queue's wait page then
    does (position, call-back offers when nobody is on duty) is routing's, tested there; so
    the wait page is answered here with plain hold music and the caller stays in the queue.
    """

    def __init__(self, client: Any, hold_in_queue: bool = True) -> None:
        self.client = client
        self.hold_in_queue = hold_in_queue

    def post(self, path: str, **kwargs: Any) -> Any:
        if self.hold_in_queue and path.split("?")[0] == "/queue/wait":
            return self.client.application.response_class(HOLD_TWIML, mimetype="text/xml")
        response = self.client.post(path, **kwargs)
        if path.startswith(("/voice/incoming", "/ivr/")):
            assert response.status_code == 200, (path, response.status_code)
            problems = twiml_problems(response.get_data(as_text=True))
            assert not problems, (path, problems, response.get_data(as_text=True))
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)


def caller_for(app: Any, auth_token: str) -> TestCaller:
    """A TwiML-following caller for an app, checking every IVR answer."""
    return TestCaller(CheckingClient(app.test_client()), auth_token)


def call_until(caller: TestCaller, requests: int, from_: str, inputs: list[Any]) -> CallResult:
    """Place a call and stop after `requests` webhooks, as when the caller hangs up mid-IVR."""
    call = CallResult(caller=caller, call_sid=new_call_sid(), from_=from_, to="+8612348",
                      inputs=list(inputs), extra_params={}, max_steps=requests)  # fmt: skip
    with contextlib.suppress(CallerError):
        call.follow(_Step(caller.absolute("/voice/incoming")))
    return call


def call_row(session: Session, call_sid: str) -> Call:
    """The stored call, fresh from the database."""
    session.expire_all()
    return session.scalars(select(Call).where(Call.call_sid == call_sid)).one()


def events(session: Session, call_sid: str) -> list[CallEvent]:
    """The call's events in order."""
    return call_row(session, call_sid).events


def event_kinds(session: Session, call_sid: str) -> list[str]:
    """The kinds of the call's events, in order."""
    return [event.kind for event in events(session, call_sid)]


def ivr_steps(session: Session, call_sid: str) -> list[str]:
    """The call's IVR steps as 'node:outcome', in order."""
    return [
        f"{event.data['node']}:{event.data['outcome']}"
        for event in events(session, call_sid)
        if event.kind == "ivr"
    ]


def destination(call: Call) -> tuple:
    """Where the call was routed: service, group, topic, region, priority, stage."""
    return (call.service, call.group, call.topic, call.region, call.priority, call.stage)
