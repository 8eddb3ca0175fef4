"""Liveness and readiness probes for load balancers."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from hotline.web.extensions import runtime

bp = Blueprint("health", __name__)
log = logging.getLogger("hotline.health")


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database and Redis are reachable."""
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
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), (
        200 if ready else 503
    )
