"""The supervisors' follow-up desk: 回访 tasks, unmatched replies, voicemails without a number.

Supervisors are not tied to a region in this project (hotline.consultations.is_supervisor):
every supervisor sees and works the items of every region. Every change is audit-logged.
The lists of failed and unmatched SMS are callbacks.sms.review's; the list of voicemails
nobody can call back (withheld numbers) is callbacks.work_items.items'.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar, cast, get_args

from sqlalchemy import CursorResult, Select, func, select, update
from sqlalchemy.orm import Session

from hotline.auth import audit
from hotline.errors import BadRequest, Conflict, NotFound
from hotline.models import CallbackRequest, Caller, Message, ReturnVisit, User, Voicemail

OPEN = "open"
ClosedStatus = Literal["done", "unreachable"]
CLOSED_STATUSES: tuple[ClosedStatus, ...] = get_args(ClosedStatus)
NOTE_MAX = 1000
UNMATCHED = "unmatched"

RowT = TypeVar("RowT")


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise BadRequest(f"note is longer than {NOTE_MAX}")
    return note


def _page(
    session: Session, query: Select[tuple[RowT]], limit: int, offset: int
) -> tuple[list[RowT], int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(session.scalars(query.limit(limit).offset(offset)))
    return rows, int(total or 0)


def _close_once(
    session: Session, row: ReturnVisit | Voicemail, open_status: str, what: str, **values: Any
) -> None:
    """Close a row still in `open_status` (one conditional UPDATE: one closer wins)."""
    model = type(row)
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed Result.
    closed = cast(
        CursorResult[Any],
        session.execute(
            update(model)
            .where(model.id == row.id, model.status == open_status)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        ),
    )
    session.refresh(row)
    if closed.rowcount != 1:
        raise Conflict(f"this {what} is closed already", status=row.status)


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
    note = _note(note)
    task = _task(session, task_id)
    _close_once(
        session, task, OPEN, "return visit", status=status, outcome_note=note, closed_at=now,
        closed_by_user_id=user.id,
        assigned_user_id=func.coalesce(ReturnVisit.assigned_user_id, user.id),
    )  # fmt: skip
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


def close_voicemail(
    session: Session,
    voicemail_id: int,
    user: User,
    note: str,
    now: datetime,
    remote_addr: str | None,
) -> Voicemail:
    """Mark a pending voicemail without a number handled (done), with a note; once only.

    A voicemail with a number is a call-back work item: it is closed by its call-back.
    """
    note = _note(note)
    voicemail = session.get(Voicemail, voicemail_id)
    if voicemail is None:
        raise NotFound(f"no voicemail {voicemail_id}")
    linked = session.scalar(
        select(CallbackRequest.id).where(CallbackRequest.voicemail_id == voicemail.id)
    )
    if linked is not None:
        raise Conflict("this voicemail is a call-back work item", work_item_id=linked)
    _close_once(
        session, voicemail, "pending", "voicemail", status="done", outcome_note=note,
        closed_at=now, closed_by_user_id=user.id,
    )  # fmt: skip
    audit(session, "close_voicemail", user.id, "voicemail", str(voicemail.id), remote_addr,
          note=note[:200], region=voicemail.region)  # fmt: skip
    return voicemail
