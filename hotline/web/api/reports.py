"""GET /api/reports/kpis (KPI reports) and GET /api/staffing (the Erlang C staffing plan)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, jsonify, request

from hotline import clock
from hotline.errors import BadRequest
from hotline.supervision.reports.build import KpiReport, kpi_report
from hotline.supervision.reports.periods import (
    DIMENSIONS,
    PERIODS,
    WEEKDAYS,
    Period,
    parse_dimension,
    parse_period,
)
from hotline.supervision.reports.staffing_data import MAX_WEEKS, StaffingPlan, staffing_plan
from hotline.supervision.reports.tally import KPI_FIELDS, Tally
from hotline.supervision.staffing import Target
from hotline.times import to_local
from hotline.web.api import bp
from hotline.web.api.docs import QueryParam, api_doc, query_int, query_text
from hotline.web.api.schemas import INTEGER, STRING, SUPERVISORS, nullable, obj
from hotline.web.api.security import token_required
from hotline.web.extensions import db
from hotline.web.presenters import (
    agent_names,
    group_label,
    region_label,
    regions,
    service_label,
)
from routing.config import load_routing_config

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
PERIOD = QueryParam("period", str, f"{', '.join(PERIODS)} (default day)")
START = QueryParam(
    "start",
    str,
    "a day of the period, YYYY-MM-DD, Asia/Shanghai (default today); a week runs Monday to "
    "Sunday and a month from the 1st, around that day",
    pattern=DATE_PATTERN,
)
BY = QueryParam("by", str, f"one row per {', '.join(DIMENSIONS)} (default region)")
WEEKS = QueryParam("weeks", int, "weeks of history to average (default 4)", 1, MAX_WEEKS)
TARGET = QueryParam("target", float, "service level to reach, 0 to 0.99 (default 0.8)")
SECONDS = QueryParam("seconds", int, "answered within this wait (default 20)", 1, 600)
OCCUPANCY = QueryParam("max_occupancy", float, "occupancy cap, above 0 up to 1 (default none)")
WEEK = QueryParam(
    "week", str, "a day of the week to plan (default next week)", pattern=DATE_PATTERN
)
REGION = QueryParam("region", str, "only this region code")

_COUNTS = {"offered", "answered", "abandoned", "short_abandons", "callbacks"}
FIGURES = {name: INTEGER if name in _COUNTS else nullable("number") for name in KPI_FIELDS}
KEY = {"type": ["string", "integer", "null"]}
REPORT = obj(
    {
        "period": {"type": "string", "enum": list(PERIODS)},
        "start": {"type": "string", "format": "date"},
        "end": {"type": "string", "format": "date", "description": "last day, inclusive"},
        "by": {"type": "string", "enum": list(DIMENSIONS)},
        "definitions": {"type": "object", "additionalProperties": STRING},
        "total": obj(FIGURES),
        "rows": {
            "type": "array",
            "items": obj({"key": KEY, "label": STRING, **FIGURES}),
        },
    }
)
STAFFING = obj(
    {
        "weeks": INTEGER,
        "target": {"type": "number"},
        "target_seconds": {"type": "number"},
        "max_occupancy": nullable("number"),
        "history": obj({"start": STRING, "end": STRING}),
        "week_start": {"type": "string", "format": "date"},
        "aht_seconds": {"type": "number", "description": "the centre's measured AHT"},
        "regions": {
            "type": "array",
            "items": obj(
                {
                    "region": STRING,
                    "label": STRING,
                    "aht_seconds": {"type": "number"},
                    "gap_hours": INTEGER,
                    "hours": {
                        "type": "array",
                        "items": obj(
                            {
                                "hour_of_week": INTEGER,
                                "weekday": INTEGER,
                                "hour": INTEGER,
                                "arrivals_per_hour": {"type": "number"},
                                "needed": INTEGER,
                                "rostered": {"type": "number"},
                                "gap": {"type": "number"},
                            }
                        ),
                    },
                }
            ),
        },
    }
)


def today() -> date:
    """Today in Asia/Shanghai."""
    return to_local(clock.now()).date()


def requested_period() -> Period:
    """The period of the request's `period` and `start` parameters (BadRequest if malformed)."""
    return parse_period(query_text(PERIOD, 10), query_text(START, 10), today())


