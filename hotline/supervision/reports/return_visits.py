"""The 回访 task counts a report shows: open tasks, and those past their due time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hotline.models import ReturnVisit


@dataclass(frozen=True)
class ReturnVisitCounts:
    """Open 回访 tasks (optionally of one region) and how many of them are overdue."""

    open: int
    overdue: int
    opened_in_period: int


def return_visit_counts(
    session: Session, now: datetime, start: datetime, end: datetime, region: str | None = None
) -> ReturnVisitCounts:
    """Open and overdue tasks now, and tasks opened in [start, end) (indexed by status, due)."""
    is_open = ReturnVisit.status == "open"
    query = select(
        func.sum(case((is_open, 1), else_=0)),
        func.sum(case((is_open & (ReturnVisit.due_at < now), 1), else_=0)),
        func.sum(
            case(((ReturnVisit.created_at >= start) & (ReturnVisit.created_at < end), 1), else_=0)
        ),
    ).where(is_open | ((ReturnVisit.created_at >= start) & (ReturnVisit.created_at < end)))
    if region is not None:
        query = query.where(ReturnVisit.region == region)
    open_count, overdue, opened = session.execute(query).one()
    return ReturnVisitCounts(int(open_count or 0), int(overdue or 0), int(opened or 0))
