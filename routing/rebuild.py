"""Rebuilding the whole routing state from the database (after Redis was lost or flushed).

The database knows every call's stage, agent and routing events, and every agent's status and
pause; from them the waiting callers (order and priority class), open offers, talks, wrap-ups
and idle times are rebuilt and written in one MULTI/EXEC, replacing whatever Redis held.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import to_ms
from hotline.models import Agent, Call, CallEvent, User
from routing import keys, scripts
from routing.config import RoutingConfig
from routing.policy import queue_score

log = logging.getLogger("hotline.routing")

LIVE_STAGES = ("queued", "ringing", "talking")
LOCK_SECONDS = 30
WAIT_FOR_OTHER_SECONDS = 5.0
HANDLE_HISTORY = timedelta(days=1)


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild wrote."""

    waiting: int
    offered: int
    talking: int
    agents: int


class CallHistory(TypedDict):
    """What a call's routing events say: its last offer, a requeue, its widest overflow."""

    offer: str
    requeued: bool
    reach: int


def call_history(session: Session, call_ids: list[int]) -> dict[int, CallHistory]:
    """Per call: the last offer id, whether it was requeued, the widest overflow stage."""
    history: dict[int, CallHistory] = {
        call_id: {"offer": "", "requeued": False, "reach": 0} for call_id in call_ids
    }
    if not call_ids:
        return history
    rows = session.execute(
        select(CallEvent.call_id, CallEvent.kind, CallEvent.data)
        .where(
            CallEvent.call_id.in_(call_ids),
            CallEvent.kind.in_(("offered", "requeued", "overflow")),
        )
        .order_by(CallEvent.id)
    ).all()
    for call_id, kind, data in rows:
        entry = history[call_id]
        if kind == "offered":
            entry["offer"] = str((data or {}).get("offer", ""))
        elif kind == "requeued":
            entry["requeued"] = True
        elif kind == "overflow":
            entry["reach"] = max(entry["reach"], int((data or {}).get("stage", 0)))
    return history


def _last_talk_ends(session: Session, now: datetime) -> tuple[dict[int, datetime], list[float]]:
    """Per agent the end of their latest talk, and recent talk lengths (newest first)."""
    rows = session.execute(
        select(Call.agent_id, Call.answered_at, Call.talk_seconds)
        .where(
            Call.agent_id.is_not(None),
            Call.answered_at.is_not(None),
            Call.talk_seconds.is_not(None),
            Call.answered_at >= now - HANDLE_HISTORY,
        )
        .order_by(Call.answered_at.desc())
    ).all()
    ends: dict[int, datetime] = {}
    talks: list[float] = []
    for agent_id, answered_at, talk_seconds in rows:
        end = answered_at + timedelta(seconds=talk_seconds)
        if agent_id not in ends or end > ends[agent_id]:
            ends[agent_id] = end
        talks.append(float(talk_seconds))
    return ends, talks