def requested_dimension() -> str:
    """The request's `by` parameter (BadRequest if unknown)."""
    return parse_dimension(query_text(BY, 10))


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


@bp.get("/reports/kpis")
@api_doc(
    "KPIs of a day, week or month, in total and per region, group, service, agent, hour or day",
    response=REPORT,
    roles=SUPERVISORS,
    errors=(400,),
    query=(PERIOD, START, BY),
    description="Hours and days follow the Asia/Shanghai time the call was first queued; "
    "the definitions of every figure come with the answer (docs/kpis.md).",
)
@token_required(*SUPERVISORS)
def report_kpis():  # type: ignore[no-untyped-def]
    """The KPI report as JSON."""
    period, by = requested_period(), requested_dimension()
    return jsonify(build_report(period, by).as_json())


def query_float(param: QueryParam, default: float | None) -> float | None:
    """A decimal query parameter (the default when absent); BadRequest if not a number."""
    raw = request.args.get(param.name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw[:32])
    except ValueError:
        raise BadRequest(f"query parameter {param.name!r} must be a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise BadRequest(f"query parameter {param.name!r} must be a finite number")
    return value


def requested_target() -> Target:
    """The staffing target of the request (BadRequest when out of range)."""
    config = load_routing_config(current_app.config["HOTLINE_SETTINGS"].config_dir)
    try:
        return Target(
            service_level=query_float(TARGET, 0.8) or 0.0,
            seconds=query_int(SECONDS, config.service_level_seconds),
            max_occupancy=query_float(OCCUPANCY, None),
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def requested_plan() -> StaffingPlan:
    """The staffing plan for the request's parameters."""
    settings = current_app.config["HOTLINE_SETTINGS"]
    week = query_text(WEEK, 10)
    try:
        week_start = date.fromisoformat(week) if week else None
    except ValueError:
        raise BadRequest("query parameter 'week' must be a date YYYY-MM-DD") from None
    return staffing_plan(
        db.session,
        clock.now(),
        weeks=query_int(WEEKS, 4),
        target=requested_target(),
        default_handle_seconds=load_routing_config(settings.config_dir).default_handle_seconds,
        regions=regions().codes(),
        week_start=week_start,
    )


def plan_json(plan: StaffingPlan, only_region: str | None = None) -> dict[str, Any]:
    """The staffing plan as the API shows it."""
    shown = [r for r in plan.regions if only_region is None or r == only_region]
    return {
        "weeks": plan.weeks,
        "target": plan.target.service_level,
        "target_seconds": plan.target.seconds,
        "max_occupancy": plan.target.max_occupancy,
        "history": {"start": plan.history_start.isoformat(), "end": plan.history_end.isoformat()},
        "week_start": plan.week_start.isoformat(),
        "aht_seconds": plan.overall_aht,
        "regions": [
            {
                "region": region,
                "label": region_label(region),
                "aht_seconds": plan.aht_by_region.get(region, plan.overall_aht),
                "gap_hours": plan.gap_hours(region),
                "hours": [
                    {
                        "hour_of_week": cell.hour,
                        "weekday": cell.hour // 24,
                        "hour": cell.hour % 24,
                        "arrivals_per_hour": cell.arrivals,
                        "needed": cell.needed,
                        "rostered": cell.rostered,
                        "gap": cell.gap,
                    }
                    for cell in plan.region_cells(region)
                ],
            }
            for region in shown
        ],
    }


@bp.get("/staffing")
@api_doc(
    "Erlang C agents needed per region and hour of the coming week, next to the rota",
    response=STAFFING,
    roles=SUPERVISORS,
    errors=(400,),
    query=(WEEKS, TARGET, SECONDS, OCCUPANCY, WEEK, REGION),
    description="Arrivals are the offered calls per Asia/Shanghai hour of the week averaged "
    "over the last weeks; AHT is measured (talk + wrap-up), else routing.yaml's default.",
)
@token_required(*SUPERVISORS)
def staffing():  # type: ignore[no-untyped-def]
    """The staffing plan as JSON."""
    plan = requested_plan()
    region = query_text(REGION, 32)
    if region is not None and region not in plan.regions:
        raise BadRequest(f"unknown region {region!r}")
    return jsonify(plan_json(plan, region))
