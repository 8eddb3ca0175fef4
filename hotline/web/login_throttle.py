"""Slowing down repeated failed logins, per username and per address, with Redis counters.

The account lockout in hotline.auth stops guessing one account's password; this throttle makes
each further guess wait (1 s, 2 s, 4 s ... after each failure of a username) and caps how many
failures one address may have in a window. A throttled attempt is refused at once with 429 and
the seconds to wait: nothing sleeps in the web process.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

import redis
from sqlalchemy.orm import Session

from hotline.auth import authenticate
from hotline.errors import HotlineError, Unauthorized
from hotline.models import User

log = logging.getLogger("hotline.login")

WINDOW_SECONDS = 15 * 60
MAX_WAIT_SECONDS = 60
MAX_FAILURES_PER_ADDRESS = 30


class TooManyAttempts(HotlineError):
    """Logins from this address or for this username are being slowed down."""

    status = 429
    code = "too_many_attempts"


def _keys(username: str, remote_addr: str | None) -> tuple[str, str, str]:
    name = username.strip().lower()[:64]
    return (
        f"hotline:login:failures:{name}",
        f"hotline:login:wait:{name}",
        f"hotline:login:address:{remote_addr or 'unknown'}",
    )


def check_allowed(client: redis.Redis, username: str, remote_addr: str | None) -> None:
    """Raise TooManyAttempts if this login attempt must wait."""
    _, wait_key, address_key = _keys(username, remote_addr)
    try:
        # The sync client's replies are typed Awaitable | value (redis-py#2399): PTTL and TTL
        # give an int, GET bytes or None.
        wait_ms = cast(int, client.pttl(wait_key))
        address_failures = int(cast(bytes | None, client.get(address_key)) or 0)
        address_ttl = cast(int, client.ttl(address_key)) if address_failures else 0
    except redis.RedisError as exc:  # the throttle must not make logins impossible
        log.warning("login throttle unavailable: %s", exc)
        return
    if wait_ms > 0:
        raise TooManyAttempts(
            "too many failed logins; wait before trying again",
            retry_after_seconds=max(1, -(-wait_ms // 1000)),
        )
    if address_failures >= MAX_FAILURES_PER_ADDRESS:
        raise TooManyAttempts(
            "too many failed logins from this address; wait before trying again",
            retry_after_seconds=max(1, address_ttl),
        )


def record_failure(
    client: redis.Redis, username: str, remote_addr: str | None, base_seconds: float
) -> None:
    """Count a failed login; the username must then wait base * 2**(failures-1) seconds."""
    failures_key, wait_key, address_key = _keys(username, remote_addr)
    try:
        pipe = client.pipeline()
        pipe.incr(failures_key)
        pipe.expire(failures_key, WINDOW_SECONDS)
        pipe.incr(address_key)
        failures, _, address_failures = pipe.execute()
        if int(address_failures) == 1:
            client.expire(address_key, WINDOW_SECONDS)
        failures = int(failures)
        if base_seconds > 0:
            wait = min(base_seconds * 2 ** (failures - 1), MAX_WAIT_SECONDS)
            client.set(wait_key, "1", px=max(1, int(wait * 1000)))
    except redis.RedisError as exc:
        log.warning("login throttle unavailable: %s", exc)


def record_success(client: redis.Redis, username: str, remote_addr: str | None) -> None:
    """Forget the username's failures after a good login."""
    failures_key, wait_key, _ = _keys(username, remote_addr)
    try:
        client.delete(failures_key, wait_key)
    except redis.RedisError as exc:
        log.warning("login throttle unavailable: %s", exc)


def throttled_authenticate(
    session: Session,
    client: redis.Redis,
    username: str,
    password: str,
    remote_addr: str | None,
    now: datetime,
    base_seconds: float,
) -> User:
    """authenticate() behind the throttle: refuse fast when slowed, count failures."""
    check_allowed(client, username, remote_addr)
    try:
        user = authenticate(session, username, password, remote_addr, now)
    except Unauthorized:
        record_failure(client, username, remote_addr, base_seconds)
        raise
    record_success(client, username, remote_addr)
    return user
