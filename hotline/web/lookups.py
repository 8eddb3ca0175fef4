"""Rows looked up by id in one query per batch, for the answers and pages that list many."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Agent, Caller, User


def rows_by_id(session: Session, model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    """The rows of `model` with these ids (None ids skipped), by id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


def agent_names(session: Session, agent_ids: Iterable[int | None]) -> dict[int, User]:
    """The User of each agent id given."""
    ids = {agent_id for agent_id in agent_ids if agent_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Agent.id, User).join(User).where(Agent.id.in_(ids)))
    return {agent_id: user for agent_id, user in rows}


def caller_phones(session: Session, caller_ids: Iterable[int | None]) -> dict[int, str]:
    """The stored (full) number of each caller id given: mask before showing."""
    ids = {caller_id for caller_id in caller_ids if caller_id is not None}
    if not ids:
        return {}
    return dict(
        session.execute(select(Caller.id, Caller.phone).where(Caller.id.in_(ids))).tuples().all()
    )
