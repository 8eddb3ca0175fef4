"""Creating staff accounts, agents and duty shifts (used by the CLI, the seed and the API)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import BadRequest, Conflict, NotFound
from hotline.models import Agent, Shift, User
from hotline.models.vocabulary import AGENT_ROLES, ROLES
from hotline.passwords import WeakPassword, hash_password
from hotline.phones import InvalidPhoneNumber, normalize

MAX_SHIFT_HOURS = 24


def parse_contact(contact: str) -> str:
    """Validate an agent contact: an E.164 phone number or client:NAME."""
    contact = contact.strip()
    if contact.startswith("client:"):
        name = contact.removeprefix("client:")
        if not name or not all(ch.isalnum() or ch in "_-." for ch in name) or len(name) > 50:
            raise BadRequest("client contact must be client: followed by letters, digits, _-.")
        return contact
    try:
        return normalize(contact)
    except InvalidPhoneNumber as exc:
        raise BadRequest(f"contact must be +86... or client:NAME ({exc})") from None


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    *,
    region: str | None = None,
    skills: list[str] | None = None,
    contact: str | None = None,
    display_name: str = "",
    known_regions: list[str] | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a user; agents (lawyer, mediator, legal_aid) also get an Agent row.

    A precomputed password_hash (the demo seed shares one) skips hashing the password.
    """
    username = username.strip()
    if (
        not username
        or len(username) > 64
        or not all(ch.isalnum() or ch in "_-." for ch in username)
    ):
        raise BadRequest("username must be 1-64 letters, digits or _-.")
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"user {username} exists already")
    if password_hash is None:
        try:
            password_hash = hash_password(password)
        except WeakPassword as exc:
            raise BadRequest(str(exc)) from None
    user = User(
        username=username, role=role, password_hash=password_hash, display_name=display_name
    )
    session.add(user)
    if role in AGENT_ROLES:
        if not region:
            raise BadRequest("agents need a home region (--region)")
        if known_regions is not None and region not in known_regions:
            raise BadRequest(f"unknown region {region!r}; known: {', '.join(known_regions)}")
        if not skills:
            raise BadRequest("agents need skills (--skills)")
        session.add(
            Agent(
                user=user,
                home_region=region,
                skills=list(skills),
                contact=parse_contact(contact or f"client:{username}"),
            )
        )
    return user


def add_shift(
    session: Session,
    username: str,
    starts_at: datetime,
    ends_at: datetime,
    region: str | None = None,
    known_regions: list[str] | None = None,
) -> Shift:
    """Put an agent on duty between two aware times; refuse overlaps with their other shifts."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise BadRequest("shift times need a UTC offset, e.g. 2026-11-27T08:00+08:00")
    if ends_at <= starts_at:
        raise BadRequest("a shift must end after it starts")
    if (ends_at - starts_at).total_seconds() > MAX_SHIFT_HOURS * 3600:
        raise BadRequest(f"a shift may last at most {MAX_SHIFT_HOURS} hours")
    agent = session.scalars(select(Agent).join(User).where(User.username == username)).one_or_none()
    if agent is None:
        raise NotFound(f"no agent named {username}")
    region = region or agent.home_region
    if known_regions is not None and region not in known_regions:
        raise BadRequest(f"unknown region {region!r}")
    overlap = session.scalars(
        select(Shift).where(
            Shift.agent_id == agent.id, Shift.starts_at < ends_at, Shift.ends_at > starts_at
        )
    ).first()
    if overlap is not None:
        raise Conflict(f"{username} already has a shift overlapping that time")
    shift = Shift(agent=agent, region=region, starts_at=starts_at, ends_at=ends_at)
    session.add(shift)
    return shift
