"""The JSON shapes of the follow-up desk (回访 tasks, failed SMS, unmatched replies, voicemails).

Used by the API (hotline.web.api.followups) and the desk page alike; numbers leave masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.consultations import case_numbers_by_call
from hotline.models import Call, Message, ReturnVisit, Survey, User, Voicemail
from hotline.phones import mask
from hotline.supervision import followup_desk as desk
from hotline.supervision.call_log import mask_text
from hotline.times import format_local
from hotline.web.api.schemas import BOOLEAN, INTEGER, MASKED, STRING, TIME, nullable, obj
from hotline.web.api.work_item_json import ANONYMOUS_VOICEMAIL, voicemails_json
from hotline.web.presenters import (
    MESSAGE_KIND_LABELS,
    RATING_LABELS,
    RETURN_VISIT_STATUS_LABELS,
    caller_phones,
    duration_label,
    iso,
    region_label,
)

RETURN_VISIT = obj(
    {
        "id": INTEGER, "status": STRING, "status_label": STRING, "rating": INTEGER,
        "rating_label": STRING, "region": nullable("string"), "region_name": STRING,
        "due_at": TIME, "due_at_local": STRING, "overdue": BOOLEAN, "created_at": TIME,
        "caller": MASKED, "call_sid": nullable("string"), "case_number": nullable("string"),
        "channel": nullable("string"), "comment": STRING, "assigned_to": nullable("string"),
        "assigned_to_name": nullable("string"), "outcome_note": STRING,
        "closed_at": nullable("string", format="date-time"),
    }
)  # fmt: skip
RETURN_VISIT_LIST = obj(
    {"return_visits": {"type": "array", "items": RETURN_VISIT}, "total": INTEGER}
)
FAILED_MESSAGE = obj(
    {
        "id": INTEGER, "kind": STRING, "kind_label": STRING, "to": MASKED,
        "error_code": nullable("integer"), "error_message": nullable("string"),
        "attempts": INTEGER, "call_sid": nullable("string"), "created_at": TIME,
        "failed_at_local": STRING,
    }
)  # fmt: skip
REPLY = obj(
    {
        "id": INTEGER, "from": MASKED, "body": STRING, "received_at": TIME,
        "received_at_local": STRING, "reviewed_at": nullable("string", format="date-time"),
    }
)  # fmt: skip
FAILED_LIST = obj({"messages": {"type": "array", "items": FAILED_MESSAGE}})
REPLY_LIST = obj({"messages": {"type": "array", "items": REPLY}})
REVEALED = obj({"id": INTEGER, "caller_full": nullable("string")})
VOICEMAIL_STATUS_LABELS = {"pending": "待处理", "done": "已处理"}
DESK_VOICEMAIL = obj(
    {
        **ANONYMOUS_VOICEMAIL["properties"],
        "status": STRING, "status_label": STRING, "service": nullable("string"),
        "group": nullable("string"), "created_at": TIME, "duration_label": STRING,
        "call_sid": nullable("string"), "outcome_note": STRING,
        "closed_at": nullable("string", format="date-time"), "closed_at_local": STRING,
        "closed_by": nullable("string"),
    }
)  # fmt: skip
DESK_VOICEMAIL_LIST = obj(
    {"voicemails": {"type": "array", "items": DESK_VOICEMAIL}, "total": INTEGER}
)


def _by_id(session: Session, model: Any, ids: set[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


def return_visits_json(
    session: Session, tasks: list[ReturnVisit], now: datetime
) -> list[dict[str, Any]]:
    """The API shape of 回访 tasks, with their survey, call and caller (number masked)."""
    surveys = _by_id(session, Survey, {t.survey_id for t in tasks})
    calls = _by_id(session, Call, {t.call_id for t in tasks})
    users = _by_id(session, User, {t.assigned_user_id for t in tasks})
    phones = caller_phones(session, (t.caller_id for t in tasks))
    cases = case_numbers_by_call(session, (t.call_id for t in tasks))
    rows = []
    for task in tasks:
        survey, call = surveys.get(task.survey_id), calls.get(task.call_id)
        user = users.get(task.assigned_user_id)
        phone = phones.get(task.caller_id) if task.caller_id else None
        rows.append(
            {
                "id": task.id,
                "status": task.status,
                "status_label": RETURN_VISIT_STATUS_LABELS.get(task.status, task.status),
                "rating": task.rating,
                "rating_label": RATING_LABELS.get(task.rating, str(task.rating)),
                "region": task.region,
                "region_name": region_label(task.region) or "—",
                "due_at": iso(task.due_at),
                "due_at_local": format_local(task.due_at),
                "overdue": task.status == desk.OPEN and task.due_at < now,
                "created_at": iso(task.created_at),
                "caller": mask(phone or (call.from_number if call else None)),
                "call_sid": call.call_sid if call else None,
                "case_number": cases.get(task.call_id),
                "channel": survey.channel if survey else None,
                "comment": mask_text(survey.comment or "") if survey else "",
                "assigned_to": user.username if user else None,
                "assigned_to_name": (user.display_name or user.username) if user else None,
                "outcome_note": task.outcome_note or "",
                "closed_at": iso(task.closed_at),
            }
        )
    return rows


def failed_json(session: Session, messages: list[Message]) -> list[dict[str, Any]]:
    """The API shape of failed outbound SMS (number masked)."""
    calls = _by_id(session, Call, {m.call_id for m in messages})
    return [
        {
            "id": m.id,
            "kind": m.kind,
            "kind_label": MESSAGE_KIND_LABELS.get(m.kind, m.kind),
            "to": mask(m.to_number),
            "error_code": m.error_code,
            "error_message": m.error_message,
            "attempts": m.attempts,
            "call_sid": calls[m.call_id].call_sid if m.call_id in calls else None,
            "created_at": iso(m.created_at),
            "failed_at_local": format_local(m.updated_at or m.created_at),
        }
        for m in messages
    ]


def reply_json(message: Message) -> dict[str, Any]:
    """The API shape of an inbound reply (number and numbers in the text masked)."""
    return {
        "id": message.id,
        "from": mask(message.from_number),
        "body": mask_text(message.body or ""),
        "received_at": iso(message.created_at),
        "received_at_local": format_local(message.created_at),
        "reviewed_at": iso(message.reviewed_at),
    }


def desk_voicemails_json(session: Session, rows: list[Voicemail]) -> list[dict[str, Any]]:
    """Voicemails without a number as the desk shows them: to listen to, then mark handled."""
    calls = _by_id(session, Call, {v.call_id for v in rows})
    users = _by_id(session, User, {v.closed_by_user_id for v in rows})
    shapes = voicemails_json(rows)
    for row, shape in zip(rows, shapes, strict=True):
        call, user = calls.get(row.call_id), users.get(row.closed_by_user_id)
        shape.update(
            {
                "status": row.status,
                "status_label": VOICEMAIL_STATUS_LABELS.get(row.status, row.status),
                "service": row.service,
                "group": row.group,
                "created_at": iso(row.created_at),
                "duration_label": duration_label(row.duration_seconds),
                "call_sid": call.call_sid if call else None,
                "outcome_note": row.outcome_note or "",
                "closed_at": iso(row.closed_at),
                "closed_at_local": format_local(row.closed_at),
                "closed_by": (user.display_name or user.username) if user else None,
            }
        )
    return shapes
