"""One place that maps exceptions to HTTP answers."""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException

from hotline.errors import HotlineError, Unavailable
from hotline.web.api.models.common import Error
from hotline.web.csrf import API_MESSAGE, PAGE_MESSAGE, CsrfFailed
from hotline.web.extensions import rollback_quietly

log = logging.getLogger("hotline.web")

# A dependency that is down (or, on SQLite, a lock that was never freed): a 503, not a 500.
DEPENDENCY_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    DisconnectionError,
    redis.ConnectionError,
    redis.TimeoutError,
)
UNAVAILABLE_MESSAGE = "服务暂时不可用（数据库或缓存服务连接中断），请稍后重试。"


def _error_json(code: str, message: str, details: dict[str, Any] | None = None) -> Response:
    """The Error answer (its details only when there are some)."""
    fields: dict[str, Any] = {"error": code, "message": message}
    if details:
        fields["details"] = details
    return jsonify(Error(**fields).as_json())


def register(app: Flask) -> None:
    """Install the error handlers on the app."""

    @app.errorhandler(HotlineError)
    def hotline_error(exc: HotlineError) -> tuple[Response, int]:
        rollback_quietly()
        return _error_json(exc.code, exc.message, exc.details), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        # The API refuses like any other request; a page form's refusal is a page.
        if request.path.startswith("/api/"):
            return hotline_error(CsrfFailed(API_MESSAGE))
        return render_template("error.html", status=400, message=PAGE_MESSAGE), 400

    def dependency_down(exc: Exception) -> ResponseReturnValue:
        try:
            rollback_quietly()
        except Exception:  # noqa: BLE001 - the connection is gone with the service
            log.warning("rollback after %s failed too", type(exc).__name__)
        log.error(
            "%s %s: a dependency is unavailable: %s: %s",
            request.method,
            request.path,
            type(exc).__name__,
            # SQLAlchemy wraps the driver's error: its own message says what happened.
            "".join(str(getattr(exc, "orig", None) or exc).splitlines()[:1]),
        )
        if request.path.startswith("/api/"):
            return hotline_error(Unavailable(UNAVAILABLE_MESSAGE))
        # The page must not look the user up in the database that is down.
        g.page_user = None
        return render_template("error.html", status=503, message=UNAVAILABLE_MESSAGE), 503

    for dependency_error in DEPENDENCY_ERRORS:
        app.register_error_handler(dependency_error, dependency_down)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        rollback_quietly()
        code = (exc.name or "error").lower().replace(" ", "_")
        return _error_json(code, exc.description or ""), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> tuple[Response, int]:
        rollback_quietly()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_json("internal_error", "internal error"), 500
