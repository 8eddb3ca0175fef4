"""Service hours and holidays from config/hours.yaml and the official Chinese calendar."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import chinese_calendar

from hotline.config_files import ConfigFileError, load_yaml
from hotline.times import to_local

log = logging.getLogger("hotline.ivr.hours")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
END_OF_DAY = time(23, 59, 59, 999999)

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
class OpenStatus:
    """Whether the line is open at a moment, and why."""

    is_open: bool
    reason: str  # "always", "hours", "closed_hours", "holiday"
    day: DayStatus
    local: datetime


@dataclass(frozen=True)
class ServiceHours:
    """Weekly open hours (None: 7x24), holiday rules and per-date overrides."""

    weekly: dict[str, tuple[tuple[time, time], ...]] | None = None
    holidays_close: bool = False
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

    def status(self, moment: datetime) -> OpenStatus:
        """Whether the line is open at an aware moment (local time Asia/Shanghai)."""
        local = to_local(moment)
        day = self.day_status(local.date())
        if day.is_holiday and (self.holidays_close or day.source == "override"):
            return OpenStatus(False, "holiday", day, local)
        if self.weekly is None:
            return OpenStatus(True, "always", day, local)
        ranges = self.weekly["mon" if day.is_adjusted_workday else WEEKDAYS[day.day.weekday()]]
        now = local.time().replace(tzinfo=None)
        is_open = any(start <= now and (now < end or end == END_OF_DAY) for start, end in ranges)
        return OpenStatus(is_open, "hours" if is_open else "closed_hours", day, local)


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


def _parse_time(hours: str, minutes: str, path: Path, text: str) -> time:
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0):
        return END_OF_DAY
    if h > 23 or m > 59:
        raise ConfigFileError(f"{path}: '{text}' is not a time range HH:MM-HH:MM")
    return time(h, m)


def _parse_ranges(value: Any, path: Path, where: str) -> tuple[tuple[time, time], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigFileError(f"{path}: {where} must be a list of 'HH:MM-HH:MM' ranges")
    ranges = []
    for item in value:
        match = _RANGE.match(str(item).strip())
        if not match:
            raise ConfigFileError(f"{path}: {where}: '{item}' is not a time range HH:MM-HH:MM")
        start = _parse_time(match[1], match[2], path, str(item))
        end = _parse_time(match[3], match[4], path, str(item))
        if end <= start:
            raise ConfigFileError(f"{path}: {where}: '{item}' ends before it starts")
        ranges.append((start, end))
    return tuple(ranges)


def _parse_dates(value: Any, path: Path, key: str) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise ConfigFileError(f"{path}: '{key}' must be a list of dates YYYY-MM-DD")
    days = set()
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(str(item)))
        except ValueError:
            raise ConfigFileError(f"{path}: '{key}': '{item}' is not a date YYYY-MM-DD") from None
    return frozenset(days)


def parse_hours(data: Any, path: Path) -> ServiceHours:
    """Check the contents of an hours.yaml file and build ServiceHours."""
    if data is None:
        return ServiceHours()
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: must be a mapping")
    unknown = set(data) - {"weekly", "holidays_close", "holidays", "workdays"}
    if unknown:
        raise ConfigFileError(f"{path}: unknown key '{sorted(unknown)[0]}'")
    weekly_data = data.get("weekly")
    weekly = None
    if weekly_data is not None:
        if not isinstance(weekly_data, dict):
            raise ConfigFileError(f"{path}: 'weekly' must map mon..sun to lists of ranges")
        bad = set(weekly_data) - set(WEEKDAYS)
        if bad:
            raise ConfigFileError(f"{path}: 'weekly' has an unknown day '{sorted(bad)[0]}'")
        weekly = {d: _parse_ranges(weekly_data.get(d), path, f"weekly.{d}") for d in WEEKDAYS}
    holidays_close = data.get("holidays_close", False)
    if not isinstance(holidays_close, bool):
        raise ConfigFileError(f"{path}: 'holidays_close' must be true or false")
    return ServiceHours(
        weekly=weekly,
        holidays_close=holidays_close,
        holidays=_parse_dates(data.get("holidays"), path, "holidays"),
        workdays=_parse_dates(data.get("workdays"), path, "workdays"),
    )


def load_hours(config_dir: Path) -> ServiceHours:
    """Read config/hours.yaml; without the file the line is open 7x24."""
    path = config_dir / "hours.yaml"
    if not path.is_file():
        return ServiceHours()
    return parse_hours(load_yaml(path), path)
