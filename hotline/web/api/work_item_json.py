"""The JSON shapes of call-back work items and attempts (numbers masked), and their schemas."""

from __future__ import annotations

from typing import Any

from callbacks.work_items import return_calls as attempts
from hotline import clock
from hotline.models import Agent, CallbackAttempt, CallbackRequest, User, Voicemail
from hotline.phones import mask
from hotline.times import format_local
from hotline.web.api.schemas import BOOLEAN, INTEGER, MASKED, STRING, TIME, nullable, obj
from hotline.web.extensions import db
from hotline.web.presenters import (
    CALLBACK_OUTCOME_LABELS,
    WORK_ITEM_STATUS_LABELS,
    agent_names,
    iso,
    region_label,
    service_label,
    work_item_source_label,
)
from hotline.web.return_calls import config as callback_config

# An attempt's outcomes while its call goes on (until the final status ends it).
LIVE_OUTCOMES = ("dialing", "connected")
ATTEMPT = obj(
    {
        "id": INTEGER,
        "number": INTEGER,
        "agent": nullable("string"),
        "outcome": STRING,
        "outcome_label": STRING,
        "twilio_status": nullable("string"),
        "started_at": TIME,
        "started_at_local": STRING,
        "answered_at": nullable("string", format="date-time"),
        "ended_at": nullable("string", format="date-time"),
        "talk_seconds": nullable("integer"),
    }
)
VOICEMAIL = obj({"recording_url": nullable("string"), "duration_seconds": nullable("integer")})
ITEM_PROPERTIES: dict[str, Any] = {
    "id": INTEGER,
    "source": STRING,
    "source_label": STRING,
    "caller": MASKED,
    "region": nullable("string"),
    "region_label": STRING,
    "service": nullable("string"),
    "service_label": STRING,
    "topic": nullable("string"),
    "group": nullable("string"),
    "priority": INTEGER,
    "status": STRING,
    "status_label": STRING,
    "attempts": INTEGER,
    "max_attempts": INTEGER,
    "next_attempt_at": nullable("string", format="date-time"),
    "next_attempt_local": STRING,
    "due": BOOLEAN,
    "created_at": TIME,
    "created_at_local": STRING,
    "assigned_agent": nullable("string"),
    "outcome_note": STRING,
    "voicemail": {"oneOf": [VOICEMAIL, {"type": "null"}]},
}
ITEM = obj(ITEM_PROPERTIES)
ITEM_DETAIL = obj(
    {
        **ITEM_PROPERTIES,
        "phone": {
            "type": "string",
            "description": "the full number while the reader's call-back attempt of the item is "
            "under way; otherwise masked (138****0000)",
        },
        "attempt_list": {"type": "array", "items": ATTEMPT},
    }
)
ANONYMOUS_VOICEMAIL = obj(
    {
        "id": INTEGER,
        "region": nullable("string"),
        "region_label": STRING,
        "service_label": STRING,
        "created_at_local": STRING,
        "recording_url": nullable("string"),
        "duration_seconds": nullable("integer"),
    }
)
ITEM_LIST = obj(
    {
        "items": {"type": "array", "items": ITEM},
        "voicemails": {"type": "array", "items": ANONYMOUS_VOICEMAIL},
        "total": INTEGER,
    }
)
STARTED = obj({"attempt": ATTEMPT, "item": ITEM_DETAIL})


def attempt_json(attempt: CallbackAttempt, names: dict[int, User]) -> dict[str, Any]:
    """The API shape of one call-back attempt."""
    user = names.get(attempt.agent_id) if attempt.agent_id else None
    return {
        "id": attempt.id,
        "number": attempt.number,
        "agent": user.username if user else None,
        "outcome": attempt.outcome,
        "outcome_label": CALLBACK_OUTCOME_LABELS.get(attempt.outcome, attempt.outcome),
        "twilio_status": attempt.twilio_status,
        "started_at": iso(attempt.started_at),
        "started_at_local": format_local(attempt.started_at, "%Y-%m-%d %H:%M:%S"),
        "answered_at": iso(attempt.answered_at),
        "ended_at": iso(attempt.ended_at),
        "talk_seconds": attempt.talk_seconds,
    }


def items_json(rows: list[CallbackRequest]) -> list[dict[str, Any]]:
    """The API shape of work items (numbers masked)."""
    session = db.session
    names = agent_names(session, (row.assigned_agent_id for row in rows))
    ids = {row.voicemail_id for row in rows if row.voicemail_id}
    voicemails = {v.id: v for v in (session.get(Voicemail, i) for i in ids) if v is not None}
    moment, max_attempts = clock.now(), callback_config().max_attempts
    result = []
    for row in rows:
        user = names.get(row.assigned_agent_id) if row.assigned_agent_id else None
        voicemail = voicemails.get(row.voicemail_id) if row.voicemail_id else None
        result.append(
            {
                "id": row.id,
                "source": row.source,
                "source_label": work_item_source_label(row.source),
                "caller": mask(row.phone),
                "region": row.region,
                "region_label": region_label(row.region) or "未知",
                "service": row.service,
                "service_label": service_label(row.service) or "未选择",
                "topic": row.topic,
                "group": row.group,
                "priority": row.priority,
                "status": row.status,
                "status_label": WORK_ITEM_STATUS_LABELS.get(row.status, row.status),
                "attempts": row.attempts,
                "max_attempts": max_attempts,
                "next_attempt_at": iso(row.next_attempt_at),
                "next_attempt_local": format_local(row.next_attempt_at) or "现在",
                "due": row.next_attempt_at is None or row.next_attempt_at <= moment,
                "created_at": iso(row.created_at),
                "created_at_local": format_local(row.created_at),
                "assigned_agent": user.username if user else None,
                "outcome_note": row.outcome_note,
                "voicemail": None
                if voicemail is None
                else {
                    "recording_url": voicemail.recording_url,
                    "duration_seconds": voicemail.duration_seconds,
                },
            }
        )
    return result


def voicemails_json(rows: list[Voicemail]) -> list[dict[str, Any]]:
    """Voicemails without a number to call back: listen only."""
    return [
        {
            "id": row.id,
            "region": row.region,
            "region_label": region_label(row.region) or "未知",
            "service_label": service_label(row.service) or "未选择",
            "created_at_local": format_local(row.created_at),
            "recording_url": row.recording_url,
            "duration_seconds": row.duration_seconds,
        }
        for row in rows
    ]


def calling(rows: list[CallbackAttempt], agent: Agent | None) -> bool:
    """Whether one of these attempts is the agent's and still under way."""
    return agent is not None and any(
        row.agent_id == agent.id and row.ended_at is None and row.outcome in LIVE_OUTCOMES
        for row in rows
    )


def item_detail(item: CallbackRequest, agent: Agent | None) -> dict[str, Any]:
    """An item with its attempts; the full number only during the agent's live attempt."""
    session = db.session
    body = items_json([item])[0]
    rows = attempts.attempts_of(session, [item.id])[item.id]
    names = agent_names(session, (row.agent_id for row in rows))
    body["phone"] = item.phone if calling(rows, agent) else mask(item.phone)
    body["attempt_list"] = [attempt_json(row, names) for row in rows]
    return body
