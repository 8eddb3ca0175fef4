"""A caller waiting in line: what to announce, and leaving the line (voicemail, hang-up)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy.orm import Session

from hotline.calls import add_event, find_call
from hotline.clock import to_ms
from hotline.models import Call
from routing import events, records
from routing.config import RoutingConfig
from routing.handoff import caller_from_call
from routing.policy import average_handle_seconds, expected_wait_seconds
from routing.rebuild import call_history
from routing.state import CallerState, RoutingState, StepResult

SPEECH_SECONDS = 15  # roughly what the announcement and the offer take to say


@dataclass(frozen=True)
class WaitView:
    """What a waiting caller should hear now."""

    state: str  # waiting / offered / talking / left (the call left routing) / unknown
    ahead: int = 0
    minutes: int = 0
    waited_seconds: int = 0
    alternatives: str = ""  # "" or why to offer call-back / voicemail: "nobody", "waited_long"
    pause_seconds: int = 30


def _restore(state: RoutingState, session: Session, call: Call, config: RoutingConfig) -> None:
    """Put a queued call the live state lost back in line (keeping its class)."""
    history = call_history(session, [call.id])[call.id]
    boost = config.requeue_priority_boost if history["requeued"] else 0
    state.enqueue(caller_from_call(call, cls=int(call.priority or 0) + boost))


def wait_view(
    client: redis.Redis, session: Session, config: RoutingConfig, call_sid: str, now: datetime
) -> WaitView:
    """Position, expected wait and whether to offer call-back or voicemail instead."""
    state = RoutingState(client)
    caller = state.caller(call_sid)
    if caller is None:
        call = find_call(session, call_sid)
        if call is None:
            return WaitView("unknown")
        if call.stage != "queued":
            return WaitView("left")
        _restore(state, session, call, config)
        events.publish(client, "enqueued", call_sid)
        caller = state.caller(call_sid)
        if caller is None:
            return WaitView("unknown")
    if caller.state != "waiting":
        return WaitView(caller.state, pause_seconds=10)
    ahead = state.position(caller) or 0
    handle = average_handle_seconds(state.handle_times(), config.default_handle_seconds)
    expected = expected_wait_seconds(ahead, handle, caller.ready_agents)
    waited = max(0, (to_ms(now) - caller.enqueued_ms) // 1000)
    reason = ""
    if caller.nobody:
        reason = "nobody"
    elif waited >= config.max_wait_seconds:
        reason = "waited_long"
    pause = max(5, config.announce_every_seconds - SPEECH_SECONDS)
    remaining = config.max_wait_seconds - waited
    if remaining > 0:
        pause = max(1, min(pause, remaining))
    return WaitView(
        "waiting",
        ahead=ahead,
        minutes=max(1, math.ceil(expected / 60)),
        waited_seconds=int(waited),
        alternatives=reason,
        pause_seconds=int(pause),
    )


def leave_queue(
    client: redis.Redis, config: RoutingConfig, call: Call, now: datetime
) -> CallerState | None | str:
    """Take a waiting caller out of routing; 'busy' if an offer is under way."""
    state = RoutingState(client)
    before = state.caller(call.call_sid)
    step = state.remove(call.call_sid, to_ms(now), to_ms(now), only_waiting=True)
    if step.outcome not in ("waiting", "missing"):
        return "busy"
    return before


def choose_voicemail(
    client: redis.Redis,
    session: Session,
    config: RoutingConfig,
    call_sid: str,
    now: datetime,
    reason: str,
) -> str:
    """The caller leaves the queue to record a message: 'ok', 'busy' or 'gone'."""
    call = find_call(session, call_sid)
    if call is not None and call.stage == "ringing":
        return "busy"
    if call is None or call.stage != "queued":
        return "gone"
    if leave_queue(client, config, call, now) == "busy":
        return "busy"
    call.stage = "voicemail"
    call.wait_seconds = records.seconds_between(call.queued_at, now)
    add_event(session, call, "voicemail_offered", now, region=call.region, reason=reason)
    session.commit()
    return "ok"


def leave_for_alternatives(
    client: redis.Redis, session: Session, call: Call, now: datetime, reason: str
) -> None:
    """The caller is out of the Twilio queue (e.g. it was full): offer call-back or voicemail."""
    RoutingState(client).remove(call.call_sid, to_ms(now), to_ms(now))
    if call.stage == "queued":
        call.stage = "voicemail"
        call.wait_seconds = records.seconds_between(call.queued_at, now)
    add_event(session, call, "voicemail_offered", now, region=call.region, reason=reason)


def caller_gone(
    client: redis.Redis,
    session: Session,
    config: RoutingConfig,
    call: Call,
    now: datetime,
) -> StepResult:
    """The caller hung up: take them out of routing at once (agent freed or into wrap-up).

    The outcome is the caller's routing state before ('missing' when not in routing).
    """
    state = RoutingState(client)
    now_ms = to_ms(now)
    step = state.remove(call.call_sid, now_ms, now_ms + 1000 * config.wrap_up_seconds)
    if step.outcome == "missing":
        return step
    agent_id = step.agent_id
    if step.outcome == "offered" and agent_id is not None:
        add_event(
            session, call, "offer_cancelled", now, agent_id=agent_id, region=call.region,
            reason="caller_hung_up",
        )  # fmt: skip
    elif step.outcome == "talking" and agent_id is not None:
        talk = records.seconds_between(call.answered_at, now) or 0
        add_event(
            session, call, "talk_ended", now, agent_id=agent_id, region=call.region,
            talk_seconds=talk, by="caller_hangup",
        )  # fmt: skip
        state.record_handle_time(talk + config.wrap_up_seconds, config.handle_time_samples)
    events.publish(client, "hangup", call.call_sid)
    return step
