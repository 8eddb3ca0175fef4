"""The consultation log pages: a day's calls, and one call's timeline."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from hotline.calls import find_call
from hotline.consultations import may_read_call
from hotline.errors import BadRequest
from hotline.models import Call
from hotline.models.vocabulary import CALL_STAGES
from hotline.web.api.calls import call_detail, day_bounds, local_day, summaries
from hotline.web.extensions import db
from hotline.web.labels import regions
from hotline.web.pages.access import (
    SUPERVISORS,
    forbidden_page,
    logged_in_user,
    login_required,
)

bp = Blueprint("call_log", __name__)

PAGE_SIZE = 50


@bp.get("/calls")
@login_required(*SUPERVISORS)
def calls() -> ResponseReturnValue:
    """A day's calls, newest first, numbers masked."""
    try:
        day = local_day(request.args.get("date"))
    except BadRequest:
        return render_template("error.html", status=400, message="日期格式应为 YYYY-MM-DD。"), 400
    region = request.args.get("region") or ""
    stage = request.args.get("stage") or ""
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    start, end = day_bounds(day)
    query = select(Call).where(Call.started_at >= start, Call.started_at < end)
    if region:
        query = query.where(Call.region == region)
    if stage in CALL_STAGES:
        query = query.where(Call.stage == stage)
    session = db.session
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Call.started_at.desc(), Call.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "calls.html",
        calls=[row.as_json() for row in summaries(list(rows))],
        total=total,
        day=day.isoformat(),
        region=region,
        stage=stage,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        regions=regions().regions,
        stages=CALL_STAGES,
    )


@bp.get("/calls/<call_sid>")
@login_required()
def call_page(call_sid: str) -> ResponseReturnValue:
    """One call's timeline (supervisors, or the agent who took it)."""
    call = find_call(db.session, call_sid[:64])
    if call is None:
        return render_template("error.html", status=404, message="没有找到这个通话。"), 404
    if not may_read_call(db.session, logged_in_user(), call):
        return forbidden_page("只有值班主任和接听此通话的坐席可以查看。")
    return render_template("call_detail.html", call=call_detail(call).as_json())
