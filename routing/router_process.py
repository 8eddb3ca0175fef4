"""The router process: started by `hotline router`; shows its heartbeat in Redis while it runs."""

from __future__ import annotations

import logging
import threading

from hotline import clock
from hotline.heartbeats import ROUTERS, Heartbeat
from hotline.outages import retry_in_process
from hotline.runtime import Runtime
from hotline.telephony import Telephony
from routing.config import load_routing_config
from routing.rebuild import RebuildReport, rebuild
from routing.router import Lifecycle, Router

log = logging.getLogger("hotline.router")

# A command blocks for up to a tick (the wait for events); one that takes this much longer
# means Redis does not answer.
READ_TIMEOUT_SECONDS = 10.0


def rebuild_now(runtime: Runtime) -> RebuildReport:
    """Replace the live routing state with one rebuilt from the database."""
    config = load_routing_config(runtime.settings.config_dir)
    with runtime.session() as session:
        return rebuild(runtime.redis, session, config, clock.now())


def run_router(runtime: Runtime, lifecycle: Lifecycle, stop: threading.Event) -> None:
    """Route calls until `stop` is set, through any Redis or database outage, with a heartbeat."""
    router = Router(runtime, Telephony.from_settings(runtime.settings), lifecycle)
    retry_in_process(runtime.redis, READ_TIMEOUT_SECONDS + router.config.tick_seconds)
    heartbeat = Heartbeat(runtime.redis, ROUTERS)
    log.info("router started (%s)", heartbeat.key)
    try:
        router.run(stop, heartbeat)
    finally:
        heartbeat.stop()
        log.info("router stopped cleanly")
