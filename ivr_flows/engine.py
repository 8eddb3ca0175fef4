"""Running a flow: one webhook in (plain params), TwiML out, events and state persisted."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy.orm import Session

from hotline.calls import add_event
from hotline.models import Call
from hotline.phones import ANONYMOUS
from ivr_flows import exits, nodes, survey_nodes
from ivr_flows.inputs import clean_token, given_from
from ivr_flows.render import Answer
from ivr_flows.resources import Classifier, FlowResources, load_resources
from ivr_flows.schema import FLOW_LEVEL, KIND_FIELDS, Flow, FlowError, FlowProblem, load_flows
from ivr_flows.state import IvrState, StateStore
from ivr_flows.turn import Turn

log = logging.getLogger("hotline.ivr")

FLOWS_DIR = Path(__file__).resolve().parent / "flows"
DEFAULT_FLOW = "12348"
SURVEY_FLOW = "survey"  # entered after the talk, when the agent hangs up first
MAX_CHAIN = 25  # nodes entered in one answer before the engine gives up on the flow

ENTER, INPUT, NOINPUT, RECORDED, DIALED = "enter", "input", "noinput", "recorded", "dialed"
EVENTS = (ENTER, INPUT, NOINPUT, RECORDED, DIALED)

HANDLERS: dict[str, nodes.Kind] = {
    "say": nodes.Say(),
    "play": nodes.Play(),
    "set": nodes.Set(),
    "branch": nodes.Branch(),
    "menu": nodes.Menu(),
    "speech": nodes.Speech(),
    "classify": nodes.Classify(),
    "region": nodes.Region(),
    "survey": survey_nodes.SurveyNode(),
    "enqueue": exits.Enqueue(),
    "voicemail": exits.VoicemailNode(),
    "callback": exits.Callback(),
    "transfer": exits.Transfer(),
    "hangup": exits.Hangup(),
}
assert set(HANDLERS) == set(KIND_FIELDS), "every node kind needs a handler"


class FlowEngine:
    """Runs one validated flow for every call; holds no per-call data itself.

    A flow other than the app's main one records its steps under its own event kind and marks
    its webhook URLs with flow=NAME, so the web layer hands them back to this engine.
    """

    def __init__(
        self,
        flow: Flow,
        resources: FlowResources,
        event_kind: str = "ivr",
        step_query: dict[str, str] | None = None,
    ) -> None:
        self.flow = flow
        self.resources = resources
        self.event_kind = event_kind
        self.step_query = dict(step_query or {})

    def initial_vars(self, call: Call, now: datetime) -> dict[str, Any]:
        """The variables a call starts with: who calls, from where, and whether we are open."""
        lookup = self.resources.regions.for_number(call.from_number)
        region = lookup.region.code if lookup.region else None
        reason = lookup.reason
        caller = call.caller
        if (
            region is None
            and caller is not None
            and self.resources.regions.get(caller.region or "")
        ):
            region, reason = caller.region, "caller_record"
        status = self.resources.hours.status(now)
        return {
            "anonymous": call.from_number == ANONYMOUS,
            "green_channel": bool(caller.green_channel) if caller is not None else False,
            "priority": int(call.priority or 0),
            "repeat_caller": bool(call.repeat_caller),
            "region": region,
            "region_reason": reason,
            "is_open": status.is_open,
            "is_holiday": status.day.is_holiday,
            "is_rest_day": status.day.is_rest_day,
            "service": None,
            "group": None,
            "topic": None,
        }

    def start(
        self,
        session: Session,
        client: redis.Redis,
        call: Call,
        now: datetime,
        base_url: str = "",
    ) -> str:
        """Begin the flow for a new call (a retried webhook begins it again)."""
        variables = self.initial_vars(call, now)
        status = self.resources.hours.status(now)
        add_event(
            session, call, "ivr_start", flow=self.flow.name, local_time=status.local.isoformat(),
            open_reason=status.reason, calendar=status.day.source,
            **{k: variables[k] for k in ("repeat_caller", "priority", "green_channel", "region",
                                         "region_reason", "is_open", "is_holiday")},
        )  # fmt: skip
        return self._begin(session, client, call, variables, now, base_url)

    def start_after_talk(
        self,
        session: Session,
        client: redis.Redis,
        call: Call,
        now: datetime,
        base_url: str = "",
    ) -> str:
        """Begin the flow for a caller still on the line after the talk (the survey)."""
        variables: dict[str, Any] = {
            name: getattr(call, name) for name in ("service", "group", "topic", "region")
        }
        add_event(session, call, self.event_kind, node=self.flow.start, outcome="start",
                  flow=self.flow.name, agent_id=call.agent_id)  # fmt: skip
        return self._begin(session, client, call, variables, now, base_url)

    def _begin(
        self,
        session: Session,
        client: redis.Redis,
        call: Call,
        variables: dict[str, Any],
        now: datetime,
        base_url: str,
    ) -> str:
        state = IvrState(flow=self.flow.name, node=self.flow.start, vars=variables)
        turn = self._turn(session, client, call, state, now, base_url)
        self._run(turn, self.flow.start)
        return self._finish(turn)

    def handle(
        self,
        session: Session,
        client: redis.Redis,
        call: Call,
        event: str,
        node_id: str | None,
        params: Mapping[str, str],
        now: datetime,
        base_url: str = "",
    ) -> str:
        """Answer one IVR webhook (enter a node, its input, a recording or a dial result)."""
        node_id = clean_token(node_id)
        state = StateStore(client).load(call.call_sid)
        lost = state is None or state.flow != self.flow.name
        if state is None or lost:
            state = self._rebuilt_state(call, now)
            add_event(session, call, "ivr_state_lost", node=node_id, event=event)
            log.warning("IVR state of %s lost at %s %s; using the safe default", call.call_sid,
                        event, node_id)  # fmt: skip
        turn = self._turn(session, client, call, state, now, base_url)
        state.steps += 1
        node = self.flow.nodes.get(node_id or "")
        if node is None or event not in EVENTS:
            add_event(session, call, "ivr_unknown_node", node=node_id, event=event)
            self._run(turn, self.flow.safe_default)
        elif state.steps > self.flow.max_steps:
            add_event(session, call, "ivr_too_many_steps", node=node.id, steps=state.steps)
            turn.say(self.flow.fail_prompt)
            self._run(turn, self.flow.safe_default)
        elif lost and event in (ENTER, INPUT, NOINPUT):
            self._run(turn, self.flow.safe_default)
        else:
            kind = HANDLERS[node.kind]
            state.node = node.id
            if event == ENTER:
                target: str | None = node.id
            elif event in (INPUT, NOINPUT):
                target = kind.on_input(turn, node, given_from(params, no_input=event == NOINPUT))
            elif event == RECORDED:
                target = kind.on_recorded(turn, node, params)
            else:
                target = kind.on_dialed(turn, node, params)
            if target is not None:
                self._run(turn, target)
        if not turn.answer.finished:
            # A node answered without a way on: never leave the caller in silence.
            log.error("IVR answer for %s at %s ended without a next step", call.call_sid, node_id)
            self._run(turn, self.flow.safe_default)
        return self._finish(turn)

    def _rebuilt_state(self, call: Call, now: datetime) -> IvrState:
        variables = self.initial_vars(call, now)
        for name in ("service", "group", "topic", "region"):
            value = getattr(call, name)
            if value is not None:
                variables[name] = value
        return IvrState(flow=self.flow.name, node=self.flow.safe_default, vars=variables)

    def _turn(
        self,
        session: Session,
        client: redis.Redis,
        call: Call,
        state: IvrState,
        now: datetime,
        base_url: str,
    ) -> Turn:
        answer = Answer(self.resources.voice, base_url, self.step_query)
        return Turn(
            self.flow, self.resources, session, client, call, state, answer, now, self.event_kind
        )

    def _run(self, turn: Turn, node_id: str) -> None:
        """Enter nodes one after another until one waits for the caller or ends the IVR."""
        for _ in range(MAX_CHAIN):
            node = self.flow.nodes[node_id]
            turn.state.node = node_id
            target = HANDLERS[node.kind].enter(turn, node)
            if target is None:
                return
            node_id = target
        log.error("IVR flow %s ran %d nodes without input; using the safe default",
                  self.flow.name, MAX_CHAIN)  # fmt: skip
        node = self.flow.nodes[self.flow.safe_default]
        turn.state.node = node.id
        HANDLERS[node.kind].enter(turn, node)

    def _finish(self, turn: Turn) -> str:
        StateStore(turn.redis).save(turn.call.call_sid, turn.state)
        return turn.answer.twiml()


def load_flow_set(
    config_dir: Path,
    flows_dir: Path | None = None,
    classifier: Callable[[], Classifier] | None = None,
) -> tuple[FlowResources, dict[str, Flow]]:
    """Load config and every flow of the directory (refusing broken ones)."""
    resources = load_resources(config_dir, classifier)
    flows = load_flows(flows_dir or FLOWS_DIR, resources.prompts, resources.vocabulary())
    return resources, flows


def call_flows(flows: dict[str, Flow]) -> dict[str, Flow]:
    """The flows a call can start in (every flow but the after-talk survey)."""
    return {name: flow for name, flow in flows.items() if name != SURVEY_FLOW}


def engine_for(
    resources: FlowResources,
    flows: dict[str, Flow],
    flow_name: str,
    *,
    event_kind: str = "ivr",
    mark_urls: bool = False,
) -> FlowEngine:
    """An engine for the named flow; mark_urls adds flow=NAME to its webhook URLs."""
    if flow_name not in flows:
        found = ", ".join(sorted(flows)) or "none"
        where = str(next(iter(flows.values())).path.parent) if flows else "flows"
        raise FlowError([FlowProblem(where, FLOW_LEVEL, f"no flow named '{flow_name}' ({found})")])
    query = {"flow": flow_name} if mark_urls else None
    return FlowEngine(flows[flow_name], resources, event_kind, query)


def build_engine(
    config_dir: Path,
    flows_dir: Path | None = None,
    flow_name: str = DEFAULT_FLOW,
    classifier: Callable[[], Classifier] | None = None,
) -> FlowEngine:
    """Load config and every flow (refusing broken ones), and an engine for the named flow."""
    resources, flows = load_flow_set(config_dir, flows_dir, classifier)
    return engine_for(resources, call_flows(flows), flow_name)
