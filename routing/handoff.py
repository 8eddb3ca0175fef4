"""The hand-off from the IVR to routing: put a call in line for an agent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy.orm import Session

from hotline import clock
from hotline.after_commit import after_commit
from hotline.calls import add_event
from hotline.clock import to_ms
from hotline.models import Call
from hotline.twiml import QUEUE_PREFIX
from routing import events
from routing.state import CallerState, RoutingState

log = logging.getLogger("hotline.routing")

QUEUE_WAIT_PATH = f"{QUEUE_PREFIX}/wait"
QUEUE_LEFT_PATH = f"{QUEUE_PREFIX}/left"


@dataclass(frozen=True)
class QueueRequest:
    """What the caller needs: decided by the IVR, used by routing."""

    service: str
    group: str
    topic: str
    region: str  # a region code or "province"
    priority: int = 0


@dataclass(frozen=True)
class QueuePlacement:
    """Where the caller waits: the Twilio queue name and the URLs of the <Enqueue>."""

    queue_name: str
    wait_url: str
    action_url: str


def twilio_queue_name(region: str) -> str:
    """The Twilio queue that holds a region's waiting callers."""
    return f"hotline-{region}"


def placement_for(region: str) -> QueuePlacement:
    """The <Enqueue> of a region's callers (also used to put a caller back in line)."""
    return QueuePlacement(
        queue_name=twilio_queue_name(region),
        wait_url=QUEUE_WAIT_PATH,
        action_url=QUEUE_LEFT_PATH,
    )


def caller_from_call(call: Call, cls: int | None = None) -> CallerState:
    """The routing state of a queued call (class: its priority unless given)."""
    priority = int(call.priority or 0)
    return CallerState(
        call_sid=call.call_sid,
        call_id=call.id,
        service=call.service or "",
        group=call.group or "",
        topic=call.topic or "",
        region=call.region or "province",
        priority=priority,
        cls=priority if cls is None else cls,
        enqueued_ms=to_ms(call.queued_at or clock.now()),
        repeat_caller=bool(call.repeat_caller),
        state="waiting",
        agent_id=None,
        offer_id="",
        reach=0,
        nobody=False,
        ready_agents=0,
        retry_at_ms=0,
    )


def push_caller(client: redis.Redis, caller: CallerState) -> None:
    """Put a committed queued call into the live queue and wake the routers."""
    RoutingState(client).enqueue(caller)
    events.publish(client, "enqueued", caller.call_sid)


def enqueue(
    session: Session,
    client: redis.Redis,
    call: Call,
    request: QueueRequest,
    *,
    now: datetime | None = None,
) -> QueuePlacement:
    """Record the call as queued; once the transaction commits, it joins the live queue.

    The push to Redis waits for the commit (an after-commit hook) so a router never offers a
    call whose row it cannot see yet. If that push is lost, the first request of the waitUrl
    (which Twilio sends as soon as the caller is in its queue) puts the caller in line again.
    """
    now = now or clock.now()
    call.service = request.service
    call.group = request.group
    call.topic = request.topic
    call.region = request.region
    call.priority = request.priority
    call.stage = "queued"
    call.queued_at = now
    add_event(
        session,
        call,
        "enqueued",
        service=request.service,
        group=request.group,
        topic=request.topic,
        region=request.region,
        priority=request.priority,
    )
    session.flush()
    after_commit(session, push_caller, client, caller_from_call(call))
    return placement_for(request.region)
