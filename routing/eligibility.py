"""Who is on duty now: agents with a shift covering this moment, their skills and contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Agent, Shift, User


@dataclass(frozen=True)
class RosterEntry:
    """An agent on duty now, as the database knows them."""

    agent_id: int
    region: str  # the region of the current shift
    home_region: str
    skills: frozenset[str]
    contact: str
    status: str
    paused: bool
    status_since: datetime
    shift_ends_at: datetime


def on_duty(session: Session, now: datetime) -> list[RosterEntry]:
    """Every active agent whose shift covers `now`, ordered by agent id."""
    rows = session.execute(
        select(Agent, Shift.region, Shift.ends_at)
        .join(Shift, Shift.agent_id == Agent.id)
        .join(User, User.id == Agent.user_id)
        .where(Shift.starts_at <= now, Shift.ends_at > now, User.is_active.is_(True))
        .order_by(Agent.id, Shift.starts_at)
    ).all()
    roster: dict[int, RosterEntry] = {}
    for agent, region, ends_at in rows:
        roster.setdefault(
            agent.id,
            RosterEntry(
                agent_id=agent.id,
                region=region,
                home_region=agent.home_region,
                skills=frozenset(agent.skills or ()),
                contact=agent.contact,
                status=agent.status,
                paused=agent.paused_at is not None,
                status_since=agent.status_since,
                shift_ends_at=ends_at,
            ),
        )
    return list(roster.values())
