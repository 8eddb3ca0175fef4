"""Calls out of hours, on holidays and in a year the holiday calendar does not know."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from hotline import workdays
from hotline.models import CallbackRequest, Voicemail
from tests.conftest import AUTH_TOKEN
from tests.ivr_flows.support import (
    HARBIN_LANDLINE,
    OFFICE_HOURS,
    UNKNOWN_MOBILE,
    Clock,
    call_row,
    caller_for,
    copy_config,
    destination,
    events,
    ivr_steps,
    make_app,
)

AFTER_HOURS = ["welcome:said", "hours_check:branched", "after_hours:said",
               "after_hours_branch:branched"]  # fmt: skip
OPEN = ["welcome:said", "hours_check:branched", "service_menu:prompted"]


@pytest.fixture(autouse=True)
def fresh_year_warnings(monkeypatch):
    monkeypatch.setattr(workdays, "_warned_years", set())


def office_caller(runtime, tmp_path, when: str, **hours_config):
    """A caller on an app whose line keeps office hours (Mon-Fri), at a given time."""
    config = {"weekly": OFFICE_HOURS, "holidays_close": True, **hours_config}
    app = make_app(runtime, clock=Clock(when), config_dir=copy_config(tmp_path, hours=config))
    return caller_for(app, AUTH_TOKEN)


def test_after_hours_call_back_request(runtime, tmp_path, db_session):
    caller = office_caller(runtime, tmp_path, "2026-03-11T20:00:00+08:00")
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["2"])

    assert call.ended == ("hangup",)
    assert call.heard[3:5] == ["您好，现在是非工作时间。", "留言请按1，预约回电请按2。"]
    assert call.heard[-1] == "已为您预约回电，我们将在工作时间尽快与您联系。感谢您的来电，再见。"
    request = db_session.scalars(select(CallbackRequest)).one()
    row = call_row(db_session, call.call_sid)
    assert (request.phone, request.region, request.source, request.status) == (
        HARBIN_LANDLINE, "harbin", "after_hours", "pending",
    )  # fmt: skip
    assert (request.call_id, request.caller_id) == (row.id, row.caller_id)
    assert (row.stage, row.outcome) == ("ivr", "callback")
    assert ivr_steps(db_session, call.call_sid) == AFTER_HOURS + [
        "after_hours_menu:prompted", "after_hours_menu:chosen", "callback:requested",
    ]  # fmt: skip
    start = next(e.data for e in events(db_session, call.call_sid) if e.kind == "ivr_start")
    assert (start["is_open"], start["open_reason"]) == (False, "closed_hours")
    assert start["local_time"] == "2026-03-11T20:00:00+08:00"
    call.hangup()
    assert call_row(db_session, call.call_sid).outcome == "callback"


def test_after_hours_voicemail(runtime, tmp_path, db_session):
    caller = office_caller(runtime, tmp_path, "2026-03-11T07:59:00+08:00")
    call = caller.place_call(from_=UNKNOWN_MOBILE, inputs=["1"])

    assert call.ended == ("record",)
    assert call.records[0]["maxLength"] == "120"
    assert call.records[0]["action"] == "http://localhost/ivr/recorded?node=voicemail"
    voicemail = db_session.scalars(select(Voicemail)).one()
    recorded = call.requests[-1][1]
    assert (voicemail.recording_url, voicemail.recording_sid) == (
        recorded["RecordingUrl"], recorded["RecordingSid"],
    )  # fmt: skip
    assert (voicemail.duration_seconds, voicemail.status, voicemail.region) == (12, "pending", None)
    row = call_row(db_session, call.call_sid)
    assert (row.stage, row.outcome, row.recording_url) == (
        "voicemail", "voicemail", recorded["RecordingUrl"],
    )  # fmt: skip
    assert ivr_steps(db_session, call.call_sid) == AFTER_HOURS + [
        "after_hours_menu:prompted", "after_hours_menu:chosen", "voicemail:recording",
        "voicemail:recorded",
    ]  # fmt: skip
    assert "您的留言已收到，我们会尽快处理。感谢您的来电，再见。" in call.last_twiml


def test_silence_after_hours_ends_in_voicemail_not_the_operator_queue(
    runtime, tmp_path, db_session
):
    caller = office_caller(runtime, tmp_path, "2026-03-14T10:00:00+08:00")  # a Saturday
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=[])

    assert call.ended == ("record",)
    assert ivr_steps(db_session, call.call_sid)[-3:] == [
        "after_hours_menu:failed", "voicemail:recording", "voicemail:recorded",
    ]  # fmt: skip
    assert db_session.scalars(select(Voicemail)).one().region == "harbin"


def test_anonymous_caller_after_hours_gets_voicemail_not_a_call_back(runtime, tmp_path, db_session):
    caller = office_caller(runtime, tmp_path, "2026-03-11T22:00:00+08:00")
    call = caller.place_call(from_="anonymous", inputs=[])

    assert call.ended == ("record",)
    assert "留言请按1，预约回电请按2。" not in call.heard
    assert ivr_steps(db_session, call.call_sid) == [
        "welcome:said", "hours_check:branched", "after_hours:said",
        "after_hours_branch:branched", "voicemail:recording", "voicemail:recorded",
    ]  # fmt: skip
    assert db_session.scalars(select(CallbackRequest)).all() == []


def test_open_within_office_hours(runtime, tmp_path, db_session):
    caller = office_caller(runtime, tmp_path, "2026-03-11T13:00:00+08:00")
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["5"])
    assert call.ended == ("queue", "hotline-harbin")


def test_a_holiday_on_the_default_7x24_line_is_announced_and_served(app, caller, clock, db_session):
    clock.set("2026-10-01T10:00:00+08:00")  # National Day
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["5"])

    assert call.ended == ("queue", "hotline-harbin")
    assert "今天是节假日，值班人员照常为您服务。" in call.heard
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("complaint", "9", "综合咨询", "harbin", 0, "queued")
    assert ivr_steps(db_session, call.call_sid)[:4] == [
        "welcome:said", "hours_check:branched", "holiday_notice:said", "service_menu:prompted",
    ]  # fmt: skip
    start = next(e.data for e in events(db_session, call.call_sid) if e.kind == "ivr_start")
    assert (start["is_open"], start["is_holiday"], start["calendar"]) == (True, True, "calendar")


def test_a_holiday_closes_a_line_that_follows_the_official_calendar(runtime, tmp_path, db_session):
    caller = office_caller(runtime, tmp_path, "2026-10-01T10:00:00+08:00")  # a Thursday
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["2"])

    assert call.ended == ("hangup",)
    assert ivr_steps(db_session, call.call_sid)[:4] == AFTER_HOURS
    start = next(e.data for e in events(db_session, call.call_sid) if e.kind == "ivr_start")
    assert (start["is_open"], start["open_reason"]) == (False, "holiday")
    assert db_session.scalars(select(CallbackRequest)).one().source == "after_hours"


def test_a_weekend_working_day_opens_with_monday_hours(runtime, tmp_path, db_session):
    caller = office_caller(runtime, tmp_path, "2026-10-10T09:00:00+08:00")  # Saturday, 调休
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["5"])
    assert call.ended == ("queue", "hotline-harbin")


def test_a_year_the_holiday_library_lacks_falls_back_to_weekday_rules(
    runtime, tmp_path, db_session, caplog
):
    # 2027-10-01 is a Friday; chinesecalendar 1.x stops at 2026.
    caller = office_caller(runtime, tmp_path, "2027-10-01T10:00:00+08:00")
    with caplog.at_level(logging.WARNING, logger="hotline.ivr.hours"):
        first = caller.place_call(from_=HARBIN_LANDLINE, inputs=["5"])
        second = caller.place_call(from_=HARBIN_LANDLINE, inputs=["4"])

    assert first.ended == second.ended == ("queue", "hotline-harbin")
    start = next(e.data for e in events(db_session, first.call_sid) if e.kind == "ivr_start")
    assert (start["is_open"], start["is_holiday"], start["calendar"]) == (
        True, False, "weekday_rules",
    )  # fmt: skip
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "no data for 2027" in warnings[0]


def test_a_weekend_in_an_unknown_year_is_a_rest_day(runtime, tmp_path, db_session):
    caller = office_caller(runtime, tmp_path, "2027-10-02T10:00:00+08:00")  # Saturday
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["2"])
    assert call.ended == ("hangup",)
    assert db_session.scalars(select(CallbackRequest)).one().region == "harbin"


def test_holidays_listed_in_config_close_the_line_in_an_unknown_year(runtime, tmp_path, db_session):
    caller = office_caller(runtime, tmp_path, "2027-10-01T10:00:00+08:00", holidays=["2027-10-01"])
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["1"])

    assert call.ended == ("record",)
    start = next(e.data for e in events(db_session, call.call_sid) if e.kind == "ivr_start")
    assert (start["is_open"], start["is_holiday"], start["calendar"]) == (False, True, "override")
