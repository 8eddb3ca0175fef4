"""Consultations (the agent's record of a call) and their case numbers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline import clock
from hotline.db import Base


class Consultation(Base):
    """What the agent recorded about a call; identified by its case number."""

    __tablename__ = "consultations"
    __table_args__ = (Index(None, "agent_id", "created_at"), Index(None, "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), unique=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    service: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    disposition: Mapped[str] = mapped_column(String(32))
    referral_office: Mapped[str | None] = mapped_column(String(200))
    follow_up_needed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class CaseNumberCounter(Base):
    """The last case number handed out on a day (Asia/Shanghai)."""

    __tablename__ = "case_number_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)
