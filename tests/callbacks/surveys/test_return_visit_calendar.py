"""回访 due dates follow the deployment's calendar: the holidays: of its hours.yaml count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from callbacks.surveys.ratings import record_rating
from callbacks.surveys.sms_survey import send_sms_survey
from hotline.models import ReturnVisit, Survey
from hotline.workdays import load_calendar
from tests.callbacks.sms.sms_support import make_answered_call, sms_from, work
from tests.ivr_flows.support import copy_config

# Thursday 2026-11-26 10:00 in Shanghai; the deployment closes on Friday 2026-11-27.
THURSDAY_MORNING = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
MONDAY_MORNING = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture
def settings(base_settings, fake_twilio, tmp_path):
    """Per-test settings on a config directory whose hours.yaml lists Friday as a holiday."""
    config_dir = copy_config(tmp_path, hours={"holidays": ["2026-11-27"]})
    return base_settings.with_overrides(
        twilio_api_base_url=fake_twilio.base_url, config_dir=config_dir
    )


def test_a_rating_is_due_one_working_day_of_the_given_calendar_later(db_session, settings):
    call = make_answered_call(db_session)
    survey = Survey(call_id=call.id, channel="sms")
    db_session.add(survey)
    db_session.flush()
    calendar = load_calendar(settings.config_dir)
    task = record_rating(db_session, survey, 1, THURSDAY_MORNING, calendar=calendar)
    assert task is not None and task.due_at == MONDAY_MORNING


def test_a_dissatisfied_sms_reply_is_due_after_the_deployments_holiday(
    client, db_session, jobs_runtime, sms_clock
):
    call = make_answered_call(db_session)
    assert send_sms_survey(call.id) is not None
    work(jobs_runtime.redis)
    assert sms_clock.now == THURSDAY_MORNING
    sms_from(client, "不满意", "SM" + "b" * 32)
    db_session.rollback()
    (task,) = db_session.scalars(select(ReturnVisit)).all()
    assert task.due_at == MONDAY_MORNING
