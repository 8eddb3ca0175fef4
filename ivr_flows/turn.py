"""One webhook answer being computed: the call, its IVR state, the TwiML and shared rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from sqlalchemy.orm import Session

from hotline.calls import add_event
from hotline.models import Call
from ivr_flows.inputs import Given
from ivr_flows.render import Answer
from ivr_flows.resources import FlowResources
from ivr_flows.schema import Flow, Node
from ivr_flows.state import IvrState


@dataclass
class Turn:
    """Everything a node needs to answer one webhook (no web framework involved)."""

    flow: Flow
    resources: FlowResources
    session: Session
    redis: redis.Redis
    call: Call
    state: IvrState
    answer: Answer
    now: datetime
    event_kind: str = "ivr"  # the call-event kind of this flow's steps

    @property
    def vars(self) -> dict[str, Any]:
        """The flow variables of this call."""
        return self.state.vars

    def event(self, node: Node, outcome: str, **data: Any) -> None:
        """Record an IVR step as a call event."""
        data = {"node": node.id, "node_kind": node.kind, "outcome": outcome, **data}
        add_event(self.session, self.call, self.event_kind, **data)

    def text(self, key: str | None) -> str:
        """A prompt's text with the flow variables filled in ('' for no prompt)."""
        if not key:
            return ""
        return self.resources.prompts.render(key, self.prompt_vars())

    def say(self, key: str | None) -> None:
        """Speak a prompt (nothing for no prompt)."""
        self.answer.say(self.text(key))

    def prompt_vars(self) -> dict[str, Any]:
        """Variables prompts may name: the flow variables and display names."""
        values = dict(self.vars)
        taxonomy = self.resources.taxonomy
        service = next((s for s in taxonomy.services if s.code == values.get("service")), None)
        group = next((g for g in taxonomy.groups if g.digit == values.get("group")), None)
        region = self.resources.regions.get(str(values.get("region") or ""))
        values["service_name"] = service.name if service else ""
        values["group_name"] = group.name if group else ""
        values["region_name"] = region.name if region else ""
        return values

    def accepted(self, node: Node) -> None:
        """The caller gave a usable answer: forget this node's failures."""
        self.state.fails.pop(node.id, None)

    def fail(self, node: Node, outcome: str, given: Given) -> str:
        """Count an invalid or empty input: re-prompt, or after the limit, where to go next."""
        count = self.state.fails.get(node.id, 0) + 1
        self.state.fails[node.id] = count
        limit = node.get("max_failures") or self.flow.max_failures
        self.event(node, outcome, input=given.for_event(), failures=count)
        if count < limit:
            self.say(node.get("invalid_prompt" if outcome == "invalid" else "no_input_prompt"))
            return node.id
        self.state.fails.pop(node.id, None)
        default_next = node.get("next") if node.kind == "survey" else self.flow.safe_default
        target = node.get("on_fail") or default_next
        self.event(node, "failed", next=target)
        if target == self.flow.safe_default:
            self.say(self.flow.fail_prompt)
        return target

    def apply(self, assignments: dict[str, Any]) -> None:
        """Set flow variables, keeping topic and group consistent with each other."""
        taxonomy = self.resources.taxonomy
        self.vars.update(assignments)
        if "group" in assignments and "topic" not in assignments:
            group = next((g for g in taxonomy.groups if g.digit == assignments["group"]), None)
            if group is not None and self.vars.get("topic") not in group.topics:
                only = group.topics[0] if len(group.topics) == 1 else taxonomy.default_topic
                self.vars["topic"] = only
        if "topic" in assignments and "group" not in assignments:
            group = taxonomy.group_of(str(assignments["topic"]))
            self.vars["group"] = group.digit if group else self.vars.get("group")
