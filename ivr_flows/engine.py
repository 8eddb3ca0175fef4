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
from ivr_flows import exits, nodes
from ivr_flows.inputs import clean_token, given_from
from ivr_flows.render import Answer
from ivr_flows.resources import Classifier, FlowResources, load_resources
from ivr_flows.schema import FLOW_LEVEL, KIND_FIELDS, Flow, FlowError, FlowProblem, load_flows
from ivr_flows.state import IvrState, StateStore
from ivr_flows.turn import Turn

log = logging.getLogger("hotline.ivr")

FLOWS_DIR = Path(__file__).resolve().parent / "flows"
DEFAULT_FLOW = "12348"
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
    "survey": nodes.SurveyNode(),
    "enqueue": exits.Enqueue(),
    "voicemail": exits.VoicemailNode(),
    "callback": exits.Callback(),
    "transfer": exits.Transfer(),
    "hangup": exits.Hangup(),
}
assert set(HANDLERS) == set(KIND_FIELDS), "every node kind needs a handler"


class FlowEngine:
    """Runs one validated flow for every call; holds no per-call data itself."""

    def __init__(self, flow: Flow, resources: FlowResources) -> None:
        self.flow = flow
        self.resources = resources

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
        if lost:
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
        answer = Answer(self.resources.voice, base_url)
        return Turn(self.flow, self.resources, session, client, call, state, answer, now)

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


def build_engine(
    config_dir: Path,
    flows_dir: Path | None = None,
    flow_name: str = DEFAULT_FLOW,
    classifier: Callable[[], Classifier] | None = None,
) -> FlowEngine:
    """Load config and every flow (refusing broken ones), and an engine for the named flow."""
    resources = load_resources(config_dir, classifier)
    flows_dir = flows_dir or FLOWS_DIR
    flows = load_flows(flows_dir, resources.prompts, resources.vocabulary())
    if flow_name not in flows:
        found = ", ".join(sorted(flows)) or "none"
        raise FlowError(
            [FlowProblem(str(flows_dir), FLOW_LEVEL, f"no flow named '{flow_name}' ({found})")]
        )
    return FlowEngine(flows[flow_name], resources)
