"""Inbound SMS and SMS status callbacks, recorded without losing anything."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import clock
from hotline.calls import get_or_create_caller
from hotline.models import Message
from hotline.phones import normalize_or_anonymous

# Twilio's statuses in the order a message moves through them; a late, older callback
# must not move a message backwards (callbacks can arrive out of order).
STATUS_ORDER = {
    "pending": 0,
    "accepted": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
}
# A status callback can beat the commit of the SID it names (Twilio answered our request and
# called back within milliseconds); such callbacks wait in Redis for the row.
EARLY_STATUS_SECONDS = 600
EARLY_STATUS_FIELDS = ("MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "ErrorCode")
KNOWN_STATUSES = {"pending", "queued", "sending", "sent", "delivered", "undelivered", "failed"}


def record_inbound_sms(
    session: Session, params: Mapping[str, str], now: datetime | None = None
) -> Message:
    """Store an inbound SMS once per MessageSid (Twilio may retry the webhook)."""
    sid = params["MessageSid"]
    existing = session.scalars(select(Message).where(Message.twilio_sid == sid)).one_or_none()
    if existing is not None:
        return existing
    phone = normalize_or_anonymous(params.get("From"))
    now = now or clock.now()
    caller = get_or_create_caller(session, phone, now)
    message = Message(
        direction="inbound",
        kind="reply",
        caller_id=caller.id,
        to_number=normalize_or_anonymous(params.get("To")),
        from_number=phone,
        body=params.get("Body", "")[:1600],
        status="received",
        twilio_sid=sid,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        message = session.scalars(select(Message).where(Message.twilio_sid == sid)).one()
    return message


def apply_message_status(session: Session, params: Mapping[str, str]) -> Message | None:
    """Move an outbound message's status forward; None when the SID is not ours."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    message = session.scalars(select(Message).where(Message.twilio_sid == sid)).one_or_none()
    if message is None:
        return None
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    if status == "read":
        status = "delivered"
    if status not in KNOWN_STATUSES:
        return message
    if STATUS_ORDER.get(status, 0) >= STATUS_ORDER.get(message.status, 0):
        message.status = status
    error_code = params.get("ErrorCode")
    if error_code and error_code.isdigit():
        message.error_code = int(error_code)
    return message


def _early_key(sid: str) -> str:
    return f"hotline:sms:early-status:{sid}"


def remember_early_status(client: redis.Redis, params: Mapping[str, str]) -> None:
    """Keep a status callback that came before its message's SID was committed (10 min)."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not sid:
        return
    kept = {k: params[k] for k in EARLY_STATUS_FIELDS if params.get(k)}
    key = _early_key(sid)
    pipe = client.pipeline()
    pipe.rpush(key, json.dumps(kept))
    pipe.expire(key, EARLY_STATUS_SECONDS)
    pipe.execute()


def apply_early_statuses(session: Session, client: redis.Redis, sid: str) -> Message | None:
    """Apply the status callbacks kept for a SID, now that its message row carries it."""
    key = _early_key(sid)
    pipe = client.pipeline()
    pipe.lrange(key, 0, -1)
    pipe.delete(key)
    kept, _ = pipe.execute()
    message = None
    for raw in kept:
        message = apply_message_status(session, json.loads(raw)) or message
    return message