def rebuild(
    client: redis.Redis, session: Session, config: RoutingConfig, now: datetime
) -> RebuildReport:
    """Replace the routing state in Redis with one derived from the database."""
    now_ms = to_ms(now)
    calls = session.scalars(
        select(Call).where(
            Call.stage.in_(LIVE_STAGES), Call.ended_at.is_(None), Call.queued_at.is_not(None)
        )
    ).all()
    history = call_history(session, [call.id for call in calls])
    agents = session.scalars(
        select(Agent).join(User, User.id == Agent.user_id).where(User.is_active.is_(True))
    ).all()
    talk_ends, talks = _last_talk_ends(session, now)
    wrap = timedelta(seconds=config.wrap_up_seconds)

    pipe = client.pipeline(transaction=True)
    for pattern in keys.STATE_PATTERNS:
        for key in client.scan_iter(match=pattern, count=500):
            pipe.delete(key)
    pipe.delete(*keys.STATE_KEYS)

    busy: dict[int, tuple[str, str, str]] = {}  # agent -> (live, CallSid, offer)
    counts = {"waiting": 0, "offered": 0, "talking": 0}
    for call in calls:
        entry = history[call.id]
        priority = int(call.priority or 0)
        cls = priority + config.requeue_priority_boost if entry["requeued"] else priority
        assert call.queued_at is not None  # the query takes queued calls only
        enq = to_ms(call.queued_at)
        region = call.region or "province"
        state = {"queued": "waiting", "ringing": "offered", "talking": "talking"}[call.stage]
        offer = entry["offer"] if state != "waiting" else ""
        if state != "waiting" and (call.agent_id is None or not offer):
            state, offer = "waiting", ""  # an offer we cannot name: back in line
        agent_ref = str(call.agent_id) if state != "waiting" else ""
        pipe.hset(
            keys.caller(call.call_sid),
            mapping={
                "sid": call.call_sid, "id": call.id, "service": call.service or "",
                "group": call.group or "", "topic": call.topic or "", "region": region,
                "priority": priority, "cls": cls, "enq": enq,
                "repeat": "1" if call.repeat_caller else "0", "state": state, "agent": agent_ref,
                "offer": offer, "reach": entry["reach"], "nobody": "0", "ready": "0",
                "retry_at": "0",
            },
        )  # fmt: skip
        counts[state] += 1
        if state == "waiting":
            pipe.zadd(keys.queue(region), {call.call_sid: queue_score(cls, enq)})
            pipe.sadd(keys.QUEUES, region)
            continue
        accepted = state == "talking"
        pipe.hset(
            keys.offer(offer),
            mapping={
                "id": offer, "sid": call.call_sid, "agent": agent_ref, "created": now_ms,
                "connected": "1", "accepted": "1" if accepted else "0",
            },
        )  # fmt: skip
        if not accepted:
            deadline = now_ms + 1000 * (
                config.ring_timeout_seconds + config.offer_settle_grace_seconds
            )
            pipe.zadd(keys.OFFERS, {offer: deadline})
        assert call.agent_id is not None  # a call without an agent went back in line above
        busy[call.agent_id] = ("talking" if accepted else "ringing", call.call_sid, offer)

    for agent in agents:
        live, call_sid, offer = busy.get(agent.id, ("idle", "", ""))
        idle_since = agent.status_since
        wrap_until_ms = 0
        last_end = talk_ends.get(agent.id)
        if live == "idle" and last_end is not None:
            if last_end + wrap > now:
                live = "wrap_up"
                wrap_until_ms = to_ms(last_end + wrap)
                call_sid = _wrapping_call(session, agent.id) or ""
                pipe.zadd(keys.WRAPPING, {str(agent.id): wrap_until_ms})
            else:
                idle_since = max(idle_since, last_end + wrap)
        pipe.hset(
            keys.agent(agent.id),
            mapping={
                "id": agent.id, "status": agent.status,
                "paused": "1" if agent.paused_at is not None else "0",
                "paused_at": to_ms(agent.paused_at) if agent.paused_at else 0,
                "live": live, "call": call_sid, "offer": offer,
                "idle_since": to_ms(idle_since), "wrap_until": wrap_until_ms,
                "since": to_ms(agent.status_since),
            },
        )  # fmt: skip
        pipe.sadd(keys.AGENTS, agent.id)

    handle = [talk + config.wrap_up_seconds for talk in talks[: config.handle_time_samples]]
    if handle:
        pipe.rpush(keys.HANDLE_TIMES, *handle)
    pipe.set(keys.BUILT, now_ms)
    pipe.execute()
    report = RebuildReport(
        waiting=counts["waiting"],
        offered=counts["offered"],
        talking=counts["talking"],
        agents=len(agents),
    )
    log.info("routing state rebuilt from the database: %s", report)
    return report


def _wrapping_call(session: Session, agent_id: int) -> str | None:
    return session.scalar(
        select(Call.call_sid)
        .where(Call.agent_id == agent_id, Call.answered_at.is_not(None))
        .order_by(Call.answered_at.desc())
        .limit(1)
    )


def ensure_built(
    client: redis.Redis,
    session_factory: Callable[[], Session],
    config: RoutingConfig,
    now: datetime,
) -> bool:
    """Rebuild the state if Redis has none (one process rebuilds, others wait); True if rebuilt."""
    if client.exists(keys.BUILT):
        return False
    token = secrets.token_hex(8)
    if not client.set(keys.REBUILD_LOCK, token, nx=True, ex=LOCK_SECONDS):
        deadline = time.monotonic() + WAIT_FOR_OTHER_SECONDS
        while time.monotonic() < deadline and not client.exists(keys.BUILT):
            time.sleep(0.05)
        return False
    try:
        with session_factory() as session:
            rebuild(client, session, config, now)
        return True
    finally:
        # Release only our own lock (it may have expired and been taken by another process).
        scripts.run(client, "release_lock", keys=[keys.REBUILD_LOCK], args=[token])
