"""The data model; importing this package registers every table on Base.metadata."""

from __future__ import annotations

from hotline.db import Base
from hotline.models.audit import AuditEntry
from hotline.models.calls import Call, Caller, CallEvent
from hotline.models.consultations import CaseNumberCounter, Consultation
from hotline.models.followups import (
    CallbackAttempt,
    CallbackRequest,
    Message,
    ReturnVisit,
    Survey,
    Voicemail,
)
from hotline.models.staff import Agent, ApiToken, Shift, User

__all__ = [
    "Agent",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Call",
    "CallEvent",
    "CallbackAttempt",
    "CallbackRequest",
    "Caller",
    "CaseNumberCounter",
    "Consultation",
    "Message",
    "ReturnVisit",
    "Shift",
    "Survey",
    "User",
    "Voicemail",
]
