"""The router process: started by `hotline router`; announces itself in Redis while it runs."""

from __future__ import annotations

import logging
import os
import socket
import threading

from hotline import clock
from hotline.runtime import Runtime
from hotline.telephony import Telephony
from routing.config import load_routing_config
from routing.rebuild import RebuildReport, rebuild
from routing.router import Lifecycle, Router

log = logging.getLogger("hotline.router")

HEARTBEAT_SECONDS = 5


def heartbeat_key() -> str:
    """The Redis key this process refreshes while it is alive."""
    return f"hotline:routers:{socket.gethostname()}:{os.getpid()}"


def rebuild_now(runtime: Runtime) -> RebuildReport:
    """Replace the live routing state with one rebuilt from the database."""
    config = load_routing_config(runtime.settings.config_dir)
    with runtime.session() as session:
        return rebuild(runtime.redis, session, config, clock.now())


def run_router(
    runtime: Runtime, lifecycle: Lifecycle, stop: threading.Event, beat: float = HEARTBEAT_SECONDS
) -> None:
    """Route calls until `stop` is set, refreshing a heartbeat key so operators see live routers."""
    key = heartbeat_key()
    # Announce at once, before the first cycle (which may have to rebuild the state).
    runtime.redis.set(key, "alive", ex=int(beat * 3))
    router = Router(runtime, Telephony.from_settings(runtime.settings), lifecycle)
    log.info("router started (%s)", key)
    try:
        router.run(stop, beat=beat, heartbeat=key)
    finally:
        runtime.redis.delete(key)
        log.info("router stopped cleanly")
