"""A caller leaving a Twilio queue, as the Enqueue action reports it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from hotline import clock
from hotline.calls import add_event, find_call
from hotline.models import Call


def record_queue_exit(
    session: Session, params: Mapping[str, str], now: datetime | None = None
) -> Call | None:
    """Record why the caller left the queue; a hang-up while queued (or ringing) is an abandon."""
    call = find_call(session, params["CallSid"])
    if call is None:
        return None
    now = now or clock.now()
    result = params.get("QueueResult", "")
    queue_time = params.get("QueueTime", "")
    add_event(
        session, call, "queue_left", result=result, queue_time=queue_time, stage=call.stage,
        region=call.region,
    )  # fmt: skip
    if result == "hangup" and call.stage in ("queued", "ringing"):
        # Ringing: an agent was being offered the call when the caller gave up.
        call.hangup_stage = call.stage
        call.stage = "ended"
        call.outcome = "abandoned"
        call.ended_at = now
        # The whole wait since the IVR handed over (QueueTime restarts after a re-queue).
        if call.queued_at is not None:
            call.wait_seconds = max(0, int((now - call.queued_at).total_seconds()))
        elif queue_time.isdigit():
            call.wait_seconds = int(queue_time)
    return call
