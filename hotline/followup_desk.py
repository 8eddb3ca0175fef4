"""The supervisors' follow-up desk: working 回访 tasks, and marking unmatched replies reviewed.

Supervisors are not tied to a region in this project (hotline.consultations.is_supervisor):
every supervisor sees and works the items of every region. Every change is audit-logged.
The lists of failed and unmatched SMS are callbacks.message_review's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from hotline.auth import audit
from hotline.errors import BadRequest, Conflict, NotFound
from hotline.models import Caller, Message, ReturnVisit, User

OPEN = "open"
CLOSED_STATUSES = ("done", "unreachable")
NOTE_MAX = 1000
UNMATCHED = "unmatched"


def _page(session: Session, query: Select[Any], limit: int, offset: int) -> tuple[list, int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(session.scalars(query.limit(limit).offset(offset)))
    return rows, int(total or 0)


def return_visits(
    session: Session, status: str = OPEN, limit: int = 100, offset: int = 0
) -> tuple[list[ReturnVisit], int]:
    """Tasks of a status and their count: open ones by due time, closed ones newest first."""
    query = select(ReturnVisit).where(ReturnVisit.status == status)
    if status == OPEN:
        query = query.order_by(ReturnVisit.due_at, ReturnVisit.id)
    else:
        query = query.order_by(ReturnVisit.closed_at.desc(), ReturnVisit.id.desc())
    return _page(session, query, limit, offset)


def _task(session: Session, task_id: int) -> ReturnVisit:
    task = session.get(ReturnVisit, task_id)
    if task is None:
        raise NotFound(f"no return visit {task_id}")
    return task


def assign_to(session: Session, task_id: int, user: User, remote_addr: str | None) -> ReturnVisit:
    """Take an open task ("assign to me"); Conflict once it is closed."""
    task = _task(session, task_id)
    if task.status != OPEN:
        raise Conflict("this return visit is closed already", status=task.status)
    previous = task.assigned_user_id
    task.assigned_user_id = user.id
    audit(session, "assign_return_visit", user.id, "return_visit", str(task.id), remote_addr,
          previous_user_id=previous)  # fmt: skip
    return task


def close_task(
    session: Session,
    task_id: int,
    user: User,
    status: str,
    note: str,
    now: datetime,
    remote_addr: str | None,
) -> ReturnVisit:
    """Close an open task as done or unreachable, with a note; Conflict if already closed."""
    if status not in CLOSED_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(CLOSED_STATUSES)}")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise BadRequest(f"note is longer than {NOTE_MAX}")
    task = _task(session, task_id)
    closed = session.execute(
        update(ReturnVisit)
        .where(ReturnVisit.id == task.id, ReturnVisit.status == OPEN)
        .values(
            status=status,
            outcome_note=note,
            closed_at=now,
            closed_by_user_id=user.id,
            assigned_user_id=func.coalesce(ReturnVisit.assigned_user_id, user.id),
        )
        .execution_options(synchronize_session="fetch")
    )
    if closed.rowcount != 1:
        session.refresh(task)
        raise Conflict("this return visit is closed already", status=task.status)
    session.refresh(task)
    audit(session, "close_return_visit", user.id, "return_visit", str(task.id), remote_addr,
          status=status, note=note[:200], rating=task.rating)  # fmt: skip
    return task


def caller_number(
    session: Session, task_id: int, user: User, reason: str, remote_addr: str | None
) -> tuple[ReturnVisit, str | None]:
    """The task's caller's full number for a supervisor, audit-logged like every reveal."""
    task = _task(session, task_id)
    caller = session.get(Caller, task.caller_id) if task.caller_id else None
    audit(session, "reveal_number", user.id, "caller", str(task.caller_id), remote_addr,
          return_visit_id=task.id, reason=reason)  # fmt: skip
    return task, caller.phone if caller else None


def mark_reviewed(
    session: Session, message_id: int, user: User, now: datetime, remote_addr: str | None
) -> Message:
    """Mark an unmatched reply as looked at (once; a second mark changes nothing)."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "inbound" or message.reply_kind != UNMATCHED:
        raise NotFound(f"no unmatched reply {message_id}")
    if message.reviewed_at is None:
        message.reviewed_at = now
        audit(session, "review_reply", user.id, "message", str(message.id), remote_addr)
    return message
