"""Twilio voice webhooks: the 12348 number's Voice URL, status callback and fallback."""

from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from callbacks.status.calls import apply_call_status
from hotline.calls import add_event, get_or_create_call
from hotline.twiml import VOICE_PREFIX, fallback_answer
from hotline.web.extensions import db, fallback_config, lifecycle, voice_config
from hotline.web.ivr import start_flow
from hotline.web.twilio_auth import twilio_signed
from hotline.web.voice_guard import public_base_url, require_call_sid, twiml_response, voice_guard

bp = Blueprint("voice", __name__, url_prefix=VOICE_PREFIX)


@bp.post("/incoming")
@twilio_signed
@voice_guard
def incoming() -> Response:
    """A new call: record it and start the 12348 IVR flow."""
    call_sid = require_call_sid()
    session = db.session
    call, created = get_or_create_call(
        session, call_sid, request.form.get("From"), request.form.get("To")
    )
    add_event(session, call, "incoming" if created else "incoming_retry")
    twiml = start_flow(session, call)
    session.commit()
    return twiml_response(twiml)


@bp.post("/status")
@twilio_signed
@voice_guard
def status() -> Response:
    """The call status callback: record the status and, when final, end the call."""
    require_call_sid()
    session = db.session
    apply_call_status(lifecycle(), session, request.form)
    session.commit()
    return twiml_response(str(VoiceResponse()))


@bp.post("/fallback")
@twilio_signed
def fallback() -> Response:
    """Static answer from config only (no database, no Redis): backup duty line or voicemail."""
    twiml = fallback_answer(
        request.args.get("stage", "start"),
        request.form.get("DialCallStatus", ""),
        voice_config(),
        fallback_config(),
        public_base_url(),
    )
    return twiml_response(twiml)
