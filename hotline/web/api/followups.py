"""Return visits (回访), failed messages, unmatched replies and voicemails without a number.

The follow-up desk page (/followups) shows the same JSON shapes (followup_shapes). Numbers
leave masked; a supervisor gets a task's full number through the audited reveal.
"""

from __future__ import annotations

from flask import jsonify, request

from callbacks.sms.review import failed_messages, unmatched_replies
from callbacks.work_items.items import voicemails_without_number
from hotline import clock
from hotline.errors import BadRequest
from hotline.models.vocabulary import RETURN_VISIT_STATUSES
from hotline.supervision import followup_desk as desk
from hotline.web.api import bp
from hotline.web.api.docs import QueryParam, api_doc, documented_body, query_int, query_text
from hotline.web.api.followup_shapes import (
    DESK_VOICEMAIL,
    DESK_VOICEMAIL_LIST,
    FAILED_LIST,
    REPLY,
    REPLY_LIST,
    RETURN_VISIT,
    RETURN_VISIT_LIST,
    REVEALED,
    VOICEMAIL_STATUS_LABELS,
    desk_voicemails_json,
    failed_json,
    reply_json,
    return_visits_json,
)
from hotline.web.api.json_input import Field
from hotline.web.api.schemas import SUPERVISORS
from hotline.web.api.security import current_user, token_required
from hotline.web.extensions import db

STATUS = QueryParam("status", str, "open (default), done, unreachable or cancelled")
LIMIT = QueryParam("limit", int, "at most this many", minimum=1, maximum=200)
OFFSET = QueryParam("offset", int, "skip this many", minimum=0, maximum=100_000)
CLOSE_FIELDS = [
    Field("status", str, choices=desk.CLOSED_STATUSES),
    Field("note", str, required=False, max_length=desk.NOTE_MAX),
]
REVEAL_FIELDS = [Field("reason", str, required=False, max_length=200)]
VOICEMAIL_STATUS = QueryParam("status", str, "pending (default) or done")
VOICEMAIL_CLOSE_FIELDS = [Field("note", str, required=False, max_length=desk.NOTE_MAX)]


def _status_query() -> str:
    status = query_text(STATUS, 16) or desk.OPEN
    if status not in RETURN_VISIT_STATUSES:
        raise BadRequest(
            f"query parameter 'status' must be one of {', '.join(RETURN_VISIT_STATUSES)}"
        )
    return status


@bp.get("/return-visits")
@api_doc(
    "回访 tasks of a status (open ones by due time, overdue first); numbers masked",
    response=RETURN_VISIT_LIST,
    roles=SUPERVISORS,
    query=(STATUS, LIMIT, OFFSET),
)
@token_required(*SUPERVISORS)
def list_return_visits():  # type: ignore[no-untyped-def]
    """List 回访 tasks."""
    session = db.session
    tasks, total = desk.return_visits(
        session, _status_query(), query_int(LIMIT, 100), query_int(OFFSET, 0)
    )
    return jsonify(
        {"return_visits": return_visits_json(session, tasks, clock.now()), "total": total}
    )


@bp.post("/return-visits/<int:task_id>/assign")
@api_doc(
    "Take an open 回访 task (assign it to the caller of the API); audit-logged",
    response=RETURN_VISIT,
    roles=SUPERVISORS,
    errors=(404, 409),
)
@token_required(*SUPERVISORS)
def assign_return_visit(task_id: int):  # type: ignore[no-untyped-def]
    """Assign a task to me."""
    session = db.session
    task = desk.assign_to(session, task_id, current_user(), request.remote_addr)
    session.commit()
    return jsonify(return_visits_json(session, [task], clock.now())[0])


@bp.post("/return-visits/<int:task_id>/close")
@api_doc(
    "Close an open 回访 task as done or unreachable, with a note; audit-logged",
    request=CLOSE_FIELDS,
    response=RETURN_VISIT,
    roles=SUPERVISORS,
    errors=(404, 409),
)
@token_required(*SUPERVISORS)
def close_return_visit(task_id: int):  # type: ignore[no-untyped-def]
    """Close a task."""
    body = documented_body()
    session = db.session
    task = desk.close_task(
        session, task_id, current_user(), body["status"], body.get("note", ""), clock.now(),
        request.remote_addr,
    )  # fmt: skip
    session.commit()
    return jsonify(return_visits_json(session, [task], clock.now())[0])


