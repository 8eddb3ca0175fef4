"""An agent's chosen status (available, break, offline) and the call they have now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.calls import find_call
from hotline.clock import to_ms
from hotline.models import Agent, Call
from hotline.models.vocabulary import AGENT_STATUSES
from hotline.phones import mask
from routing import events
from routing.records import seconds_between
from routing.state import RoutingState

LIVE_CALL_STAGES = ("ringing", "talking", "wrap_up")


@dataclass(frozen=True)
class StatusChange:
    """The agent's status after a change."""

    status: str
    since: datetime
    paused: bool


def set_status(
    client: redis.Redis, session: Session, agent: Agent, status: str, now: datetime
) -> StatusChange:
    """Record the agent's choice in the database and the live state, and wake the routers.

    Choosing "available" also ends a pause (after a missed call).
    """
    if status not in AGENT_STATUSES:
        raise ValueError(f"unknown agent status {status!r}")
    if agent.status != status:
        agent.status = status
        agent.status_since = now
    if status == "available":
        agent.paused_at = None
    session.commit()
    state = RoutingState(client)
    clear = status == "available"
    if state.set_status(agent.id, status, clear, to_ms(now)) == "missing":
        paused_at = to_ms(agent.paused_at) if agent.paused_at else None
        state.ensure_agent(agent.id, status, paused_at, to_ms(now), to_ms(agent.status_since))
    events.publish(client, "agent", agent.id)
    paused = agent.paused_at is not None
    return StatusChange(status=agent.status, since=agent.status_since, paused=paused)


def pause(client: redis.Redis, session: Session, agent: Agent, now: datetime) -> StatusChange:
    """A supervisor takes the agent out of routing: status break, paused until released.

    The agent's talk or wrap-up in progress goes on; no new call is offered. Releasing is
    set_status(..., "available", ...), which also ends the pause.
    """
    if agent.status != "break":
        agent.status = "break"
        agent.status_since = now
    if agent.paused_at is None:
        agent.paused_at = now
    session.commit()
    state = RoutingState(client)
    if state.pause(agent.id, to_ms(now)) == "missing":
        state.ensure_agent(
            agent.id, "break", to_ms(agent.paused_at), to_ms(now), to_ms(agent.status_since)
        )
    events.publish(client, "agent", agent.id)
    return StatusChange(status=agent.status, since=agent.status_since, paused=True)


def current_call(
    client: redis.Redis, session: Session, agent: Agent, now: datetime
) -> tuple[str, Call] | None:
    """The call now offered to, talking with or wrapped up by this agent, with that stage."""
    live = RoutingState(client).agent(agent.id)
    if live is not None:
        if live.live not in LIVE_CALL_STAGES or not live.call_sid:
            return None
        call = find_call(session, live.call_sid)
        return (live.live, call) if call is not None else None
    # No live state (Redis lost and not rebuilt yet): the database's view of routed calls
    # (an outbound call-back's stages are its own, see callbacks.work_items.return_call_talk).
    call = session.scalars(
        select(Call)
        .where(
            Call.agent_id == agent.id,
            Call.stage.in_(("ringing", "talking")),
            Call.direction == "inbound",
        )
        .order_by(Call.id.desc())
        .limit(1)
    ).first()
    return (call.stage, call) if call is not None else None


def describe(stage: str, call: Call, now: datetime) -> dict[str, Any]:
    """The JSON the agent sees: masked number, the full one only once they are talking.

    The number is the citizen's: the caller of an inbound call, the called party of a call-back.
    """
    waited = call.wait_seconds
    if waited is None:
        waited = seconds_between(call.queued_at, now)
    citizen = call.to_number if call.direction == "outbound" else call.from_number
    body: dict[str, Any] = {
        "call_sid": call.call_sid,
        "stage": stage,
        "service": call.service,
        "topic": call.topic,
        "group": call.group,
        "region": call.region,
        "priority": call.priority,
        "repeat_caller": bool(call.repeat_caller),
        "waiting_seconds": waited,
        "caller": mask(citizen),
    }
    if stage in ("talking", "wrap_up"):
        body["caller_full"] = citizen
    return body
