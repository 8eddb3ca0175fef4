"""After the call: messages, surveys, voicemails and call-back requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline import clock
from hotline.db import Base
from hotline.models.vocabulary import (
    CALLBACK_ATTEMPT_OUTCOMES,
    MESSAGE_DIRECTIONS,
    MESSAGE_STATUSES,
    REPLY_KINDS,
    RETURN_VISIT_STATUSES,
    SURVEY_CHANNELS,
    WORK_ITEM_STATUSES,
    check_in,
)


class Message(Base):
    """An SMS sent to or received from a caller."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(check_in("direction", MESSAGE_DIRECTIONS), name="direction"),
        CheckConstraint(check_in("status", MESSAGE_STATUSES), name="status"),
        Index(None, "status", "scheduled_for"),
        Index(None, "caller_id", "created_at"),
        Index(None, "direction", "reply_kind", "reviewed_at"),
        CheckConstraint(
            "reply_kind IS NULL OR " + check_in("reply_kind", REPLY_KINDS), name="reply_kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(32))
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    to_number: Mapped[str] = mapped_column(String(32))
    from_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # One message of each kind per consultation: the key collapses duplicates.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    # The send attempt last committed before its Twilio request (status "sending" until the
    # answer is recorded): a retry that finds it unanswered looks the message up at Twilio.
    attempt_key: Mapped[str | None] = mapped_column(String(32))
    attempt_started_at: Mapped[datetime | None]
    # SMS segments of the body: 70 characters for one UCS-2 segment, 67 when concatenated.
    segments: Mapped[int] = mapped_column(default=1)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    # Inbound only: how the reply was understood; a supervisor marks unmatched ones reviewed.
    reply_kind: Mapped[str | None] = mapped_column(String(16))
    reviewed_at: Mapped[datetime | None]
    scheduled_for: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Survey(Base):
    """A satisfaction rating (1-5) given by IVR or SMS, with an optional comment."""

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint(check_in("channel", SURVEY_CHANNELS), name="channel"),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        Index(None, "created_at"),
        Index(None, "caller_id", "created_at"),
        Index(None, "rated_at"),
        # One IVR survey and one SMS survey per call at most.
        Index(None, "call_id", "channel", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    region: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    rating: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    raw_reply: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # When the rating arrived (an SMS survey is created when it is sent, rated later).
    rated_at: Mapped[datetime | None]


class Voicemail(Base):
    """A recorded message left out of hours or instead of waiting."""

    __tablename__ = "voicemails"
    __table_args__ = (
        CheckConstraint(check_in("status", WORK_ITEM_STATUSES), name="status"),
        Index(None, "status", "region", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    region: Mapped[str | None] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(String(32))
    group: Mapped[str | None] = mapped_column(String(4))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    duration_seconds: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # A voicemail nobody can call back (withheld number) is closed on the follow-up desk.
    outcome_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    closed_at: Mapped[datetime | None]
    closed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CallbackRequest(Base):
    """A promise to call a citizen back: a work item for an agent of the right region and skill."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        CheckConstraint(check_in("status", WORK_ITEM_STATUSES), name="status"),
        Index(None, "status", "region", "next_attempt_at"),
        Index(None, "assigned_agent_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    voicemail_id: Mapped[int | None] = mapped_column(ForeignKey("voicemails.id"))
    phone: Mapped[str] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(String(32))
    group: Mapped[str | None] = mapped_column(String(4))
    source: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    next_attempt_at: Mapped[datetime | None]
    topic: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[datetime | None]


class CallbackAttempt(Base):
    """One outbound call an agent started to work a call-back request or a voicemail."""

    __tablename__ = "callback_attempts"
    __table_args__ = (
        CheckConstraint(check_in("outcome", CALLBACK_ATTEMPT_OUTCOMES), name="outcome"),
        Index(None, "request_id", "started_at"),
        Index(None, "agent_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    number: Mapped[int] = mapped_column(default=1)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    outcome: Mapped[str] = mapped_column(String(20), default="dialing")
    twilio_status: Mapped[str | None] = mapped_column(String(20))
    # Whether the agent was available before the attempt (restored when it ends).
    agent_was_available: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    talk_seconds: Mapped[int | None]


class ReturnVisit(Base):
    """A 回访 task: a supervisor calls back a caller who rated the service 1 or 2."""

    __tablename__ = "return_visits"
    __table_args__ = (
        CheckConstraint(check_in("status", RETURN_VISIT_STATUSES), name="status"),
        Index(None, "status", "due_at"),
        Index(None, "region", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One task per survey, however often the rating arrives.
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    region: Mapped[str | None] = mapped_column(String(32))
    rating: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="open")
    due_at: Mapped[datetime]
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[datetime | None]
