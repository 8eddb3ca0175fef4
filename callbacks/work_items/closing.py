"""Closing a work item: who may close it, what it becomes, and the audit entry of every close.

An agent closes an item done only after calling it (an attempt of theirs, whatever its
outcome), and never while a call-back of it is under way; on an item their call-back already
closed done they may add the note. A supervisor cancels any open item: a live attempt of it is
ended too (the item stays cancelled, the agent goes back to routing).
"""

from __future__ import annotations

from datetime import datetime

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks.work_items.items import CLOSED_STATUSES, close
from callbacks.work_items.return_call_config import ReturnCallConfig
from callbacks.work_items.stale_attempts import end_attempt
from hotline.auth import audit
from hotline.errors import Conflict, Forbidden
from hotline.models import Agent, CallbackAttempt, CallbackRequest, User

AUDIT_ACTION = "close_work_item"


def attempted_by(session: Session, request_id: int, agent_id: int) -> bool:
    """Whether this agent has called the item back at least once."""
    found = session.scalar(
        select(CallbackAttempt.id)
        .where(CallbackAttempt.request_id == request_id, CallbackAttempt.agent_id == agent_id)
        .limit(1)
    )
    return found is not None


def live_attempts(session: Session, request_id: int) -> list[CallbackAttempt]:
    """The item's attempts that have not ended."""
    return list(
        session.scalars(
            select(CallbackAttempt)
            .where(CallbackAttempt.request_id == request_id, CallbackAttempt.ended_at.is_(None))
            .order_by(CallbackAttempt.id)
        )
    )


def _agent_close(session: Session, item: CallbackRequest, agent: Agent, note: str,
                 now: datetime) -> None:  # fmt: skip
    if item.status == "in_progress":
        raise Conflict("回拨正在进行中，请在通话结束后再关闭")
    if item.status in CLOSED_STATUSES:
        if item.status != "done" or item.assigned_agent_id != agent.id:
            raise Conflict("这条回拨任务已关闭", status=item.status)
        item.outcome_note = note or item.outcome_note
        return
    if not attempted_by(session, item.id, agent.id):
        raise Forbidden("只能办结您回拨过的任务：请先回拨，与来电人通话后再办结")
    close(session, item, "done", now, note)
    item.assigned_agent_id = agent.id


def close_work_item(
    session: Session,
    client: redis.Redis,
    config: ReturnCallConfig,
    item: CallbackRequest,
    user: User,
    agent: Agent | None,
    note: str,
    now: datetime,
    remote_addr: str | None,
    supervisor: bool,
) -> CallbackRequest:
    """Close the item as the user may (agent: done; supervisor: cancelled), audit-logged."""
    before = item.status
    if supervisor:
        if item.status in CLOSED_STATUSES:
            raise Conflict("这条回拨任务已关闭", status=item.status)
        close(session, item, "cancelled", now, note)
    elif agent is None:
        raise Forbidden("this account has no agent profile")
    else:
        _agent_close(session, item, agent, note, now)
    audit(session, AUDIT_ACTION, user.id, "work_item", str(item.id), remote_addr,
          status_before=before, status_after=item.status, note=note[:200],
          region=item.region)  # fmt: skip
    if supervisor:  # with the close and its audit entry (finish commits)
        for attempt in live_attempts(session, item.id):
            end_attempt(session, client, config, attempt, now, "cancelled")
    return item
