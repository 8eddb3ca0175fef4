"""Return visits (回访), failed messages, unmatched replies and voicemails without a number.

The follow-up desk page (/followups) shows the same shapes. Numbers leave masked; a
supervisor gets a task's full number through the audited reveal.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, request
from sqlalchemy.orm import Session

from callbacks.sms.review import failed_messages, unmatched_replies
from callbacks.work_items.items import voicemails_without_number
from hotline import clock
from hotline.consultations import case_numbers_by_call
from hotline.models import Call, Message, ReturnVisit, Survey, User, Voicemail
from hotline.models.vocabulary import SUPERVISOR_ROLES
from hotline.phones import mask
from hotline.supervision import followup_desk as desk
from hotline.supervision.call_log import mask_text
from hotline.times import format_local
from hotline.web.api.contract import api_route
from hotline.web.api.models.common import RevealIn
from hotline.web.api.models.followups import (
    DeskVoicemailListOut,
    DeskVoicemailOut,
    FailedMessageListOut,
    FailedMessageOut,
    MessagesQuery,
    ReplyListOut,
    ReplyOut,
    ReturnVisitCloseIn,
    ReturnVisitListOut,
    ReturnVisitOut,
    ReturnVisitsQuery,
    TaskNumberOut,
    VoicemailCloseIn,
    VoicemailsQuery,
)
from hotline.web.api.security import current_user
from hotline.web.api.work_items import anonymous_voicemail_outs
from hotline.web.extensions import db
from hotline.web.labels import (
    MESSAGE_KIND_LABELS,
    RATING_LABELS,
    RETURN_VISIT_STATUS_LABELS,
    VOICEMAIL_STATUS_LABELS,
    duration_label,
    region_label,
)
from hotline.web.lookups import caller_phones, rows_by_id

bp = Blueprint("followups", __name__)


def return_visit_outs(
    session: Session, tasks: list[ReturnVisit], now: datetime
) -> list[ReturnVisitOut]:
    """回访 tasks with their survey, call and caller (the number masked)."""
    surveys = rows_by_id(session, Survey, (t.survey_id for t in tasks))
    calls = rows_by_id(session, Call, (t.call_id for t in tasks))
    users = rows_by_id(session, User, (t.assigned_user_id for t in tasks))
    phones = caller_phones(session, (t.caller_id for t in tasks))
    cases = case_numbers_by_call(session, (t.call_id for t in tasks))
    rows = []
    for task in tasks:
        survey = surveys.get(task.survey_id)
        call = calls.get(task.call_id) if task.call_id is not None else None
        user = users.get(task.assigned_user_id) if task.assigned_user_id is not None else None
        phone = phones.get(task.caller_id) if task.caller_id else None
        rows.append(
            ReturnVisitOut(
                id=task.id,
                status=task.status,
                status_label=RETURN_VISIT_STATUS_LABELS.get(task.status, task.status),
                rating=task.rating,
                rating_label=RATING_LABELS.get(task.rating, str(task.rating)),
                region=task.region,
                region_name=region_label(task.region) or "—",
                due_at=task.due_at,
                due_at_local=format_local(task.due_at),
                overdue=task.status == desk.OPEN and task.due_at < now,
                created_at=task.created_at,
                caller=mask(phone or (call.from_number if call else None)),
                call_sid=call.call_sid if call else None,
                case_number=cases.get(task.call_id) if task.call_id is not None else None,
                channel=survey.channel if survey else None,
                comment=mask_text(survey.comment or "") if survey else "",
                assigned_to=user.username if user else None,
                assigned_to_name=(user.display_name or user.username) if user else None,
                outcome_note=task.outcome_note or "",
                closed_at=task.closed_at,
            )
        )
    return rows


def failed_message_outs(session: Session, messages: list[Message]) -> list[FailedMessageOut]:
    """Failed outbound SMS (the number masked)."""
    calls = rows_by_id(session, Call, (m.call_id for m in messages))
    return [
        FailedMessageOut(
            id=m.id,
            kind=m.kind,
            kind_label=MESSAGE_KIND_LABELS.get(m.kind, m.kind),
            to=mask(m.to_number),
            error_code=m.error_code,
            error_message=m.error_message,
            attempts=m.attempts,
            call_sid=calls[m.call_id].call_sid if m.call_id in calls else None,
            created_at=m.created_at,
            failed_at_local=format_local(m.updated_at or m.created_at),
        )
        for m in messages
    ]


def reply_out(message: Message) -> ReplyOut:
    """An inbound reply (the number, and numbers in the text, masked)."""
    return ReplyOut.model_validate(
        {
            "id": message.id,
            "from": mask(message.from_number),
            "body": mask_text(message.body or ""),
            "received_at": message.created_at,
            "received_at_local": format_local(message.created_at),
            "reviewed_at": message.reviewed_at,
        }
    )


def desk_voicemail_outs(session: Session, rows: list[Voicemail]) -> list[DeskVoicemailOut]:
    """Voicemails without a number as the desk shows them: to listen to, then mark handled."""
    calls = rows_by_id(session, Call, (v.call_id for v in rows))
    users = rows_by_id(session, User, (v.closed_by_user_id for v in rows))
    result = []
    for row, listen in zip(rows, anonymous_voicemail_outs(rows), strict=True):
        call = calls.get(row.call_id) if row.call_id is not None else None
        user = users.get(row.closed_by_user_id) if row.closed_by_user_id is not None else None
        result.append(
            DeskVoicemailOut(
                **dict(listen),
                status=row.status,
                status_label=VOICEMAIL_STATUS_LABELS.get(row.status, row.status),
                service=row.service,
                group=row.group,
                created_at=row.created_at,
                duration_label=duration_label(row.duration_seconds),
                call_sid=call.call_sid if call else None,
                outcome_note=row.outcome_note or "",
                closed_at=row.closed_at,
                closed_at_local=format_local(row.closed_at),
                closed_by=(user.display_name or user.username) if user else None,
            )
        )
    return result


@api_route(
    bp,
    "GET",
    "/return-visits",
    "回访 tasks of a status (open ones by due time, overdue first); numbers masked",
    response=ReturnVisitListOut,
    query=ReturnVisitsQuery,
    roles=SUPERVISOR_ROLES,
)
def list_return_visits(query: ReturnVisitsQuery) -> ReturnVisitListOut:
    """List 回访 tasks."""
    session = db.session
    tasks, total = desk.return_visits(session, query.status, query.limit, query.offset)
    return ReturnVisitListOut(
        return_visits=return_visit_outs(session, tasks, clock.now()), total=total
    )


@api_route(
    bp,
    "POST",
    "/return-visits/<int:task_id>/assign",
    "Take an open 回访 task (assign it to the caller of the API); audit-logged",
    response=ReturnVisitOut,
    roles=SUPERVISOR_ROLES,
    errors=(404, 409),
)
def assign_return_visit(task_id: int) -> ReturnVisitOut:
    """Assign a task to me."""
    session = db.session
    task = desk.assign_to(session, task_id, current_user(), request.remote_addr)
    session.commit()
    return return_visit_outs(session, [task], clock.now())[0]


@api_route(
    bp,
    "POST",
    "/return-visits/<int:task_id>/close",
    "Close an open 回访 task as done or unreachable, with a note; audit-logged",
    request=ReturnVisitCloseIn,
    response=ReturnVisitOut,
    roles=SUPERVISOR_ROLES,
    errors=(404, 409),
)
def close_return_visit(task_id: int, body: ReturnVisitCloseIn) -> ReturnVisitOut:
    """Close a task."""
    session = db.session
    task = desk.close_task(
        session, task_id, current_user(), body.status, body.note, clock.now(), request.remote_addr
    )
    session.commit()
    return return_visit_outs(session, [task], clock.now())[0]


@api_route(
    bp,
    "POST",
    "/return-visits/<int:task_id>/reveal",
    "The full number of a 回访 task's caller, to call them back; audit-logged",
    request=RevealIn,
    response=TaskNumberOut,
    roles=SUPERVISOR_ROLES,
    errors=(404,),
)
def reveal_return_visit_number(task_id: int, body: RevealIn) -> TaskNumberOut:
    """Show a task's caller number once, recording who asked and why."""
    session = db.session
    task, phone = desk.caller_number(
        session, task_id, current_user(), body.reason, request.remote_addr
    )
    session.commit()
    return TaskNumberOut(id=task.id, caller_full=phone)


