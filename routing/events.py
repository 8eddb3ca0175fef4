"""Waking the routers: web processes push an event when something changes that may allow a match.

Events are a Redis list: one LPUSH per change (a caller enqueued, an agent available, a call
ended); a router blocks on BLPOP and, once woken, drains the list and runs one full matching
cycle, so the content of an event is only for logs. A router also wakes every tick for timers.
"""

from __future__ import annotations

import logging
from typing import cast

import redis

from routing import keys

log = logging.getLogger("hotline.routing")

MAX_PENDING = 10_000


def publish(client: redis.Redis, kind: str, ref: object = "") -> None:
    """Tell the routers that something changed (never raises: routers also tick)."""
    try:
        pipe = client.pipeline(transaction=False)
        pipe.lpush(keys.EVENTS, f"{kind}:{ref}")
        pipe.ltrim(keys.EVENTS, 0, MAX_PENDING - 1)
        pipe.execute()
    except redis.RedisError:
        log.warning("could not publish routing event %s:%s", kind, ref, exc_info=True)


def wait(client: redis.Redis, timeout: float) -> list[str]:
    """Block until an event arrives or `timeout` seconds pass; return every pending event."""
    # The sync client's replies are typed Awaitable | value (redis-py#2399): BLPOP gives
    # (key, value) or None, LPOP with a count a list or None.
    first = cast(tuple[bytes, bytes] | None, client.blpop([keys.EVENTS], timeout=timeout))
    if first is None:
        return []
    events = [first[1]]
    rest = cast(list[bytes] | None, client.lpop(keys.EVENTS, MAX_PENDING))
    if rest:
        events.extend(rest)
    return [e.decode() if isinstance(e, bytes) else str(e) for e in events]


def drain(client: redis.Redis) -> list[str]:
    """Take every pending event without waiting."""
    rest = cast(list[bytes] | None, client.lpop(keys.EVENTS, MAX_PENDING)) or []  # as in wait()
    return [e.decode() if isinstance(e, bytes) else str(e) for e in rest]
