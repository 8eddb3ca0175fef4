"""Heartbeats of the routers and workers in Redis, and how many of each are alive.

Every router and worker refreshes its own key with a short TTL while it runs (every
BEAT_SECONDS; the key lives TTL_SECONDS) and deletes it when it stops cleanly; a process that
died, hangs or lost Redis lets it expire. Counting reads a small index set, never the keyspace:

hotline:routers:{host}:{pid}      string  a live router: epoch ms of its last beat (expires)
hotline:workers:{host}:{pid}      string  a live worker: the same
hotline:heartbeats:{kind}         set     the process keys of a kind that may still be alive
hotline:heartbeats:{kind}:last    string  epoch ms a process of the kind was last known alive
                                          (if none was since Redis was emptied: when someone
                                          first counted none)
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

import redis
from redis.client import Pipeline

from hotline import clock
from hotline.clock import to_ms
from hotline.outages import REDIS_ERRORS

log = logging.getLogger("hotline.heartbeats")

Kind = Literal["routers", "workers"]
ROUTERS: Kind = "routers"
WORKERS: Kind = "workers"
KINDS: tuple[Kind, ...] = (ROUTERS, WORKERS)
BEAT_SECONDS = 5.0
TTL_SECONDS = 15

# Count the index's members whose key still exists and drop the others, atomically, so that a
# process beating at the same moment is never dropped.
_COUNT_ALIVE = """
local counts = {}
for i, index in ipairs(KEYS) do
  local alive = 0
  for _, key in ipairs(redis.call('SMEMBERS', index)) do
    if redis.call('EXISTS', key) == 1 then
      alive = alive + 1
    else
      redis.call('SREM', index, key)
    end
  end
  counts[i] = alive
end
return counts
"""


def process_key(kind: Kind, host: str | None = None, pid: int | None = None) -> str:
    """The heartbeat key of a process (this one unless host and pid are given)."""
    return f"hotline:{kind}:{host or socket.gethostname()}:{pid or os.getpid()}"


def index_key(kind: Kind) -> str:
    """The set of a kind's process keys."""
    return f"hotline:heartbeats:{kind}"


def last_key(kind: Kind) -> str:
    """When a process of the kind was last known alive."""
    return f"hotline:heartbeats:{kind}:last"


class Heartbeat:
    """This process's heartbeat as a router or a worker."""

    def __init__(
        self, client: redis.Redis, kind: Kind, every: float = BEAT_SECONDS, key: str | None = None
    ) -> None:
        self.client = client
        self.kind = kind
        self.every = every
        self.key = key or process_key(kind)
        self._due = 0.0

    def beat(self, pipe: Pipeline | None = None) -> None:
        """Refresh the key now; into `pipe` when given (its owner executes it)."""
        target = pipe if pipe is not None else self.client.pipeline(transaction=False)
        now_ms = to_ms(clock.now())
        target.set(self.key, now_ms, ex=TTL_SECONDS)
        target.sadd(index_key(self.kind), self.key)
        target.set(last_key(self.kind), now_ms)
        if pipe is None:
            target.execute()
        self._due = time.monotonic() + self.every

    def beat_if_due(self, pipe: Pipeline | None = None) -> bool:
        """Beat if the last beat is `every` seconds old (or failed); True if it beat."""
        if time.monotonic() < self._due:
            return False
        self.beat(pipe)
        return True

    def lost(self) -> None:
        """Beat at the next chance, due or not: Redis failed and may come back without the key."""
        self._due = 0.0

    def stop(self) -> None:
        """Remove the key (a clean stop). Never raises: without Redis the key expires anyway."""
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.delete(self.key)
            pipe.srem(index_key(self.kind), self.key)
            pipe.set(last_key(self.kind), to_ms(clock.now()))
            pipe.execute()
        except REDIS_ERRORS as exc:
            log.warning("could not remove heartbeat %s (it expires by itself): %s", self.key, exc)


def alive(client: redis.Redis) -> dict[Kind, int]:
    """How many routers and workers are alive now."""
    indexes = [index_key(kind) for kind in KINDS]
    # The sync client's replies are typed Awaitable | value (redis-py#2399).
    counts = cast(list[int], client.eval(_COUNT_ALIVE, len(indexes), *indexes))
    return {kind: int(count) for kind, count in zip(KINDS, counts, strict=True)}


@dataclass(frozen=True)
class Liveness:
    """A kind of process now: how many are alive, and for how long none has been."""

    alive: int
    silent_seconds: float


def liveness(client: redis.Redis, now: datetime) -> dict[Kind, Liveness]:
    """Per kind, the processes alive and the seconds since one last was (0 while one is)."""
    counts = alive(client)
    now_ms = to_ms(now)
    found: dict[Kind, Liveness] = {}
    for kind in KINDS:
        if counts[kind]:
            found[kind] = Liveness(counts[kind], 0.0)
            continue
        # Nothing recorded (Redis lost or new): the silence is counted from now, not forever.
        client.set(last_key(kind), now_ms, nx=True)
        last = cast(bytes | None, client.get(last_key(kind)))
        since_ms = int(last) if last is not None else now_ms
        found[kind] = Liveness(0, max(0.0, (now_ms - since_ms) / 1000))
    return found
