"""Heartbeats of the routers and workers in Redis, counted without reading the keyspace."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import redis

from hotline import heartbeats
from hotline.clock import ManualClock, to_ms, using_clock
from hotline.heartbeats import ROUTERS, TTL_SECONDS, WORKERS, Heartbeat, Liveness, process_key
from tests.hotline.supervision.live_support import NOW


def process(runtime, kind, pid: int) -> Heartbeat:
    return Heartbeat(runtime.redis, kind, key=process_key(kind, "host", pid))


def test_a_beat_is_a_short_lived_key_a_clean_stop_removes(runtime):
    router = Heartbeat(runtime.redis, ROUTERS)
    assert router.key == f"hotline:routers:{socket.gethostname()}:{os.getpid()}"

    with using_clock(ManualClock(NOW)):
        router.beat()
    assert 0 < runtime.redis.ttl(router.key) <= TTL_SECONDS
    assert int(runtime.redis.get(router.key)) == to_ms(NOW)
    assert heartbeats.alive(runtime.redis) == {"routers": 1, "workers": 0}

    with using_clock(ManualClock(NOW + timedelta(seconds=3))):
        router.stop()
    assert not runtime.redis.exists(router.key)
    assert heartbeats.alive(runtime.redis) == {"routers": 0, "workers": 0}
    assert int(runtime.redis.get(heartbeats.last_key(ROUTERS))) == to_ms(NOW) + 3000


def test_processes_whose_key_expired_are_not_counted_and_leave_the_index(runtime):
    workers = [process(runtime, WORKERS, pid) for pid in (1, 2, 3)]
    for worker in workers:
        worker.beat()
    process(runtime, ROUTERS, 4).beat()
    assert heartbeats.alive(runtime.redis) == {"routers": 1, "workers": 3}

    runtime.redis.delete(workers[1].key)  # as its TTL would, for a process killed -9

    assert heartbeats.alive(runtime.redis) == {"routers": 1, "workers": 2}
    index = runtime.redis.smembers(heartbeats.index_key(WORKERS))
    assert index == {workers[0].key.encode(), workers[2].key.encode()}


def test_beats_are_sent_when_due_and_at_once_after_a_failure(runtime):
    router = Heartbeat(runtime.redis, ROUTERS, every=60)
    assert router.beat_if_due() is True
    assert router.beat_if_due() is False  # not before a minute
    runtime.redis.flushdb()  # Redis came back empty
    router.lost()
    assert router.beat_if_due() is True
    assert heartbeats.alive(runtime.redis)[ROUTERS] == 1


def test_a_beat_can_join_a_pipeline(runtime):
    worker = process(runtime, WORKERS, 9)
    pipe = runtime.redis.pipeline()
    worker.beat(pipe)
    assert heartbeats.alive(runtime.redis)[WORKERS] == 0  # not before the pipeline runs
    pipe.execute()
    assert heartbeats.alive(runtime.redis)[WORKERS] == 1


def test_liveness_is_the_silence_since_the_last_process_of_a_kind(runtime):
    router = process(runtime, ROUTERS, 1)
    with using_clock(ManualClock(NOW)):
        router.beat()
    runtime.redis.delete(router.key)  # killed: the heartbeat expired

    found = heartbeats.liveness(runtime.redis, NOW + timedelta(seconds=42))

    assert found[ROUTERS] == Liveness(alive=0, silent_seconds=42.0)
    assert found[WORKERS] == Liveness(alive=0, silent_seconds=0.0)  # never seen: from now on
    later = heartbeats.liveness(runtime.redis, NOW + timedelta(seconds=60))
    assert later[WORKERS] == Liveness(alive=0, silent_seconds=18.0)


def test_stopping_without_redis_does_not_raise(caplog):
    gone = Heartbeat(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5), ROUTERS)
    gone.stop()
    assert "it expires by itself" in caplog.text
