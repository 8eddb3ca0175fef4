"""The staffing planner: Erlang C agents needed per region and hour next to the rota."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from hotline.errors import BadRequest
from hotline.supervision.reports.periods import WEEKDAYS
from hotline.supervision.staffing import HOURS_PER_WEEK
from hotline.web.api.input import parse_query
from hotline.web.api.models.reports import PlanQuery
from hotline.web.api.reports import requested_plan
from hotline.web.pages.access import SUPERVISORS, login_required

bp = Blueprint("staffing", __name__, url_prefix="/staffing")

BAD_PARAMETERS = (
    "测算参数有误：统计周数为 1–26，目标服务水平为 0–0.99，接通时限为 1–600 秒，"
    "占用率上限为 0–1（不含 0），日期格式为 YYYY-MM-DD。"
)


@bp.get("")
@login_required(*SUPERVISORS)
def index() -> ResponseReturnValue:
    """Per region: agents needed and on the rota for each hour of the coming week, gaps marked."""
    try:
        plan = requested_plan(parse_query(PlanQuery))
    except BadRequest:
        return render_template("error.html", status=400, message=BAD_PARAMETERS), 400
    region = request.args.get("region") or ""
    if region not in plan.regions:
        region = next((r for r in plan.regions if plan.gap_hours(r)), plan.regions[0])
    cells = plan.region_cells(region)
    days = [
        (WEEKDAYS[day], plan.week_start + timedelta(days=day), cells[day * 24 : day * 24 + 24])
        for day in range(HOURS_PER_WEEK // 24)
    ]
    return render_template(
        "staffing.html",
        plan=plan,
        region=region,
        days=days,
    )
