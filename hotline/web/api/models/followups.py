"""The follow-up desk: 回访 tasks, failed SMS, unmatched replies, voicemails without a number."""

from __future__ import annotations

from pydantic import Field

from hotline.models.vocabulary import ReturnVisitStatus
from hotline.supervision.followup_desk import NOTE_MAX, ClosedStatus
from hotline.web.api.models.common import (
    InModel,
    MaskedPhone,
    Offset,
    OutModel,
    QueryInt,
    QueryModel,
    Timestamp,
)
from hotline.web.api.models.work_items import AnonymousVoicemailOut
from hotline.web.labels import DeskVoicemailStatus


class ReturnVisitOut(OutModel):
    """A 回访 task with its survey, call and caller (the number masked)."""

    id: int
    status: str
    status_label: str
    rating: int
    rating_label: str
    region: str | None
    region_name: str
    due_at: Timestamp
    due_at_local: str
    overdue: bool
    created_at: Timestamp
    caller: MaskedPhone
    call_sid: str | None
    case_number: str | None
    channel: str | None
    comment: str
    assigned_to: str | None
    assigned_to_name: str | None
    outcome_note: str
    closed_at: Timestamp | None


class ReturnVisitListOut(OutModel):
    """A page of 回访 tasks and how many there are in all."""

    return_visits: list[ReturnVisitOut]
    total: int


class FailedMessageOut(OutModel):
    """An outbound SMS that failed for good (the number masked)."""

    id: int
    kind: str
    kind_label: str
    to: MaskedPhone
    error_code: int | None
    error_message: str | None
    attempts: int
    call_sid: str | None
    created_at: Timestamp
    failed_at_local: str


class FailedMessageListOut(OutModel):
    """Failed outbound SMS, newest first."""

    messages: list[FailedMessageOut]


class ReplyOut(OutModel):
    """An inbound SMS reply no rule understood (numbers, also in the text, masked)."""

    id: int
    sender: MaskedPhone = Field(alias="from")
    body: str
    received_at: Timestamp
    received_at_local: str
    reviewed_at: Timestamp | None


class ReplyListOut(OutModel):
    """Unmatched replies, newest first."""

    messages: list[ReplyOut]


class TaskNumberOut(OutModel):
    """A 回访 task's full caller number, given once and audit-logged."""

    id: int
    caller_full: str | None


class DeskVoicemailOut(AnonymousVoicemailOut):
    """A voicemail without a number as the desk shows it: to listen to, then mark handled."""

    status: str
    status_label: str
    service: str | None
    group: str | None
    created_at: Timestamp
    duration_label: str
    call_sid: str | None
    outcome_note: str
    closed_at: Timestamp | None
    closed_at_local: str
    closed_by: str | None


class DeskVoicemailListOut(OutModel):
    """A page of voicemails without a number and how many there are in all."""

    voicemails: list[DeskVoicemailOut]
    total: int


class ReturnVisitCloseIn(InModel):
    """POST /api/return-visits/<id>/close."""

    status: ClosedStatus
    note: str = Field(default="", max_length=NOTE_MAX)


class VoicemailCloseIn(InModel):
    """POST /api/voicemails/<id>/close."""

    note: str = Field(default="", max_length=NOTE_MAX)


class ReturnVisitsQuery(QueryModel):
    """GET /api/return-visits."""

    status: ReturnVisitStatus = Field(
        default="open", description="open (default), done, unreachable or cancelled"
    )
    limit: QueryInt = Field(default=100, ge=1, le=200, description="at most this many")
    offset: Offset = 0


class MessagesQuery(QueryModel):
    """GET /api/messages/failed and /api/messages/unmatched."""

    limit: QueryInt = Field(default=100, ge=1, le=200, description="at most this many")


class VoicemailsQuery(QueryModel):
    """GET /api/voicemails."""

    status: DeskVoicemailStatus = Field(default="pending", description="pending (default) or done")
    limit: QueryInt = Field(default=100, ge=1, le=200, description="at most this many")
    offset: Offset = 0
