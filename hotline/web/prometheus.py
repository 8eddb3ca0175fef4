"""/metrics for Prometheus: live queue and agent gauges, RQ job counts, webhook latency.

Access: with HOTLINE_METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`
(401 otherwise); without it, only loopback clients (127.0.0.1, ::1) are answered (403 otherwise),
in every environment. The client address is the one left after the app's trusted-proxy handling
(HOTLINE_TRUSTED_PROXIES), so a proxy on the same host does not make every client loopback
unless it is trusted and forwards X-Forwarded-For.

Several gunicorn workers: set PROMETHEUS_MULTIPROC_DIR to an empty directory before gunicorn
starts (it must be wiped between runs); every worker then writes its webhook histogram there and
any worker's /metrics adds them all up. The gauges are read from Redis at scrape time, so they
are the same whichever worker answers. See docs/prometheus.md.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)

from callbacks.queues import QUEUES
from hotline.errors import Forbidden, Unauthorized
from hotline.settings import Settings
from hotline.twiml import TWILIO_PATH_PREFIXES
from hotline.web.api.security import bearer_token
from hotline.web.extensions import redis_store, settings
from hotline.web.prometheus_collector import LiveStateCollector
from routing.regions import PROVINCE, load_regions

bp = Blueprint("prometheus", __name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Twilio gives up on a webhook after 15 s; most answers should take a few milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)

WEBHOOK_SECONDS = Histogram(
    "hotline_webhook_duration_seconds",
    "Time to answer a Twilio webhook (/voice, /ivr, /queue, /sms), by endpoint",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
    registry=None,  # exported by the per-scrape registry below
)
_START = "prometheus_started_at"


@bp.before_app_request
def _start_timer() -> None:
    if request.path.startswith(TWILIO_PATH_PREFIXES):
        g.setdefault(_START, time.perf_counter())


@bp.after_app_request
def _observe(response: Response) -> Response:
    started = g.pop(_START, None)
    if started is not None:
        endpoint = request.endpoint or "unmatched"
        WEBHOOK_SECONDS.labels(endpoint=endpoint).observe(time.perf_counter() - started)
    return response


def is_loopback(address: str | None) -> bool:
    """Whether a client address is the local host (IPv4 127/8, ::1, or v4-mapped 127/8)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def check_access(settings: Settings) -> None:
    """Raise Unauthorized or Forbidden unless this request may read /metrics."""
    if settings.metrics_token:
        given = bearer_token()
        if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
            raise Unauthorized("wrong metrics token")
        return
    if not is_loopback(request.remote_addr):
        raise Forbidden(
            "/metrics answers loopback clients only unless HOTLINE_METRICS_TOKEN is set"
        )


def scrape_registry(settings: Settings) -> CollectorRegistry:
    """A registry with this scrape's gauges and the webhook histogram (of every worker)."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves its __init__ unannotated
    else:
        registry.register(WEBHOOK_SECONDS)
    regions = [region.code for region in load_regions(settings.config_dir).regions]
    registry.register(LiveStateCollector(redis_store.client, [*regions, PROVINCE], QUEUES))
    return registry


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus text exposition."""
    current = settings()
    check_access(current)
    body = generate_latest(scrape_registry(current))
    return Response(body, status=200, headers={"Content-Type": CONTENT_TYPE_LATEST})
