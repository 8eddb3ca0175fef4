"""The consultation log: every call's timeline, built from its events, messages and surveys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Call, CallEvent, Message, Survey
from hotline.phones import mask

# What a timeline entry was made from.
TimelineSource = Literal["event", "message", "survey"]
# A phone number as it may appear in event data (IVR input, speech): +E.164, a mobile number
# (1 and 10 digits) or a fixed line with its area code (0 and 9-11 digits), not glued to letters,
# digits or a hyphen. SIDs (hex glued to letters) and case numbers (HL12348-20261127-000123)
# are left alone.
_PHONE_LIKE = re.compile(r"(?<![0-9A-Za-z\-])(?:\+\d{7,15}|1\d{10}|0\d{9,11})(?![0-9A-Za-z\-])")


def mask_text(text: str) -> str:
    """Mask every phone-number-like run of digits in a text."""

    def replace(match: re.Match[str]) -> str:
        digits = match.group(0).lstrip("+")
        if match.group(0).startswith("+"):
            return mask(match.group(0))
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]

    return _PHONE_LIKE.sub(replace, text)


def scrub(value: Any) -> Any:
    """A copy of JSON-like data with every phone-number-like string masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a call as shown to supervisors: when, what, and its (masked) details."""

    at: datetime
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    source: TimelineSource = "event"


def call_timeline(session: Session, call: Call) -> list[TimelineEntry]:
    """The call's events, SMS messages and survey answers in time order, numbers masked."""
    entries = [
        TimelineEntry(event.at, event.kind, scrub(dict(event.data or {})), "event")
        for event in session.scalars(
            select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
        )
    ]
    for message in session.scalars(
        select(Message).where(Message.call_id == call.id).order_by(Message.id)
    ):
        entries.append(
            TimelineEntry(
                message.sent_at or message.created_at,
                f"sms_{message.direction}",
                {"kind": message.kind, "status": message.status},
                "message",
            )
        )
    for survey in session.scalars(
        select(Survey).where(Survey.call_id == call.id).order_by(Survey.id)
    ):
        entries.append(
            TimelineEntry(
                survey.created_at,
                "survey",
                scrub({"channel": survey.channel, "rating": survey.rating}),
                "survey",
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return entries
