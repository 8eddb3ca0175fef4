"""Waiting out outages: capped exponential backoff with jitter, one log line per outage and end."""

from __future__ import annotations

import logging

import redis
from redis.backoff import NoBackoff
from sqlalchemy.exc import OperationalError

from hotline.outages import (
    CONNECT_TIMEOUT_SECONDS,
    DEPENDENCY_ERRORS,
    Backoff,
    Outage,
    dependency_name,
    retry_in_process,
)

log = logging.getLogger("hotline.test_outages")


def test_the_delay_doubles_up_to_the_cap():
    longest = Backoff(first=0.25, cap=5.0, jitter=lambda: 1.0)
    assert [longest.next_delay() for _ in range(8)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    longest.reset()
    assert longest.next_delay() == 0.25


def test_jitter_takes_each_delay_between_half_and_all_of_its_ceiling():
    shortest = Backoff(first=0.25, cap=5.0, jitter=lambda: 0.0)
    assert [shortest.next_delay() for _ in range(7)] == [0.125, 0.25, 0.5, 1.0, 2.0, 2.5, 2.5]
    spread = Backoff(first=1.0, cap=1.0)
    delays = {spread.next_delay() for _ in range(50)}
    assert all(0.5 <= delay <= 1.0 for delay in delays) and len(delays) > 1


def test_a_long_outage_never_overflows_the_delay():
    backoff = Backoff(first=0.25, cap=5.0, jitter=lambda: 1.0)
    for _ in range(2000):
        delay = backoff.next_delay()
    assert delay == 5.0


def test_an_outage_is_logged_when_it_begins_and_when_it_ends(caplog):
    outage = Outage(log, "router", Backoff(jitter=lambda: 1.0))
    refused = redis.ConnectionError("Error 111 connecting to 127.0.0.1:6391. Connection refused.")
    caplog.set_level(logging.DEBUG, logger=log.name)

    assert outage.over() is False  # no outage: nothing to say
    delays = [outage.failed(refused) for _ in range(5)]
    assert outage.ongoing and delays == [0.25, 0.5, 1.0, 2.0, 4.0]
    assert outage.over() is True
    assert outage.over() is False

    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert lines[0] == (
        "ERROR",
        "router: Redis unreachable (Error 111 connecting to 127.0.0.1:6391. Connection refused.);"
        " retrying with backoff until it answers",
    )
    assert lines[1][0] == "WARNING" and lines[1][1].startswith("router: Redis answers again after")
    assert lines[1][1].endswith("s (4 retries); resuming")
    assert len(lines) == 2

    caplog.clear()
    assert outage.failed(refused) == 0.25  # a new outage starts from the first delay again
    assert len([r for r in caplog.records if r.levelno >= logging.INFO]) == 1


def test_errors_name_their_dependency():
    database = OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert dependency_name(database) == "the database"
    assert dependency_name(redis.TimeoutError()) == "Redis"
    assert dependency_name(redis.BusyLoadingError()) == "Redis"  # restarting, loading its data
    for error in (database, redis.ConnectionError(), redis.ReadOnlyError()):
        assert isinstance(error, DEPENDENCY_ERRORS)
    assert not isinstance(redis.ResponseError("WRONGTYPE"), DEPENDENCY_ERRORS)  # a bug of ours


def test_a_process_client_leaves_the_waiting_to_the_process_loop():
    client = redis.Redis(host="127.0.0.1", port=1)
    assert client.get_retry().get_retries() == 3  # redis-py's default, with waits between

    retry_in_process(client, read_timeout=12.0)

    retry = client.get_retry()
    assert retry.get_retries() == 1  # one at once, for the pooled socket a restart left dead
    assert isinstance(retry._backoff, NoBackoff)
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (
        CONNECT_TIMEOUT_SECONDS, 12.0,
    )  # fmt: skip
