"""GET /api/reports/kpis (KPI reports) and GET /api/staffing (the Erlang C staffing plan)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint

from hotline import clock
from hotline.errors import BadRequest
from hotline.models.vocabulary import SUPERVISOR_ROLES
from hotline.supervision.reports.build import KpiReport, kpi_report
from hotline.supervision.reports.periods import (
    WEEKDAYS,
    Period,
    parse_dimension,
    parse_period,
)
from hotline.supervision.reports.staffing_data import StaffingPlan, staffing_plan
from hotline.supervision.reports.tally import Tally
from hotline.supervision.staffing import Target
from hotline.times import to_local
from hotline.web.api.contract import api_route
from hotline.web.api.models.reports import (
    HistoryOut,
    KpiReportOut,
    KpiReportQuery,
    PeriodQuery,
    PlanQuery,
    StaffingHourOut,
    StaffingPlanOut,
    StaffingQuery,
    StaffingRegionOut,
)
from hotline.web.extensions import db, settings
from hotline.web.labels import group_label, region_label, regions, service_label
from hotline.web.lookups import agent_names
from routing.config import load_routing_config

bp = Blueprint("reports", __name__)


def today() -> date:
    """Today in Asia/Shanghai."""
    return to_local(clock.now()).date()


def requested_period(query: PeriodQuery) -> Period:
    """The period of the `period` and `start` parameters (BadRequest if malformed)."""
    return parse_period(query.period, query.start, today())


def requested_dimension(query: KpiReportQuery) -> str:
    """The `by` parameter (BadRequest if unknown)."""
    return parse_dimension(query.by)


def row_labeler(keys: list[Any], by: str) -> Any:
    """A function naming report row keys in Chinese (agents by their display name)."""
    names = agent_names(db.session, keys) if by == "agent" else {}

    def label(dimension: str, key: Any) -> str:
        if dimension == "hour":
            return f"{key:02d}:00–{key + 1:02d}:00"
        if dimension == "day":
            return f"{key.isoformat()} {WEEKDAYS[key.weekday()]}"
        if key is None:
            return "未接通（无坐席）" if dimension == "agent" else "未知"
        if dimension == "agent":
            user = names.get(key)
            return (user.display_name or user.username) if user else f"坐席 {key}"
        named = {"region": region_label, "group": group_label, "service": service_label}
        return named[dimension](key) or str(key)

    return label


def build_report(period: Period, by: str, hourly: dict[int, Tally] | None = None) -> KpiReport:
    """The KPI report, its rows named for people."""
    report = kpi_report(db.session, period, by, hourly)
    return report.labelled(row_labeler([row.key for row in report.rows], by))


@api_route(
    bp,
    "GET",
    "/reports/kpis",
    "KPIs of a day, week or month, in total and per region, group, service, agent, hour or day",
    response=KpiReportOut,
    query=KpiReportQuery,
    roles=SUPERVISOR_ROLES,
    description="Hours and days follow the Asia/Shanghai time the call was first queued; "
    "the definitions of every figure come with the answer (docs/kpis.md).",
)
def report_kpis(query: KpiReportQuery) -> dict[str, Any]:
    """The KPI report as JSON."""
    period, by = requested_period(query), requested_dimension(query)
    return build_report(period, by).as_json()


def requested_plan(query: PlanQuery) -> StaffingPlan:
    """The staffing plan for the parameters (BadRequest when the target is out of range)."""
    config = load_routing_config(settings().config_dir)
    try:
        target = Target(
            service_level=query.target,
            seconds=query.seconds if query.seconds is not None else config.service_level_seconds,
            max_occupancy=query.max_occupancy,
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return staffing_plan(
        db.session,
        clock.now(),
        weeks=query.weeks,
        target=target,
        default_handle_seconds=config.default_handle_seconds,
        regions=regions().codes(),
        week_start=query.week,
    )


def plan_out(plan: StaffingPlan, only_region: str | None = None) -> StaffingPlanOut:
    """The staffing plan as the API shows it."""
    shown = [r for r in plan.regions if only_region is None or r == only_region]
    return StaffingPlanOut(
        weeks=plan.weeks,
        target=plan.target.service_level,
        target_seconds=plan.target.seconds,
        max_occupancy=plan.target.max_occupancy,
        history=HistoryOut(start=plan.history_start, end=plan.history_end),
        week_start=plan.week_start,
        aht_seconds=plan.overall_aht,
        regions=[
            StaffingRegionOut(
                region=region,
                label=region_label(region),
                aht_seconds=plan.aht_by_region.get(region, plan.overall_aht),
                gap_hours=plan.gap_hours(region),
                hours=[
                    StaffingHourOut(
                        hour_of_week=cell.hour,
                        weekday=cell.hour // 24,
                        hour=cell.hour % 24,
                        arrivals_per_hour=cell.arrivals,
                        needed=cell.needed,
                        rostered=cell.rostered,
                        gap=cell.gap,
                    )
                    for cell in plan.region_cells(region)
                ],
            )
            for region in shown
        ],
    )


@api_route(
    bp,
    "GET",
    "/staffing",
    "Erlang C agents needed per region and hour of the coming week, next to the rota",
    response=StaffingPlanOut,
    query=StaffingQuery,
    roles=SUPERVISOR_ROLES,
    description="Arrivals are the offered calls per Asia/Shanghai hour of the week averaged "
    "over the last weeks; AHT is measured (talk + wrap-up), else routing.yaml's default.",
)
def staffing(query: StaffingQuery) -> StaffingPlanOut:
    """The staffing plan as JSON."""
    plan = requested_plan(query)
    if query.region is not None and query.region not in plan.regions:
        raise BadRequest(f"unknown region {query.region!r}")
    return plan_out(plan, query.region)
