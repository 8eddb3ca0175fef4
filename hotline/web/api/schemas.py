"""JSON Schemas of the API's answers (used by the OpenAPI document and the tests)."""

from __future__ import annotations

from typing import Any

AGENT_ROLES = ("lawyer", "mediator", "legal_aid")
SUPERVISORS = ("supervisor", "admin")
ANY_USER: tuple[str, ...] = ()


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """An object schema whose properties are all required unless named otherwise."""
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
    }


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    """A schema of `kind` or null."""
    return {"type": [kind, "null"], **extra}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
MASKED = {"type": "string", "description": "masked phone number, e.g. 138****0000"}

ERROR = obj(
    {"error": STRING, "message": STRING, "details": {"type": "object"}}, ["error", "message"]
)

CONSULTATION = obj(
    {
        "case_number": {"type": "string", "pattern": r"^HL12348-\d{8}-\d{6}$"},
        "call_sid": nullable("string"),
        "service": nullable("string"),
        "topic": STRING,
        "group": nullable("string"),
        "summary": STRING,
        "disposition": STRING,
        "disposition_label": STRING,
        "referral_office": nullable("string"),
        "follow_up_needed": BOOLEAN,
        "agent": nullable("string"),
        "agent_name": nullable("string"),
        "caller": MASKED,
        "created_at": TIME,
        "created_at_local": STRING,
    }
)

CONSULTATION_LIST = obj(
    {"consultations": {"type": "array", "items": CONSULTATION}, "total": INTEGER}
)

CALL_SUMMARY_PROPERTIES: dict[str, Any] = {
    "call_sid": STRING,
    "started_at": TIME,
    "started_at_local": STRING,
    "caller": MASKED,
    "service": nullable("string"),
    "topic": nullable("string"),
    "group": nullable("string"),
    "region": nullable("string"),
    "priority": INTEGER,
    "repeat_caller": BOOLEAN,
    "stage": STRING,
    "outcome": nullable("string"),
    "hangup_stage": nullable("string"),
    "agent": nullable("string"),
    "agent_name": nullable("string"),
    "wait_seconds": nullable("integer"),
    "talk_seconds": nullable("integer"),
    "case_number": nullable("string"),
}
CALL_SUMMARY = obj(CALL_SUMMARY_PROPERTIES)
CALL_LIST = obj({"calls": {"type": "array", "items": CALL_SUMMARY}, "total": INTEGER})

EVENT = obj(
    {
        "at": TIME,
        "at_local": STRING,
        "kind": STRING,
        "label": STRING,
        "source": {"type": "string", "enum": ["event", "message", "survey"]},
        "data": {"type": "object"},
    }
)
CALL_DETAIL = obj(
    {
        **CALL_SUMMARY_PROPERTIES,
        "ended_at": nullable("string", format="date-time"),
        "events": {"type": "array", "items": EVENT},
        "consultation": {"oneOf": [CONSULTATION, {"type": "null"}]},
    }
)

HISTORY = obj({"call_sid": STRING, "consultations": {"type": "array", "items": CONSULTATION}})
REVEAL = obj({"call_sid": STRING, "caller_full": STRING})

ME = obj(
    {
        "username": STRING,
        "display_name": STRING,
        "role": STRING,
        "role_label": STRING,
        "agent": {
            "oneOf": [
                obj(
                    {
                        "status": STRING,
                        "region": STRING,
                        "skills": {"type": "array", "items": STRING},
                        "browser_phone": BOOLEAN,
                    }
                ),
                {"type": "null"},
            ]
        },
    }
)

VOCABULARY = obj(
    {
        "services": {"type": "array", "items": obj({"code": STRING, "name": STRING})},
        "groups": {
            "type": "array",
            "items": obj(
                {"digit": STRING, "name": STRING, "topics": {"type": "array", "items": STRING}}
            ),
        },
        "dispositions": {"type": "array", "items": obj({"code": STRING, "label": STRING})},
        "regions": {
            "type": "array",
            "items": obj(
                {
                    "code": STRING,
                    "name": STRING,
                    "legal_aid_centre": STRING,
                    "mediation_office": STRING,
                }
            ),
        },
    }
)

VOICE_TOKEN = obj({"token": STRING, "identity": STRING, "expires_at": TIME})

TOKEN = obj({"token": STRING, "role": STRING, "expires_at": TIME})

AGENT_CURRENT = {
    "oneOf": [
        obj(
            {
                "call_sid": STRING,
                "stage": {"type": "string", "enum": ["ringing", "talking", "wrap_up"]},
                "service": nullable("string"),
                "topic": nullable("string"),
                "group": nullable("string"),
                "region": nullable("string"),
                "priority": INTEGER,
                "repeat_caller": BOOLEAN,
                "waiting_seconds": nullable("integer"),
                "caller": MASKED,
                "caller_full": {
                    "type": "string",
                    "description": "only while talking or in wrap-up, to the agent on the call",
                },
                "direction": {
                    "type": "string",
                    "enum": ["inbound", "outbound"],
                    "description": "outbound: a call-back the agent placed from a work item",
                },
                "callback_source": {
                    "type": "string",
                    "description": "call-backs only: what the work item came from (voicemail, …)",
                },
                "callback_source_label": {
                    "type": "string",
                    "description": "call-backs only: the source in Chinese (留言 / 预约回电)",
                },
            },
            ["call_sid", "stage", "caller"],
        ),
        {"type": "null"},
    ]
}
