"""The voice-webhook error guards: no exception of ours reaches Twilio as a 500.

What a failed webhook answers depends on whose leg it is on:

caller's leg     an apology, then the static fallback (the backup duty line, else voicemail);
                 after the talk (the survey) a goodbye instead: that caller has been served
the waitUrl      hold: the caller stays in the queue, and Twilio asks the waitUrl again
an agent's leg   the leg hangs up (the view's module may first give the caller back to the
                 line); the caller's <Dial> ends and its action carries on
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

from flask import Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from hotline.errors import BadRequest
from hotline.twiml import apology_to_fallback, say
from hotline.web.extensions import fallback_config, rollback_quietly, settings, voice_config
from routing.config import load_queue_prompts

log = logging.getLogger("hotline.voice")

P = ParamSpec("P")
View = Callable[P, Response]
# Twilio asks the waitUrl again once the hold answer has been played.
HOLD_SECONDS = 20


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


# ----- what a failed webhook answers ------------------------------------------------------------


def apology() -> str:
    """The caller's leg: apologise and go to the static fallback."""
    return apology_to_fallback(voice_config(), fallback_config(), public_base_url())


def goodbye_after_talk() -> str:
    """A caller whose talk is over: thank them and hang up (never the backup line)."""
    response = VoiceResponse()
    say(response, load_queue_prompts(settings().config_dir).text("goodbye"), voice_config())
    response.hangup()
    return str(response)


def hold() -> str:
    """The waitUrl: the hold prompt and a pause; the caller keeps its place in the queue."""
    response = VoiceResponse()
    say(response, load_queue_prompts(settings().config_dir).text("hold"), voice_config())
    response.pause(length=HOLD_SECONDS)
    return str(response)


def dial_bridged() -> bool:
    """Whether the <Dial> whose action this is connected the two sides (Twilio's account)."""
    duration = request.form.get("DialCallDuration", "").strip()
    completed = request.form.get("DialCallStatus", "").strip() == "completed"
    return completed and duration.isdigit() and int(duration) > 0


def apology_unless_bridged() -> str:
    """A <Dial> action that failed: goodbye if the talk took place, else the apology."""
    return goodbye_after_talk() if dial_bridged() else apology()


def _bare_hold() -> str:
    response = VoiceResponse()
    response.pause(length=HOLD_SECONDS)
    return str(response)


def hang_up() -> str:
    """An agent's leg: end it."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


# ----- the guards ------------------------------------------------------------------------------


def _roll_back() -> None:
    """Roll back the request's session; with the database gone that may fail too."""
    try:
        rollback_quietly()
    except Exception:  # noqa: BLE001 - the answer to Twilio matters more than the rollback
        log.warning("rolling back after a failed webhook failed too", exc_info=True)


def guarded(
    answer: Callable[[], str], last_resort: Callable[[], str], leg: str
) -> Callable[[View[P]], View[P]]:
    """A guard that answers `answer()` (or, should that fail too, `last_resort()`) on error."""

    def decorator(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            try:
                return view(*args, **kwargs)
            except BadRequest:
                raise
            except Exception:
                _roll_back()
                log.exception(
                    "voice webhook %s failed on the %s for CallSid=%s",
                    request.path,
                    leg,
                    request.form.get("CallSid", "?"),
                )
            try:
                return twiml_response(answer())
            except Exception:
                _roll_back()
                log.exception("the answer to the failed webhook %s failed too", request.path)
                return twiml_response(last_resort())

        return wrapper

    return decorator


def voice_guard(view: View[P]) -> View[P]:
    """The caller's leg: apology TwiML that redirects to the fallback when the view raises."""
    return guarded(apology, apology, "caller's leg")(view)


def wait_guard(view: View[P]) -> View[P]:
    """The waitUrl and its Gather: hold when the view raises; the caller stays in the queue."""
    return guarded(hold, _bare_hold, "waitUrl")(view)


def agent_leg_guard(
    give_back: Callable[[], None] | None = None,
) -> Callable[[View[P]], View[P]]:
    """An agent's leg: when the view raises, `give_back()` (if any), then hang the leg up."""

    def answer() -> str:
        if give_back is not None:
            try:
                give_back()
            except Exception:
                _roll_back()
                # The caller's <Dial> action runs the lifecycle's "agent leg ended" next.
                log.exception("could not give the caller back on %s", request.path)
        return hang_up()

    return guarded(answer, hang_up, "agent's leg")
