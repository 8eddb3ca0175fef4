"""The staffing planner's inputs from the database: past arrivals and AHT, and the rota."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Shift
from hotline.supervision.reports.build import local_hour_of
from hotline.supervision.reports.queries import tallies
from hotline.supervision.staffing import (
    WEEK,
    PlanCell,
    Target,
    average_arrivals,
    measured_aht,
    plan,
    rota_coverage,
)
from hotline.times import SHANGHAI, to_local

MAX_WEEKS = 26


@dataclass(frozen=True)
class StaffingPlan:
    """The plan for one coming week, and what it was computed from."""

    weeks: int
    target: Target
    history_start: date
    history_end: date  # exclusive
    week_start: date
    regions: list[str]
    aht_by_region: dict[str, float]
    overall_aht: float
    cells: list[PlanCell]

    def region_cells(self, region: str) -> list[PlanCell]:
        """The 168 hours of one region."""
        return [cell for cell in self.cells if cell.region == region]

    def gap_hours(self, region: str) -> int:
        """How many hours of the week the region's rota is short."""
        return sum(cell.short for cell in self.region_cells(region))


def next_monday(today: date) -> date:
    """The Monday that starts the week after today's."""
    return today + timedelta(days=7 - today.weekday())


def staffing_plan(
    session: Session,
    now: datetime,
    *,
    weeks: int,
    target: Target,
    default_handle_seconds: float,
    regions: Sequence[str],
    week_start: date | None = None,
) -> StaffingPlan:
    """Agents needed per region and hour for the week from week_start (default: next Monday)."""
    today = to_local(now).date()
    history_end = today
    history_start = today - timedelta(days=7 * weeks)
    start = datetime.combine(history_start, time(0, 0), SHANGHAI)
    end = datetime.combine(history_end, time(0, 0), SHANGHAI)
    rows = tallies(session, start, end, ("region", "utc_hour"))
    counts = {(region, local_hour_of(hour)): t.offered for (region, hour), t in rows.items()}
    handles: dict[str, tuple[float, int]] = {}
    for (region, _), tally in rows.items():
        seconds, calls = handles.get(region, (0.0, 0))
        handles[region] = (seconds + tally.handle_sum, calls + tally.handle_count)
    aht_by_region, overall = measured_aht(handles, default_handle_seconds)

    monday = week_start - timedelta(days=week_start.weekday()) if week_start else None
    monday = monday or next_monday(today)
    week_from = datetime.combine(monday, time(0, 0), SHANGHAI)
    shifts = session.execute(
        select(Shift.region, Shift.starts_at, Shift.ends_at).where(
            Shift.starts_at < week_from + WEEK, Shift.ends_at > week_from
        )
    ).all()
    shown = list(regions)
    for region in sorted({r for r, _ in counts} | {row.region for row in shifts}):
        if region is not None and region not in shown:
            shown.append(region)
    cells = plan(
        shown,
        average_arrivals({k: v for k, v in counts.items() if k[0] is not None}, weeks),
        aht_by_region,
        overall,
        rota_coverage([tuple(row) for row in shifts], week_from),
        target,
    )
    return StaffingPlan(
        weeks, target, history_start, history_end, monday, shown, aht_by_region, overall, cells
    )
