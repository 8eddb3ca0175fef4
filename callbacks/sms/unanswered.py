"""Sends whose answer never came: looked up in Twilio's Messages list before any new send.

Each send attempt is committed first (status "sending", an attempt key, the time) and only then
is Twilio asked; the answer's SID is committed after. A worker that dies in between, or an
answer that times out, leaves the row "sending" without a SID: Twilio may or may not have the
message. The next run asks Twilio's Messages list (To, From, DateSent on or after the attempt's
day) for a message of the same body that no other row owns; if there is one it is recorded as
if the send had returned, and nothing is sent again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from callbacks.sms.webhooks import apply_early_statuses, apply_message_status
from hotline.models import Message
from hotline.telephony import SentSms, Telephony

log = logging.getLogger("hotline.sms")

SENDING = "sending"
# Twilio stamps a message by its own clock: an attempt's time may run a little ahead of it.
CLOCK_SKEW = timedelta(minutes=5)


def unanswered() -> ColumnElement[bool]:
    """SQL: an outbound message whose last send attempt has no recorded answer."""
    return and_(Message.status == SENDING, Message.twilio_sid.is_(None))


def is_unanswered(message: Message) -> bool:
    """Whether the message's last send attempt has no recorded answer."""
    return message.status == SENDING and message.twilio_sid is None


def attempt_time(message: Message) -> datetime:
    """When the message's last send attempt was committed."""
    return message.attempt_started_at or message.created_at


def find_at_twilio(session: Session, telephony: Telephony, message: Message) -> SentSms | None:
    """The message Twilio accepted for this row's last attempt, if any (the oldest match)."""
    started = attempt_time(message)
    listed = telephony.list_sms(
        message.to_number, message.from_number, started.astimezone(UTC).date()
    )
    same_body = [
        sms
        for sms in listed
        if sms.body == message.body
        and sms.direction.startswith("outbound")
        and (sms.date_created is None or sms.date_created >= started - CLOCK_SKEW)
    ]
    if not same_body:
        return None
    # Another row's message with the same text (a survey, sent earlier today) is not ours.
    owned = set(
        session.scalars(
            select(Message.twilio_sid).where(Message.twilio_sid.in_([s.sid for s in same_body]))
        )
    )
    unowned = [sms for sms in same_body if sms.sid not in owned]
    return unowned[-1] if unowned else None  # the list is newest first


def record_found(session: Session, message: Message, found: SentSms) -> str:
    """Record a message found at Twilio as if its send had returned, with its status now."""
    message.twilio_sid = found.sid
    message.status = "queued"
    message.sent_at = attempt_time(message)
    message.error_code = None
    message.error_message = None
    listed = {"MessageSid": found.sid, "MessageStatus": found.status}
    if found.error_code is not None:
        listed["ErrorCode"] = str(found.error_code)
    apply_message_status(session, listed)
    log.info(
        "SMS %s: attempt %s had reached Twilio as %s (%s); recorded, not sent again",
        message.id,
        message.attempt_key,
        found.sid,
        found.status,
    )
    return found.sid


def commit_sid(session: Session, redis_client: redis.Redis, sid: str) -> None:
    """Commit a recorded SID, then apply the status callbacks that waited for it."""
    session.commit()
    apply_early_statuses(session, redis_client, sid)
    session.commit()
