"""KPI reports and the Erlang C staffing plan."""

from __future__ import annotations

from pydantic import Field

from hotline.supervision.reports.periods import DIMENSIONS, PERIODS, Dimension, PeriodKind
from hotline.supervision.reports.staffing_data import MAX_WEEKS
from hotline.web.api.models.common import (
    Day,
    Number,
    Omittable,
    OutModel,
    QueryDay,
    QueryFloat,
    QueryInt,
    QueryModel,
)


class KpiFiguresOut(OutModel):
    """The KPIs of a period or of one row: counts, and rates that are null without calls."""

    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    callbacks: int
    answered_rate: Number | None
    service_level: Number | None
    asa_seconds: Number | None
    aht_seconds: Number | None
    csat: Number | None
    survey_response_rate: Number | None


class ReportRowOut(KpiFiguresOut):
    """One row: a region, group, service, agent, hour or day."""

    key: str | int | None = Field(
        description="region, group or service code, agent id, hour 0-23 or YYYY-MM-DD"
    )
    label: str


class KpiReportOut(OutModel):
    """A KPI report of a period, in total and per row, with the definitions of the figures."""

    period: PeriodKind
    start: Day
    end: Day = Field(description="last day, inclusive")
    by: Dimension
    definitions: dict[str, str]
    total: KpiFiguresOut
    rows: list[ReportRowOut]


class StaffingHourOut(OutModel):
    """One hour of the week in one region."""

    hour_of_week: int
    weekday: int
    hour: int
    arrivals_per_hour: Number
    needed: int
    rostered: Number
    gap: Number


class StaffingRegionOut(OutModel):
    """A region's plan for the week."""

    region: str
    label: str
    aht_seconds: Number
    gap_hours: int
    hours: list[StaffingHourOut]


class HistoryOut(OutModel):
    """The days whose calls the plan averages (end exclusive)."""

    start: Day
    end: Day


class StaffingPlanOut(OutModel):
    """Agents needed per region and hour of the week, next to the rota."""

    weeks: int
    target: Number
    target_seconds: Number
    max_occupancy: Number | None
    history: HistoryOut
    week_start: Day
    aht_seconds: Number = Field(description="the centre's measured AHT")
    regions: list[StaffingRegionOut]


class PeriodQuery(QueryModel):
    """The period of a report (checked by hotline.supervision.reports.periods)."""

    period: Omittable[str] = Field(
        default=None, max_length=10, description=f"{', '.join(PERIODS)} (default day)"
    )
    start: Omittable[str] = Field(
        default=None,
        max_length=10,
        description="a day of the period, YYYY-MM-DD, Asia/Shanghai (default today); a week "
        "runs Monday to Sunday and a month from the 1st, around that day",
    )


class KpiReportQuery(PeriodQuery):
    """GET /api/reports/kpis."""

    by: Omittable[str] = Field(
        default=None,
        max_length=10,
        description=f"one row per {', '.join(DIMENSIONS)} (default region)",
    )


class PlanQuery(QueryModel):
    """What the staffing plan is to reach, and for which week."""

    weeks: QueryInt = Field(
        default=4, ge=1, le=MAX_WEEKS, description="weeks of history to average (default 4)"
    )
    target: QueryFloat = Field(
        default=0.8, description="service level to reach, 0 to 0.99 (default 0.8)"
    )
    seconds: Omittable[QueryInt] = Field(
        default=None, ge=1, le=600, description="answered within this wait (default 20)"
    )
    max_occupancy: Omittable[QueryFloat] = Field(
        default=None, description="occupancy cap, above 0 up to 1 (default none)"
    )
    week: Omittable[QueryDay] = Field(
        default=None, description="a day of the week to plan (default next week)"
    )


class StaffingQuery(PlanQuery):
    """GET /api/staffing."""

    region: Omittable[str] = Field(default=None, max_length=32, description="only this region code")
