"""Service hours, statutory holidays, overrides and years the calendar does not know."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import pytest

from hotline import workdays
from hotline.config_files import ConfigFileError
from ivr_flows.hours import ServiceHours, load_hours, parse_hours
from tests.ivr_flows.support import CONFIG_DIR, OFFICE_HOURS

PATH = Path("config/hours.yaml")


@pytest.fixture(autouse=True)
def fresh_year_warnings(monkeypatch):
    monkeypatch.setattr(workdays, "_warned_years", set())


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_the_default_config_is_open_7x24_even_on_holidays():
    default = load_hours(CONFIG_DIR)
    assert default == ServiceHours()
    for moment in ("2026-03-11T03:00+08:00", "2026-10-01T23:59+08:00", "2026-03-14T12:00+08:00"):
        assert default.status(at(moment)).is_open
    national_day = default.status(at("2026-10-01T10:00+08:00"))
    assert (national_day.is_open, national_day.reason, national_day.day.is_holiday) == (
        True, "always", True,
    )  # fmt: skip


def test_missing_hours_file_means_7x24(tmp_path):
    assert load_hours(tmp_path) == ServiceHours()


@pytest.mark.parametrize(
    ("moment", "is_open", "reason"),
    [
        ("2026-03-11T08:29:59+08:00", False, "closed_hours"),
        ("2026-03-11T08:30:00+08:00", True, "hours"),
        ("2026-03-11T12:30:00+08:00", False, "closed_hours"),
        ("2026-03-11T16:59:00+08:00", True, "hours"),
        ("2026-03-11T17:00:00+08:00", False, "closed_hours"),
        ("2026-03-11T01:00:00Z", True, "hours"),  # 09:00 in Shanghai
        ("2026-03-14T10:00:00+08:00", False, "closed_hours"),  # Saturday
        ("2026-10-01T10:00:00+08:00", False, "holiday"),  # National Day, a Thursday
        ("2026-10-10T10:00:00+08:00", True, "hours"),  # Saturday made a working day
    ],
)
def test_office_hours_follow_the_official_calendar(moment, is_open, reason):
    office = parse_hours({"weekly": OFFICE_HOURS, "holidays_close": True}, PATH)
    status = office.status(at(moment))
    assert (status.is_open, status.reason) == (is_open, reason)


def test_holidays_do_not_close_unless_configured():
    office = parse_hours({"weekly": OFFICE_HOURS}, PATH)
    assert office.status(at("2026-10-01T10:00+08:00")).is_open


def test_24_00_ends_a_day_and_overrides_win_over_the_calendar():
    config = {
        "weekly": {"sun": ["20:00-24:00"]},
        "holidays": ["2026-03-15"],
        "workdays": [date(2026, 3, 21)],
    }
    line = parse_hours(config, PATH)
    assert line.status(at("2026-03-22T23:59:59+08:00")).is_open
    closed = line.status(at("2026-03-15T21:00+08:00"))
    assert (closed.is_open, closed.reason, closed.day.source) == (False, "holiday", "override")
    saturday = line.day_status(date(2026, 3, 21))
    assert (saturday.is_adjusted_workday, saturday.is_rest_day) == (True, False)


def test_an_unknown_year_uses_weekday_rules_and_warns_once_per_year(caplog):
    line = ServiceHours()
    with caplog.at_level(logging.WARNING, logger="hotline.ivr.hours"):
        friday = line.day_status(date(2027, 10, 1))
        saturday = line.day_status(date(2027, 10, 2))
        line.day_status(date(2027, 10, 3))
        old = line.day_status(date(1999, 1, 1))
    assert (friday.is_holiday, friday.is_rest_day, friday.source) == (False, False, "weekday_rules")
    assert (saturday.is_holiday, saturday.is_rest_day) == (False, True)
    assert old.source == "weekday_rules"
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("chinesecalendar has no data for 2027")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weekly": {"monday": []}}, "unknown day 'monday'"),
        ({"weekly": {"mon": ["8:30-17:00"]}}, "'8:30-17:00' is not a time range"),
        ({"weekly": {"mon": ["17:00-08:30"]}}, "ends before it starts"),
        ({"weekly": {"mon": ["08:00-25:00"]}}, "is not a time range"),
        ({"holidays_close": "yes"}, "'holidays_close' must be true or false"),
        ({"holidays": ["2026-13-01"]}, "'2026-13-01' is not a date"),
        ({"opening": 1}, "unknown key 'opening'"),
        (["not", "a", "mapping"], "must be a mapping"),
    ],
)
def test_bad_hours_files_are_refused_clearly(data, message):
    with pytest.raises(ConfigFileError, match=message):
        parse_hours(data, PATH)
