"""Working days of the official Chinese calendar (调休 included), for deadlines such as 回访."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar

from hotline.times import SHANGHAI, to_local

# A long holiday plus weekends never spans more than this many days.
_MAX_REST_RUN = 14


def is_working_day(day: date) -> bool:
    """Whether a local date is a working day; Monday-Friday when the calendar lacks the year."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def next_working_day(day: date) -> date:
    """The first working day after `day`."""
    candidate = day
    for _ in range(_MAX_REST_RUN + 1):
        candidate += timedelta(days=1)
        if is_working_day(candidate):
            return candidate
    return candidate


def one_working_day_after(moment: datetime) -> datetime:
    """The same Asia/Shanghai wall-clock time on the next working day, as an aware UTC time."""
    local = to_local(moment)
    day = next_working_day(local.date())
    due = datetime.combine(day, local.time(), tzinfo=SHANGHAI)
    return due.astimezone(UTC)
