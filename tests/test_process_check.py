"""The session's process check finds what a test started and left running, daemons too."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.conftest import SESSION_MARK, marked_processes


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_process_a_test_started_is_found_until_it_ends():
    mark = os.environ[SESSION_MARK]
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert _wait_for(lambda: child.pid in marked_processes(mark))
        assert marked_processes(mark)[child.pid] == "sleep 30"
    finally:
        child.kill()
        child.wait()
    assert child.pid not in marked_processes(mark)


def test_a_daemon_that_left_its_parent_is_found_too():
    mark = os.environ[SESSION_MARK]
    # As redis-server --daemonize does: the parent exits, the daemon lives on without it.
    started = subprocess.run(
        ["sh", "-c", "sleep 31 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True
    )
    daemon = int(started.stdout.strip())
    try:
        assert _wait_for(lambda: daemon in marked_processes(mark))
        assert marked_processes(mark)[daemon] == "sleep 31"
    finally:
        os.kill(daemon, signal.SIGKILL)
    assert _wait_for(lambda: daemon not in marked_processes(mark))
