"""Consultation pages: the list (own, or all for supervisors) and one record."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from hotline.consultations import agent_of, is_supervisor, may_read_consultation
from hotline.models import Consultation
from hotline.web.api.consultations import consultation_outs
from hotline.web.extensions import db
from hotline.web.pages.access import forbidden_page, logged_in_user, login_required

bp = Blueprint("consultation_pages", __name__)

PAGE_SIZE = 50


@bp.get("/consultations")
@login_required()
def consultations() -> ResponseReturnValue:
    """The consultations this user may read, newest first."""
    session = db.session
    user = logged_in_user()
    query = select(Consultation)
    if not is_supervisor(user):
        agent = agent_of(session, user)
        query = query.where(Consultation.agent_id == (agent.id if agent else -1))
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Consultation.created_at.desc(), Consultation.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "consultations.html",
        consultations=[row.as_json() for row in consultation_outs(session, list(rows))],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


@bp.get("/consultations/<case_number>")
@login_required()
def consultation(case_number: str) -> ResponseReturnValue:
    """One consultation record."""
    session = db.session
    row = session.scalars(
        select(Consultation).where(Consultation.case_number == case_number[:32])
    ).one_or_none()
    if row is None:
        return render_template("error.html", status=404, message="没有找到这条咨询记录。"), 404
    if not may_read_consultation(session, logged_in_user(), row):
        return forbidden_page("这条咨询记录由其他坐席登记，您无权查看。")
    return render_template("consultation.html", c=consultation_outs(session, [row])[0].as_json())
