"""Twilio messaging webhooks: inbound SMS and outbound messages' delivery status."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from callbacks.inbound_sms import answer_inbound
from callbacks.sms.webhooks import (
    apply_message_status,
    record_inbound_sms,
    remember_early_status,
)
from hotline import clock
from hotline.errors import BadRequest
from hotline.twiml import SMS_PREFIX
from hotline.web.extensions import db, redis_store, settings
from hotline.web.twilio_auth import twilio_signed

bp = Blueprint("sms", __name__, url_prefix=SMS_PREFIX)
log = logging.getLogger("hotline.sms")


def _require(name: str) -> str:
    value = request.form.get(name, "").strip()
    if not value or len(value) > 64:
        raise BadRequest(f"{name} is missing or malformed")
    return value


def _empty_twiml() -> Response:
    return Response(str(MessagingResponse()), mimetype="text/xml")


@bp.post("/incoming")
@twilio_signed
def incoming() -> Response:
    """Store an inbound SMS (committed first: it is never lost), then act on it once."""
    _require("MessageSid")
    session = db.session
    moment = clock.now()
    message = record_inbound_sms(session, request.form, moment)
    session.commit()
    if message.reply_kind is not None:
        return _empty_twiml()  # Twilio retried a webhook we have answered
    try:
        answer_inbound(session, redis_store.client, message, moment, settings())
        session.commit()
    except Exception:  # noqa: BLE001 - the reply is stored; answer Twilio normally
        # The reply is stored; show it to supervisors rather than lose it in a 500.
        log.exception("inbound SMS %s could not be answered", message.twilio_sid)
        session.rollback()
        message.reply_kind = "unmatched"
        session.commit()
    return _empty_twiml()


@bp.post("/status")
@twilio_signed
def status() -> Response:
    """Record an outbound message's delivery status."""
    _require("MessageSid")
    session = db.session
    if apply_message_status(session, request.form) is None:
        remember_early_status(redis_store.client, request.form)
    session.commit()
    return _empty_twiml()
