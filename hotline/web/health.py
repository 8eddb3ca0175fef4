"""Liveness and readiness probes for load balancers."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from hotline import heartbeats
from hotline.web.extensions import runtime

bp = Blueprint("health", __name__)
log = logging.getLogger("hotline.health")


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database and Redis are reachable; how many routers and workers are alive.

    Readiness is this web process's: the processes' counts are for operators (null when Redis
    cannot be read) and never make it not ready.
    """
    rt = runtime()
    checks: dict[str, str] = {}
    try:
        with rt.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness: database unreachable: %s", exc)
        checks["database"] = "unreachable"
    try:
        rt.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: redis unreachable: %s", exc)
        checks["redis"] = "unreachable"
    processes: dict[str, int | None] = dict.fromkeys(heartbeats.KINDS)
    if checks["redis"] == "ok":
        try:
            for kind, count in heartbeats.alive(rt.redis).items():
                processes[kind] = count
        except Exception as exc:  # noqa: BLE001 - the counts are information, never a failure
            log.warning("readiness: processes not counted: %s", exc)
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not_ready", "checks": checks, "processes": processes}
    return jsonify(body), 200 if ready else 503
