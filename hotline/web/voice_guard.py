"""The voice-webhook error guard: no exception of ours reaches Twilio as a 500."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

from flask import Response, current_app, request

from hotline.errors import BadRequest
from hotline.twiml import apology_to_fallback
from hotline.web.extensions import fallback_config, rollback_quietly, voice_config

log = logging.getLogger("hotline.voice")

P = ParamSpec("P")


def twiml_response(twiml: str) -> Response:
    """An HTTP 200 answer carrying TwiML."""
    return Response(twiml, status=200, mimetype="text/xml")


def public_base_url() -> str:
    """The URL prefix Twilio reaches the app under: HOTLINE_PUBLIC_URL, else the script root."""
    settings = current_app.config.get("HOTLINE_SETTINGS")
    public = getattr(settings, "public_url", None)
    return (public or request.script_root).rstrip("/")


def require_call_sid() -> str:
    """The CallSid of this webhook; a request without one is not a call."""
    call_sid = request.form.get("CallSid", "").strip()
    if not call_sid or len(call_sid) > 64:
        raise BadRequest("CallSid is missing or malformed")
    return call_sid


def voice_guard(view: Callable[P, Response]) -> Callable[P, Response]:
    """Answer apology TwiML that redirects to the fallback when the view raises."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return view(*args, **kwargs)
        except BadRequest:
            raise
        except Exception:
            rollback_quietly()
            log.exception(
                "voice webhook %s failed for CallSid=%s; caller sent to the fallback",
                request.path,
                request.form.get("CallSid", "?"),
            )
            return twiml_response(
                apology_to_fallback(
                    voice_config(),
                    fallback_config(),
                    public_base_url(),
                )
            )

    return wrapper
