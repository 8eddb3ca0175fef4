"""The router process: started by `hotline router`; announces itself in Redis while it runs."""

from __future__ import annotations

import logging
import os
import socket
import threading

import redis

log = logging.getLogger("hotline.router")

HEARTBEAT_SECONDS = 5


def heartbeat_key() -> str:
    """The Redis key this process refreshes while it is alive."""
    return f"hotline:routers:{socket.gethostname()}:{os.getpid()}"


def run_router(client: redis.Redis, stop: threading.Event, beat: float = HEARTBEAT_SECONDS) -> None:
    """Run until `stop` is set, refreshing a heartbeat key so operators can see live routers."""
    key = heartbeat_key()
    log.info("router started (%s); matching policy not active in this release", key)
    try:
        while not stop.is_set():
            client.set(key, "alive", ex=int(beat * 3))
            stop.wait(beat)
    finally:
        client.delete(key)
        log.info("router stopped cleanly")
