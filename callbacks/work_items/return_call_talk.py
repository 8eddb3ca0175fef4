"""The agent's side of a call-back call: their leg answered, and the call their console shows.

The console asks routing for the agent's current call first; routing knows only inbound calls,
so an agent who is calling a citizen back gets that call from here:

ringing   the citizen answered and the agent's phone or browser rings
talking   the agent pressed 1 in the whisper (the <Dial> noun's url on their leg: `agent_answered`)
wrap_up   the talk is over, until the wrap-up time after the attempt ended has passed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.calls import add_event, find_call
from hotline.models import Call, CallbackAttempt, CallbackRequest, CallEvent

AGENT_ANSWERED = "callback_agent_answered"


@dataclass(frozen=True)
class ReturnCallTalk:
    """The call-back call an agent is on, its stage for the agent, and the item it works."""

    stage: str
    call: Call
    request: CallbackRequest


def agent_answered_at(session: Session, call: Call | None) -> datetime | None:
    """When the agent accepted the call-back (pressed 1), or None if they have not."""
    if call is None:
        return None
    return session.scalar(
        select(CallEvent.at)
        .where(CallEvent.call_id == call.id, CallEvent.kind == AGENT_ANSWERED)
        .order_by(CallEvent.at)
        .limit(1)
    )


def agent_answered(session: Session, attempt: CallbackAttempt, now: datetime) -> None:
    """The agent pressed 1: the talk begins (recorded once per call)."""
    call = find_call(session, attempt.call_sid or "")
    if call is None or agent_answered_at(session, call) is not None:
        return
    add_event(session, call, AGENT_ANSWERED, now, attempt=attempt.number,
              agent_id=attempt.agent_id, region=call.region)  # fmt: skip


def _stage(session: Session, attempt: CallbackAttempt, call: Call, until: datetime) -> str | None:
    if attempt.outcome == "connected":
        return "wrap_up" if attempt.ended_at is None or attempt.ended_at > until else None
    if attempt.outcome != "dialing" or attempt.ended_at is not None:
        return None
    if attempt.answered_at is None:
        return None  # the citizen's phone rings: the call-back panel shows that
    return "talking" if agent_answered_at(session, call) is not None else "ringing"


def agent_return_call(
    session: Session, agent_id: int, now: datetime, wrap_up_seconds: int
) -> ReturnCallTalk | None:
    """The agent's latest call-back call while it rings them, is talked or wrapped up."""
    attempt = session.scalars(
        select(CallbackAttempt)
        .where(CallbackAttempt.agent_id == agent_id, CallbackAttempt.call_sid.is_not(None))
        .order_by(CallbackAttempt.started_at.desc(), CallbackAttempt.id.desc())
        .limit(1)
    ).first()
    if attempt is None:
        return None
    call = find_call(session, attempt.call_sid or "")
    request = session.get(CallbackRequest, attempt.request_id)
    if call is None or request is None:
        return None
    stage = _stage(session, attempt, call, now - timedelta(seconds=wrap_up_seconds))
    return ReturnCallTalk(stage, call, request) if stage is not None else None
