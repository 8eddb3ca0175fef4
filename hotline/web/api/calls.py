"""The consultation log: calls, their timelines, the caller's history and the audited reveal."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, request
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
from hotline.models.vocabulary import SUPERVISOR_ROLES
from hotline.phones import mask
from hotline.supervision.call_log import TimelineEntry, call_timeline
from hotline.times import SHANGHAI, format_local, to_local
from hotline.web.api.consultations import consultation_outs
from hotline.web.api.contract import ANY_USER, api_route
from hotline.web.api.models.calls import (
    CallDetailOut,
    CallEventOut,
    CallHistoryOut,
    CallListOut,
    CallsQuery,
    CallSummaryOut,
    RevealedNumberOut,
)
from hotline.web.api.models.common import RevealIn
from hotline.web.api.security import current_user
from hotline.web.extensions import db
from hotline.web.labels import EVENT_LABELS
from hotline.web.lookups import agent_names, caller_phones

bp = Blueprint("calls", __name__)

LOCAL_SECONDS = "%Y-%m-%d %H:%M:%S"


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


def summaries(calls: list[Call]) -> list[CallSummaryOut]:
    """The call-log rows of these calls (the callers' numbers masked)."""
    session = db.session
    agents = agent_names(session, (call.agent_id for call in calls))
    phones = caller_phones(session, (call.caller_id for call in calls))
    case_numbers = case_numbers_by_call(session, (call.id for call in calls))
    rows = []
    for call in calls:
        agent = agents.get(call.agent_id) if call.agent_id else None
        phone = phones.get(call.caller_id) if call.caller_id else None
        rows.append(
            CallSummaryOut(
                call_sid=call.call_sid,
                started_at=call.started_at,
                started_at_local=format_local(call.started_at, LOCAL_SECONDS),
                caller=mask(phone or call.from_number),
                service=call.service,
                topic=call.topic,
                group=call.group,
                region=call.region,
                priority=call.priority,
                repeat_caller=call.repeat_caller,
                stage=call.stage,
                outcome=call.outcome,
                hangup_stage=call.hangup_stage,
                agent=agent.username if agent else None,
                agent_name=(agent.display_name or agent.username) if agent else None,
                wait_seconds=call.wait_seconds,
                talk_seconds=call.talk_seconds,
                case_number=case_numbers.get(call.id),
            )
        )
    return rows


def timeline(entries: list[TimelineEntry]) -> list[CallEventOut]:
    """A call's timeline as the API shows it."""
    return [
        CallEventOut(
            at=entry.at,
            at_local=format_local(entry.at, LOCAL_SECONDS),
            kind=entry.kind,
            label=EVENT_LABELS.get(entry.kind, entry.kind),
            source=entry.source,
            data=entry.data,
        )
        for entry in entries
    ]


def call_detail(call: Call) -> CallDetailOut:
    """One call with its timeline and consultation."""
    session = db.session
    consultation = consultation_for_call(session, call)
    return CallDetailOut(
        **dict(summaries([call])[0]),
        ended_at=call.ended_at,
        events=timeline(call_timeline(session, call)),
        consultation=consultation_outs(session, [consultation])[0] if consultation else None,
    )


@api_route(
    bp,
    "GET",
    "/calls",
    "The call log of one day, newest first (supervisors); numbers masked",
    response=CallListOut,
    query=CallsQuery,
    roles=SUPERVISOR_ROLES,
)
def list_calls(query: CallsQuery) -> CallListOut:
    """List a day's calls."""
    session = db.session
    start, end = day_bounds(query.day or local_day(None))
    rows = select(Call).where(Call.started_at >= start, Call.started_at < end)
    if query.region:
        rows = rows.where(Call.region == query.region)
    if query.stage:
        rows = rows.where(Call.stage == query.stage)
    total = session.scalar(select(func.count()).select_from(rows.subquery())) or 0
    calls = session.scalars(
        rows.order_by(Call.started_at.desc(), Call.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return CallListOut(calls=summaries(list(calls)), total=total)


@api_route(
    bp,
    "GET",
    "/calls/<call_sid>",
    "One call with its whole timeline (supervisors, or the agent who took it)",
    response=CallDetailOut,
    roles=ANY_USER,
    errors=(403, 404),
)
def get_call(call_sid: str) -> CallDetailOut:
    """Read one call and its timeline."""
    return call_detail(readable_call(call_sid))


@api_route(
    bp,
    "GET",
    "/calls/<call_sid>/history",
    "The caller's earlier consultations with their summaries (audit-logged)",
    response=CallHistoryOut,
    roles=ANY_USER,
    errors=(403, 404),
    writes=True,  # every view is audited
)
def get_history(call_sid: str) -> CallHistoryOut:
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
    return CallHistoryOut(call_sid=call.call_sid, consultations=consultation_outs(session, rows))


@api_route(
    bp,
    "POST",
    "/calls/<call_sid>/reveal",
    "The caller's full number (supervisors, or the agent who took the call); audit-logged",
    request=RevealIn,
    response=RevealedNumberOut,
    roles=ANY_USER,
    errors=(403, 404),
)
def reveal_number(call_sid: str, body: RevealIn) -> RevealedNumberOut:
    """Show the caller's full number once, recording who asked and why."""
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
        reason=body.reason,
    )
    session.commit()
    return RevealedNumberOut(call_sid=call.call_sid, caller_full=phone)
