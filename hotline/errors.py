"""Specific exceptions of the service; the web layer maps each to one HTTP answer."""

from __future__ import annotations


class HotlineError(Exception):
    """Base of the service's expected errors."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(HotlineError):
    """The request is malformed or misses a field."""

    status = 400
    code = "bad_request"


class Unauthorized(HotlineError):
    """No valid credentials were given."""

    status = 401
    code = "unauthorized"


class Forbidden(HotlineError):
    """The credentials are valid but do not allow this."""

    status = 403
    code = "forbidden"


class NotFound(HotlineError):
    """The named object does not exist."""

    status = 404
    code = "not_found"


class Conflict(HotlineError):
    """The request conflicts with the current state."""

    status = 409
    code = "conflict"


class NotConfigured(HotlineError):
    """A feature needs settings this deployment has not given."""

    status = 503
    code = "not_configured"


class Unavailable(HotlineError):
    """A service the request needs (the database, Redis) cannot be reached just now."""

    status = 503
    code = "unavailable"
