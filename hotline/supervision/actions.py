"""Supervisor actions of the live view: pause or release an agent, move a waiting call.

Each action is audit-logged (who, what, before and after) in the same transaction as its
change, and wakes the routers so they re-plan at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import update
from sqlalchemy.orm import Session

from hotline.auth import audit
from hotline.calls import add_event, find_call
from hotline.errors import BadRequest, Conflict, NotFound
from hotline.models import Agent, Call
from hotline.supervision.live_setup import LiveSetup
from routing import events
from routing.agent_status import StatusChange, pause, set_status
from routing.state import RoutingState


@dataclass(frozen=True)
class Actor:
    """Who acts, for the audit log."""

    user_id: int
    remote_addr: str | None


def _agent(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id}")
    if agent.status == "offline":
        raise Conflict("the agent is offline", status=agent.status)
    return agent


def _view(agent: Agent) -> dict[str, Any]:
    return {"status": agent.status, "paused": agent.paused_at is not None}


def _change_agent(
    session: Session,
    agent_id: int,
    actor: Actor,
    action: str,
    after: dict[str, Any],
    apply: Callable[[Agent], StatusChange],
) -> dict[str, Any]:
    """Audit a change of the agent's status and pause from before to after, then apply it."""
    agent = _agent(session, agent_id)
    before = _view(agent)
    if before == after:
        raise Conflict(f"the agent is {'paused' if after['paused'] else 'available'} already")
    audit(
        session, action, actor.user_id, "agent", str(agent.id), actor.remote_addr,
        before=before, after=after,
    )  # fmt: skip
    change = apply(agent)  # commits the audit entry with the change
    return {
        "agent_id": agent.id,
        "status": change.status,
        "paused": change.paused,
        "since": change.since.isoformat(),
    }


def pause_agent(
    client: redis.Redis, session: Session, agent_id: int, actor: Actor, now: datetime
) -> dict[str, Any]:
    """Take an agent out of routing until released (a call in progress goes on)."""
    return _change_agent(
        session, agent_id, actor, "agent_paused", {"status": "break", "paused": True},
        lambda agent: pause(client, session, agent, now),
    )  # fmt: skip


def release_agent(
    client: redis.Redis, session: Session, agent_id: int, actor: Actor, now: datetime
) -> dict[str, Any]:
    """Put a paused (or resting) agent back in routing: available."""
    return _change_agent(
        session, agent_id, actor, "agent_released", {"status": "available", "paused": False},
        lambda agent: set_status(client, session, agent, "available", now),
    )  # fmt: skip


def move_call(
    client: redis.Redis,
    session: Session,
    setup: LiveSetup,
    call_sid: str,
    region_text: str,
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    """Move a waiting caller to another region's queue, keeping their place by wait."""
    region = setup.resolve_region(region_text)
    if region is None:
        raise BadRequest(f"unknown region {region_text[:32]!r}", allowed=setup.region_codes())
    call = find_call(session, call_sid[:64])
    if call is None:
        raise NotFound(f"no call {call_sid[:64]}")
    state = RoutingState(client)
    step = state.move(call.call_sid, region)
    if step.outcome == "same":
        raise Conflict(f"the call waits in the queue of {region} already")
    if step.outcome != "ok":
        raise Conflict("the call is not waiting in a queue", state=step.outcome)
    before = step.call_sid
    try:
        session.execute(update(Call).where(Call.id == call.id).values(region=region))
        add_event(session, call, "moved", now, to=region, by_user=actor.user_id, **{"from": before})
        audit(
            session, "call_moved", actor.user_id, "call", call.call_sid, actor.remote_addr,
            before={"region": before}, after={"region": region},
        )  # fmt: skip
        session.commit()
    except Exception:
        session.rollback()
        state.move(call.call_sid, before)  # the database kept the old region: so does routing
        raise
    events.publish(client, "moved", call.call_sid)
    return {"call_sid": call.call_sid, "region": region, "previous_region": before}
