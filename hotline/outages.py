"""Waiting out a Redis or database outage: which errors mean one, how long to wait, what to log.

The long-running processes (routers, workers) never exit on a dependency error: they retry
with capped exponential backoff and jitter, say once that the outage began and once that it
ended, and resume by themselves (docs/reliability.md).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import exc as sa_exc

# Redis down, restarting (BusyLoadingError is a ConnectionError), failing over (READONLY) or
# not answering in time.
REDIS_ERRORS: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.ReadOnlyError,
)
# The database down or its connection lost (OperationalError, InterfaceError), or the
# connection pool exhausted while it hangs (TimeoutError).
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)
DEPENDENCY_ERRORS = REDIS_ERRORS + DATABASE_ERRORS

FIRST_RETRY_SECONDS = 0.25
# Low on purpose: a retry is one PING or SELECT 1, and calls wait while the processes wait.
MAX_RETRY_SECONDS = 5.0
_MAX_DOUBLINGS = 32
CONNECT_TIMEOUT_SECONDS = 2.0


def dependency_name(exc: BaseException) -> str:
    """Which dependency an error is about, as the log lines name it."""
    return "Redis" if isinstance(exc, REDIS_ERRORS) else "the database"


def retry_in_process(client: redis.Redis, read_timeout: float) -> None:
    """Let a long-running process's own loop wait out Redis outages, not the client's retries.

    redis-py retries a failed command itself, for seconds, and a connect to a host that is
    gone waits for the system's TCP timeout: both would only delay noticing an outage and its
    end. One immediate retry stays, for the pooled connection a Redis restart left dead; a
    command that hangs longer than `read_timeout` fails. Call it before the first command.
    """
    client.connection_pool.connection_kwargs.update(
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=read_timeout
    )
    client.set_retry(Retry(NoBackoff(), 1))


class Backoff:
    """Capped exponential delays with jitter: retry n waits 50-100 % of min(cap, first * 2**n)."""

    def __init__(
        self,
        first: float = FIRST_RETRY_SECONDS,
        cap: float = MAX_RETRY_SECONDS,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.first = first
        self.cap = cap
        self._jitter = jitter
        self.attempts = 0

    def next_delay(self) -> float:
        """The seconds to wait before the next attempt (each call doubles the ceiling)."""
        ceiling = min(self.cap, self.first * 2 ** min(self.attempts, _MAX_DOUBLINGS))
        self.attempts += 1
        # Jitter spreads the retries of many processes that lost the same server at once.
        return float(ceiling * (0.5 + 0.5 * self._jitter()))

    def reset(self) -> None:
        """Start again from the first delay."""
        self.attempts = 0


class Outage:
    """A process's view of a dependency outage: one line when it begins, one when it ends."""

    def __init__(self, log: logging.Logger, process: str, backoff: Backoff | None = None) -> None:
        self.log = log
        self.process = process
        self.backoff = backoff or Backoff()
        self.retries = 0
        self._since: float | None = None
        self._dependency = ""

    @property
    def ongoing(self) -> bool:
        """Whether the last attempt failed."""
        return self._since is not None

    def failed(self, exc: BaseException) -> float:
        """Note a failed attempt (logged only when it begins an outage); return the wait."""
        if self._since is None:
            self._since = time.monotonic()
            self._dependency = dependency_name(exc)
            self.retries = 0
            self.log.error(
                "%s: %s unreachable (%s); retrying with backoff until it answers",
                self.process, self._dependency, exc,
            )  # fmt: skip
        else:
            self.retries += 1
            self.log.debug("%s: still unreachable: %s", self.process, exc)
        return self.backoff.next_delay()

    def over(self) -> bool:
        """Note a successful attempt; True, with one log line, if it ends an outage."""
        if self._since is None:
            return False
        lasted = time.monotonic() - self._since
        self.log.warning(
            "%s: %s answers again after %.1f s (%d retries); resuming",
            self.process, self._dependency, lasted, self.retries,
        )  # fmt: skip
        self._since = None
        self.backoff.reset()
        return True
