"""Connecting a caller to the agent of an offer: connect, the agent's whisper, the dial result.

Each step names the offer; the Redis scripts decide whether it is still current, so a late or
repeated webhook never connects a caller twice or frees an agent that has moved on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy.orm import Session

from hotline.calls import find_call
from hotline.clock import to_ms
from hotline.models import Call
from routing import events, records
from routing.config import RoutingConfig
from routing.handoff import caller_from_call
from routing.state import RoutingState, StepResult

ANSWERED_STATUSES = ("completed", "answered")


@dataclass(frozen=True)
class ConnectStep:
    """What the caller's connect request should do: dial the agent, re-queue, or end."""

    action: str  # "dial" | "rejoin" | "end"
    region: str = "province"
    contact: str = ""


@dataclass(frozen=True)
class WhisperStep:
    """What the agent leg hears: the whisper, the bridge, or a goodbye."""

    action: str  # "ask" | "bridge" | "declined" | "gone"
    call: Call | None = None


@dataclass(frozen=True)
class DialStep:
    """What the caller hears after the dial: goodbye after a talk, back in line, or the end."""

    action: str  # "talk_done" | "requeued" | "rejoin" | "end"
    region: str = "province"


def back_in_line(state: RoutingState, session: Session, call: Call | None, now: datetime) -> str:
    """Make sure a queued caller (e.g. whose offer went stale) is waiting; 'rejoin' or 'end'."""
    if call is None or call.stage not in ("queued", "ringing"):
        return "end"
    caller = state.caller(call.call_sid)
    if caller is None:
        state.enqueue(caller_from_call(call))
    elif caller.state != "waiting":
        return "rejoin"  # another offer is under way; its redirect will follow
    if call.stage == "ringing":
        records.undo_offered(session, call, call.agent_id or 0, "", "stale_offer", now)
        session.commit()
    return "rejoin"


def connect(
    client: redis.Redis,
    session: Session,
    config: RoutingConfig,
    offer_id: str,
    call_sid: str,
    now: datetime,
) -> ConnectStep:
    """The caller was redirected for an offer: dial its agent if the offer still stands."""
    state = RoutingState(client)
    deadline = to_ms(now) + 1000 * (config.ring_timeout_seconds + config.offer_settle_grace_seconds)
    step = state.connected(offer_id, deadline) if offer_id else None
    call = find_call(session, call_sid)
    region = (call.region if call is not None else None) or "province"
    if step is not None and step.outcome in ("ok", "accepted") and step.call_sid == call_sid:
        contact = records.agent_contact(session, step.agent_id or 0)
        if contact:
            return ConnectStep("dial", region, contact)
        state.release(offer_id, to_ms(now), config.requeue_priority_boost, pause=False)
    action = back_in_line(state, session, call, now)
    events.publish(client, "stale_offer", call_sid)
    return ConnectStep(action, region)


def whisper(
    client: redis.Redis, session: Session, offer_id: str, digits: str | None, now: datetime
) -> WhisperStep:
    """The agent's leg: ask for 1, accept on 1 (the call is answered), otherwise decline."""
    state = RoutingState(client)
    offer = state.offer(offer_id) if offer_id else None
    if offer is None:
        return WhisperStep("gone")
    call = find_call(session, offer["sid"])
    if digits is None:
        return WhisperStep("ask", call)
    if digits.strip() != "1":
        return WhisperStep("declined", call)
    step = state.accept(offer_id, to_ms(now))
    if step.outcome == "stale":
        return WhisperStep("gone", call)
    if step.outcome == "ok" and call is not None:
        records.mark_answered(session, call, step.agent_id or 0, offer_id, now)
        session.commit()
    return WhisperStep("bridge", call)


def offer_of(client: redis.Redis, offer_id: str, call_sid: str) -> dict[str, str] | None:
    """The open offer `offer_id` if it is one of this call's, else None."""
    offer = RoutingState(client).offer(offer_id) if offer_id else None
    return offer if offer is not None and offer.get("sid") == call_sid else None


def take_back_missed(
    client: redis.Redis,
    session: Session,
    config: RoutingConfig,
    offer: dict[str, str],
    dial_status: str,
    now: datetime,
    pause: bool = True,
) -> DialStep | None:
    """The agent never took the offered call: paused, and the caller back at the head of the line.

    None when the agent took the call (its talk ended) or the offer moved on meanwhile. With
    `pause` False the agent is free at once (the leg failed on our side, not the agent's).
    """
    if offer.get("accepted") == "1":
        return None
    state = RoutingState(client)
    step = state.release(offer["id"], to_ms(now), config.requeue_priority_boost, pause=pause)
    if step.outcome != "ok":
        return None
    call = find_call(session, offer["sid"])
    missed_why = dial_status or "no_key"
    records.mark_missed(
        session, call, step.agent_id or 0, offer["id"], missed_why, now, pause_agent=pause
    )
    session.commit()
    events.publish(client, "requeued", offer["sid"])
    return DialStep("requeued", _region(call))


def after_stale_dial(
    client: redis.Redis, session: Session, call: Call | None, now: datetime
) -> DialStep:
    """A dial whose offer was no longer current: back in line, the end, or a talk already over."""
    action = back_in_line(RoutingState(client), session, call, now)
    if action == "end" and call is not None and call.stage in ("wrap_up", "talking"):
        return DialStep("talk_done", _region(call))
    return DialStep(action, _region(call))


def end_talk(
    client: redis.Redis,
    session: Session,
    config: RoutingConfig,
    offer_id: str,
    now: datetime,
    call: Call | None,
) -> StepResult | None:
    """End the talk of an accepted offer: the agent wraps up ('wrap_up', or 'idle' when there is
    no wrap-up time); None if the offer was not current."""
    state = RoutingState(client)
    now_ms = to_ms(now)
    wrap_until = now_ms + 1000 * config.wrap_up_seconds
    step = state.finish(offer_id, now_ms, wrap_until)
    if step.outcome not in ("idle", "wrap_up"):
        return None
    if call is None or call.call_sid != step.call_sid:
        call = find_call(session, step.call_sid)
    talk = 0
    if call is not None:
        talk = records.mark_talk_ended(session, call, step.agent_id or 0, now)
    session.commit()
    state.record_handle_time(talk + config.wrap_up_seconds, config.handle_time_samples)
    events.publish(client, "agent", step.agent_id)
    return step


def _region(call: Call | None) -> str:
    return (call.region if call is not None else None) or "province"
