"""`hotline router` and `hotline worker` outlive Redis killed (-9) and brought back empty."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rq import Queue

from callbacks.sms.outbox import queue_message
from hotline import clock, heartbeats, migrate
from hotline.runtime import redis_url
from tests.callbacks.sms.sms_support import make_caller
from tests.harness.redis_server import RedisServer
from tests.routing.helpers import add_agent, queue_call, redirects

PORT = 6391  # this test's own redis-server, which it kills
OUTAGE_LINE = "Redis unreachable"
RECOVERY_LINE = "Redis answers again"


def wait_for(predicate: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def stop(processes: dict[str, subprocess.Popen[bytes]]) -> dict[str, int | None]:
    """SIGTERM each process; the exit codes (None for one that had to be killed)."""
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    codes: dict[str, int | None] = {}
    for name, process in processes.items():
        try:
            codes[name] = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            codes[name] = None
    return codes


def start(
    names: tuple[str, ...], env: dict[str, str], logs: Path
) -> dict[str, subprocess.Popen[bytes]]:
    """`hotline NAME` for each name, its output in logs/NAME.log."""
    processes = {}
    for name in names:
        with (logs / f"{name}.log").open("wb") as log:
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", name],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
    return processes


def test_router_and_worker_outlive_redis_killed_and_back_empty(
    runtime, db_session, fake_twilio, tmp_path: Path
):
    add_agent(db_session, "a1", "harbin")
    server = RedisServer(PORT, tmp_path / "redis")
    env = dict(
        os.environ, DATABASE_URL=runtime.settings.database_url, REDIS_URL=server.url,
        HOTLINE_INSTANCE_DIR=str(runtime.settings.instance_dir),
        TWILIO_API_BASE_URL=fake_twilio.base_url, HOTLINE_LOG_LEVEL="INFO",
    )  # fmt: skip
    logs = {name: tmp_path / f"{name}.log" for name in ("router", "worker")}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    server.start()
    try:
        processes = start(("router", "worker"), env, tmp_path)
        before = server.client()
        assert wait_for(lambda: heartbeats.alive(before) == {"routers": 1, "workers": 1}, 30)
        assert wait_for(lambda: before.exists("hotline:routing:built"), 10)
        before.close()

        server.kill()
        assert wait_for(lambda: all(OUTAGE_LINE in p.read_text() for p in logs.values()), 10)
        # An SMS stored while Redis is out: its send job goes elsewhere (the suite's Redis),
        # as good as lost; the worker must queue it again when Redis is back.
        queue_message(
            db_session, runtime.redis, kind="callback_notice", caller_id=make_caller(db_session).id,
            body="您好，这是一条通知。", idempotency_key="outage:1", now=clock.now(),
            settings=runtime.settings,
        )  # fmt: skip
        db_session.commit()
        time.sleep(1.0)  # a real outage: a few retries, each waiting longer
        server.start()
        back = time.monotonic()

        client = server.client()  # a new server without persistence: back empty
        call = queue_call(db_session, client, now=clock.now())
        job = Queue("default", connection=client).enqueue("os.getpid")

        assert wait_for(lambda: redirects(fake_twilio, call.call_sid), 10), (
            "the caller queued after Redis came back was never routed:\n"
            + logs["router"].read_text()
        )
        routed_after = time.monotonic() - back
        worked = wait_for(lambda: job.refresh() or job.get_status() == "finished", 10)
        assert worked, logs["worker"].read_text()
        assert job.return_value() not in (None, os.getpid())  # run by the worker's horse
        assert {name: p.poll() for name, p in processes.items()} == {
            "router": None, "worker": None,
        }  # fmt: skip
        assert heartbeats.alive(client) == {"routers": 1, "workers": 1}
        client.close()
    finally:
        codes = stop(processes)
        server.kill()
    assert codes == {"router": 0, "worker": 0}
    assert routed_after < 10
    for name, path in logs.items():
        text = path.read_text()
        assert text.count(OUTAGE_LINE) == 1, f"{name}:\n{text}"
        assert text.count(RECOVERY_LINE) == 1, f"{name}:\n{text}"
        assert "Traceback" not in text, f"{name}:\n{text}"
    # Redis came back empty: the router rebuilt the routing state again from the database.
    assert logs["router"].read_text().count("routing state rebuilt from the database") == 2
    worker_log = logs["worker"].read_text()
    assert worker_log.index(RECOVERY_LINE) < worker_log.index("1 jobs lost with Redis are queued")


def test_router_and_worker_wait_for_a_database_that_is_not_there_yet(runtime, tmp_path: Path):
    missing = tmp_path / "not-yet"
    url = f"sqlite:///{missing}/hotline.sqlite3"
    env = dict(
        os.environ, DATABASE_URL=url, REDIS_URL=redis_url(runtime.settings),
        HOTLINE_INSTANCE_DIR=str(runtime.settings.instance_dir), HOTLINE_LOG_LEVEL="INFO",
    )  # fmt: skip
    logs = {name: tmp_path / f"{name}.log" for name in ("router", "worker")}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        processes = start(("router", "worker"), env, tmp_path)
        outage = "the database unreachable"
        assert wait_for(lambda: all(outage in p.read_text() for p in logs.values()), 20)
        # Waiting for the database, both are alive: Redis shows their heartbeats.
        assert wait_for(lambda: heartbeats.alive(runtime.redis) == {"routers": 1, "workers": 1}, 10)

        missing.mkdir()
        migrate.upgrade(url)  # the database is there now

        recovery = "the database answers again"
        assert wait_for(lambda: all(recovery in p.read_text() for p in logs.values()), 15)
        assert wait_for(lambda: runtime.redis.exists("hotline:routing:built"), 10)  # routing
        assert {name: p.poll() for name, p in processes.items()} == {
            "router": None, "worker": None,
        }  # fmt: skip
    finally:
        codes = stop(processes)
    assert codes == {"router": 0, "worker": 0}
    for name, path in logs.items():
        text = path.read_text()
        assert text.count("the database unreachable") == 1, f"{name}:\n{text}"
        assert text.count("the database answers again") == 1, f"{name}:\n{text}"
