"""A caller waiting in line: what to announce, and leaving (call-back, voicemail, hang-up)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks.work_items.items import VOICEMAIL_SOURCE, need_of, open_work_item
from hotline.calls import add_event, find_call
from hotline.clock import to_ms
from hotline.models import Call, Voicemail
from hotline.phones import ANONYMOUS
from routing import events, records
from routing.config import RoutingConfig
from routing.handoff import caller_from_call
from routing.policy import average_handle_seconds, expected_wait_seconds
from routing.rebuild import call_history
from routing.state import CallerState, RoutingState

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


def _leave(
    client: redis.Redis, config: RoutingConfig, call: Call, now: datetime
) -> CallerState | None | str:
    """Take a waiting caller out of routing; 'busy' if an offer is under way."""
    state = RoutingState(client)
    before = state.caller(call.call_sid)
    step = state.remove(call.call_sid, to_ms(now), to_ms(now), only_waiting=True)
    if step.outcome not in ("waiting", "missing"):
        return "busy"
    return before


def choose_callback(
    client: redis.Redis, session: Session, config: RoutingConfig, call_sid: str, now: datetime
) -> str:
    """The caller pressed 1 to be called back: 'ok', 'busy', 'anonymous' or 'gone'."""
    call = find_call(session, call_sid)
    if call is not None and call.stage == "ringing":
        return "busy"  # an agent is being offered the call: the redirect is on its way
    if call is None or call.stage != "queued":
        return "gone"
    if call.from_number == ANONYMOUS:
        return "anonymous"
    left = _leave(client, config, call, now)
    if left == "busy":
        return "busy"
    cls = left.cls if isinstance(left, CallerState) else int(call.priority or 0)
    # The request keeps the caller's place: call-backs are worked in enqueue order.
    request = open_work_item(
        session, call, "queue", now, replace(need_of(call), priority=cls),
        created_at=call.queued_at or now,
    )  # fmt: skip
    if request is None:
        return "anonymous"
    call.stage = "ended"
    call.outcome = "callback"
    call.ended_at = now
    call.wait_seconds = records.seconds_between(call.queued_at, now)
    add_event(
        session, call, "callback_requested", now, request_id=request.id, region=call.region,
        priority=cls, source="queue",
    )  # fmt: skip
    session.commit()
    return "ok"


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
    if _leave(client, config, call, now) == "busy":
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


def callback_from_offer(session: Session, call: Call, now: datetime) -> str:
    """A caller out of the queue chose a call-back: 'ok' or 'anonymous'."""
    if call.from_number == ANONYMOUS:
        return "anonymous"
    existing = open_work_item(session, call, "queue", now, created_at=call.queued_at or now)
    if existing is None:
        return "anonymous"
    call.stage = "ended"
    call.outcome = "callback"
    call.ended_at = now
    add_event(
        session, call, "callback_requested", now, request_id=existing.id, region=call.region,
        source="queue",
    )  # fmt: skip
    return "ok"


def record_voicemail(
    session: Session, call: Call, params: Mapping[str, str], now: datetime
) -> Voicemail | None:
    """Store the recording the caller left (once per RecordingSid); None without a recording."""
    url = (params.get("RecordingUrl") or "").strip()[:500]
    sid = (params.get("RecordingSid") or "").strip()[:64] or None
    duration = (params.get("RecordingDuration") or "").strip()
    if not url.startswith("https://"):
        add_event(session, call, "voicemail_empty", now, region=call.region)
        return None
    voicemail = None
    if sid is not None:
        voicemail = session.scalars(
            select(Voicemail).where(Voicemail.recording_sid == sid)
        ).one_or_none()
    if voicemail is None:
        voicemail = Voicemail(
            call_id=call.id, caller_id=call.caller_id, region=call.region,
            service=call.service, group=call.group, recording_url=url, recording_sid=sid,
            duration_seconds=int(duration) if duration.isdigit() else None, status="pending",
        )  # fmt: skip
        session.add(voicemail)
        session.flush()
    open_work_item(session, call, VOICEMAIL_SOURCE, now, voicemail=voicemail)
    call.recording_url = url
    call.outcome = "voicemail"
    add_event(
        session, call, "voicemail_recorded", now, voicemail_id=voicemail.id, region=call.region,
        duration=duration,
    )  # fmt: skip
    return voicemail


def caller_gone(
    client: redis.Redis,
    session: Session,
    config: RoutingConfig,
    call: Call,
    now: datetime,
) -> str:
    """The caller hung up: take them out of routing at once (agent freed or into wrap-up)."""
    state = RoutingState(client)
    now_ms = to_ms(now)
    step = state.remove(call.call_sid, now_ms, now_ms + 1000 * config.wrap_up_seconds)
    if step.outcome == "missing":
        return step.outcome
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
        if config.wrap_up_seconds <= 0:
            records.mark_wrap_done(session, call, agent_id, now)
        state.record_handle_time(talk + config.wrap_up_seconds, config.handle_time_samples)
    events.publish(client, "hangup", call.call_sid)
    return step.outcome
