"""Staff: users with roles, their API tokens, agents and duty shifts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline import clock
from hotline.db import Base
from hotline.models.vocabulary import AGENT_STATUSES, ROLES, check_in


class User(Base):
    """A person who logs in: an agent, a supervisor or an admin."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(check_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    agent: Mapped[Agent | None] = relationship(back_populates="user", uselist=False)


class ApiToken(Base):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index(None, "user_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class Agent(Base):
    """A lawyer, mediator or legal-aid officer who answers calls."""

    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint(check_in("status", AGENT_STATUSES), name="status"),
        Index(None, "home_region", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # Skills: service names and group digits, e.g. ["consultation", "legal_aid", "1", "2"].
    skills: Mapped[list[str]] = mapped_column(default=list)
    home_region: Mapped[str] = mapped_column(String(32))
    # E.164 phone number or "client:NAME" for browser answering.
    contact: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="offline")
    status_since: Mapped[datetime] = mapped_column(default=clock.now)
    paused_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="agent")
    shifts: Mapped[list[Shift]] = relationship(back_populates="agent")


class Shift(Base):
    """A duty rota entry: who is on duty for which region, and when (UTC)."""

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index(None, "region", "starts_at", "ends_at"),
        Index(None, "agent_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    region: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    agent: Mapped[Agent] = relationship(back_populates="shifts")
