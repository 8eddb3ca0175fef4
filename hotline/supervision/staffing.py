"""Staffing planner: Erlang C agents needed per region and hour of the week, next to the rota.

Pure functions. Arrivals are the offered calls of each region and Asia/Shanghai hour of the
week (Monday 00:00 is hour 0), averaged over the weeks of history; the handle time is the
region's measured AHT (talk + wrap-up), else the centre's, else the configured default.
Rota coverage counts each shift by the share of every hour it covers: 08:30–12:00 is half an
agent in hour 8 and one agent in hours 9, 10 and 11.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.supervision.erlang import agents_needed
from hotline.times import SHANGHAI

HOURS_PER_WEEK = 168
HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Target:
    """What the plan must reach: service level within `seconds`, and an occupancy cap."""

    service_level: float = 0.8
    seconds: float = 20.0
    max_occupancy: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.service_level < 1.0:
            raise ValueError("the target service level must be at least 0 and below 1")
        if self.seconds < 0:
            raise ValueError("the target seconds cannot be negative")
        if self.max_occupancy is not None and not 0.0 < self.max_occupancy <= 1.0:
            raise ValueError("the occupancy cap must be above 0 and at most 1")


@dataclass(frozen=True)
class PlanCell:
    """One region and hour of the week: expected calls, agents needed and agents on the rota."""

    region: str
    hour: int
    arrivals: float
    aht_seconds: float
    needed: int
    rostered: float

    @property
    def gap(self) -> float:
        """Agents missing from the rota (0 when it covers the need)."""
        return max(0.0, self.needed - self.rostered)

    @property
    def short(self) -> bool:
        """Whether the rota has fewer agents than needed this hour."""
        return self.gap > 1e-9


def hour_of_week(moment: datetime) -> int:
    """The Asia/Shanghai hour of the week of an aware instant (Monday 00:00–01:00 is 0)."""
    local = moment.astimezone(SHANGHAI)
    return local.weekday() * 24 + local.hour


def average_arrivals(
    counts: Mapping[tuple[str, datetime], int], weeks: int
) -> dict[tuple[str, int], float]:
    """Calls per hour for each (region, hour of week), from counts per (region, hour start)."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    totals: dict[tuple[str, int], float] = {}
    for (region, start), count in counts.items():
        key = (region, hour_of_week(start))
        totals[key] = totals.get(key, 0.0) + count
    return {key: total / weeks for key, total in totals.items()}


def measured_aht(
    handles: Mapping[str, tuple[float, int]], default_seconds: float
) -> tuple[dict[str, float], float]:
    """AHT per region from (handle seconds, handled calls), and the centre's (the fallback)."""
    total_seconds = sum(seconds for seconds, _ in handles.values())
    total_calls = sum(count for _, count in handles.values())
    overall = total_seconds / total_calls if total_calls else float(default_seconds)
    per_region = {region: seconds / count for region, (seconds, count) in handles.items() if count}
    return per_region, overall


def rota_coverage(
    shifts: Iterable[tuple[str, datetime, datetime]], week_start: datetime
) -> dict[tuple[str, int], float]:
    """Agents on duty per (region, hour of the week from week_start); part hours pro rata."""
    week_end = week_start + WEEK
    coverage: dict[tuple[str, int], float] = {}
    for region, starts_at, ends_at in shifts:
        start, end = max(starts_at, week_start), min(ends_at, week_end)
        if end <= start:
            continue
        index = int((start - week_start) // HOUR)
        while index < HOURS_PER_WEEK:
            hour_start = week_start + index * HOUR
            if hour_start >= end:
                break
            overlap = min(end, hour_start + HOUR) - max(start, hour_start)
            key = (region, index)
            coverage[key] = coverage.get(key, 0.0) + overlap / HOUR
            index += 1
    return coverage


def plan(
    regions: Sequence[str],
    arrivals: Mapping[tuple[str, int], float],
    aht_by_region: Mapping[str, float],
    overall_aht: float,
    coverage: Mapping[tuple[str, int], float],
    target: Target,
) -> list[PlanCell]:
    """Every region × hour of the week: Erlang C agents needed next to the rostered agents."""
    cells = []
    for region in regions:
        aht = aht_by_region.get(region, overall_aht)
        for hour in range(HOURS_PER_WEEK):
            rate = arrivals.get((region, hour), 0.0)
            needed = agents_needed(
                rate, aht, target.service_level, target.seconds, target.max_occupancy
            )
            cells.append(
                PlanCell(region, hour, rate, aht, needed, coverage.get((region, hour), 0.0))
            )
    return cells