@bp.post("/return-visits/<int:task_id>/reveal")
@api_doc(
    "The full number of a 回访 task's caller, to call them back; audit-logged",
    request=REVEAL_FIELDS,
    response=REVEALED,
    roles=SUPERVISORS,
    errors=(404,),
)
@token_required(*SUPERVISORS)
def reveal_return_visit_number(task_id: int):  # type: ignore[no-untyped-def]
    """Show a task's caller number once, recording who asked and why."""
    body = documented_body()
    session = db.session
    task, phone = desk.caller_number(
        session, task_id, current_user(), body.get("reason", ""), request.remote_addr
    )
    session.commit()
    return jsonify({"id": task.id, "caller_full": phone})


@bp.get("/messages/failed")
@api_doc(
    "Outbound SMS that failed for good, newest first, with Twilio's error; numbers masked",
    response=FAILED_LIST,
    roles=SUPERVISORS,
    query=(LIMIT,),
)
@token_required(*SUPERVISORS)
def list_failed_messages():  # type: ignore[no-untyped-def]
    """List failed messages."""
    session = db.session
    rows = list(failed_messages(session, limit=query_int(LIMIT, 100)))
    return jsonify({"messages": failed_json(session, rows)})


@bp.get("/messages/unmatched")
@api_doc(
    "Inbound SMS replies no rule understood, not yet reviewed, newest first; numbers masked",
    response=REPLY_LIST,
    roles=SUPERVISORS,
    query=(LIMIT,),
)
@token_required(*SUPERVISORS)
def list_unmatched_replies():  # type: ignore[no-untyped-def]
    """List unmatched replies."""
    rows = unmatched_replies(db.session, limit=query_int(LIMIT, 100))
    return jsonify({"messages": [reply_json(m) for m in rows]})


@bp.post("/messages/<int:message_id>/reviewed")
@api_doc(
    "Mark an unmatched reply as reviewed (a second mark changes nothing); audit-logged",
    response=REPLY,
    roles=SUPERVISORS,
    errors=(404,),
)
@token_required(*SUPERVISORS)
def mark_reply_reviewed(message_id: int):  # type: ignore[no-untyped-def]
    """Mark a reply reviewed."""
    session = db.session
    message = desk.mark_reviewed(
        session, message_id, current_user(), clock.now(), request.remote_addr
    )
    session.commit()
    return jsonify(reply_json(message))


@bp.get("/voicemails")
@api_doc(
    "Voicemails nobody can call back (withheld numbers): pending oldest first, or done ones",
    response=DESK_VOICEMAIL_LIST,
    roles=SUPERVISORS,
    query=(VOICEMAIL_STATUS, LIMIT, OFFSET),
    description="Voicemails with a number are call-back work items (/api/work-items) instead.",
)
@token_required(*SUPERVISORS)
def list_voicemails():  # type: ignore[no-untyped-def]
    """List voicemails without a number."""
    status = query_text(VOICEMAIL_STATUS, 16) or "pending"
    if status not in VOICEMAIL_STATUS_LABELS:
        choices = ", ".join(VOICEMAIL_STATUS_LABELS)
        raise BadRequest(f"query parameter 'status' must be one of {choices}")
    session = db.session
    rows, total = voicemails_without_number(
        session, status, query_int(LIMIT, 100), query_int(OFFSET, 0)
    )
    return jsonify({"voicemails": desk_voicemails_json(session, rows), "total": total})


@bp.post("/voicemails/<int:voicemail_id>/close")
@api_doc(
    "Mark a pending voicemail without a number handled (done), with a note; audit-logged",
    request=VOICEMAIL_CLOSE_FIELDS,
    response=DESK_VOICEMAIL,
    roles=SUPERVISORS,
    errors=(400, 404, 409),
    description="409 once it is closed, or when it is a call-back work item (has a number).",
)
@token_required(*SUPERVISORS)
def close_voicemail(voicemail_id: int):  # type: ignore[no-untyped-def]
    """Close a voicemail."""
    body = documented_body()
    session = db.session
    voicemail = desk.close_voicemail(
        session, voicemail_id, current_user(), body.get("note", ""), clock.now(),
        request.remote_addr,
    )  # fmt: skip
    session.commit()
    return jsonify(desk_voicemails_json(session, [voicemail])[0])
