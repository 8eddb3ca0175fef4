"""One place that maps exceptions to HTTP answers."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from hotline.errors import HotlineError
from hotline.web.extensions import rollback_quietly

log = logging.getLogger("hotline.web")


def register(app: Flask) -> None:
    """Install the error handlers on the app."""

    @app.errorhandler(HotlineError)
    def hotline_error(exc: HotlineError):  # type: ignore[no-untyped-def]
        rollback_quietly()
        body = {"error": exc.code, "message": exc.message}
        if exc.details:
            body["details"] = exc.details
        return jsonify(body), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        rollback_quietly()
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify({"error": code, "message": exc.description}), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):  # type: ignore[no-untyped-def]
        rollback_quietly()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return jsonify({"error": "internal_error", "message": "internal error"}), 500
