"""Per-call IVR state in Redis: current node, failure counters and variables, with a TTL."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import redis

log = logging.getLogger("hotline.ivr.state")

STATE_TTL_SECONDS = 2 * 3600
KEY_PREFIX = "hotline:ivr:"


@dataclass
class IvrState:
    """Where a call is in its flow and what the flow has learnt about it."""

    flow: str
    node: str
    vars: dict[str, Any] = field(default_factory=dict)
    fails: dict[str, int] = field(default_factory=dict)
    steps: int = 0

    def to_hash(self) -> dict[str, str]:
        """The Redis hash fields (each a JSON value)."""
        return {
            "flow": json.dumps(self.flow),
            "node": json.dumps(self.node),
            "vars": json.dumps(self.vars, ensure_ascii=False),
            "fails": json.dumps(self.fails),
            "steps": json.dumps(self.steps),
        }

    @classmethod
    def from_hash(cls, data: dict[bytes | str, bytes | str]) -> IvrState:
        """Rebuild a state from its Redis hash; raise ValueError if it is not one."""
        fields = {
            (k.decode() if isinstance(k, bytes) else k): json.loads(v) for k, v in data.items()
        }
        state = cls(
            flow=fields["flow"],
            node=fields["node"],
            vars=fields.get("vars") or {},
            fails=fields.get("fails") or {},
            steps=int(fields.get("steps") or 0),
        )
        if not (
            isinstance(state.flow, str)
            and isinstance(state.node, str)
            and isinstance(state.vars, dict)
            and isinstance(state.fails, dict)
        ):
            raise ValueError("state fields have the wrong types")
        return state


class StateStore:
    """Load and save IvrState under a key per CallSid, expiring STATE_TTL_SECONDS after use."""

    def __init__(self, client: redis.Redis, ttl_seconds: int = STATE_TTL_SECONDS) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds

    @staticmethod
    def key(call_sid: str) -> str:
        """The Redis key of a call's state."""
        return KEY_PREFIX + call_sid

    def load(self, call_sid: str) -> IvrState | None:
        """The call's state, or None when missing, expired or unreadable."""
        # The sync client's replies are typed Awaitable | value (redis-py#2399).
        data = cast(dict[bytes | str, bytes | str], self.client.hgetall(self.key(call_sid)))
        if not data:
            return None
        try:
            return IvrState.from_hash(data)
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable IVR state for %s; treating it as lost", call_sid)
            return None

    def save(self, call_sid: str, state: IvrState) -> None:
        """Replace the call's state and restart its TTL."""
        key = self.key(call_sid)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=state.to_hash())
            pipe.expire(key, self.ttl_seconds)
            pipe.execute()

    def clear(self, call_sid: str) -> None:
        """Forget the call's state."""
        self.client.delete(self.key(call_sid))
