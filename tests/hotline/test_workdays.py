"""One working-day calendar: the official Chinese calendar with the overrides of hours.yaml."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hotline.config_files import ConfigFileError
from hotline.settings import REPO_ROOT
from hotline.workdays import OFFICIAL_CALENDAR, WorkingCalendar, load_calendar

FRIDAY_AFTERNOON = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)  # 15:30 in Shanghai


def test_without_overrides_the_official_calendar_answers(tmp_path):
    assert load_calendar(tmp_path) == load_calendar(REPO_ROOT / "config") == OFFICIAL_CALENDAR
    assert OFFICIAL_CALENDAR.next_working_day(date(2026, 11, 27)) == date(2026, 11, 30)


def test_a_listed_holiday_moves_a_return_visit_due_date_past_it(tmp_path):
    (tmp_path / "hours.yaml").write_text("holidays: [2026-11-30]\n", encoding="utf-8")
    calendar = load_calendar(tmp_path)
    assert calendar.day_status(date(2026, 11, 30)).source == "override"
    assert not calendar.is_working_day(date(2026, 11, 30))
    # Due Tuesday instead of Monday, at the same wall-clock time.
    assert calendar.one_working_day_after(FRIDAY_AFTERNOON) == datetime(
        2026, 12, 1, 7, 30, tzinfo=UTC
    )


def test_a_listed_workday_makes_a_weekend_day_a_working_day():
    saturday = date(2026, 11, 28)
    calendar = WorkingCalendar(workdays=frozenset({saturday}))
    status = calendar.day_status(saturday)
    assert (status.is_rest_day, status.is_adjusted_workday, status.source) == (
        False, True, "override",
    )  # fmt: skip
    assert calendar.one_working_day_after(FRIDAY_AFTERNOON) == datetime(
        2026, 11, 28, 7, 30, tzinfo=UTC
    )


def test_a_workday_that_is_no_date_is_refused(tmp_path):
    (tmp_path / "hours.yaml").write_text("workdays: ['2026-02-30']\n", encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_calendar(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'hours.yaml'}: 'workdays.0': '2026-02-30' is not a date YYYY-MM-DD"
    )
