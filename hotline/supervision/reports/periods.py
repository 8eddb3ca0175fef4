"""Report periods (a day, an ISO week, a calendar month of Asia/Shanghai) and dimensions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, get_args

from hotline.errors import BadRequest
from hotline.times import SHANGHAI

PeriodKind = Literal["day", "week", "month"]
PERIODS: tuple[PeriodKind, ...] = get_args(PeriodKind)
Dimension = Literal["region", "group", "service", "agent", "hour", "day"]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
PERIOD_LABELS = {"day": "日报", "week": "周报", "month": "月报"}
DIMENSION_LABELS = {
    "region": "地区",
    "group": "咨询分组",
    "service": "服务类型",
    "agent": "坐席",
    "hour": "时段",
    "day": "日期",
}
MIN_YEAR, MAX_YEAR = 2000, 2100
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class Period:
    """A report period: local days first..last (inclusive), Asia/Shanghai."""

    kind: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The UTC-aware instant the period starts (local midnight of the first day)."""
        return datetime.combine(self.first, time(0, 0), SHANGHAI)

    @property
    def end(self) -> datetime:
        """The UTC-aware instant the period ends (exclusive: midnight after the last day)."""
        return datetime.combine(self.last + timedelta(days=1), time(0, 0), SHANGHAI)

    def days(self) -> list[date]:
        """Every local day of the period."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def label(self) -> str:
        """The period in words, e.g. 2026年11月 or 2026-11-23 至 2026-11-29."""
        if self.kind == "day":
            return f"{self.first.isoformat()}（{WEEKDAYS[self.first.weekday()]}）"
        if self.kind == "month":
            return f"{self.first.year}年{self.first.month}月"
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return period_of(self.kind, self.first - timedelta(days=1))

    def following(self) -> Period:
        """The period of the same kind just after this one."""
        return period_of(self.kind, self.last + timedelta(days=1))


def period_of(kind: str, day: date) -> Period:
    """The day, ISO week (Monday–Sunday) or calendar month that contains `day`."""
    if kind == "day":
        return Period(kind, day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    raise BadRequest(f"period must be one of {', '.join(PERIODS)}, not {kind!r}")


def parse_period(kind: str | None, start: str | None, today: date) -> Period:
    """The period named by query parameters (start defaults to today); BadRequest if malformed."""
    kind = kind or "day"
    if kind not in PERIODS:
        raise BadRequest(f"period must be one of {', '.join(PERIODS)}, not {kind[:20]!r}")
    if not start:
        return period_of(kind, today)
    try:
        day = date.fromisoformat(start)
    except ValueError:
        raise BadRequest("start must be a date YYYY-MM-DD, e.g. 2026-11-01") from None
    if len(start) != 10 or not MIN_YEAR <= day.year <= MAX_YEAR:
        raise BadRequest(f"start must be a date YYYY-MM-DD between {MIN_YEAR} and {MAX_YEAR}")
    return period_of(kind, day)


def parse_dimension(by: str | None, default: str = "region") -> str:
    """The grouping named by the query parameter `by`; BadRequest if unknown."""
    by = by or default
    if by not in DIMENSIONS:
        raise BadRequest(f"by must be one of {', '.join(DIMENSIONS)}, not {by[:20]!r}")
    return by
