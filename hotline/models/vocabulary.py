"""Closed vocabularies stored in string columns (checked by constraints and by the code)."""

from __future__ import annotations

SERVICES = ("consultation", "legal_aid", "mediation", "notary_forensic", "complaint", "operator")
AGENT_ROLES = ("lawyer", "mediator", "legal_aid")
SUPERVISOR_ROLES = ("supervisor", "admin")
ROLES = AGENT_ROLES + SUPERVISOR_ROLES
# What an agent chooses to be; what they are doing (ringing, talking, …) is routing's live state.
AGENT_STATUSES = ("available", "break", "offline")
CALL_STAGES = ("ivr", "queued", "ringing", "talking", "wrap_up", "survey", "voicemail", "ended")
CALL_DIRECTIONS = ("inbound", "outbound")
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
WORK_ITEM_STATUSES = ("pending", "assigned", "in_progress", "done", "unreachable", "cancelled")
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
RETURN_VISIT_STATUSES = ("open", "done", "unreachable", "cancelled")
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
