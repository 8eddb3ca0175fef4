"""The live routing state in Redis: every multi-key change is one Lua script (routing/lua/).

Guarantees (each script runs alone on the Redis server, so they hold with any number of routers
and web processes):
- `reserve` moves a caller from waiting to offered and an agent from idle to ringing together,
  and only if the caller is still waiting and the agent still available, unpaused and idle: an
  agent never holds two callers and a caller is never offered to two agents.
- Every later step names the offer; a step for an offer that is no longer the current offer of
  both the caller and the agent changes nothing ("stale"), so late or repeated webhooks are safe.
- `release` puts the caller back in line (optionally at the head, with a class boost) and frees
  or pauses the agent in one step; `finish` and `remove` end a caller and start the agent's
  wrap-up in one step. A caller is always in exactly one place: its queue, an offer, or gone.

The keys are named in routing/keys.py. Scripts build key names from the caller's region and
ids, so the state needs one Redis server (not a cluster).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import redis

from routing import keys, scripts
from routing.policy import AgentView, Waiting

CALLER_FIELDS = (
    "sid",
    "id",
    "service",
    "group",
    "topic",
    "region",
    "priority",
    "cls",
    "enq",
    "repeat",
    "state",
    "agent",
    "offer",
    "reach",
    "nobody",
    "ready",
    "retry_at",
)
AGENT_FIELDS = (
    "id",
    "status",
    "paused",
    "paused_at",
    "live",
    "call",
    "offer",
    "idle_since",
    "wrap_until",
    "since",
)


_CALLER_FIELDS_JSON = json.dumps(CALLER_FIELDS)
_AGENT_FIELDS_JSON = json.dumps(AGENT_FIELDS)
_OFFER_TIME_FIELDS_JSON = json.dumps(("created", "accepted_at"))


def _unpack(fields: tuple[str, ...], packed: str) -> dict[str, str]:
    return dict(zip(fields, packed.split("\x1f"), strict=True))


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [_text(item) for item in value]
    return value


def _word(reply: Any) -> str:
    """A one-word reply ('ok', 'missing', a digest) as text."""
    # redis-py types every reply Any (the sync client's as Awaitable | Any): this one is a string.
    return cast(str, _text(reply))


def _words(reply: Any) -> list[str]:
    """A list-of-strings reply (a sorted set's members, a list) as text."""
    # As in _word: redis-py cannot know the shape of a reply.
    return cast(list[str], _text(reply))


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class CallerState:
    """A caller in the routing state."""

    call_sid: str
    call_id: int
    service: str
    group: str
    topic: str
    region: str
    priority: int
    cls: int
    enqueued_ms: int
    repeat_caller: bool
    state: str  # waiting / offered / talking
    agent_id: int | None
    offer_id: str
    reach: int
    nobody: bool
    ready_agents: int
    retry_at_ms: int

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> CallerState:
        """Build from the caller hash."""
        agent = data.get("agent") or ""
        return cls(
            call_sid=data["sid"],
            call_id=_int(data.get("id")),
            service=data.get("service", ""),
            group=data.get("group", ""),
            topic=data.get("topic", ""),
            region=data.get("region", ""),
            priority=_int(data.get("priority")),
            cls=_int(data.get("cls")),
            enqueued_ms=_int(data.get("enq")),
            repeat_caller=data.get("repeat") == "1",
            state=data.get("state", ""),
            agent_id=int(agent) if agent else None,
            offer_id=data.get("offer", ""),
            reach=_int(data.get("reach")),
            nobody=data.get("nobody") == "1",
            ready_agents=_int(data.get("ready")),
            retry_at_ms=_int(data.get("retry_at")),
        )

    def waiting(self) -> Waiting:
        """The policy's view of this caller."""
        return Waiting(
            call_sid=self.call_sid,
            service=self.service,
            group=self.group,
            region=self.region,
            cls=self.cls,
            enqueued_ms=self.enqueued_ms,
            reach=self.reach,
            retry_at_ms=self.retry_at_ms,
        )


@dataclass(frozen=True)
class AgentState:
    """An agent's live state in Redis."""

    agent_id: int
    status: str
    paused: bool
    live: str
    call_sid: str
    offer_id: str
    idle_since_ms: int
    wrap_until_ms: int
    since_ms: int
    paused_at_ms: int = 0

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> AgentState:
        """Build from the agent hash."""
        return cls(
            agent_id=_int(data.get("id")),
            status=data.get("status", "offline"),
            paused=data.get("paused") == "1",
            live=data.get("live", "idle"),
            call_sid=data.get("call", ""),
            offer_id=data.get("offer", ""),
            idle_since_ms=_int(data.get("idle_since")),
            wrap_until_ms=_int(data.get("wrap_until")),
            since_ms=_int(data.get("since")),
            paused_at_ms=_int(data.get("paused_at")),
        )

    def view(self, region: str, skills: frozenset[str]) -> AgentView:
        """The policy's view of this agent on a shift in `region`."""
        return AgentView(
            agent_id=self.agent_id,
            region=region,
            skills=skills,
            status=self.status,
            paused=self.paused,
            live=self.live,
            idle_since_ms=self.idle_since_ms,
        )


@dataclass(frozen=True)
class StepResult:
    """What a script did: its outcome word, and the caller and agent it concerned."""

    outcome: str
    call_sid: str = ""
    agent_id: int | None = None

    @classmethod
    def from_reply(cls, reply: Any) -> StepResult:
        """Build from a script's {outcome, sid, agent} reply."""
        values = _text(reply)
        outcome = values[0]
        sid = values[1] if len(values) > 1 else ""
        agent = values[2] if len(values) > 2 else ""
        return cls(outcome, sid, int(agent) if agent else None)


class RoutingState:
    """Typed access to the routing keys of one Redis server."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    # ----- scripts -----------------------------------------------------------------------------

    def _run(self, name: str, *args: Any) -> Any:
        return scripts.run(self.client, name, args=list(args))

    def enqueue(self, caller: CallerState) -> bool:
        """Put a caller in its region's queue; False if the caller is known already."""
        created = self._run(
            "enqueue",
            caller.call_sid,
            caller.call_id,
            caller.service,
            caller.group,
            caller.topic,
            caller.region,
            caller.priority,
            caller.cls,
            caller.enqueued_ms,
            "1" if caller.repeat_caller else "0",
        )
        return bool(created)

    def reserve(
        self, call_sid: str, agent_id: int, offer_id: str, now_ms: int, deadline_ms: int
    ) -> str:
        """Offer a waiting caller to an idle agent: 'ok', or who was no longer free."""
        return _word(self._run("reserve", call_sid, agent_id, offer_id, now_ms, deadline_ms))

    def connected(self, offer_id: str, deadline_ms: int) -> StepResult:
        """The caller fetched the connect TwiML of this offer."""
        return StepResult.from_reply(self._run("connected", offer_id, deadline_ms))

    def accept(self, offer_id: str, now_ms: int) -> StepResult:
        """The agent pressed 1: caller and agent are talking."""
        return StepResult.from_reply(self._run("accept", offer_id, now_ms))

    def release(
        self, offer_id: str, now_ms: int, boost: int, pause: bool, retry_at_ms: int = 0
    ) -> StepResult:
        """Undo an offer that was not accepted: caller back in line, agent free or paused."""
        reply = self._run("release", offer_id, now_ms, boost, "1" if pause else "0", retry_at_ms)
        return StepResult.from_reply(reply)

    def finish(self, offer_id: str, now_ms: int, wrap_until_ms: int) -> StepResult:
        """The talk of an accepted offer ended: the caller leaves, the agent wraps up."""
        return StepResult.from_reply(self._run("finish", offer_id, now_ms, wrap_until_ms))

    def remove(
        self, call_sid: str, now_ms: int, wrap_until_ms: int, only_waiting: bool = False
    ) -> StepResult:
        """Take a caller out of routing wherever it is; the outcome is its state before."""
        reply = self._run("remove", call_sid, now_ms, wrap_until_ms, "1" if only_waiting else "0")
        values = _text(reply)
        agent = values[1] if len(values) > 1 else ""
        return StepResult(values[0], call_sid, int(agent) if agent else None)

    def end_wrap(self, agent_id: int, now_ms: int) -> str | None:
        """End an agent's wrap-up if it is due; the CallSid it was for, or None."""
        reply = self._run("end_wrap", agent_id, now_ms)
        return _text(reply) or None

    def set_status(self, agent_id: int, status: str, clear_pause: bool, now_ms: int) -> str:
        """Record an agent's chosen status: 'ok', or 'missing' when the agent has no state."""
        return _word(self._run("set_status", agent_id, status, "1" if clear_pause else "0", now_ms))

    def ensure_agent(
        self,
        agent_id: int,
        status: str,
        paused_at_ms: int | None,
        idle_since_ms: int,
        since_ms: int,
    ) -> bool:
        """Create an agent's state (idle) if it has none; True if created."""
        paused = "1" if paused_at_ms is not None else "0"
        created = self._run(
            "ensure_agent",
            agent_id,
            status,
            paused,
            paused_at_ms or 0,
            idle_since_ms,
            since_ms,
        )
        return bool(created)

    def move(self, call_sid: str, region: str) -> StepResult:
        """Move a waiting caller to another region's queue, keeping their place by wait.

        The outcome is 'ok', 'same' (already there), the caller's state when not waiting
        ('offered', 'talking') or 'missing'; the agent field is unused, call_sid is the region
        the caller was in.
        """
        values = _text(self._run("move", call_sid, region))
        return StepResult(values[0], values[1] if len(values) > 1 else "")

    def pause(self, agent_id: int, now_ms: int) -> str:
        """A supervisor's pause (status break, paused): 'ok', or 'missing' without a state."""
        return _word(self._run("pause", agent_id, now_ms))

    # ----- reads -------------------------------------------------------------------------------

    def signature(self) -> str:
        """A digest of the queues and agents' states that changes with every routing step."""
        return _word(self._run("signature"))

    def offer_times(self, offer_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(created, accepted) epoch ms of these open offers (0: not accepted yet)."""
        ids = [offer_id for offer_id in offer_ids if offer_id]
        if not ids:
            return {}
        names = [keys.offer(offer_id) for offer_id in ids]
        packed = _text(self._run("packed", _OFFER_TIME_FIELDS_JSON, *names))
        found = {}
        for offer_id, item in zip(ids, packed, strict=True):
            if item:
                created, accepted = item.split("\x1f")
                found[offer_id] = (_int(created), _int(accepted))
        return found

    def is_built(self) -> bool:
        """Whether the state has been built (a flushed Redis has not)."""
        return bool(self.client.exists(keys.BUILT))

    def regions(self) -> list[str]:
        """Regions that have a queue."""
        return sorted(_words(list(self._members(keys.QUEUES))))

    def queue_order(self, region: str) -> list[str]:
        """The waiting CallSids of a region, head first."""
        return _words(self.client.zrange(keys.queue(region), 0, -1))

    def waiting_callers(self) -> list[CallerState]:
        """Every waiting caller of every region (one round trip)."""
        packed = _text(self._run("waiting", _CALLER_FIELDS_JSON))
        found = [CallerState.from_hash(_unpack(CALLER_FIELDS, item)) for item in packed]
        return [caller for caller in found if caller.state == "waiting"]

    def callers(self, call_sids: Iterable[str]) -> list[CallerState]:
        """The callers with these CallSids that are in routing."""
        names = [keys.caller(sid) for sid in call_sids]
        if not names:
            return []
        packed = _text(self._run("packed", _CALLER_FIELDS_JSON, *names))
        return [CallerState.from_hash(_unpack(CALLER_FIELDS, item)) for item in packed if item]

    def caller(self, call_sid: str) -> CallerState | None:
        """One caller, or None when it is not in routing."""
        found = self.callers([call_sid])
        return found[0] if found else None

    def _members(self, key: str) -> set[bytes]:
        # The sync client's replies are typed Awaitable | value (redis-py#2399).
        return cast(set[bytes], self.client.smembers(key))

    def position(self, caller: CallerState) -> int | None:
        """How many callers wait ahead of this one in its region's queue (None: not waiting)."""
        rank = cast(int | None, self.client.zrank(keys.queue(caller.region), caller.call_sid))
        return None if rank is None else int(rank)

    def agent_ids(self) -> list[int]:
        """Every agent that has a state."""
        return sorted(int(x) for x in _words(list(self._members(keys.AGENTS))))

    def agents(self, agent_ids: Iterable[int]) -> dict[int, AgentState]:
        """The states of these agents (agents without a state are left out)."""
        ids = list(agent_ids)
        if not ids:
            return {}
        names = [keys.agent(agent_id) for agent_id in ids]
        packed = _text(self._run("packed", _AGENT_FIELDS_JSON, *names))
        return {
            agent_id: AgentState.from_hash(_unpack(AGENT_FIELDS, item))
            for agent_id, item in zip(ids, packed, strict=True)
            if item
        }

    def agent(self, agent_id: int) -> AgentState | None:
        """One agent's state, or None."""
        return self.agents([agent_id]).get(agent_id)

    def offer(self, offer_id: str) -> dict[str, str] | None:
        """The fields of an open offer, or None."""
        # The sync client's replies are typed Awaitable | value (redis-py#2399).
        data = cast(dict[bytes, bytes], self.client.hgetall(keys.offer(offer_id)))
        return {_text(k): _text(v) for k, v in data.items()} if data else None

    def due_offers(self, now_ms: int) -> list[str]:
        """Open offers whose deadline has passed."""
        return _words(self.client.zrangebyscore(keys.OFFERS, "-inf", now_ms))

    def due_wraps(self, now_ms: int) -> list[int]:
        """Agents whose wrap-up has ended."""
        return [int(x) for x in _text(self.client.zrangebyscore(keys.WRAPPING, "-inf", now_ms))]

    # ----- small writes ------------------------------------------------------------------------

    def update_callers(self, changes: dict[str, dict[str, Any]]) -> None:
        """Set fields of callers still in routing (the router's reach, nobody, ready)."""
        if not changes:
            return
        pipe = self.client.pipeline(transaction=False)
        for sid, fields in changes.items():
            # HSET on a vanished caller would resurrect a partial hash: only touch existing ones.
            scripts.run(
                pipe,
                "update_caller",
                keys=[keys.caller(sid)],
                args=[str(part) for pair in fields.items() for part in pair],
            )
        pipe.execute()

    def record_handle_time(self, seconds: float, samples: int) -> None:
        """Remember one talk + wrap-up time for the expected-wait estimate."""
        pipe = self.client.pipeline(transaction=False)
        pipe.lpush(keys.HANDLE_TIMES, round(seconds, 1))
        pipe.ltrim(keys.HANDLE_TIMES, 0, max(0, samples - 1))
        pipe.execute()

    def handle_times(self) -> list[float]:
        """Recent handle times, newest first."""
        return [float(x) for x in _text(self.client.lrange(keys.HANDLE_TIMES, 0, -1))]
