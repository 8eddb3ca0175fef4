"""Twilio messaging webhooks: inbound SMS and message status callbacks."""

from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from callbacks.sms_webhooks import apply_message_status, record_inbound_sms
from hotline.errors import BadRequest
from hotline.web.extensions import db
from hotline.web.twilio_auth import twilio_signed

bp = Blueprint("sms", __name__, url_prefix="/sms")


def _require(name: str) -> str:
    value = request.form.get(name, "").strip()
    if not value or len(value) > 64:
        raise BadRequest(f"{name} is missing or malformed")
    return value


@bp.post("/incoming")
@twilio_signed
def incoming():  # type: ignore[no-untyped-def]
    """Store an inbound SMS; replies are decided by the follow-up jobs, not here."""
    _require("MessageSid")
    session = db.session
    record_inbound_sms(session, request.form)
    session.commit()
    return Response(str(MessagingResponse()), mimetype="text/xml")


@bp.post("/status")
@twilio_signed
def status():  # type: ignore[no-untyped-def]
    """Record an outbound message's delivery status."""
    _require("MessageSid")
    session = db.session
    apply_message_status(session, request.form)
    session.commit()
    return Response(str(MessagingResponse()), mimetype="text/xml")
