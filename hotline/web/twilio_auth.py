"""Twilio-facing requests: X-Twilio-Signature verified, and the CallSid named in their logs."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Flask, abort, g, request
from twilio.request_validator import RequestValidator

from hotline.logs import bind_call_sid, unbind_call_sid
from hotline.settings import Settings
from hotline.twiml import TWILIO_PATH_PREFIXES
from hotline.web.extensions import settings
from hotline.web.storable import drop_unstorable_webhook_input, storable

log = logging.getLogger("hotline.webhooks")

P = ParamSpec("P")
R = TypeVar("R")


def signed_url(settings: Settings) -> str:
    """The URL Twilio signed: HOTLINE_PUBLIC_URL + path when set, else the (proxied) request URL."""
    if settings.public_url:
        query = request.query_string.decode("latin-1")
        return settings.public_url + request.path + (f"?{query}" if query else "")
    return request.url


def signature_problem(settings: Settings) -> str | None:
    """Why this request's Twilio signature is not acceptable, or None when it is."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return "missing X-Twilio-Signature header"
    url = signed_url(settings)
    validator = RequestValidator(settings.twilio_auth_token)
    if not validator.validate(url, request.form, signature):
        return f"signature does not match {request.method} {url}"
    return None


def twilio_signed(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse (403) a request whose Twilio signature is missing or wrong, with one log line.

    A signed request then has the characters no database column can store dropped.
    """

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        problem = signature_problem(settings())
        if problem is not None:
            log.warning(
                "refused unsigned webhook %s from %s: %s",
                request.path,
                request.remote_addr,
                problem,
            )
            abort(403, description="invalid Twilio signature")
        drop_unstorable_webhook_input()
        return view(*args, **kwargs)

    return wrapper


def log_call_sids(app: Flask) -> None:
    """Make every log line of a Twilio webhook carry its CallSid (`call_sid=`)."""

    @app.before_request
    def _bind() -> None:
        if request.path.startswith(TWILIO_PATH_PREFIXES):
            g.call_sid_token = bind_call_sid(storable(request.form.get("CallSid", ""))[:64])

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        token = g.pop("call_sid_token", None)
        if token is not None:
            unbind_call_sid(token)
