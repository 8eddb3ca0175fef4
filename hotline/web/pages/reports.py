"""KPI reports by period and dimension, with charts and CSV export, and the quality spot-check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hotline import clock
from hotline.errors import BadRequest
from hotline.phones import mask
from hotline.supervision.reports.build import hourly_tallies
from hotline.supervision.reports.chart_data import report_charts
from hotline.supervision.reports.csv_export import report_csv
from hotline.supervision.reports.periods import DIMENSION_LABELS, PERIOD_LABELS, Period
from hotline.supervision.reports.return_visits import return_visit_counts
from hotline.supervision.reports.spotcheck import SAMPLE_SHARE, spot_check
from hotline.supervision.reports.tally import DEFINITIONS, FIELD_LABELS, KPI_FIELDS
from hotline.web.api.input import parse_query
from hotline.web.api.models.reports import KpiReportQuery, PeriodQuery
from hotline.web.api.reports import build_report, requested_dimension, requested_period
from hotline.web.extensions import db
from hotline.web.lookups import agent_names
from hotline.web.pages.access import SUPERVISORS, login_required

bp = Blueprint("reports", __name__, url_prefix="/reports")

BAD_PARAMETERS = (
    "报表参数有误：周期应为日报、周报或月报，日期格式为 YYYY-MM-DD（2000–2100 年），"
    "维度应为地区、咨询分组、服务类型、坐席、时段或日期。"
)


def rate(value: float | None) -> str:
    """A rate as a percentage, — when there is none."""
    return "—" if value is None else f"{value * 100:.1f}%"


def seconds(value: float | None) -> str:
    """Seconds with one decimal, — when there are none."""
    return "—" if value is None else f"{value:.1f}"


def _bad_parameters() -> tuple[str, int]:
    return render_template("error.html", status=400, message=BAD_PARAMETERS), 400


def _query(period: Period, **extra: Any) -> dict[str, Any]:
    return {"period": period.kind, "start": period.first.isoformat(), **extra}


def endpoint_url(endpoint: str) -> str | None:
    """The URL of a page when the app has it, else None (pages built by other parts)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint)


@bp.get("")
@login_required(*SUPERVISORS)
def index() -> ResponseReturnValue:
    """The KPI report page: totals, definitions, charts, a table per dimension, 回访 tasks."""
    try:
        query = parse_query(KpiReportQuery)
        period, by = requested_period(query), requested_dimension(query)
    except BadRequest:
        return _bad_parameters()
    hourly = hourly_tallies(db.session, period)
    report = build_report(period, by, hourly)
    return render_template(
        "reports.html",
        period=period,
        by=by,
        report=report,
        total=report.total.figures(),
        rows=[(row, row.tally.figures()) for row in report.rows],
        charts=report_charts(period, hourly),
        visits=return_visit_counts(db.session, clock.now(), period.start, period.end),
        followup_url=endpoint_url("followup_desk.index"),
        query=_query,
        fields=KPI_FIELDS,
        field_labels=FIELD_LABELS,
        definitions=DEFINITIONS,
        period_labels=PERIOD_LABELS,
        dimension_labels=DIMENSION_LABELS,
        rate=rate,
        seconds=seconds,
        rate_fields=("answered_rate", "service_level", "csat", "survey_response_rate"),
        sample_share=SAMPLE_SHARE,
    )


@bp.get("/export.csv")
@login_required(*SUPERVISORS)
def export_csv() -> ResponseReturnValue:
    """The report table as a CSV download (same parameters as the page)."""
    try:
        query = parse_query(KpiReportQuery)
        period, by = requested_period(query), requested_dimension(query)
    except BadRequest:
        return _bad_parameters()
    body = report_csv(build_report(period, by))
    name = f"kpi-{period.kind}-{period.first.isoformat()}-{by}.csv"
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/quality")
@login_required(*SUPERVISORS)
def quality() -> ResponseReturnValue:
    """The period's quality spot-check: a stable 5 % sample of answered calls."""
    try:
        period = requested_period(parse_query(PeriodQuery))
    except BadRequest:
        return _bad_parameters()
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    check = spot_check(db.session, period, page)
    names = agent_names(db.session, (call.agent_id for call in check.calls))
    return render_template(
        "reports_quality.html",
        period=period,
        check=check,
        agents=names,
        masked=mask,
        query=_query,
        period_labels=PERIOD_LABELS,
        sample_share=SAMPLE_SHARE,
    )
