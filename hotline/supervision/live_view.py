"""The supervisors' live view: queues, agents, today's KPIs and alerts in one JSON snapshot.

The live part comes from the routing state in Redis (routing.state: waiting callers, agents'
states, offers) plus a few rows looked up by key (the waiting calls' numbers, agents' names,
the rota of now); today's KPIs come from hotline.supervision.today (indexed queries of today).

A computed snapshot is cached in Redis for `CACHE_SECONDS` under a key naming the scope and
the routing state's signature, so any number of open pages costs one computation per interval,
and any routing step (a new signature) is seen at once:

hotline:live:snapshot:{scope}:{signature}   string  the snapshot JSON, expires after a few seconds
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Literal, cast, get_args

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import heartbeats
from hotline.clock import from_ms, to_ms
from hotline.models import Agent, Call, User
from hotline.phones import mask
from hotline.supervision.alerts import CENTRE, REGION, alerts_for, process_alerts
from hotline.supervision.live_setup import LiveSetup
from hotline.supervision.today import TodayFigures, today_figures
from hotline.times import format_local
from routing.eligibility import on_duty
from routing.state import AgentState, CallerState, RoutingState

CACHE_PREFIX = "hotline:live:snapshot:"
CACHE_SECONDS = 2.0
AgentLiveState = Literal["available", "ringing", "talking", "wrap_up", "paused", "break", "offline"]
AGENT_STATES: tuple[AgentLiveState, ...] = get_args(AgentLiveState)
AGENT_STATE_LABELS = {
    "available": "示闲",
    "ringing": "振铃中",
    "talking": "通话中",
    "wrap_up": "话后整理",
    "paused": "已暂停",
    "break": "小休",
    "offline": "离线",
}


def agent_state(
    live: AgentState | None, agent: Agent, offer_times: dict[str, tuple[int, int]], wrap_ms: int
) -> tuple[str, int]:
    """The agent's state for the live view and the epoch ms it began."""
    if live is None:  # no routing state (Redis lost and not rebuilt yet): the database's view
        since = to_ms(agent.status_since)
        if agent.paused_at is not None and agent.status != "offline":
            return "paused", to_ms(agent.paused_at)
        return agent.status, since
    return live_agent_state(live, offer_times, wrap_ms)


def live_agent_state(
    live: AgentState, offer_times: dict[str, tuple[int, int]], wrap_ms: int
) -> tuple[AgentLiveState, int]:
    """The state of an agent with a routing state and the epoch ms it began (no row needed)."""
    created, accepted = offer_times.get(live.offer_id, (0, 0))
    if live.live == "ringing":
        return "ringing", created or live.since_ms
    if live.live == "talking":
        return "talking", accepted or created or live.since_ms
    if live.live == "wrap_up":
        return "wrap_up", live.wrap_until_ms - wrap_ms
    if live.status == "offline":
        return "offline", live.since_ms
    if live.paused:
        return "paused", live.paused_at_ms or live.since_ms
    if live.status == "break":
        return "break", live.since_ms
    return "available", live.idle_since_ms or live.since_ms


