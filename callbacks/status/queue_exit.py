"""A caller leaving a Twilio queue, as the Enqueue action reports it."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from hotline.calls import add_event, find_call
from hotline.models import Call


def record_queue_exit(session: Session, params: Mapping[str, str]) -> Call | None:
    """Record why the caller left the queue on the call's timeline; the call, if known.

    A hang-up while queued (or while an agent was rung) ends the call: the queue webhook then
    runs the lifecycle's "call ended", which records the abandon.
    """
    call = find_call(session, params["CallSid"])
    if call is None:
        return None
    add_event(
        session, call, "queue_left", result=params.get("QueueResult", ""),
        queue_time=params.get("QueueTime", ""), stage=call.stage, region=call.region,
    )  # fmt: skip
    return call