@api_route(
    bp,
    "GET",
    "/messages/failed",
    "Outbound SMS that failed for good, newest first, with Twilio's error; numbers masked",
    response=FailedMessageListOut,
    query=MessagesQuery,
    roles=SUPERVISOR_ROLES,
)
def list_failed_messages(query: MessagesQuery) -> FailedMessageListOut:
    """List failed messages."""
    session = db.session
    rows = list(failed_messages(session, limit=query.limit))
    return FailedMessageListOut(messages=failed_message_outs(session, rows))


@api_route(
    bp,
    "GET",
    "/messages/unmatched",
    "Inbound SMS replies no rule understood, not yet reviewed, newest first; numbers masked",
    response=ReplyListOut,
    query=MessagesQuery,
    roles=SUPERVISOR_ROLES,
)
def list_unmatched_replies(query: MessagesQuery) -> ReplyListOut:
    """List unmatched replies."""
    rows = unmatched_replies(db.session, limit=query.limit)
    return ReplyListOut(messages=[reply_out(m) for m in rows])


@api_route(
    bp,
    "POST",
    "/messages/<int:message_id>/reviewed",
    "Mark an unmatched reply as reviewed (a second mark changes nothing); audit-logged",
    response=ReplyOut,
    roles=SUPERVISOR_ROLES,
    errors=(404,),
)
def mark_reply_reviewed(message_id: int) -> ReplyOut:
    """Mark a reply reviewed."""
    session = db.session
    message = desk.mark_reviewed(
        session, message_id, current_user(), clock.now(), request.remote_addr
    )
    session.commit()
    return reply_out(message)


@api_route(
    bp,
    "GET",
    "/voicemails",
    "Voicemails nobody can call back (withheld numbers): pending oldest first, or done ones",
    response=DeskVoicemailListOut,
    query=VoicemailsQuery,
    roles=SUPERVISOR_ROLES,
    description="Voicemails with a number are call-back work items (/api/work-items) instead.",
)
def list_voicemails(query: VoicemailsQuery) -> DeskVoicemailListOut:
    """List voicemails without a number."""
    session = db.session
    rows, total = voicemails_without_number(session, query.status, query.limit, query.offset)
    return DeskVoicemailListOut(voicemails=desk_voicemail_outs(session, rows), total=total)


@api_route(
    bp,
    "POST",
    "/voicemails/<int:voicemail_id>/close",
    "Mark a pending voicemail without a number handled (done), with a note; audit-logged",
    request=VoicemailCloseIn,
    response=DeskVoicemailOut,
    roles=SUPERVISOR_ROLES,
    errors=(400, 404, 409),
    description="409 once it is closed, or when it is a call-back work item (has a number).",
)
def close_voicemail(voicemail_id: int, body: VoicemailCloseIn) -> DeskVoicemailOut:
    """Close a voicemail."""
    session = db.session
    voicemail = desk.close_voicemail(
        session, voicemail_id, current_user(), body.note, clock.now(), request.remote_addr
    )
    session.commit()
    return desk_voicemail_outs(session, [voicemail])[0]
