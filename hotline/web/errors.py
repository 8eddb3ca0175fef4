"""One place that maps exceptions to HTTP answers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from hotline.errors import HotlineError
from hotline.web.api.models.common import Error
from hotline.web.csrf import API_MESSAGE, PAGE_MESSAGE, CsrfFailed
from hotline.web.extensions import rollback_quietly

log = logging.getLogger("hotline.web")


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
