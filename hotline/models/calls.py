"""Callers, calls and the timed events of each call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline import clock
from hotline.db import Base
from hotline.models.vocabulary import CALL_DIRECTIONS, CALL_STAGES, check_in


class Caller(Base):
    """A citizen's phone number, with what we know about it."""

    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # E.164, or a placeholder such as "anonymous" when the network withheld the number.
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    region: Mapped[str | None] = mapped_column(String(32))
    green_channel: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(500), default="")
    sms_opted_out_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_call_at: Mapped[datetime | None]

    calls: Mapped[list[Call]] = relationship(back_populates="caller")


class Call(Base):
    """One call (Twilio CallSid) from ring to hang-up."""

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint(check_in("stage", CALL_STAGES), name="stage"),
        CheckConstraint(check_in("direction", CALL_DIRECTIONS), name="direction"),
        Index(None, "started_at"),
        Index(None, "region", "started_at"),
        Index(None, "agent_id", "started_at"),
        Index(None, "stage", "queued_at"),
        Index(None, "queued_at"),
        Index(None, "region", "queued_at"),
        Index(None, "caller_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(10), default="inbound")
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(32))
    group: Mapped[str | None] = mapped_column(String(4))
    region: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(default=0)
    repeat_caller: Mapped[bool] = mapped_column(default=False)
    stage: Mapped[str] = mapped_column(String(16), default="ivr")
    outcome: Mapped[str | None] = mapped_column(String(32))
    hangup_stage: Mapped[str | None] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    queued_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    wait_seconds: Mapped[int | None]
    talk_seconds: Mapped[int | None]
    recording_url: Mapped[str | None] = mapped_column(String(500))

    caller: Mapped[Caller | None] = relationship(back_populates="calls")
    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.id", cascade="all, delete-orphan"
    )


class CallEvent(Base):
    """A timed step of a call: an IVR node, a queue change, an offer, a hang-up."""

    __tablename__ = "call_events"
    __table_args__ = (Index(None, "call_id", "at"), Index(None, "kind", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    call: Mapped[Call] = relationship(back_populates="events")
