"""The hand-off from the IVR to routing: put a call in line for an agent."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from sqlalchemy.orm import Session

from hotline.calls import add_event
from hotline.db import utcnow
from hotline.models import Call

QUEUE_WAIT_PATH = "/queue/wait"
QUEUE_LEFT_PATH = "/queue/left"


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


def enqueue(
    session: Session, client: redis.Redis, call: Call, request: QueueRequest
) -> QueuePlacement:
    """Record the call as queued with its service, group, topic, region and priority."""
    now = utcnow()
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
    return QueuePlacement(
        queue_name=twilio_queue_name(request.region),
        wait_url=QUEUE_WAIT_PATH,
        action_url=QUEUE_LEFT_PATH,
    )
