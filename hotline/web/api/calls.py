"""The consultation log: calls, their timelines, the caller's history and the audited reveal."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import jsonify, request
from sqlalchemy import func, select

from hotline import clock
from hotline.auth import audit
from hotline.calls import find_call
from hotline.consultations import (
    caller_history,
    case_numbers_by_call,
    consultation_for_call,
    may_read_call,
)
from hotline.errors import BadRequest, Forbidden, NotFound
from hotline.models import Call, Caller
from hotline.models.vocabulary import CALL_STAGES
from hotline.supervision.call_log import call_timeline
from hotline.times import SHANGHAI, to_local
from hotline.web.api import bp
from hotline.web.api.docs import QueryParam, api_doc, documented_body, query_int, query_text
from hotline.web.api.json_input import Field
from hotline.web.api.schemas import (
    ANY_USER,
    CALL_DETAIL,
    CALL_LIST,
    HISTORY,
    REVEAL,
    SUPERVISORS,
)
from hotline.web.api.security import current_user, token_required
from hotline.web.extensions import db
from hotline.web.presenters import (
    agent_names,
    call_summary_json,
    caller_phones,
    consultations_json,
    timeline_json,
)

DAY = QueryParam(
    "date", str, "day in Asia/Shanghai, YYYY-MM-DD (default today)", pattern=r"^\d{4}-\d{2}-\d{2}$"
)
REGION = QueryParam("region", str, "only calls of this region code")
STAGE = QueryParam("stage", str, "only calls in this stage")
LIMIT = QueryParam("limit", int, "at most this many (newest first)", minimum=1, maximum=200)
OFFSET = QueryParam("offset", int, "skip this many", minimum=0, maximum=100_000)
REVEAL_FIELDS = [Field("reason", str, required=False, max_length=200)]


def local_day(text: str | None) -> date:
    """The Asia/Shanghai day named by YYYY-MM-DD, or today."""
    if not text:
        return to_local(clock.now()).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest("query parameter 'date' must be YYYY-MM-DD") from None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC-aware start and end of an Asia/Shanghai day."""
    start = datetime.combine(day, time(0, 0), SHANGHAI)
    return start, start + timedelta(days=1)


def readable_call(call_sid: str) -> Call:
    """The call, if the current user may read it: 404 unknown, 403 someone else's."""
    session = db.session
    call = find_call(session, call_sid[:64])
    if call is None:
        raise NotFound(f"no call {call_sid[:64]}")
    if not may_read_call(session, current_user(), call):
        raise Forbidden("only supervisors and the agent who took this call may read it")
    return call


def summaries(calls: list[Call]) -> list[dict[str, Any]]:
    """The call-log rows of these calls."""
    session = db.session
    agents = agent_names(session, (call.agent_id for call in calls))
    phones = caller_phones(session, (call.caller_id for call in calls))
    case_numbers = case_numbers_by_call(session, (call.id for call in calls))
    return [
        call_summary_json(
            call,
            agents.get(call.agent_id) if call.agent_id else None,
            phones.get(call.caller_id) if call.caller_id else None,
            case_numbers.get(call.id),
        )
        for call in calls
    ]


def call_detail(call: Call) -> dict[str, Any]:
    """The DESIGN §4 shape of one call with its timeline and consultation."""
    session = db.session
    detail = summaries([call])[0]
    detail["ended_at"] = call.ended_at.isoformat() if call.ended_at else None
    detail["events"] = timeline_json(call_timeline(session, call))
    consultation = consultation_for_call(session, call)
    detail["consultation"] = (
        consultations_json(session, [consultation])[0] if consultation else None
    )
    return detail


@bp.get("/calls")
@api_doc(
    "The call log of one day, newest first (supervisors); numbers masked",
    response=CALL_LIST,
    roles=SUPERVISORS,
    query=(DAY, REGION, STAGE, LIMIT, OFFSET),
)
@token_required(*SUPERVISORS)
def list_calls():  # type: ignore[no-untyped-def]
    """List a day's calls."""
    session = db.session
    start, end = day_bounds(local_day(query_text(DAY, 10)))
    query = select(Call).where(Call.started_at >= start, Call.started_at < end)
    region = query_text(REGION, 32)
    if region:
        query = query.where(Call.region == region)
    stage = query_text(STAGE, 16)
    if stage:
        if stage not in CALL_STAGES:
            raise BadRequest(f"query parameter 'stage' must be one of {', '.join(CALL_STAGES)}")
        query = query.where(Call.stage == stage)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    calls = session.scalars(
        query.order_by(Call.started_at.desc(), Call.id.desc())
        .limit(query_int(LIMIT, 50))
        .offset(query_int(OFFSET, 0))
    ).all()
    return jsonify({"calls": summaries(list(calls)), "total": total})


@bp.get("/calls/<call_sid>")
@api_doc(
    "One call with its whole timeline (supervisors, or the agent who took it)",
    response=CALL_DETAIL,
    roles=ANY_USER,
    errors=(404,),
)
@token_required()
def get_call(call_sid: str):  # type: ignore[no-untyped-def]
    """Read one call and its timeline."""
    return jsonify(call_detail(readable_call(call_sid)))


@bp.get("/calls/<call_sid>/history")
@api_doc(
    "The caller's earlier consultations with their summaries (audit-logged)",
    response=HISTORY,
    roles=ANY_USER,
    errors=(404,),
)
@token_required()
def get_history(call_sid: str):  # type: ignore[no-untyped-def]
    """The consultations of this call's caller before this call; every view is audited."""
    call = readable_call(call_sid)
    session = db.session
    rows = caller_history(session, call)
    audit(
        session,
        "view_caller_history",
        current_user().id,
        "caller",
        str(call.caller_id),
        request.remote_addr,
        call_sid=call.call_sid,
        shown=len(rows),
    )
    session.commit()
    return jsonify({"call_sid": call.call_sid, "consultations": consultations_json(session, rows)})


@bp.post("/calls/<call_sid>/reveal")
@api_doc(
    "The caller's full number (supervisors, or the agent who took the call); audit-logged",
    request=REVEAL_FIELDS,
    response=REVEAL,
    roles=ANY_USER,
    errors=(404,),
)
@token_required()
def reveal_number(call_sid: str):  # type: ignore[no-untyped-def]
    """Show the caller's full number once, recording who asked and why."""
    body = documented_body()
    call = readable_call(call_sid)
    session = db.session
    caller = session.get(Caller, call.caller_id) if call.caller_id else None
    phone = caller.phone if caller else call.from_number
    audit(
        session,
        "reveal_number",
        current_user().id,
        "caller",
        str(call.caller_id),
        request.remote_addr,
        call_sid=call.call_sid,
        reason=body.get("reason", ""),
    )
    session.commit()
    return jsonify({"call_sid": call.call_sid, "caller_full": phone})
