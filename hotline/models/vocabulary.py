"""Closed vocabularies stored in string columns (checked by constraints and by the code)."""

from __future__ import annotations

SERVICES = ("consultation", "legal_aid", "mediation", "notary_forensic", "complaint", "operator")
ROLES = ("lawyer", "mediator", "legal_aid", "supervisor", "admin")
AGENT_ROLES = ("lawyer", "mediator", "legal_aid")
AGENT_STATUSES = ("offline", "available", "break")
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


def check_in(column: str, values: tuple[str, ...]) -> str:
    """SQL text of a CHECK that a column holds one of the given values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
