"""A caller leaving a Twilio queue, as the Enqueue action reports it."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from hotline.calls import add_event, find_call
from hotline.db import utcnow
from hotline.models import Call


def record_queue_exit(session: Session, params: Mapping[str, str]) -> Call | None:
    """Record why the caller left the queue; a hang-up while queued is an abandon."""
    call = find_call(session, params["CallSid"])
    if call is None:
        return None
    result = params.get("QueueResult", "")
    queue_time = params.get("QueueTime", "")
    add_event(session, call, "queue_left", result=result, queue_time=queue_time)
    if result == "hangup" and call.stage == "queued":
        call.hangup_stage = "queued"
        call.stage = "ended"
        call.outcome = "abandoned"
        call.ended_at = utcnow()
        if queue_time.isdigit():
            call.wait_seconds = int(queue_time)
    return call
