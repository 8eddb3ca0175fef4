"""The call status callback: a call ended (or changed), whatever stage it was in."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from hotline import clock
from hotline.calls import add_event, get_or_create_call
from hotline.models import Call

FINAL_STATUSES = {"completed", "busy", "no-answer", "failed", "canceled"}

log = logging.getLogger("hotline.callbacks")

# Called as hook(session, call, stage_before) when a final status ends a call (e.g. routing
# takes the caller out of its queue and frees the agent); registered by the layers above.
FinalStatusHook = Callable[[Session, Call, str], None]
_final_status_hooks: list[FinalStatusHook] = []


def add_final_status_hook(hook: FinalStatusHook) -> None:
    """Run `hook` whenever a final status ends a call (registering twice is harmless)."""
    if hook not in _final_status_hooks:
        _final_status_hooks.append(hook)


def apply_call_status(session: Session, params: Mapping[str, str]) -> Call:
    """Record a Twilio call status callback on the call; a final status ends the call."""
    call_sid = params["CallSid"]
    status = params.get("CallStatus", "")
    direction = "outbound" if params.get("Direction", "").startswith("outbound") else "inbound"
    call, _ = get_or_create_call(
        session, call_sid, params.get("From"), params.get("To"), direction=direction
    )
    duration = params.get("CallDuration")
    add_event(session, call, "status", status=status, duration=duration, stage=call.stage)
    if status in FINAL_STATUSES and call.stage != "ended":
        now = clock.now()
        call.hangup_stage = call.stage
        call.stage = "ended"
        call.ended_at = now
        if call.outcome is None:
            call.outcome = _outcome_for(call.hangup_stage, status)
        if call.answered_at is not None and call.talk_seconds is None:
            call.talk_seconds = max(0, int((now - call.answered_at).total_seconds()))
        if call.queued_at is not None and call.wait_seconds is None:
            call.wait_seconds = max(0, int((now - call.queued_at).total_seconds()))
        for hook in list(_final_status_hooks):
            try:
                hook(session, call, call.hangup_stage or "")
            except Exception:  # noqa: BLE001 - the status itself must still be recorded
                log.exception("final-status hook %r failed for %s", hook, call_sid)
    return call


def _outcome_for(stage: str | None, status: str) -> str:
    if status != "completed":
        return status.replace("-", "_")
    return {
        "ivr": "ivr_hangup",
        "queued": "abandoned",
        "ringing": "abandoned",
        "talking": "answered",
        "wrap_up": "answered",
        "survey": "answered",
        "voicemail": "voicemail",
    }.get(stage or "", "ended")