def _seconds_since(start_ms: int, now_ms: int) -> int:
    return max(0, (now_ms - start_ms) // 1000)


def _waiting_json(
    setup: LiveSetup, callers: list[CallerState], calls: dict[str, Any], now_ms: int
) -> list[dict[str, Any]]:
    """The waiting callers, masked, longest-waiting first; position is the place in their queue."""
    positions: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for caller in callers:  # in queue order per region
        positions[caller.region] = positions.get(caller.region, 0) + 1
        call = calls.get(caller.call_sid)
        rows.append(
            {
                "call_sid": caller.call_sid,
                "caller": mask(call.from_number if call is not None else None),
                "region": caller.region,
                "region_label": setup.region_label(caller.region),
                "group": caller.group,
                "group_label": setup.group_label(caller.group),
                "service": caller.service,
                "service_label": setup.service_label(caller.service),
                "topic": caller.topic,
                "priority": caller.priority,
                "repeat_caller": caller.repeat_caller,
                "enqueued_at": from_ms(caller.enqueued_ms).isoformat(),
                "waited_seconds": _seconds_since(caller.enqueued_ms, now_ms),
                "position": positions[caller.region],
            }
        )
    rows.sort(key=lambda row: (-row["waited_seconds"], row["call_sid"]))
    return rows


def _agents_json(
    session: Session, state: RoutingState, setup: LiveSetup, now: datetime
) -> list[dict[str, Any]]:
    """Agents on duty now, and any other agent the routing state shows at work."""
    roster = {entry.agent_id: entry for entry in on_duty(session, now)}
    lives = state.agents(set(roster) | set(state.agent_ids()))
    shown = set(roster) | {
        agent_id for agent_id, live in lives.items() if live.status != "offline" or live.call_sid
    }
    if not shown:
        return []
    rows = session.execute(
        select(Agent, User.username, User.display_name)
        .join(User, User.id == Agent.user_id)
        .where(Agent.id.in_(shown))
        .order_by(Agent.id)
    ).all()
    offer_times = state.offer_times(live.offer_id for live in lives.values())
    call_sids = [live.call_sid for live in lives.values() if live.call_sid]
    calls = _calls_by_sid(session, call_sids)
    now_ms = to_ms(now)
    wrap_ms = int(setup.routing.wrap_up_seconds * 1000)
    result = []
    for agent, username, display_name in rows:
        live = lives.get(agent.id)
        name, since = agent_state(live, agent, offer_times, wrap_ms)
        entry = roster.get(agent.id)
        region = entry.region if entry is not None else agent.home_region
        call = calls.get(live.call_sid) if live is not None and live.call_sid else None
        result.append(
            {
                "id": agent.id,
                "username": username,
                "name": display_name or username,
                "region": region,
                "region_label": setup.region_label(region),
                "on_duty": entry is not None,
                "state": name,
                "state_label": AGENT_STATE_LABELS.get(name, name),
                "paused": bool(live.paused) if live is not None else agent.paused_at is not None,
                "state_since": from_ms(since).isoformat(),
                "seconds_in_state": _seconds_since(since, now_ms),
                "call": None if call is None else _call_json(setup, call),
            }
        )
    return result


def _call_json(setup: LiveSetup, call: Any) -> dict[str, Any]:
    return {
        "call_sid": call.call_sid,
        "caller": mask(call.from_number),
        "region": call.region,
        "region_label": setup.region_label(call.region),
        "group": call.group,
        "group_label": setup.group_label(call.group),
        "service_label": setup.service_label(call.service),
    }


def _calls_by_sid(session: Session, call_sids: list[str]) -> dict[str, Any]:
    if not call_sids:
        return {}
    rows = session.execute(
        select(Call.call_sid, Call.from_number, Call.region, Call.group, Call.service).where(
            Call.call_sid.in_(set(call_sids))
        )
    )
    return {row.call_sid: row for row in rows}


def _queue_json(waiting: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "waiting": len(waiting),
        "longest_wait_seconds": max((w["waited_seconds"] for w in waiting), default=None),
    }


def _regions_json(
    setup: LiveSetup,
    waiting: list[dict[str, Any]],
    agents: list[dict[str, Any]],
    today: TodayFigures,
) -> list[dict[str, Any]]:
    codes = setup.region_codes()
    codes += sorted({w["region"] for w in waiting} - set(codes))
    regions = []
    for code in codes:
        here = [w for w in waiting if w["region"] == code]
        digits = {w["group"] for w in here} | {
            g for r, g in today.region_groups if r == code and g is not None
        }
        groups = [
            {
                "group": digit,
                "label": setup.group_label(digit),
                **_queue_json([w for w in here if w["group"] == digit]),
                "today": today.region_groups.get((code, digit)),
            }
            for digit in sorted(digits)
        ]
        counts = dict.fromkeys(AGENT_STATES, 0)
        for agent in agents:
            if agent["region"] == code:
                counts[agent["state"]] = counts.get(agent["state"], 0) + 1
        regions.append(
            {
                "region": code,
                "label": setup.region_label(code),
                **_queue_json(here),
                "groups": groups,
                "agents": counts,
                "today": today.region(code),
            }
        )
    return regions


def _alerts(
    setup: LiveSetup,
    regions: list[dict[str, Any]],
    today: dict[str, Any],
    queue: dict[str, Any],
    liveness: dict[heartbeats.Kind, heartbeats.Liveness],
) -> list[dict[str, Any]]:
    # Silent processes first: while no router runs, nobody is connected at all.
    found = process_alerts(setup.thresholds, liveness)
    found += alerts_for(
        setup.thresholds, CENTRE, None, "全中心", today["offered"], today["service_level"],
        queue["longest_wait_seconds"],
    )  # fmt: skip
    for region in regions:
        found += alerts_for(
            setup.thresholds, REGION, region["region"], region["label"],
            region["today"]["offered"], region["today"]["service_level"],
            region["longest_wait_seconds"],
        )  # fmt: skip
    return [alert.as_dict() for alert in found]


def build_snapshot(
    session: Session, client: redis.Redis, setup: LiveSetup, now: datetime
) -> dict[str, Any]:
    """The live view's snapshot now (no cache)."""
    state = RoutingState(client)
    callers = state.waiting_callers()
    now_ms = to_ms(now)
    waiting = _waiting_json(
        setup, callers, _calls_by_sid(session, [c.call_sid for c in callers]), now_ms
    )
    agents = _agents_json(session, state, setup, now)
    today = today_figures(session, now, setup.routing.service_level_seconds)
    regions = _regions_json(setup, waiting, agents, today)
    queue = _queue_json(waiting)
    liveness = heartbeats.liveness(client, now)
    groups = [
        {
            "group": group.digit,
            "label": group.name,
            **_queue_json([w for w in waiting if w["group"] == group.digit]),
            "today": today.group(group.digit),
        }
        for group in setup.taxonomy.groups
    ]
    return {
        "generated_at": now.isoformat(),
        "generated_at_local": format_local(now, "%Y-%m-%d %H:%M:%S"),
        "service_level_seconds": setup.routing.service_level_seconds,
        "queue": queue,
        "today": today.centre,
        "regions": regions,
        "groups": groups,
        "agents": agents,
        "waiting_callers": waiting,
        "processes": {kind: seen.alive for kind, seen in liveness.items()},
        "alerts": _alerts(setup, regions, today.centre, queue, liveness),
    }


def live_snapshot(
    session: Session,
    client: redis.Redis,
    setup: LiveSetup,
    now: datetime,
    scope: str = "all",
    max_age_seconds: float = CACHE_SECONDS,
) -> dict[str, Any]:
    """The snapshot, from the cache while the routing state is unchanged and it is fresh.

    `served_at` is now: the seconds of a cached snapshot are `served_at - generated_at` old.
    """
    key = f"{CACHE_PREFIX}{scope}:{RoutingState(client).signature()}"
    # The sync client's replies are typed Awaitable | value (redis-py#2399).
    cached = cast(bytes | None, client.get(key))
    if cached is not None:
        snapshot = json.loads(cached)
        age = now - datetime.fromisoformat(snapshot["generated_at"])
        if timedelta(0) <= age <= timedelta(seconds=max_age_seconds):
            return {**snapshot, "served_at": now.isoformat()}
    snapshot = build_snapshot(session, client, setup, now)
    client.set(key, json.dumps(snapshot, ensure_ascii=False), px=int(max_age_seconds * 1000))
    return {**snapshot, "served_at": now.isoformat()}
