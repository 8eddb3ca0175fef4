"""The worker and router children of `hotline serve` and `hotline demo`, started again if they exit.

Neither process exits on a Redis or database outage; one killed (by a person, the OOM killer,
a crash) is started again after a backoff, as a process manager would do for the Procfile.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from hotline.outages import Backoff

log = logging.getLogger("hotline.serve")

CHECK_SECONDS = 1.0
# A child that ran this long before exiting is started again after the shortest backoff.
STABLE_SECONDS = 60.0
STOP_SECONDS = 10.0


class Children:
    """Named `python -m MODULE NAME` children, each started again whenever it exits."""

    def __init__(self, module: str, names: Sequence[str], env: dict[str, str]) -> None:
        self.module = module
        self.names = list(names)
        self.env = env
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._started_at: dict[str, float] = {}
        self._restart_at: dict[str, float] = {}
        self._backoff = {name: Backoff() for name in self.names}
        self._watcher = threading.Thread(target=self._watch, name="children", daemon=True)

    def start(self) -> Children:
        """Start every child and the watcher that starts them again."""
        for name in self.names:
            self._spawn(name)
        self._watcher.start()
        return self

    def pids(self) -> dict[str, int]:
        """The process id of each child now."""
        with self._lock:
            return {name: process.pid for name, process in self._processes.items()}

    def stop(self) -> None:
        """Stop watching, then ask every child to stop (SIGTERM); kill any still up after 10 s."""
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join(timeout=STOP_SECONDS)
        with self._lock:
            processes = list(self._processes.values())
        stop_children(processes)

    def _spawn(self, name: str) -> None:
        process = subprocess.Popen([sys.executable, "-m", self.module, name], env=self.env)
        with self._lock:
            self._processes[name] = process
            self._started_at[name] = time.monotonic()

    def _watch(self) -> None:
        while not self._stopping.wait(CHECK_SECONDS):
            for name in self.names:
                self._check(name, time.monotonic())

    def _check(self, name: str, now: float) -> None:
        with self._lock:
            process = self._processes[name]
        code = process.poll()
        if code is None:
            return
        restart_at = self._restart_at.get(name)
        if restart_at is None:
            if now - self._started_at[name] >= STABLE_SECONDS:
                self._backoff[name].reset()
            delay = self._backoff[name].next_delay()
            self._restart_at[name] = now + delay
            log.warning(
                "%s (pid %d) exited with code %s; starting it again in %.1f s",
                name, process.pid, code, delay,
            )  # fmt: skip
        elif now >= restart_at:
            del self._restart_at[name]
            self._spawn(name)
            log.warning("%s started again (pid %d)", name, self.pids()[name])


def stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    """Ask child processes to stop (SIGTERM), and kill those still running after 10 s."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
