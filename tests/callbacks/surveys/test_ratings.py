"""Ratings and 回访 tasks: low ratings open one task, due one working day later."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from callbacks.surveys.ratings import InvalidRating, record_rating
from hotline.models import Call, ReturnVisit, Survey
from hotline.workdays import is_working_day, one_working_day_after


def _survey(db_session) -> Survey:
    call = Call(
        call_sid="CA" + "1" * 32,
        from_number="+8613800000000",
        to_number="+8612348",
        region="0451",
        agent_id=None,
    )
    db_session.add(call)
    db_session.flush()
    survey = Survey(call_id=call.id, channel="sms")
    db_session.add(survey)
    db_session.flush()
    return survey


def test_friday_afternoon_is_due_monday_same_local_time():
    friday = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)  # 15:30 in Shanghai
    assert one_working_day_after(friday) == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)


def test_national_day_holiday_and_its_adjusted_workday_are_respected():
    # 2025-09-30 (Tue) is a working day; 1-8 October are holidays; 11 October (Sat) is 调休.
    assert is_working_day(datetime(2025, 10, 11).date())
    due = one_working_day_after(datetime(2025, 9, 30, 2, 0, tzinfo=UTC))
    assert due == datetime(2025, 10, 9, 2, 0, tzinfo=UTC)


def test_unknown_years_fall_back_to_weekdays():
    assert is_working_day(datetime(2099, 1, 5).date())  # a Monday
    assert not is_working_day(datetime(2099, 1, 3).date())  # a Saturday


def test_a_low_rating_opens_one_task_however_often_it_arrives(db_session):
    survey = _survey(db_session)
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    first = record_rating(db_session, survey, 2, now, raw_reply="不满意")
    again = record_rating(db_session, survey, 1, now, raw_reply="非常不满意")
    db_session.commit()
    tasks = list(db_session.scalars(select(ReturnVisit)))
    assert first is not None and again is not None and first.id == again.id
    assert len(tasks) == 1
    assert tasks[0].rating == 1 and tasks[0].region == "0451" and tasks[0].status == "open"
    assert tasks[0].due_at == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert survey.rated_at == now and survey.raw_reply == "非常不满意"


def test_a_good_rating_opens_nothing_and_bad_values_are_refused(db_session):
    survey = _survey(db_session)
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert record_rating(db_session, survey, 4, now) is None
    with pytest.raises(InvalidRating):
        record_rating(db_session, survey, 6, now)
    assert survey.rating == 4
