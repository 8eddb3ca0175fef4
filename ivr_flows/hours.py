"""Service hours: the weekly hours of config/hours.yaml on the working-day calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hotline.config_files import parse_config
from hotline.times import to_local
from hotline.workdays import (
    END_OF_DAY,
    OFFICIAL_CALENDAR,
    WEEKDAYS,
    DayStatus,
    HoursFile,
    WorkingCalendar,
    load_hours_file,
)


@dataclass(frozen=True)
class OpenStatus:
    """Whether the line is open at a moment, and why."""

    is_open: bool
    reason: str  # "always", "hours", "closed_hours", "holiday"
    day: DayStatus
    local: datetime


@dataclass(frozen=True)
class ServiceHours:
    """Weekly open hours (None: 7x24) and holiday closing, on the deployment's calendar."""

    weekly: dict[str, tuple[tuple[time, time], ...]] | None = None
    holidays_close: bool = False
    calendar: WorkingCalendar = OFFICIAL_CALENDAR

    def day_status(self, day: date) -> DayStatus:
        """Holiday, rest day and working-day status of a local date; never raises."""
        return self.calendar.day_status(day)

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


def service_hours(hours: HoursFile) -> ServiceHours:
    """The service hours of a checked hours.yaml."""
    return ServiceHours(hours.weekly, hours.holidays_close, hours.calendar())


def parse_hours(data: Any, path: Path) -> ServiceHours:
    """Check the contents of an hours.yaml file and build ServiceHours."""
    return service_hours(parse_config(data, path, HoursFile))


def load_hours(config_dir: Path) -> ServiceHours:
    """Read config/hours.yaml; without the file the line is open 7x24."""
    return service_hours(load_hours_file(config_dir))
