"""Waiting in a Twilio queue: the hold music page and the Enqueue action."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from callbacks.queue_events import record_queue_exit
from hotline.twiml import say
from hotline.web.extensions import db
from hotline.web.twilio_auth import twilio_signed
from hotline.web.voice_guard import require_call_sid, twiml_response, voice_guard

bp = Blueprint("queue", __name__, url_prefix="/queue")

HOLD_PROMPT = "您好，值班人员正在通话中，请您耐心等待，我们会尽快为您接通。"


@bp.post("/wait")
@twilio_signed
@voice_guard
def wait():  # type: ignore[no-untyped-def]
    """The waitUrl of every <Enqueue>: what a waiting caller hears."""
    response = VoiceResponse()
    say(response, HOLD_PROMPT, current_app.config["HOTLINE_VOICE"])
    response.pause(length=20)
    return twiml_response(str(response))


@bp.post("/left")
@twilio_signed
@voice_guard
def left():  # type: ignore[no-untyped-def]
    """The Enqueue action: the caller left the queue (bridged, hung up, or queue full)."""
    require_call_sid()
    session = db.session
    record_queue_exit(session, request.form)
    session.commit()
    response = VoiceResponse()
    if request.form.get("QueueResult") in ("queue-full", "error", "system-error"):
        response.redirect("/voice/fallback", method="POST")
    else:
        response.hangup()
    return twiml_response(str(response))
