"""Closed vocabularies stored in string columns (checked by constraints and by the code).

A vocabulary an API model takes is a Literal type, and its tuple is made from it: the values
are written once, for the type checker, the models, the CHECK constraints and the messages.
"""

from __future__ import annotations

from typing import Literal, get_args

SERVICES = ("consultation", "legal_aid", "mediation", "notary_forensic", "complaint", "operator")
AGENT_ROLES = ("lawyer", "mediator", "legal_aid")
SUPERVISOR_ROLES = ("supervisor", "admin")
ROLES = AGENT_ROLES + SUPERVISOR_ROLES
# What an agent chooses to be; what they are doing (ringing, talking, …) is routing's live state.
AgentStatus = Literal["available", "break", "offline"]
AGENT_STATUSES: tuple[AgentStatus, ...] = get_args(AgentStatus)
CallStage = Literal[
    "ivr", "queued", "ringing", "talking", "wrap_up", "survey", "voicemail", "ended"
]
CALL_STAGES: tuple[CallStage, ...] = get_args(CallStage)
CallDirection = Literal["inbound", "outbound"]
CALL_DIRECTIONS: tuple[CallDirection, ...] = get_args(CallDirection)
MESSAGE_DIRECTIONS = ("outbound", "inbound")
MESSAGE_STATUSES = (
    "pending",
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "received",
)
WorkItemStatus = Literal["pending", "assigned", "in_progress", "done", "unreachable", "cancelled"]
WORK_ITEM_STATUSES: tuple[WorkItemStatus, ...] = get_args(WorkItemStatus)
SURVEY_CHANNELS = ("ivr", "sms")
# What an outbound SMS is for; one of each kind per consultation (or call) at most.
MESSAGE_KINDS = (
    "followup",
    "survey",
    "survey_thanks",
    "reply_help",
    "optout_confirm",
    "callback_notice",
    "reply",
)
# How an inbound SMS was understood.
REPLY_KINDS = ("rating", "optout", "optin", "unmatched")
ReturnVisitStatus = Literal["open", "done", "unreachable", "cancelled"]
RETURN_VISIT_STATUSES: tuple[ReturnVisitStatus, ...] = get_args(ReturnVisitStatus)
CALLBACK_ATTEMPT_OUTCOMES = (
    "dialing",
    "connected",
    "no_answer",
    "busy",
    "failed",
    "canceled",
    "agent_unreachable",
)


def check_in(column: str, values: tuple[str, ...]) -> str:
    """SQL text of a CHECK that a column holds one of the given values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
