"""What supervisors review about SMS: messages that failed for good, replies nobody understood."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Message


def failed_messages(
    session: Session, since: datetime | None = None, limit: int = 200
) -> Sequence[Message]:
    """Outbound messages marked failed (with Twilio's error code and text), newest first."""
    query = select(Message).where(Message.direction == "outbound", Message.status == "failed")
    if since is not None:
        query = query.where(Message.created_at >= since)
    return session.scalars(query.order_by(Message.id.desc()).limit(limit)).all()


def unmatched_replies(
    session: Session, include_reviewed: bool = False, limit: int = 200
) -> Sequence[Message]:
    """Inbound replies we could not act on (reply_kind "unmatched"), unreviewed ones by default."""
    query = select(Message).where(Message.direction == "inbound", Message.reply_kind == "unmatched")
    if not include_reviewed:
        query = query.where(Message.reviewed_at.is_(None))
    return session.scalars(query.order_by(Message.id.desc()).limit(limit)).all()
