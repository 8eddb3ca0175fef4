"""The call status callback: a status recorded on the call, and a final one ends the call."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from callbacks.lifecycle import FINAL_STATUSES, CallLifecycle
from hotline import clock
from hotline.calls import add_event, get_or_create_call
from hotline.models import Call


def apply_call_status(
    lifecycle: CallLifecycle, session: Session, params: Mapping[str, str]
) -> Call:
    """Record a Twilio call status callback on the call; a final status ends the call."""
    status = params.get("CallStatus", "")
    direction = "outbound" if params.get("Direction", "").startswith("outbound") else "inbound"
    call, _ = get_or_create_call(
        session, params["CallSid"], params.get("From"), params.get("To"), direction=direction
    )
    duration = params.get("CallDuration")
    add_event(session, call, "status", status=status, duration=duration, stage=call.stage)
    if status in FINAL_STATUSES:
        lifecycle.call_ended(session, call, status, clock.now())
    return call
