"""The supervisors' live view of queues, agents and today's KPIs (SSE).

/live is the page; /live/stream sends the snapshot as Server-Sent Events: at once, then whenever
the routing state changes (polled by its signature every POLL_SECONDS) and at least every
PUSH_SECONDS. A stream ends after STREAM_SECONDS so it never pins a worker; the browser's
EventSource reconnects after the `retry:` delay it was given.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

import redis
from flask import Blueprint, Response, current_app, render_template
from sqlalchemy.exc import SQLAlchemyError

from hotline import clock
from hotline.runtime import Runtime
from hotline.supervision.live_setup import LiveSetup
from hotline.supervision.live_view import live_snapshot
from hotline.web.api.metrics import live_setup
from hotline.web.extensions import runtime
from hotline.web.pages.access import SUPERVISORS, login_required
from routing.state import RoutingState

log = logging.getLogger("hotline.web")

bp = Blueprint("live", __name__, url_prefix="/live")

STREAM_SECONDS_CONFIG = "HOTLINE_LIVE_STREAM_SECONDS"
MAX_STREAMS_CONFIG = "HOTLINE_LIVE_MAX_STREAMS"
# Streams one process serves at once: each holds a worker thread, and webhooks need the rest
# (a page refused a stream polls GET /api/metrics/live instead).
MAX_STREAMS = 2
STREAM_SECONDS = 300.0
PUSH_SECONDS = 2.0
POLL_SECONDS = 0.5
RETRY_MS = 3000


def sse(event: str, data: object) -> str:
    """One Server-Sent Event with a JSON payload."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def snapshot_events(
    rt: Runtime,
    setup: LiveSetup,
    lifetime: float,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """The SSE stream: the snapshot now, on every routing change and every PUSH_SECONDS."""
    yield f"retry: {RETRY_MS}\n\n"
    state = RoutingState(rt.redis)
    started = monotonic()
    signature: str | None = None
    pushed = float("-inf")
    while True:
        moment = monotonic()
        if moment - started >= lifetime:
            yield sse("bye", {"reconnect_ms": RETRY_MS})
            return
        try:
            current = state.signature()
            if current != signature or moment - pushed >= PUSH_SECONDS:
                with rt.session() as session:  # a short transaction per push: fresh rows
                    snapshot = live_snapshot(session, rt.redis, setup, clock.now())
                yield sse("snapshot", snapshot)
                signature, pushed = current, moment
        except (redis.RedisError, SQLAlchemyError):
            log.warning("live view stream stopped: state unavailable", exc_info=True)
            yield sse("unavailable", {"reconnect_ms": RETRY_MS})
            return
        sleep(max(0.0, min(POLL_SECONDS, lifetime - (monotonic() - started))))


@bp.get("")
@login_required(*SUPERVISORS)
def live() -> str:
    """The live view page; its script fills it from the API and the stream."""
    return render_template("live.html")


@bp.get("/stream")
@login_required(*SUPERVISORS)
def stream() -> Response:
    """The live snapshot as Server-Sent Events (text/event-stream)."""
    lifetime = float(current_app.config.get(STREAM_SECONDS_CONFIG, STREAM_SECONDS))
    slots = _stream_slots(current_app.config.get(MAX_STREAMS_CONFIG, MAX_STREAMS))
    if not slots.acquire(blocking=False):
        return Response(
            "too many live streams on this server; poll /api/metrics/live\n",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "30"},
        )
    events = _releasing(snapshot_events(runtime(), live_setup(), lifetime), slots)
    return Response(
        events,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _stream_slots(limit: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore of concurrent streams (one per configured limit)."""
    with _slots_lock:
        if limit not in _slots:
            _slots[limit] = threading.BoundedSemaphore(limit)
        return _slots[limit]


def _releasing(events: Iterator[str], slots: threading.BoundedSemaphore) -> Iterator[str]:
    """Yield the stream's events; free its slot when it ends or the client goes away."""
    try:
        yield from events
    finally:
        slots.release()
