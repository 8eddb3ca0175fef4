"""The working-day calendar: the official Chinese one (调休 included) with config/hours.yaml's own.

One calendar answers both when the line keeps its weekday hours (ivr_flows.hours) and when a
deadline such as a 回访 falls due. config/hours.yaml holds the weekly hours as well; they are
checked here with the rest of the file and used by ivr_flows.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import chinese_calendar
from pydantic import BeforeValidator, StrictBool, field_validator, model_validator

from hotline.config_files import ConfigModel, load_config, or_empty
from hotline.times import SHANGHAI, to_local

log = logging.getLogger("hotline.workdays")

HOURS_FILE = "hours.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time(23, 59, 59, 999999)
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
# A long holiday plus weekends never spans more than this many days.
_MAX_REST_RUN = 14

_warned_years: set[int] = set()
_warned_lock = threading.Lock()


@dataclass(frozen=True)
class DayStatus:
    """What the calendar says about one local date."""

    day: date
    is_holiday: bool  # a statutory holiday, or a date listed under holidays:
    is_rest_day: bool  # a holiday or a weekend day that is not a working day
    is_adjusted_workday: bool  # a weekend day made a working day (调休), or listed under workdays:
    source: str  # "override", "calendar" or "weekday_rules" (the calendar lacks the year)


@dataclass(frozen=True)
class WorkingCalendar:
    """The official calendar, overruled by a deployment's own holidays and working days."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def day_status(self, day: date) -> DayStatus:
        """Holiday, rest day and working-day status of a local date; never raises."""
        weekend = day.weekday() >= 5
        if day in self.holidays:
            return DayStatus(day, True, True, False, "override")
        if day in self.workdays:
            return DayStatus(day, False, False, weekend, "override")
        try:
            rest, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            _warn_year_unknown(day.year)
            return DayStatus(day, False, weekend, False, "weekday_rules")
        statutory = bool(rest and name is not None)
        return DayStatus(day, statutory, bool(rest), weekend and not rest, "calendar")

    def is_working_day(self, day: date) -> bool:
        """Whether a local date is a working day; Monday-Friday when the calendar lacks the year."""
        return not self.day_status(day).is_rest_day

    def next_working_day(self, day: date) -> date:
        """The first working day after `day`."""
        candidate = day
        for _ in range(_MAX_REST_RUN + 1):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        return candidate

    def one_working_day_after(self, moment: datetime) -> datetime:
        """The same Asia/Shanghai wall-clock time on the next working day, as an aware UTC time."""
        local = to_local(moment)
        day = self.next_working_day(local.date())
        due = datetime.combine(day, local.time(), tzinfo=SHANGHAI)
        return due.astimezone(UTC)


# The official calendar alone, for a deadline that no deployment's hours.yaml concerns.
OFFICIAL_CALENDAR = WorkingCalendar()


def is_working_day(day: date) -> bool:
    """Whether a local date is a working day of the official calendar."""
    return OFFICIAL_CALENDAR.is_working_day(day)


def one_working_day_after(moment: datetime) -> datetime:
    """The same wall-clock time on the official calendar's next working day (aware UTC)."""
    return OFFICIAL_CALENDAR.one_working_day_after(moment)


def _warn_year_unknown(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    log.warning(
        "chinesecalendar has no data for %d: holidays of that year are unknown, using weekday "
        "rules (Saturday and Sunday are rest days); list them under holidays: in hours.yaml",
        year,
    )


def _clock_time(hours: str, minutes: str, text: str) -> time:
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0):
        return END_OF_DAY
    if h > 23 or m > 59:
        raise ValueError(f"'{text}' is not a time range HH:MM-HH:MM")
    return time(h, m)


def _time_range(value: Any) -> tuple[time, time]:
    """An "HH:MM-HH:MM" range of one day ("24:00" ends the day)."""
    match = _RANGE.match(str(value).strip())
    if not match:
        raise ValueError(f"'{value}' is not a time range HH:MM-HH:MM")
    start = _clock_time(match[1], match[2], str(value))
    end = _clock_time(match[3], match[4], str(value))
    if end <= start:
        raise ValueError(f"'{value}' ends before it starts")
    return start, end


def _calendar_date(value: Any) -> date:
    """A YYYY-MM-DD date, as YAML reads it (a date) or as a quoted text."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"'{value}' is not a date YYYY-MM-DD") from None


TimeRange = Annotated[tuple[time, time], BeforeValidator(_time_range)]
Dates = Annotated[frozenset[Annotated[date, BeforeValidator(_calendar_date)]], or_empty(())]


class HoursFile(ConfigModel):
    """config/hours.yaml: weekly open hours (None: 7x24), holiday closing and date overrides."""

    weekly: dict[str, Annotated[tuple[TimeRange, ...], or_empty(())]] | None = None
    holidays_close: StrictBool = False
    holidays: Dates = frozenset()
    workdays: Dates = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _empty_file_keeps_the_defaults(cls, data: Any) -> Any:
        return {} if data is None else data

    @field_validator("weekly")
    @classmethod
    def _every_day_of_the_week(
        cls, weekly: dict[str, tuple[tuple[time, time], ...]] | None
    ) -> dict[str, tuple[tuple[time, time], ...]] | None:
        if weekly is None:
            return None
        unknown = sorted(set(weekly) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"has an unknown day '{unknown[0]}'")
        return {day: weekly.get(day, ()) for day in WEEKDAYS}  # a day left out is closed

    def calendar(self) -> WorkingCalendar:
        """The working-day calendar with this file's holidays and working days."""
        return WorkingCalendar(holidays=self.holidays, workdays=self.workdays)


def load_hours_file(config_dir: Path) -> HoursFile:
    """Read config/hours.yaml; without the file the line is open 7x24 on the official calendar."""
    if not (config_dir / HOURS_FILE).is_file():
        return HoursFile()
    return load_config(config_dir, HOURS_FILE, HoursFile)


def load_calendar(config_dir: Path) -> WorkingCalendar:
    """The deployment's working-day calendar (the holidays: and workdays: of hours.yaml)."""
    return load_hours_file(config_dir).calendar()
