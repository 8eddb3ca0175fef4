"""Times: stored in UTC, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_local(moment: datetime) -> datetime:
    """The same instant in Asia/Shanghai."""
    return moment.astimezone(SHANGHAI)


def format_local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format an instant as Asia/Shanghai wall-clock time ('' for None)."""
    return "" if moment is None else to_local(moment).strftime(fmt)
