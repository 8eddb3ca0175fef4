"""Satisfaction ratings: record one on its survey, and open a 回访 task for a low one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.models import Call, ReturnVisit, Survey
from hotline.workdays import OFFICIAL_CALENDAR, WorkingCalendar

RATING_SCALE = (1, 2, 3, 4, 5)
# Ratings that count as dissatisfied: each one is called back (回访).
RETURN_VISIT_RATINGS = frozenset({1, 2})


class InvalidRating(ValueError):
    """A rating outside 1-5."""


def record_rating(
    session: Session,
    survey: Survey,
    rating: int,
    now: datetime,
    *,
    raw_reply: str | None = None,
    comment: str | None = None,
    calendar: WorkingCalendar = OFFICIAL_CALENDAR,
) -> ReturnVisit | None:
    """Store a 1-5 rating; 1-2 opens (once) a 回访 task due on `calendar`, returned."""
    if rating not in RATING_SCALE:
        raise InvalidRating(f"rating must be 1-5, not {rating!r}")
    survey.rating = rating
    survey.rated_at = now
    if raw_reply is not None:
        survey.raw_reply = raw_reply[:500]
    if comment:
        survey.comment = comment
    _fill_from_call(session, survey)
    session.flush()
    if rating in RETURN_VISIT_RATINGS:
        return open_return_visit(session, survey, now, calendar)
    return None


def open_return_visit(
    session: Session, survey: Survey, now: datetime, calendar: WorkingCalendar
) -> ReturnVisit:
    """The survey's 回访 task, created once, due one working day of `calendar` after `now`."""
    existing = session.scalars(
        select(ReturnVisit).where(ReturnVisit.survey_id == survey.id)
    ).one_or_none()
    if existing is not None:
        existing.rating = survey.rating or existing.rating
        return existing
    task = ReturnVisit(
        survey_id=survey.id,
        call_id=survey.call_id,
        caller_id=survey.caller_id,
        consultation_id=survey.consultation_id,
        region=survey.region,
        rating=survey.rating or 1,
        status="open",
        due_at=calendar.one_working_day_after(now),
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(task)
    except IntegrityError:  # another request opened it at the same moment
        task = session.scalars(select(ReturnVisit).where(ReturnVisit.survey_id == survey.id)).one()
    return task


def _fill_from_call(session: Session, survey: Survey) -> None:
    """Copy the call's caller, agent and region onto the survey (for per-agent CSAT)."""
    if survey.call_id is None:
        return
    call = session.get(Call, survey.call_id)
    if call is None:
        return
    survey.caller_id = survey.caller_id or call.caller_id
    survey.agent_id = survey.agent_id or call.agent_id
    survey.region = survey.region or call.region
